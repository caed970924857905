/**
 * What the chaos suite expects: a model of every order as the exchange must leave it, kept in
 * the vocabulary of the people who edit it (products, quantities, prices, "cancelled"), and the
 * edits a round makes on both sides, planned from a seeded random stream.
 *
 * Edits are resolved the way docs/sync.md promises, field by field: a change on one side is
 * taken; the same field changed on both sides in one round takes 1C's value; a line removed in
 * 1C is removed even when Goodwix edited it. The planner only makes combinations whose outcome
 * does not depend on timing: an order is edited only when both sides agreed after the previous
 * run (so every edit of a round meets the same base), a quantity is never changed on one side
 * while the other cancels (the merge then falls back to 1C's quantities, a rule of its own),
 * and Goodwix edits made while a run is in flight touch only orders 1C left alone that round.
 */
import { money } from '#core/decimal';
import { demoOneC, demoProducts } from '#local/demo/supplier';
import type { Random } from '#test/chaos-random';

export const REASON_FROM_SITE = demoOneC.cancelReasons.fromSite.name;
const ONEC_REASONS = [demoOneC.cancelReasons.outOfStock, demoOneC.cancelReasons.buyerRefused, demoOneC.cancelReasons.reserveExpired] as const;

export interface ChaosProduct {
  readonly ref: string;
  readonly goodwixId: number;
  readonly sku: string;
  readonly price: string;
  readonly vatRef: string;
  /** Units the suite may hand out in total (80 % of the main warehouse's free stock) */
  readonly capacity: number;
}

/** Products without variants that have stock at the plan's warehouse, weighted by stock. */
export function chaosProducts(stockScale = 1): ChaosProduct[] {
  const main = demoOneC.warehouses.main.ref;
  const heldIn1C = new Map<string, number>([[demoProducts[0]!.ref, 4]]); // ТД00-000117
  const vat = (rate: number) => (rate === 20 ? demoOneC.vatRates.vat20.ref : rate === 10 ? demoOneC.vatRates.vat10.ref : demoOneC.vatRates.none.ref);
  return demoProducts
    .filter((p) => !p.variants && (p.stock?.[main] ?? 0) >= 20)
    .map((p) => ({
      ref: p.ref,
      goodwixId: p.goodwixId,
      sku: p.sku,
      price: p.price,
      vatRef: vat(p.vatRate),
      capacity: Math.floor(((p.stock?.[main] ?? 0) * stockScale - (heldIn1C.get(p.ref) ?? 0)) * 0.8),
    }));
}

export interface ModelLine {
  readonly product: string;
  readonly goodwixProductId: number;
  readonly sku: string;
  quantity: number;
  cancelled: number;
  shipped: number;
  price: string;
  /** The cancel reason both sides must show; undefined: not checked (several cancellations mixed) */
  cancelReason: string | null | undefined;
  removed: boolean;
}

export interface ModelOrder {
  readonly id: number;
  readonly buyerId: number;
  confirmed: boolean;
  /** Seen in 1C (Goodwix carries its 1C number) */
  exported: boolean;
  lines: ModelLine[];
  readyToShip: boolean;
  cancelledInGoodwix: boolean;
  /** Both sides agreed after the last run */
  settled: boolean;
  /** Goodwix statuses seen after each run, in order */
  readonly statuses: string[];
}

export type OneCEdit =
  | { readonly kind: 'price'; readonly product: string; readonly price: string }
  | { readonly kind: 'quantity'; readonly product: string; readonly quantity: number }
  | { readonly kind: 'reject'; readonly product: string; readonly reasonRef: string }
  | { readonly kind: 'rejectPart'; readonly product: string; readonly cancel: number; readonly reasonRef: string }
  | { readonly kind: 'add'; readonly product: ChaosProduct; readonly quantity: number; readonly price: string }
  | { readonly kind: 'remove'; readonly product: string }
  | { readonly kind: 'ship'; readonly products: readonly string[] }
  | { readonly kind: 'cancelOrder'; readonly reasonRef: string }
  | { readonly kind: 'status' };

export type GoodwixEdit =
  | { readonly kind: 'price'; readonly product: string; readonly price: string }
  | { readonly kind: 'quantity'; readonly product: string; readonly quantity: number }
  | { readonly kind: 'cancelLine'; readonly product: string; readonly cancel: number }
  | { readonly kind: 'cancelOrder' };

export interface PlannedEdits {
  readonly orderId: number;
  readonly scenario: string;
  readonly onec: readonly OneCEdit[];
  readonly goodwix: readonly GoodwixEdit[];
  /** Fields both sides change (1C must win them) */
  readonly conflicts: readonly string[];
}

const reasonName = (ref: string) => Object.values(demoOneC.cancelReasons).find((r) => r.ref === ref)?.name ?? ref;

export function liveLines(o: ModelOrder): ModelLine[] {
  return o.lines.filter((l) => !l.removed);
}

export function expectedStatus(o: ModelOrder): string {
  if (!o.confirmed) return 'new';
  if (o.cancelledInGoodwix) return 'cancelled';
  const live = liveLines(o);
  if (live.every((l) => l.cancelled >= l.quantity)) return 'rejected';
  if (live.some((l) => l.shipped > 0)) return live.every((l) => l.shipped >= l.quantity - l.cancelled) ? 'shipped' : 'partially_shipped';
  return o.readyToShip ? 'ready_to_ship' : 'in_progress';
}

export function isFinal(o: ModelOrder): boolean {
  return ['shipped', 'rejected', 'cancelled', 'closed'].includes(expectedStatus(o));
}

/** Units of each product the model's orders hold (ordered minus cancelled; shipped ones too). */
export class Demand {
  private readonly used = new Map<string, number>();
  constructor(private readonly products: readonly ChaosProduct[]) {}

  recount(orders: Iterable<ModelOrder>): void {
    this.used.clear();
    for (const o of orders) for (const l of liveLines(o)) this.used.set(l.product, (this.used.get(l.product) ?? 0) + l.quantity - l.cancelled);
  }

  room(product: string): number {
    const p = this.products.find((x) => x.ref === product);
    return (p?.capacity ?? 0) - (this.used.get(product) ?? 0);
  }

  take(product: string, units: number): void {
    this.used.set(product, (this.used.get(product) ?? 0) + units);
  }
}

/** Lines one side may still edit: not shipped, not removed, something left to deliver. */
function editable(o: ModelOrder): ModelLine[] {
  return liveLines(o).filter((l) => l.shipped === 0 && l.quantity - l.cancelled > 0);
}

export function otherPrice(rng: Random, base: string, avoid: readonly string[]): string {
  for (let i = 0; i < 20; i += 1) {
    const factor = rng.pick([0.85, 0.9, 0.95, 1.05, 1.1, 1.2]);
    const p = money(Math.round(Number(base) * factor * 100) / 100);
    if (!avoid.includes(p)) return p;
  }
  return money(Number(base) + 1);
}

export function otherQuantity(rng: Random, current: number, room: number, avoid: readonly number[]): number | null {
  const options = [1, 2, 3, 4, 5].filter((q) => !avoid.includes(q) && q !== current && q - current <= room);
  return options.length ? rng.pick(options) : null;
}

/**
 * The edits one round makes on an order both sides agree on. Scenarios: one side only, both
 * sides on different lines, both on the same field (a conflict 1C must win), both on the same
 * line but different fields, a line removed in 1C and edited in Goodwix, and the order-level
 * acts (ship, cancel in 1C, cancel by the buyer, "К отгрузке", a row added in 1C).
 */
export function planEdits(rng: Random, o: ModelOrder, products: readonly ChaosProduct[], demand: Demand): PlannedEdits | null {
  const lines = editable(o);
  if (lines.length === 0) return null;
  const status = expectedStatus(o);
  const single = (l: ModelLine) => l.cancelled === 0;
  const shippedAny = liveLines(o).some((l) => l.shipped > 0);

  const gEdit = (l: ModelLine, group: 'price' | 'quantity' | 'cancel', avoid: { price?: string; quantity?: number } = {}): GoodwixEdit | null => {
    if (group === 'price') return { kind: 'price', product: l.product, price: otherPrice(rng, l.price, [l.price, ...(avoid.price ? [avoid.price] : [])]) };
    if (group === 'quantity') {
      if (!single(l)) return null;
      const q = otherQuantity(rng, l.quantity, demand.room(l.product), avoid.quantity !== undefined ? [avoid.quantity] : []);
      return q === null ? null : { kind: 'quantity', product: l.product, quantity: q };
    }
    const open = l.quantity - l.cancelled;
    return { kind: 'cancelLine', product: l.product, cancel: rng.chance(0.5) ? open : rng.int(1, open) };
  };
  const cEdit = (l: ModelLine, group: 'price' | 'quantity' | 'cancel', avoid: { price?: string; quantity?: number; cancel?: number } = {}): OneCEdit | null => {
    if (!single(l)) return null;
    if (group === 'price') return { kind: 'price', product: l.product, price: otherPrice(rng, l.price, [l.price, ...(avoid.price ? [avoid.price] : [])]) };
    if (group === 'quantity') {
      const q = otherQuantity(rng, l.quantity, demand.room(l.product), avoid.quantity !== undefined ? [avoid.quantity] : []);
      return q === null ? null : { kind: 'quantity', product: l.product, quantity: q };
    }
    const reasonRef = rng.pick(ONEC_REASONS).ref;
    if (l.quantity >= 2 && rng.chance(0.5)) {
      const k = rng.int(1, l.quantity - 1);
      if (k !== avoid.cancel) return { kind: 'rejectPart', product: l.product, cancel: k, reasonRef };
    }
    return { kind: 'reject', product: l.product, reasonRef };
  };

  const scenarios: [string, number][] = [
    ['goodwix', 3],
    ['1c', 3],
    ['both, other lines', lines.length >= 2 ? 2 : 0],
    ['conflict', 3],
    ['both, one line, other fields', 2],
    ['removed in 1C, edited in Goodwix', lines.filter(single).length >= 1 && liveLines(o).length >= 2 ? 1 : 0],
    ['ship in 1C', 1.2],
    ['cancel in 1C', shippedAny ? 0 : 0.4],
    ['cancel by the buyer', !shippedAny && status === 'in_progress' ? 0.4 : 0],
    ['to shipment in 1C', !shippedAny && !o.readyToShip ? 0.6 : 0],
    ['row added in 1C', 1],
  ];
  const scenario = rng.weighted(scenarios);
  const group = () => rng.pick(['price', 'quantity', 'cancel'] as const);
  const line = () => rng.pick(lines);
  let onec: OneCEdit[] = [];
  let goodwix: GoodwixEdit[] = [];
  const conflicts: string[] = [];

  switch (scenario) {
    case 'goodwix': {
      const e = gEdit(line(), group());
      if (e) goodwix = [e];
      break;
    }
    case '1c': {
      const e = cEdit(line(), group());
      if (e) onec = [e];
      break;
    }
    case 'both, other lines': {
      const [a, b] = rng.shuffle(lines);
      const g = gEdit(a!, group());
      const c = cEdit(b!, group());
      if (g) goodwix = [g];
      if (c) onec = [c];
      break;
    }
    case 'conflict': {
      const l = line();
      const grp = group();
      const c = cEdit(l, grp);
      if (!c) break;
      const g = gEdit(l, grp, {
        ...(c.kind === 'price' ? { price: c.price } : {}),
        ...(c.kind === 'quantity' ? { quantity: c.quantity } : {}),
      });
      if (!g) break;
      onec = [c];
      goodwix = [g];
      conflicts.push(`${l.sku}.${grp}`);
      break;
    }
    case 'both, one line, other fields': {
      const l = line();
      // Price against quantity or cancellation; never quantity against cancellation.
      const [gGroup, cGroup] = rng.pick([
        ['price', 'quantity'],
        ['price', 'cancel'],
        ['quantity', 'price'],
        ['cancel', 'price'],
      ] as const);
      const g = gEdit(l, gGroup);
      const c = cEdit(l, cGroup);
      if (g) goodwix = [g];
      if (c) onec = [c];
      break;
    }
    case 'removed in 1C, edited in Goodwix': {
      const l = rng.pick(lines.filter(single));
      onec = [{ kind: 'remove', product: l.product }];
      const g = gEdit(l, 'price');
      if (g) goodwix = [g];
      conflicts.push(`${l.sku}.line`);
      break;
    }
    case 'ship in 1C': {
      const all = rng.chance(0.5);
      const chosen = all ? lines : [line()];
      onec = [{ kind: 'ship', products: chosen.map((l) => l.product) }];
      break;
    }
    case 'cancel in 1C':
      onec = [{ kind: 'cancelOrder', reasonRef: rng.pick(ONEC_REASONS).ref }];
      break;
    case 'cancel by the buyer':
      goodwix = [{ kind: 'cancelOrder' }];
      break;
    case 'to shipment in 1C':
      onec = [{ kind: 'status' }];
      break;
    case 'row added in 1C': {
      const present = new Set(o.lines.map((l) => l.product));
      const candidates = products.filter((p) => !present.has(p.ref) && demand.room(p.ref) >= 3);
      if (candidates.length === 0) break;
      const p = rng.pick(candidates);
      onec = [{ kind: 'add', product: p, quantity: rng.int(1, 3), price: p.price }];
      break;
    }
  }
  if (onec.length === 0 && goodwix.length === 0) return null;
  return { orderId: o.id, scenario, onec, goodwix, conflicts };
}

/** Goodwix edits made while a run is in flight: one side, one field, on an order 1C left alone this round. */
export function planMidRunEdit(rng: Random, o: ModelOrder, demand: Demand): PlannedEdits | null {
  const lines = editable(o);
  if (lines.length === 0) return null;
  const l = rng.pick(lines);
  const grp = rng.pick(['price', 'quantity', 'cancel'] as const);
  let edit: GoodwixEdit | null = null;
  if (grp === 'price') edit = { kind: 'price', product: l.product, price: otherPrice(rng, l.price, [l.price]) };
  else if (grp === 'quantity' && l.cancelled === 0) {
    const q = otherQuantity(rng, l.quantity, demand.room(l.product), []);
    if (q !== null) edit = { kind: 'quantity', product: l.product, quantity: q };
  } else if (grp === 'cancel') edit = { kind: 'cancelLine', product: l.product, cancel: rng.int(1, l.quantity - l.cancelled) };
  return edit ? { orderId: o.id, scenario: 'goodwix, mid-run', onec: [], goodwix: [edit], conflicts: [] } : null;
}

/**
 * Applies a round's edits of one order to the model: what both sides must hold once the
 * exchange has run. 1C's value wins every field both sides changed.
 */
export function resolve(o: ModelOrder, edits: PlannedEdits, demand: Demand): void {
  const byProduct = (p: string) => o.lines.find((l) => l.product === p && !l.removed);
  const set: Map<ModelLine, { price?: string; quantity?: number; cancel?: { cancelled: number; reason: string | null | undefined } }> = new Map();
  const slot = (l: ModelLine) => {
    const s = set.get(l) ?? {};
    set.set(l, s);
    return s;
  };

  // Goodwix first, then 1C over it: 1C wins what both changed.
  for (const e of edits.goodwix) {
    if (e.kind === 'cancelOrder') {
      o.cancelledInGoodwix = true;
      for (const l of liveLines(o)) {
        const undelivered = l.quantity - l.shipped;
        if (undelivered > l.cancelled) slot(l).cancel = { cancelled: undelivered, reason: l.cancelled === 0 ? REASON_FROM_SITE : undefined };
      }
      continue;
    }
    const l = byProduct(e.product);
    if (!l) continue;
    if (e.kind === 'price') slot(l).price = e.price;
    else if (e.kind === 'quantity') slot(l).quantity = e.quantity;
    else slot(l).cancel = { cancelled: l.cancelled + e.cancel, reason: l.cancelled === 0 ? REASON_FROM_SITE : undefined };
  }
  for (const e of edits.onec) {
    switch (e.kind) {
      case 'price':
      case 'quantity':
      case 'reject':
      case 'rejectPart':
      case 'remove': {
        const l = byProduct(e.product);
        if (!l) break;
        if (e.kind === 'price') slot(l).price = e.price;
        else if (e.kind === 'quantity') slot(l).quantity = e.quantity;
        else if (e.kind === 'reject') slot(l).cancel = { cancelled: l.quantity, reason: reasonName(e.reasonRef) };
        else if (e.kind === 'rejectPart') slot(l).cancel = { cancelled: e.cancel, reason: reasonName(e.reasonRef) };
        else {
          l.removed = true;
          set.delete(l);
        }
        break;
      }
      case 'add':
        o.lines.push({ product: e.product.ref, goodwixProductId: e.product.goodwixId, sku: e.product.sku, quantity: e.quantity, cancelled: 0, shipped: 0, price: e.price, cancelReason: null, removed: false });
        break;
      case 'ship':
        for (const p of e.products) {
          const l = byProduct(p);
          if (l) l.shipped = l.quantity - l.cancelled;
        }
        break;
      case 'cancelOrder':
        // The manager marks every row cancelled with the reason, rows cancelled before included.
        for (const l of liveLines(o)) slot(l).cancel = { cancelled: l.quantity, reason: reasonName(e.reasonRef) };
        break;
      case 'status':
        o.readyToShip = true;
        break;
    }
  }
  for (const [l, s] of set) {
    if (s.price !== undefined) l.price = s.price;
    if (s.quantity !== undefined) l.quantity = s.quantity;
    if (s.cancel) {
      l.cancelled = s.cancel.cancelled;
      l.cancelReason = s.cancel.reason;
    }
  }
  void demand;
}

/** Where the Goodwix order departs from the model (empty: every edit arrived as expected). */
export function compareWithModel(o: ModelOrder, gw: { status: string; lines: readonly { id: string; product: { sku: string; erp: { nomenclatureId: string } }; quantity: string; cancelledQuantity: string; shippedQuantity: string; price: string; cancelReason: string | null }[] }): string[] {
  const out: string[] = [];
  const expected = expectedStatus(o);
  if (gw.status !== expected) out.push(`status ${gw.status}, expected ${expected}`);
  const live = liveLines(o);
  for (const l of live) {
    const found = gw.lines.filter((x) => x.product.erp.nomenclatureId === l.product);
    if (found.length !== 1) {
      out.push(`${l.sku}: ${found.length} Goodwix lines, expected 1`);
      continue;
    }
    const g = found[0]!;
    if (Number(g.quantity) !== l.quantity) out.push(`${l.sku}: quantity ${g.quantity}, expected ${l.quantity}`);
    if (Number(g.cancelledQuantity) !== l.cancelled) out.push(`${l.sku}: cancelled ${g.cancelledQuantity}, expected ${l.cancelled}`);
    if (Number(g.shippedQuantity) !== l.shipped) out.push(`${l.sku}: shipped ${g.shippedQuantity}, expected ${l.shipped}`);
    if (g.price !== l.price) out.push(`${l.sku}: price ${g.price}, expected ${l.price}`);
    if (l.cancelled > 0 && l.cancelReason !== undefined && g.cancelReason !== l.cancelReason) out.push(`${l.sku}: cancel reason «${g.cancelReason}», expected «${l.cancelReason}»`);
  }
  const liveProducts = new Set(live.map((l) => l.product));
  for (const g of gw.lines) if (!liveProducts.has(g.product.erp.nomenclatureId)) out.push(`${g.product.sku}: line ${g.id} in Goodwix, expected none (removed or never there)`);
  return out;
}
