/**
 * Three-way merge of an order's lines against the last agreed snapshot (the base).
 *
 * A side changed a field when its value differs from the base. A change on one side only is
 * taken; a field changed on both sides to different values takes 1C's value and is reported as
 * a conflict, so the loss is never silent. Lines added on one side are kept; a line removed on
 * one side is removed unless the other side edited it — then 1C's state of the line wins.
 *
 * Pure: no I/O, no clock. Status is not merged here: it is derived from 1C's state afterwards
 * and shown by the rule of `#core/status` (1C is the system of record).
 */
import { computeAmounts } from './amounts.ts';
import { Big, decEquals, quantity as toQuantity, type Decimal } from './decimal.ts';
import { LINE_INPUT_FIELDS, productKey, type CanonicalLine, type CanonicalOrder, type LineInputField } from './canonical.ts';

export type MergeField = LineInputField | 'product' | 'line';

export interface FieldChange {
  readonly lineKey: string;
  readonly field: MergeField;
  readonly from: unknown;
  readonly to: unknown;
}

export interface Conflict {
  readonly lineKey: string;
  readonly field: MergeField;
  readonly base: unknown;
  /** The value Goodwix had, which lost */
  readonly goodwix: unknown;
  /** The value 1C had, which won */
  readonly onec: unknown;
}

export interface MergeResult {
  /** The lines both sides must hold after the exchange */
  readonly lines: readonly CanonicalLine[];
  readonly conflicts: readonly Conflict[];
  /** Changes that came from Goodwix and must reach 1C */
  readonly fromGoodwix: readonly FieldChange[];
  /** Changes that came from 1C and must reach Goodwix */
  readonly fromOneC: readonly FieldChange[];
}

export interface MergeInput {
  readonly base: CanonicalOrder;
  readonly goodwix: CanonicalOrder;
  readonly onec: CanonicalOrder;
}

type Comparable = Decimal | string | null | CanonicalLine['product'];

function same(field: MergeField, a: Comparable | undefined, b: Comparable | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a === null || b === null) return a === b;
  if (field === 'product') {
    const pa = a as CanonicalLine['product'];
    const pb = b as CanonicalLine['product'];
    return pa.nomenclature === pb.nomenclature && pa.characteristic === pb.characteristic;
  }
  if (field === 'cancelReason') return a === b;
  return decEquals(a as Decimal, b as Decimal);
}

const MERGED_FIELDS: readonly (LineInputField | 'product')[] = ['product', ...LINE_INPUT_FIELDS];

function lineEdited(base: CanonicalLine, other: CanonicalLine): boolean {
  return MERGED_FIELDS.some((f) => !same(f, base[f], other[f]));
}

const productOf = (line: CanonicalLine): string => productKey(line.product.nomenclature, line.product.characteristic);

/**
 * Lines new on both sides that are the same line: a line added on one side and written to the
 * other before the binding recorded it (a crash in between). Paired by product, in order, so a
 * retry never duplicates the line on either side.
 */
function pairNewLines(base: CanonicalOrder, goodwix: CanonicalOrder, onec: CanonicalOrder): Map<string, string> {
  const baseKeys = new Set(base.lines.map((l) => l.key));
  const onecKeys = new Set(onec.lines.map((l) => l.key));
  const goodwixKeys = new Set(goodwix.lines.map((l) => l.key));
  const unmatchedOneC = onec.lines.filter((l) => !baseKeys.has(l.key) && !goodwixKeys.has(l.key));
  const pairs = new Map<string, string>(); // onec key -> goodwix key
  for (const g of goodwix.lines) {
    if (baseKeys.has(g.key) || onecKeys.has(g.key)) continue;
    const index = unmatchedOneC.findIndex((c) => productOf(c) === productOf(g));
    if (index >= 0) {
      pairs.set(unmatchedOneC[index]!.key, g.key);
      unmatchedOneC.splice(index, 1);
    }
  }
  return pairs;
}

export function mergeOrder({ base, goodwix, onec }: MergeInput): MergeResult {
  const conflicts: Conflict[] = [];
  const fromGoodwix: FieldChange[] = [];
  const fromOneC: FieldChange[] = [];

  const pairs = pairNewLines(base, goodwix, onec);
  const onecLines = onec.lines.map((l) => {
    const goodwixKey = pairs.get(l.key);
    return goodwixKey ? { ...l, key: goodwixKey } : l;
  });

  const baseByKey = new Map(base.lines.map((l) => [l.key, l]));
  const goodwixByKey = new Map(goodwix.lines.map((l) => [l.key, l]));
  const onecByKey = new Map(onecLines.map((l) => [l.key, l]));

  // 1C's order of lines first (it numbers the rows), then lines only Goodwix has.
  const keys = [...new Set([...onecLines.map((l) => l.key), ...goodwix.lines.map((l) => l.key), ...base.lines.map((l) => l.key)])];

  const lines: CanonicalLine[] = [];
  for (const key of keys) {
    const b = baseByKey.get(key);
    const g = goodwixByKey.get(key);
    const c = onecByKey.get(key);

    if (!c && !g) continue; // removed on both sides, or never existed
    if (b && !c) {
      // Removed in 1C: 1C wins even over a Goodwix edit of the same line.
      if (g && lineEdited(b, g)) conflicts.push({ lineKey: key, field: 'line', base: 'present', goodwix: 'edited', onec: 'removed' });
      if (g) fromOneC.push({ lineKey: key, field: 'line', from: 'present', to: 'removed' });
      continue;
    }
    if (b && !g) {
      // Removed in Goodwix: kept when 1C edited the line meanwhile.
      if (lineEdited(b, c!)) {
        conflicts.push({ lineKey: key, field: 'line', base: 'present', goodwix: 'removed', onec: 'edited' });
        fromOneC.push({ lineKey: key, field: 'line', from: 'removed', to: 'present' });
        lines.push(c!);
      } else {
        fromGoodwix.push({ lineKey: key, field: 'line', from: 'present', to: 'removed' });
      }
      continue;
    }
    if (!g) {
      fromOneC.push({ lineKey: key, field: 'line', from: 'absent', to: 'added' });
      lines.push(c!);
      continue;
    }
    if (!c) {
      fromGoodwix.push({ lineKey: key, field: 'line', from: 'absent', to: 'added' });
      lines.push(g);
      continue;
    }
    lines.push(mergeLine(key, b, g, c, { conflicts, fromGoodwix, fromOneC }, onec.pricesIncludeVat));
  }

  return { lines, conflicts, fromGoodwix, fromOneC };
}

function mergeLine(
  key: string,
  b: CanonicalLine | undefined,
  g: CanonicalLine,
  c: CanonicalLine,
  out: { conflicts: Conflict[]; fromGoodwix: FieldChange[]; fromOneC: FieldChange[] },
  pricesIncludeVat: boolean,
): CanonicalLine {
  const merged: Record<string, unknown> = {};
  const lineConflicts: Conflict[] = [];
  for (const field of MERGED_FIELDS) {
    const bv = b?.[field];
    const gv = g[field];
    const cv = c[field];
    // A line new on both sides has no base: where the two disagree, both count as changed.
    const onecChanged = b ? !same(field, bv, cv) : !same(field, gv, cv);
    const goodwixChanged = b ? !same(field, bv, gv) : !same(field, gv, cv);
    if (same(field, gv, cv)) {
      merged[field] = cv;
    } else if (onecChanged || !goodwixChanged) {
      merged[field] = cv;
      if (goodwixChanged) lineConflicts.push({ lineKey: key, field, base: bv ?? null, goodwix: gv, onec: cv });
      else out.fromOneC.push({ lineKey: key, field, from: gv, to: cv });
    } else {
      merged[field] = gv;
      out.fromGoodwix.push({ lineKey: key, field, from: cv, to: gv });
    }
  }

  let quantity = merged.quantity as Decimal;
  let cancelled = merged.cancelledQuantity as Decimal;
  // Goods already shipped cannot be cancelled, and nothing can be cancelled beyond what was
  // ordered: where the merged line breaks that, 1C's quantities stand.
  const deliverable = new Big(quantity).minus(cancelled);
  if (deliverable.lt(0) || deliverable.lt(c.shippedQuantity)) {
    for (const field of ['quantity', 'cancelledQuantity'] as const) {
      if (!same(field, merged[field] as Decimal, c[field])) {
        lineConflicts.push({ lineKey: key, field, base: b?.[field] ?? null, goodwix: merged[field], onec: c[field] });
        removeChange(out.fromGoodwix, key, field);
      }
    }
    quantity = c.quantity;
    cancelled = c.cancelledQuantity;
  }
  out.conflicts.push(...lineConflicts);

  const inputs = {
    product: merged.product as CanonicalLine['product'],
    quantity,
    cancelledQuantity: cancelled,
    cancelReason: new Big(cancelled).gt(0) ? (merged.cancelReason as string | null) : null,
    price: merged.price as Decimal,
    discountPercent: merged.discountPercent as Decimal,
    vatRate: merged.vatRate as Decimal,
  };
  const asInOneC = MERGED_FIELDS.every((f) => same(f, inputs[f], c[f]));
  const amounts = asInOneC ? c : lineAmounts(inputs, pricesIncludeVat);

  return {
    ...inputs,
    key,
    goodwixLineId: g.goodwixLineId ?? c.goodwixLineId,
    goodwixProductId: g.goodwixProductId ?? c.goodwixProductId,
    discountAmount: amounts.discountAmount,
    vatAmount: amounts.vatAmount,
    amount: amounts.amount,
    shippedQuantity: c.shippedQuantity,
    ...(c.onecRows ? { onecRows: c.onecRows } : {}),
  };
}

function removeChange(changes: FieldChange[], lineKey: string, field: MergeField): void {
  const index = changes.findIndex((ch) => ch.lineKey === lineKey && ch.field === field);
  if (index >= 0) changes.splice(index, 1);
}

/** Amounts of the deliverable part of a line (the cancelled part carries none). */
export function lineAmounts(
  line: Pick<CanonicalLine, 'quantity' | 'cancelledQuantity' | 'price' | 'discountPercent' | 'vatRate'>,
  pricesIncludeVat: boolean,
): Pick<CanonicalLine, 'discountAmount' | 'vatAmount' | 'amount'> {
  const a = computeAmounts(
    { quantity: toQuantity(new Big(line.quantity).minus(line.cancelledQuantity)), price: line.price, discountPercent: line.discountPercent, vatRate: line.vatRate },
    pricesIncludeVat,
  );
  return { discountAmount: a.discountAmount, vatAmount: a.vatAmount, amount: a.total };
}
