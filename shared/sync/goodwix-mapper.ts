/**
 * Goodwix ⇄ canonical. Pure functions: a Goodwix order becomes a canonical order (lines keyed by
 * their Goodwix line id), and the difference between a Goodwix order and the agreed canonical
 * state becomes one Goodwix update.
 */
import { Big, decEquals, quantity, type Decimal } from '#core/decimal';
import type { CanonicalLine, CanonicalOrder, OrderStatus } from '#core/canonical';
import { lineAmounts } from '#core/merge';
import { isTerminal } from '#core/status';
import type { GoodwixErpOrderRef, GoodwixLineChange, GoodwixNewLine, GoodwixOrder, GoodwixOrderUpdate } from '#goodwix/model';
import { MAX_LINES_PER_UPDATE } from '#goodwix/wire';
import type { StatusMap } from '#plans/plan';
import { InvalidOrderError, UnmappedProductError } from './errors.ts';

export interface FromGoodwixOptions {
  /** The agreed snapshot, when the order was exchanged before */
  readonly base: CanonicalOrder | null;
  /** What a rejection or cancellation in Goodwix does to the 1C order */
  readonly toOneC: StatusMap['toOneC'];
}

/**
 * The canonical form of a Goodwix order. A rejection or cancellation of the whole order made in
 * Goodwix since the base (and configured to reach 1C) becomes the cancellation of every line's
 * undelivered quantity, since UT has no header-level cancellation.
 */
export function canonicalFromGoodwix(order: GoodwixOrder, options: FromGoodwixOptions): CanonicalOrder {
  const endedInGoodwix =
    (order.status === 'cancelled' || order.status === 'rejected') &&
    options.toOneC[order.status] === 'cancel' &&
    !(options.base && isTerminal(options.base.status));
  const baseLines = options.base?.lines ?? [];
  // A line 1C added and Goodwix numbered before the binding recorded its id: its ERP line id ties it.
  const keyOf = (id: string, erpId: string | null): string =>
    baseLines.find((b) => b.goodwixLineId === id)?.key ??
    (erpId ? baseLines.find((b) => b.goodwixLineId === null && erpLineId(b) === erpId)?.key : undefined) ??
    id;
  const lines = order.lines.map((line): CanonicalLine => {
    let cancelledQuantity = line.cancelledQuantity;
    let cancelReason = line.cancelReason;
    if (endedInGoodwix) {
      const undelivered = new Big(line.quantity).minus(line.shippedQuantity);
      if (undelivered.gt(cancelledQuantity)) {
        cancelledQuantity = quantity(undelivered);
        cancelReason = line.cancelReason ?? order.statusReason;
      }
    }
    const inputs = {
      quantity: line.quantity,
      cancelledQuantity,
      price: line.price,
      discountPercent: line.discountPercent,
      vatRate: line.vatRate,
    };
    return {
      key: keyOf(line.id, line.erpLineId),
      goodwixLineId: line.id,
      goodwixProductId: String(line.productId),
      product: { nomenclature: line.nomenclatureId, characteristic: line.characteristicId },
      ...inputs,
      cancelReason: new Big(cancelledQuantity).gt(0) ? cancelReason : null,
      ...(decEquals(cancelledQuantity, line.cancelledQuantity)
        ? { discountAmount: line.discountAmount, vatAmount: line.vatAmount, amount: line.amount }
        : lineAmounts(inputs, order.pricesIncludeVat)),
      shippedQuantity: line.shippedQuantity,
    };
  });
  return { status: order.status === 'new' ? 'confirmed' : order.status, pricesIncludeVat: order.pricesIncludeVat, lines };
}

/**
 * Refuses a Goodwix order that breaks the contract before anything of it reaches 1C: another
 * order than the one asked for, two lines with one id, a line with no quantity, more cancelled
 * or shipped than ordered, a negative price, a percent out of 0..100, a product whose 1C ids
 * are not 1C references. Without this a line with a
 * quantity of 0 or less simply became no 1C row — the order reached 1C without it, silently —
 * and a negative price was written to 1C before Goodwix itself refused the amounts.
 */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function checkGoodwixOrder(order: GoodwixOrder, orderId: string): void {
  const problems: string[] = [];
  let field: string | undefined;
  const problem = (text: string, at: string) => {
    problems.push(text);
    field ??= at;
  };
  if (String(order.id) !== orderId) problem(`Goodwix answered order ${order.id} when asked for order ${orderId}`, 'id');
  const seen = new Set<string>();
  order.lines.forEach((line, i) => {
    const what = `line ${line.id} «${line.productName}» (арт. ${line.sku})`;
    const at = (name: string) => `lines[${i}].${name}`;
    if (seen.has(line.id)) problem(`${what}: another line has the same id`, at('id'));
    seen.add(line.id);
    const ordered = new Big(line.quantity);
    const cancelled = new Big(line.cancelledQuantity);
    const shipped = new Big(line.shippedQuantity);
    if (ordered.lte(0)) problem(`${what}: quantity ${line.quantity} must be greater than 0`, at('quantity'));
    if (cancelled.lt(0) || (ordered.gt(0) && cancelled.gt(ordered))) problem(`${what}: cancelled quantity ${line.cancelledQuantity} must be between 0 and the quantity ${line.quantity}`, at('cancelledQuantity'));
    const open = ordered.minus(cancelled);
    if (shipped.lt(0) || (open.gte(0) && shipped.gt(open))) problem(`${what}: shipped quantity ${line.shippedQuantity} must be between 0 and the quantity not cancelled`, at('shippedQuantity'));
    if (!GUID.test(line.nomenclatureId)) {
      problem(line.nomenclatureId.trim() === '' ? `${what}: the product has no 1C nomenclature in Goodwix` : `${what}: its 1C nomenclature «${line.nomenclatureId}» is not a 1C reference`, at('nomenclatureId'));
    }
    if (line.characteristicId !== null && !GUID.test(line.characteristicId)) problem(`${what}: its 1C characteristic «${line.characteristicId}» is not a 1C reference`, at('characteristicId'));
    if (new Big(line.price).lt(0)) problem(`${what}: price ${line.price} must not be negative`, at('price'));
    for (const [name, value] of [['discountPercent', line.discountPercent], ['vatRate', line.vatRate]] as const) {
      if (new Big(value).lt(0) || new Big(value).gt(100)) problem(`${what}: ${name} ${value} must be between 0 and 100`, at(name));
    }
  });
  if (problems.length) {
    throw new InvalidOrderError(`Goodwix order ${order.number}: ${problems.join('; ')}`, { context: { orderId: order.id, field } });
  }
}

/** The ERP line id Goodwix keeps for a line: the КодСтроки of the 1C row that carries it. */
export function erpLineId(line: CanonicalLine): string | null {
  const code = line.onecRows?.active ?? line.onecRows?.cancelled;
  return code === undefined ? null : String(code);
}

export interface GoodwixTarget {
  readonly lines: readonly CanonicalLine[];
  readonly status: OrderStatus;
  readonly erp: GoodwixErpOrderRef;
}

const same = (a: Decimal, b: Decimal) => decEquals(a, b);

/**
 * The one update that makes the Goodwix order hold the target state, or null when it already
 * does (so an exchange with nothing new writes nothing).
 */
export function goodwixUpdate(current: GoodwixOrder, target: GoodwixTarget): GoodwixOrderUpdate | null {
  const byId = new Map(current.lines.map((l) => [l.id, l]));
  const changeLines: GoodwixLineChange[] = [];
  const addLines: GoodwixNewLine[] = [];
  const keep = new Set<string>();

  for (const line of target.lines) {
    const fields = {
      quantity: line.quantity,
      cancelledQuantity: line.cancelledQuantity,
      cancelReason: line.cancelReason,
      shippedQuantity: line.shippedQuantity,
      price: line.price,
      discountPercent: line.discountPercent,
      discountAmount: line.discountAmount,
      vatRate: line.vatRate,
      vatAmount: line.vatAmount,
      amount: line.amount,
      erpLineId: erpLineId(line),
    };
    const found = line.goodwixLineId ? byId.get(line.goodwixLineId) : undefined;
    // Goodwix cannot change a line's product: a line whose product changed in 1C is replaced.
    const existing = found && found.nomenclatureId === line.product.nomenclature && found.characteristicId === line.product.characteristic ? found : undefined;
    if (!existing) {
      if (!line.goodwixProductId) {
        throw new UnmappedProductError(
          `1C line ${erpLineId(line) ?? line.key} (nomenclature ${line.product.nomenclature}${line.product.characteristic ? `, characteristic ${line.product.characteristic}` : ''}) has no Goodwix product`,
          { context: { nomenclature: line.product.nomenclature, characteristic: line.product.characteristic } },
        );
      }
      addLines.push({ productId: Number(line.goodwixProductId), ...fields });
      continue;
    }
    keep.add(existing.id);
    const change: GoodwixLineChange = { id: existing.id };
    let changed = false;
    for (const [name, value] of Object.entries(fields) as [keyof typeof fields, Decimal | string | null][]) {
      const was = existing[name];
      const differs = name === 'cancelReason' || name === 'erpLineId' ? was !== value : !same(was as Decimal, value as Decimal);
      if (differs) {
        (change as unknown as Record<string, unknown>)[name] = value;
        changed = true;
      }
    }
    if (changed) changeLines.push(change);
  }
  const removeLineIds = current.lines.filter((l) => !keep.has(l.id)).map((l) => l.id);

  const erpChanged = current.erp.orderId !== target.erp.orderId || current.erp.number !== target.erp.number || current.erp.date !== target.erp.date;
  const statusChanged = current.status !== target.status;

  if (!changeLines.length && !addLines.length && !removeLineIds.length && !erpChanged && !statusChanged) return null;
  return {
    expectedVersion: current.version,
    ...(statusChanged ? { status: target.status } : {}),
    ...(erpChanged ? { erp: target.erp } : {}),
    ...(changeLines.length ? { changeLines } : {}),
    ...(addLines.length ? { addLines } : {}),
    ...(removeLineIds.length ? { removeLineIds } : {}),
  };
}

/**
 * The update in the parts Goodwix takes: at most `max` entries in each of `changeLines`,
 * `addLines` and `removeLineIds` per request (the contract's limit, 1,000; an order of 2,000
 * lines needs two to learn its ERP line ids). The header (status, reason, 1C number) goes with
 * the last part, once every line holds its state. The caller sends the parts in order, each at
 * the version the previous one answered; an attempt that stops between parts leaves Goodwix
 * part-way to the target, and the next attempt's diff is what remains.
 */
export function splitGoodwixUpdate(update: GoodwixOrderUpdate, max = MAX_LINES_PER_UPDATE): GoodwixOrderUpdate[] {
  const { changeLines = [], addLines = [], removeLineIds = [], expectedVersion, ...header } = update;
  const parts = Math.max(1, Math.ceil(changeLines.length / max), Math.ceil(addLines.length / max), Math.ceil(removeLineIds.length / max));
  if (parts === 1) return [update];
  return Array.from({ length: parts }, (_, i) => {
    const slice = <T>(list: readonly T[]) => list.slice(i * max, (i + 1) * max);
    const [change, add, remove] = [slice(changeLines), slice(addLines), slice(removeLineIds)];
    return {
      expectedVersion,
      ...(i === parts - 1 ? header : {}),
      ...(change.length ? { changeLines: change } : {}),
      ...(add.length ? { addLines: add } : {}),
      ...(remove.length ? { removeLineIds: remove } : {}),
    };
  });
}
