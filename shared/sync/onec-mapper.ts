/**
 * 1C ⇄ canonical, in the 1C client's vocabulary (our property names, never OData names).
 *
 * A canonical line lives in one `Товары` row, or two when part of it is cancelled (UT cancels
 * whole rows). Rows are tied to lines by `КодСтроки`, which 1C keeps stable across edits; the
 * links come from the agreed snapshot (`onecRows` of its lines).
 */
import { computeAmounts } from '#core/amounts';
import { productKey, type CanonicalLine, type CanonicalOrder, type OneCRows } from '#core/canonical';
import { Big, decAdd, decEquals, money, percent, precisionText, quantity, type Decimal } from '#core/decimal';
import { deriveStatus, type StatusMap } from '#core/derive-status';
import type { OneCOrder, OneCOrderItem, OneCOrderItemInput, OneCShipment } from '#onec/documents';
import { orderItemFields } from '#onec/fields';
import { doubleProblem } from '#onec/values';
import type { Plan } from '#plans/plan';
import { ValueOutOfRangeError } from './errors.ts';
import type { OneCReferences } from './references.ts';

/** What the plan says about rows the exchange creates. */
export interface RowDefaults {
  readonly warehouse: string;
  readonly provision: Plan['orders']['reservation'];
  readonly priceType: string | null;
  /** Catalog_ПричиныОтменыЗаказовКлиентов for cancellations whose reason 1C does not know */
  readonly cancelReason: string;
}

/** Text written as the reason when the whole 1C order is marked for deletion. */
export const DELETED_IN_ONEC_REASON = 'Заказ помечен на удаление в 1С';

interface RowLink {
  readonly line: CanonicalLine;
  readonly part: 'active' | 'cancelled';
}

function linksOf(lines: readonly CanonicalLine[]): Map<number, RowLink> {
  const links = new Map<number, RowLink>();
  for (const line of lines) {
    if (line.onecRows?.active !== undefined) links.set(line.onecRows.active, { line, part: 'active' });
    if (line.onecRows?.cancelled !== undefined) links.set(line.onecRows.cancelled, { line, part: 'cancelled' });
  }
  return links;
}

const rowProduct = (p: { product: string | null; characteristic: string | null }) => productKey(p.product, p.characteristic);

/**
 * The canonical form of a 1C order: its rows grouped into lines by the links of `known` (the
 * agreed snapshot's lines), shipped quantities summed from posted shipments, status derived.
 * A new cancelled row of the same product as a known line without a cancelled part is that
 * line's cancelled part (how a manager cancels part of a line: split the row, cancel one half);
 * any other unknown row is a line added in 1C, keyed `1c:<КодСтроки>`.
 *
 * `sameProductOnly`: a row is tied to a known line only if it holds that line's product. For
 * the lines of an intent that may never have been written: the codes the exchange chose for
 * its new rows were free when it chose them, and 1C may since have given them to rows a
 * manager added (chaos seed 20251128: a row added before each of two updates that both met
 * ONEC_STALE_VERSION was taken for the buyer's cancelled part and deleted).
 */
export async function canonicalFromOneC(args: {
  readonly doc: OneCOrder;
  readonly shipments: readonly OneCShipment[];
  readonly known: readonly CanonicalLine[];
  readonly sameProductOnly?: boolean;
  readonly refs: OneCReferences;
  readonly statusMap: StatusMap;
}): Promise<CanonicalOrder> {
  const { doc, refs } = args;
  const links = linksOf(args.known);
  const groups = new Map<string, { base: CanonicalLine | null; active: OneCOrderItem[]; cancelled: OneCOrderItem[] }>();
  const unknown: OneCOrderItem[] = [];
  for (const row of doc.items) {
    const link = links.get(row.lineCode);
    if (!link || (args.sameProductOnly && productKey(link.line.product.nomenclature, link.line.product.characteristic) !== rowProduct(row))) {
      unknown.push(row);
      continue;
    }
    const group = groups.get(link.line.key) ?? { base: link.line, active: [], cancelled: [] };
    (row.cancelled ? group.cancelled : group.active).push(row);
    groups.set(link.line.key, group);
  }
  for (const row of unknown) {
    const owner = row.cancelled
      ? [...groups.values()].find((g) => g.base && g.cancelled.length === 0 && g.base.onecRows?.cancelled === undefined && productKey(g.base.product.nomenclature, g.base.product.characteristic) === rowProduct(row))
      : undefined;
    if (owner) owner.cancelled.push(row);
    else groups.set(`1c:${row.lineCode}`, { base: null, active: row.cancelled ? [] : [row], cancelled: row.cancelled ? [row] : [] });
  }

  const shipped = shippedByRow(doc, args.shipments);
  const lines: CanonicalLine[] = [];
  for (const [key, group] of groups) {
    const rows = [...group.active, ...group.cancelled];
    const lead = group.active[0] ?? group.cancelled[0]!;
    const where = `1C order ${doc.number} row ${lead.lineNumber} (КодСтроки ${lead.lineCode})`;
    const qty = decAdd(...rows.map((r) => r.quantity));
    let cancelled = decAdd(...group.cancelled.map((r) => r.quantity));
    let cancelReason = group.cancelled.length ? await refs.reasonName(group.cancelled[0]!.cancelReason) : null;
    const shippedQty = decAdd(...rows.map((r) => shipped.get(r.lineCode) ?? '0'));
    if (doc.deletionMark) {
      const rest = qty.minus(shippedQty);
      if (rest.gt(cancelled)) {
        cancelled = rest;
        cancelReason = DELETED_IN_ONEC_REASON;
      }
    }
    const active = group.active;
    const sameProduct = group.base && group.base.product.nomenclature === lead.product && group.base.product.characteristic === lead.characteristic;
    const onecRows: OneCRows = {
      ...(active[0] ? { active: active[0].lineCode } : {}),
      ...(group.cancelled[0] ? { cancelled: group.cancelled[0].lineCode } : {}),
    };
    lines.push({
      key,
      goodwixLineId: group.base?.goodwixLineId ?? null,
      goodwixProductId: sameProduct ? group.base!.goodwixProductId : null,
      product: { nomenclature: lead.product ?? '', characteristic: lead.characteristic },
      quantity: quantity(qty),
      cancelledQuantity: quantity(cancelled),
      cancelReason: cancelled.gt(0) ? cancelReason : null,
      price: lead.price,
      discountPercent: lead.manualDiscountPercent,
      vatRate: await refs.vatRateOf(lead.vatRate, where),
      discountAmount: money(decAdd(...active.flatMap((r) => [r.manualDiscountAmount, r.autoDiscountAmount]))),
      vatAmount: money(decAdd(...active.map((r) => r.vatAmount))),
      amount: money(decAdd(...active.map((r) => r.amountWithVat))),
      shippedQuantity: quantity(shippedQty),
      onecRows,
    });
  }
  const status = deriveStatus({ oneCStatus: doc.status ?? '', deleted: doc.deletionMark, lines }, args.statusMap);
  return { status, pricesIncludeVat: doc.priceIncludesVat, lines };
}

/**
 * Shipped quantity per order row (КодСтроки) from posted, unmarked shipments of the order.
 * UT writes the order row's КодСтроки into the shipment row; a row without one is matched to
 * the order's rows of the same product, filling them in order.
 */
export function shippedByRow(doc: OneCOrder, shipments: readonly OneCShipment[]): Map<number, Decimal> {
  const out = new Map<number, Big>();
  const open = new Map<number, Big>();
  for (const row of doc.items) if (!row.cancelled) open.set(row.lineCode, new Big(row.quantity));
  const unmatched: { product: string | null; characteristic: string | null; quantity: Big }[] = [];
  for (const shipment of shipments) {
    if (!shipment.posted || shipment.deletionMark) continue;
    for (const row of shipment.items) {
      const forThisOrder = (row.order?.ref ?? shipment.order?.ref) === doc.ref;
      if (!forThisOrder) continue;
      const target = doc.items.find((r) => r.lineCode === row.lineCode && rowProduct(r) === rowProduct(row));
      if (target) out.set(target.lineCode, (out.get(target.lineCode) ?? new Big(0)).plus(row.quantity));
      else unmatched.push({ product: row.product, characteristic: row.characteristic, quantity: new Big(row.quantity) });
    }
  }
  for (const item of unmatched) {
    let rest = item.quantity;
    for (const row of doc.items) {
      if (rest.lte(0)) break;
      if (row.cancelled || rowProduct(row) !== rowProduct(item)) continue;
      const room = (open.get(row.lineCode) ?? new Big(0)).minus(out.get(row.lineCode) ?? 0);
      const take = room.gt(0) ? (room.lt(rest) ? room : rest) : new Big(0);
      if (take.gt(0)) {
        out.set(row.lineCode, (out.get(row.lineCode) ?? new Big(0)).plus(take));
        rest = rest.minus(take);
      }
    }
    // Shipped beyond what the order holds: count it on the first row of the product, so it shows.
    if (rest.gt(0)) {
      const first = doc.items.find((r) => rowProduct(r) === rowProduct(item));
      if (first) out.set(first.lineCode, (out.get(first.lineCode) ?? new Big(0)).plus(rest));
    }
  }
  return new Map([...out].map(([code, q]) => [code, quantity(q)]));
}

/** Which canonical line and part each row written to 1C carries, in the order of the rows. */
export interface RowPlanEntry {
  readonly lineKey: string;
  readonly part: 'active' | 'cancelled';
}

export interface RowsToWrite {
  readonly items: OneCOrderItemInput[];
  readonly plan: RowPlanEntry[];
}

/**
 * The full `Товары` section that makes 1C hold `lines`: rows of lines 1C already holds exactly
 * as merged are sent back untouched (1C's own amounts and auto discounts kept); changed lines
 * are rebuilt with amounts computed as 1C would; existing КодСтроки are reused so registers
 * keyed on them stay linked, and new rows are left for 1C to number.
 */
export async function rowsForOneC(args: {
  readonly lines: readonly CanonicalLine[];
  readonly current: readonly OneCOrderItem[];
  /** The canonical form of the current document, to tell unchanged lines */
  readonly currentLines: readonly CanonicalLine[];
  readonly pricesIncludeVat: boolean;
  readonly defaults: RowDefaults;
  readonly refs: OneCReferences;
}): Promise<RowsToWrite> {
  const byCode = new Map(args.current.map((r) => [r.lineCode, r]));
  const currentByKey = new Map(args.currentLines.map((l) => [l.key, l]));
  const items: OneCOrderItemInput[] = [];
  const plan: RowPlanEntry[] = [];
  const used = new Set<number>();

  for (const line of args.lines) {
    const before = currentByKey.get(line.key);
    const undelivered = new Big(line.quantity).minus(line.cancelledQuantity);
    const parts: { part: 'active' | 'cancelled'; qty: Big }[] = [];
    if (undelivered.gt(0)) parts.push({ part: 'active', qty: undelivered });
    if (new Big(line.cancelledQuantity).gt(0)) parts.push({ part: 'cancelled', qty: new Big(line.cancelledQuantity) });

    if (before && unchanged(before, line)) {
      for (const code of [before.onecRows?.active, before.onecRows?.cancelled]) {
        const row = code === undefined ? undefined : byCode.get(code);
        if (!row) continue;
        const { lineNumber: _n, ...rest } = row;
        items.push(rest);
        plan.push({ lineKey: line.key, part: row.cancelled ? 'cancelled' : 'active' });
        used.add(row.lineCode);
      }
      continue;
    }

    const rows = line.onecRows ?? {};
    for (const { part, qty } of parts) {
      // Reuse the row that held this part; a line moving wholly to one part keeps its other row's code.
      const own = part === 'active' ? rows.active : rows.cancelled;
      const other = part === 'active' ? rows.cancelled : rows.active;
      const code = [own, parts.length === 1 ? other : undefined].find((c): c is number => c !== undefined && byCode.has(c) && !used.has(c));
      if (code !== undefined) used.add(code);
      const existing = code === undefined ? undefined : byCode.get(code);
      const q = quantity(qty);
      const amounts = computeAmounts({ quantity: q, price: line.price, discountPercent: line.discountPercent, vatRate: line.vatRate }, args.pricesIncludeVat);
      const where = `line ${line.key}`;
      const item: OneCOrderItemInput = {
        ...(code !== undefined ? { lineCode: code } : {}),
        product: line.product.nomenclature,
        characteristic: line.product.characteristic,
        packaging: existing?.packaging ?? null,
        packageQuantity: q,
        quantity: q,
        priceType: existing?.priceType ?? args.defaults.priceType,
        price: line.price,
        amount: amounts.net,
        vatRate: await args.refs.vatRef(line.vatRate, { preferred: existing?.vatRate ?? args.refs.productVatRef(line.product.nomenclature), line: where }),
        vatAmount: amounts.vatAmount,
        amountWithVat: amounts.total,
        manualDiscountPercent: percent(line.discountPercent),
        manualDiscountAmount: amounts.discountAmount,
        autoDiscountPercent: percent(0),
        autoDiscountAmount: money(0),
        cancelled: part === 'cancelled',
        cancelReason: part === 'cancelled' ? await args.refs.reasonRef(line.cancelReason, args.defaults.cancelReason) : null,
        provision: existing?.provision ?? args.defaults.provision,
        warehouse: existing?.warehouse ?? args.defaults.warehouse,
        shipmentDate: existing?.shipmentDate ?? null,
        separate: existing?.separate ?? false,
      };
      checkFitsOneC(item, line, args.refs);
      items.push(item);
      plan.push({ lineKey: line.key, part });
    }
  }
  return { items, plan };
}

/**
 * Refuses a row whose quantity, price or amounts 1C's fields cannot hold exactly — an amount
 * past 13 digits, a value a double would round — naming the line, its product and the value;
 * the 1C client would refuse it too, but naming only the field.
 */
function checkFitsOneC(item: OneCOrderItemInput, line: CanonicalLine, refs: OneCReferences): void {
  for (const [name, field] of Object.entries(orderItemFields)) {
    if (field.kind !== 'money' && field.kind !== 'quantity' && field.kind !== 'percent') continue;
    const value = (item as unknown as Record<string, unknown>)[name];
    if (typeof value !== 'string' || !field.precision) continue;
    const problem = doubleProblem(value, field.precision);
    if (!problem) continue;
    const product = refs.productName(line.product.nomenclature) ?? line.product.nomenclature;
    const source = line.goodwixProductId ? `Goodwix product ${line.goodwixProductId}` : `1C nomenclature ${line.product.nomenclature}`;
    throw new ValueOutOfRangeError(`line ${line.key} «${product}» (${source}): ${name} ${value} does not fit 1C's ${field.odata} ${precisionText(field.precision)}: ${problem}`, {
      context: { line: line.key, product: line.product.nomenclature, goodwixProductId: line.goodwixProductId, field: name, value },
    });
  }
}

function unchanged(before: CanonicalLine, after: CanonicalLine): boolean {
  return (
    before.product.nomenclature === after.product.nomenclature &&
    before.product.characteristic === after.product.characteristic &&
    decEquals(before.quantity, after.quantity) &&
    decEquals(before.cancelledQuantity, after.cancelledQuantity) &&
    before.cancelReason === after.cancelReason &&
    decEquals(before.price, after.price) &&
    decEquals(before.discountPercent, after.discountPercent) &&
    decEquals(before.vatRate, after.vatRate)
  );
}

/**
 * The lines as written: each line's rows, read back from 1C (or as about to be sent, numbered),
 * tied to it by position (1C keeps the order of the rows it was sent).
 */
export function linkWrittenRows(lines: readonly CanonicalLine[], plan: readonly RowPlanEntry[], written: readonly { readonly lineCode?: number | null }[]): CanonicalLine[] {
  const rows = new Map<string, { active?: number; cancelled?: number }>();
  plan.forEach((entry, i) => {
    const row = written[i];
    if (!row?.lineCode) return;
    const r = rows.get(entry.lineKey) ?? {};
    r[entry.part] = row.lineCode;
    rows.set(entry.lineKey, r);
  });
  return lines.map((line) => ({ ...line, onecRows: rows.get(line.key) ?? {} }));
}

/** Total of the order as 1C shows it: the rows still to deliver. */
export function documentAmount(items: readonly Pick<OneCOrderItemInput, 'cancelled' | 'amountWithVat'>[]): Decimal {
  return money(decAdd(...items.filter((r) => !r.cancelled).map((r) => r.amountWithVat)));
}
