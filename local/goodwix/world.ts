/**
 * The Goodwix sandbox's in-memory world: one supplier with one catalog, its products, buyers,
 * price lists, orders and reserves, and the rules the real service follows:
 *
 * * a buyer places an order from a price list; it is confirmed at once when the price list
 *   auto-confirms, otherwise it waits for the supplier to confirm (or reject) it by hand;
 * * only orders that were confirmed are the exchange's business (listed, updatable by the ERP);
 * * every change raises the order's `version` and gives it a new change sequence number, which
 *   is what the change feed (`GET …/orders`) pages by;
 * * ERP updates change what buyer and supplier see (the "Отменено" column, statuses, lines);
 * * integration reserves of a product are replaced as a whole; manual reserves are kept.
 */
import { Big, money, percent, precisionProblem, Precisions, quantity, type Precision } from '#core/decimal';
import { bulkProducts, demoBuyers, demoGoodwix, demoPriceLists, demoProducts } from '#local/demo/supplier';
import type {
  ErpOrderRef,
  OrderStatus,
  ReserveSource,
  WireBuyer,
  WireOrder,
  WireOrderLine,
  WirePriceList,
  WireProduct,
  WireProductReserves,
  WireReserve,
} from './model.ts';
import { statusLabels } from './model.ts';
import { ApiProblem, notFound, unprocessable } from './problem.ts';

export type SeedKind = 'demo' | 'empty';

interface LineRecord extends WireOrderLine {}

interface OrderRecord {
  id: number;
  number: string;
  status: OrderStatus;
  statusReason: string | null;
  version: number;
  /** Change sequence numbers of every change, ascending. */
  changeSeqs: number[];
  buyerId: number;
  priceListId: number;
  comment: string | null;
  createdAt: string;
  confirmedAt: string | null;
  changedAt: string;
  erp: ErpOrderRef;
  lines: LineRecord[];
}

interface ReserveRecord {
  id: string;
  productId: number;
  source: ReserveSource;
  quantity: string;
  orderId: number | null;
  erp: ErpOrderRef | null;
  updatedAt: string;
}

export interface PlaceOrderInput {
  buyerId: number;
  /** Defaults to the buyer's price list. */
  priceListId?: number;
  lines: readonly { productId: number; quantity: string | number }[];
  comment?: string | null;
}

export interface BulkOrdersInput {
  count: number;
  /** Confirmed (default: true) orders are listed for the exchange; unconfirmed are `new`. */
  confirmed?: boolean;
  linesPerOrder?: number;
}

export interface SupplierLineEdit {
  quantity?: string | number;
  price?: string | number;
  discountPercent?: string | number;
}

/** An ERP-side update after its shape was checked (decimals are decimal strings). */
export interface ErpUpdate {
  expectedVersion: number;
  status?: OrderStatus;
  statusReason?: string | null;
  erp?: Partial<ErpOrderRef>;
  lines?: {
    update?: ErpLineChange[];
    add?: ErpLineAdd[];
    remove?: string[];
  };
}

export interface ErpLineFields {
  quantity?: string;
  cancelledQuantity?: string;
  cancelReason?: string | null;
  shippedQuantity?: string;
  price?: string;
  discountPercent?: string;
  discountAmount?: string;
  vatRate?: string;
  vatAmount?: string;
  amount?: string;
  erpLineId?: string | null;
}
export interface ErpLineChange extends ErpLineFields {
  id: string;
}
export interface ErpLineAdd extends ErpLineFields {
  productId: number;
  quantity: string;
  price: string;
}

export interface OrderFeedQuery {
  statuses: readonly OrderStatus[] | null;
  changedSince: Date | null;
  /** Position after which to list, and the snapshot bound (null: a new pass from `after`). */
  after: number;
  until: number | null;
  limit: number;
}

export interface OrderFeedPage {
  items: WireOrder[];
  hasMore: boolean;
  next: { after: number; until: number | null };
}

export interface BuyerViewLine {
  lineId: string;
  product: string;
  sku: string;
  unit: string;
  ordered: string;
  /** The buyer's "Отменено" column. */
  cancelled: string;
  cancelReason: string | null;
  shipped: string;
  price: string;
  amount: string;
}

export interface BuyerView {
  orderId: number;
  number: string;
  status: OrderStatus;
  statusLabel: string;
  lines: BuyerViewLine[];
  total: string;
}

export interface SupplierView extends BuyerView {
  lines: (BuyerViewLine & {
    /** The reserve value the supplier clicks: everything reserved of this product. */
    reserved: string;
    /** What of it is held for this order (by Goodwix order id or the ERP's order ref). */
    reservedForOrder: string;
    reserves: WireReserve[];
  })[];
}

const FIRST_ORDER_ID = 100001;
const CURRENCY = 'RUB';

export class GoodwixWorld {
  readonly catalogId: number;
  readonly catalogName = 'Инструмент и крепеж — Торговый дом Альфа';
  readonly supplier = demoGoodwix.supplier;

  readonly products = new Map<number, WireProduct>();
  readonly buyers = new Map<number, WireBuyer>();
  readonly priceLists = new Map<number, WirePriceList>();

  private readonly orders = new Map<number, OrderRecord>();
  private readonly changeTimes: number[] = [];
  private nextOrderId = FIRST_ORDER_ID;
  private nextLineId = 1;
  private nextReserveId = 1;
  private lastMs = 0;
  private readonly reserves = new Map<number, ReserveRecord[]>();

  constructor(
    private readonly clock: () => Date,
    seed: SeedKind = 'demo',
    extraProducts = 0,
    catalogId: number = demoGoodwix.catalogId,
  ) {
    this.catalogId = catalogId;
    this.seedCatalog(extraProducts);
    if (seed === 'demo') this.seedDemoActivity();
  }

  // ---------------------------------------------------------------- time and changes

  /** Never goes back, even if the injected clock does: the change feed relies on it. */
  private nowMs(): number {
    this.lastMs = Math.max(this.lastMs, this.clock().getTime());
    return this.lastMs;
  }

  get headSeq(): number {
    return this.changeTimes.length;
  }

  private touch(order: OrderRecord, atMs = this.nowMs()): void {
    this.changeTimes.push(atMs);
    order.changeSeqs.push(this.changeTimes.length);
    order.changedAt = new Date(atMs).toISOString();
    if (order.changeSeqs.length > 1) order.version += 1;
  }

  /** The last change sequence number strictly before `since`, 0 if none. */
  private seqBefore(since: Date): number {
    const ms = since.getTime();
    let lo = 0;
    let hi = this.changeTimes.length; // answer in [0, length]
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.changeTimes[mid - 1] as number) < ms) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  // ---------------------------------------------------------------- seed

  private seedCatalog(extraProducts: number): void {
    for (const p of [...demoProducts, ...bulkProducts(extraProducts)]) {
      const vatRate = percent(p.vatRate);
      if (p.variants) {
        for (const v of p.variants) {
          this.products.set(v.goodwixId, {
            id: v.goodwixId,
            catalogId: this.catalogId,
            name: `${p.name}, ${v.name}`,
            sku: `${p.sku}-${v.name.replace(/\D+/g, '')}`,
            unit: p.unit,
            vatRate,
            price: money(p.price),
            parentId: p.goodwixId,
            variantName: v.name,
            erp: { nomenclatureId: p.ref, characteristicId: v.ref },
          });
        }
      } else {
        this.products.set(p.goodwixId, {
          id: p.goodwixId,
          catalogId: this.catalogId,
          name: p.name,
          sku: p.sku,
          unit: p.unit,
          vatRate,
          price: money(p.price),
          parentId: null,
          variantName: null,
          erp: { nomenclatureId: p.ref, characteristicId: null },
        });
      }
    }
    for (const b of demoBuyers) {
      this.buyers.set(b.goodwixId, {
        id: b.goodwixId,
        catalogId: this.catalogId,
        name: b.name,
        legalName: b.legalName,
        email: b.email,
        inn: b.inn,
        kpp: b.kpp === '' ? null : b.kpp,
        priceListId: b.priceListId,
        erp: { counterpartyId: b.counterpartyRef, partnerId: b.partnerRef, contractId: b.contractRef ?? null },
      });
    }
    for (const pl of demoPriceLists) {
      this.priceLists.set(pl.id, { id: pl.id, catalogId: this.catalogId, name: pl.name, autoConfirm: pl.autoConfirm, currency: CURRENCY });
    }
  }

  /** A little life for the demo: one auto-confirmed order, two waiting for the supplier, a manual reserve. */
  private seedDemoActivity(): void {
    this.placeOrder({ buyerId: 3001, lines: [{ productId: 10101, quantity: 2 }, { productId: 10103, quantity: 10 }], comment: 'Доставка до 12:00' });
    this.placeOrder({ buyerId: 3003, lines: [{ productId: 10102, quantity: 1 }, { productId: 10161, quantity: 3 }] });
    this.placeOrder({ buyerId: 3004, lines: [{ productId: 10105, quantity: 50 }, { productId: 10110, quantity: 5 }] });
    this.addManualReserve({ productId: 10109, quantity: 1 });
  }

  // ---------------------------------------------------------------- catalog reads

  product(id: number): WireProduct {
    const p = this.products.get(id);
    if (!p) throw notFound(`Product ${id}`, { productId: id });
    return p;
  }

  buyer(id: number): WireBuyer {
    const b = this.buyers.get(id);
    if (!b) throw notFound(`Buyer ${id}`, { buyerId: id });
    return b;
  }

  priceList(id: number): WirePriceList {
    const pl = this.priceLists.get(id);
    if (!pl) throw notFound(`Price list ${id}`, { priceListId: id });
    return pl;
  }

  // ---------------------------------------------------------------- orders: reads

  private record(id: number): OrderRecord {
    const o = this.orders.get(id);
    if (!o) throw notFound(`Order ${id}`, { orderId: id });
    return o;
  }

  order(id: number): WireOrder {
    return this.toWire(this.record(id));
  }

  hasOrder(id: number): boolean {
    return this.orders.has(id);
  }

  get orderCount(): number {
    return this.orders.size;
  }

  private toWire(o: OrderRecord): WireOrder {
    const b = this.buyer(o.buyerId);
    const totals = { amount: new Big(0), vatAmount: new Big(0), discountAmount: new Big(0) };
    for (const l of o.lines) {
      totals.amount = totals.amount.plus(l.amount);
      totals.vatAmount = totals.vatAmount.plus(l.vatAmount);
      totals.discountAmount = totals.discountAmount.plus(l.discountAmount);
    }
    return {
      id: o.id,
      number: o.number,
      catalogId: this.catalogId,
      status: o.status,
      statusReason: o.statusReason,
      version: o.version,
      buyer: { id: b.id, name: b.name, legalName: b.legalName, inn: b.inn, kpp: b.kpp, erp: b.erp ? { ...b.erp } : null },
      priceListId: o.priceListId,
      currency: CURRENCY,
      pricesIncludeVat: true,
      comment: o.comment,
      createdAt: o.createdAt,
      confirmedAt: o.confirmedAt,
      changedAt: o.changedAt,
      erp: { ...o.erp },
      totals: { amount: money(totals.amount), vatAmount: money(totals.vatAmount), discountAmount: money(totals.discountAmount) },
      lines: o.lines.map((l) => structuredClone(l)),
    };
  }

  /**
   * The change feed: confirmed-and-later orders by the position of their last change within the
   * pass's snapshot bound. An order changed during a pass keeps its place in this pass (so it is
   * listed once) and shows up again in the next pass, which starts at the bound.
   */
  listOrders(q: OrderFeedQuery): OrderFeedPage {
    const until = q.until ?? this.headSeq;
    const after = Math.max(q.after, q.changedSince ? this.seqBefore(q.changedSince) : 0);
    const statuses = q.statuses ? new Set(q.statuses) : null;
    const hits: { pos: number; order: OrderRecord }[] = [];
    for (const o of this.orders.values()) {
      if (o.confirmedAt === null) continue;
      if (statuses && !statuses.has(o.status)) continue;
      const pos = lastAtMost(o.changeSeqs, until);
      if (pos > after) hits.push({ pos, order: o });
    }
    hits.sort((x, y) => x.pos - y.pos);
    const page = hits.slice(0, q.limit);
    const hasMore = hits.length > q.limit;
    const last = page[page.length - 1];
    return {
      items: page.map((h) => this.toWire(h.order)),
      hasMore,
      next: hasMore && last ? { after: last.pos, until } : { after: Math.max(until, after), until: null },
    };
  }

  // ---------------------------------------------------------------- buyer and supplier actions

  placeOrder(input: PlaceOrderInput): WireOrder {
    const buyer = this.buyer(input.buyerId);
    const priceList = this.priceList(input.priceListId ?? buyer.priceListId);
    if (input.lines.length === 0) throw unprocessable('validation_failed', 'An order needs at least one line', 'lines');
    const atMs = this.nowMs();
    const at = new Date(atMs).toISOString();
    const id = this.nextOrderId++;
    const order: OrderRecord = {
      id,
      number: `${this.catalogId}-${String(id - FIRST_ORDER_ID + 1).padStart(6, '0')}`,
      status: priceList.autoConfirm ? 'confirmed' : 'new',
      statusReason: null,
      version: 1,
      changeSeqs: [],
      buyerId: buyer.id,
      priceListId: priceList.id,
      comment: input.comment ?? null,
      createdAt: at,
      confirmedAt: priceList.autoConfirm ? at : null,
      changedAt: at,
      erp: { orderId: null, number: null, date: null },
      lines: input.lines.map((l, i) => {
        const q = new Big(l.quantity);
        if (q.lte(0)) throw unprocessable('validation_failed', 'Quantity must be > 0', `lines[${i}].quantity`);
        const product = this.products.get(l.productId);
        if (!product) throw unprocessable('unknown_product', `Product ${l.productId} is not in the catalog`, `lines[${i}].productId`);
        return this.newLine(product, { quantity: quantity(q), price: product.price });
      }),
    };
    this.orders.set(id, order);
    this.touch(order, atMs);
    return this.toWire(order);
  }

  /** Many orders at once, for paging tests: no HTTP per order, a change sequence each. */
  createOrders(input: BulkOrdersInput): { firstId: number; lastId: number; count: number } {
    const count = input.count;
    if (!Number.isInteger(count) || count < 1 || count > 100_000) throw unprocessable('validation_failed', 'count must be 1..100000', 'count');
    const confirmed = input.confirmed ?? true;
    const perOrder = Math.max(1, Math.min(input.linesPerOrder ?? 2, 10));
    const buyers = [...this.buyers.values()];
    const products = [...this.products.values()];
    const firstId = this.nextOrderId;
    for (let n = 0; n < count; n += 1) {
      const buyer = buyers[n % buyers.length] as WireBuyer;
      const atMs = this.nowMs();
      const at = new Date(atMs).toISOString();
      const id = this.nextOrderId++;
      const lines: LineRecord[] = [];
      for (let k = 0; k < perOrder; k += 1) {
        const product = products[(n + k * 3) % products.length] as WireProduct;
        lines.push(this.newLine(product, { quantity: quantity(1 + ((n + k) % 5)), price: product.price }));
      }
      const order: OrderRecord = {
        id,
        number: `${this.catalogId}-${String(id - FIRST_ORDER_ID + 1).padStart(6, '0')}`,
        status: confirmed ? 'confirmed' : 'new',
        statusReason: null,
        version: 1,
        changeSeqs: [],
        buyerId: buyer.id,
        priceListId: buyer.priceListId,
        comment: null,
        createdAt: at,
        confirmedAt: confirmed ? at : null,
        changedAt: at,
        erp: { orderId: null, number: null, date: null },
        lines,
      };
      this.orders.set(id, order);
      this.touch(order, atMs);
    }
    return { firstId, lastId: this.nextOrderId - 1, count };
  }

  /** The supplier ticks "Подтвержден" by hand. */
  confirm(orderId: number): WireOrder {
    const o = this.record(orderId);
    if (o.status !== 'new') throw new ApiProblem(409, 'invalid_status_transition', `Order ${orderId} is ${o.status}, only new orders are confirmed`, { status: o.status });
    const atMs = this.nowMs();
    o.status = 'confirmed';
    o.confirmedAt = new Date(atMs).toISOString();
    this.touch(o, atMs);
    return this.toWire(o);
  }

  /** The supplier rejects the order in Goodwix (before or after confirming it). */
  reject(orderId: number, reason: string | null = null): WireOrder {
    const o = this.record(orderId);
    if (!['new', 'confirmed', 'in_progress'].includes(o.status)) {
      throw new ApiProblem(409, 'invalid_status_transition', `Order ${orderId} is ${o.status} and cannot be rejected`, { status: o.status });
    }
    o.status = 'rejected';
    o.statusReason = reason;
    this.touch(o);
    return this.toWire(o);
  }

  /** The buyer cancels the whole order, while nothing has been shipped. */
  cancelByBuyer(orderId: number, reason: string | null = null): WireOrder {
    const o = this.record(orderId);
    if (!['new', 'confirmed', 'in_progress'].includes(o.status)) {
      throw new ApiProblem(409, 'invalid_status_transition', `Order ${orderId} is ${o.status} and cannot be cancelled`, { status: o.status });
    }
    o.status = 'cancelled';
    o.statusReason = reason;
    this.touch(o);
    return this.toWire(o);
  }

  /** The buyer cancels a line, or part of it (default: all that is not cancelled or shipped yet). */
  cancelLineByBuyer(orderId: number, lineId: string, options: { quantity?: string | number; reason?: string | null } = {}): WireOrder {
    const o = this.record(orderId);
    this.assertEditable(o);
    const line = this.line(o, lineId);
    const open = new Big(line.quantity).minus(line.cancelledQuantity).minus(line.shippedQuantity);
    const q = options.quantity === undefined ? open : new Big(options.quantity);
    if (q.lte(0) || q.gt(open)) throw unprocessable('validation_failed', `Can cancel between 0 and ${quantity(open)}`, 'quantity');
    line.cancelledQuantity = quantity(new Big(line.cancelledQuantity).plus(q));
    line.cancelReason = options.reason ?? 'Отменено покупателем';
    computeLine(line);
    this.touch(o);
    return this.toWire(o);
  }

  /** The supplier edits a line in Goodwix (quantity, price, discount). */
  editLineBySupplier(orderId: number, lineId: string, edit: SupplierLineEdit): WireOrder {
    const o = this.record(orderId);
    this.assertEditable(o);
    const line = this.line(o, lineId);
    if (edit.quantity !== undefined) {
      const q = new Big(edit.quantity);
      if (q.lte(0) || q.lt(new Big(line.cancelledQuantity).plus(line.shippedQuantity))) {
        throw unprocessable('validation_failed', 'Quantity must be > 0 and cover cancelled and shipped quantities', 'quantity');
      }
      line.quantity = quantity(q);
    }
    if (edit.price !== undefined) {
      if (new Big(edit.price).lt(0)) throw unprocessable('validation_failed', 'Price must be >= 0', 'price');
      line.price = money(edit.price);
    }
    if (edit.discountPercent !== undefined) {
      const d = new Big(edit.discountPercent);
      if (d.lt(0) || d.gt(100)) throw unprocessable('validation_failed', 'Discount must be 0..100 percent', 'discountPercent');
      line.discountPercent = percent(d);
    }
    computeLine(line);
    this.touch(o);
    return this.toWire(o);
  }

  private assertEditable(o: OrderRecord): void {
    if (['rejected', 'cancelled', 'closed', 'shipped'].includes(o.status)) {
      throw new ApiProblem(409, 'order_closed', `Order ${o.id} is ${o.status}`, { status: o.status });
    }
  }

  private line(o: OrderRecord, lineId: string): LineRecord {
    const line = o.lines.find((l) => l.id === lineId);
    if (!line) throw notFound(`Line ${lineId} of order ${o.id}`, { orderId: o.id, lineId });
    return line;
  }

  private newLine(product: WireProduct, fields: { quantity: string; price: string }): LineRecord {
    const line: LineRecord = {
      id: `ln-${this.nextLineId++}`,
      productId: product.id,
      product: { name: product.name, sku: product.sku, unit: product.unit, erp: { ...product.erp } },
      quantity: fields.quantity,
      cancelledQuantity: quantity(0),
      cancelReason: null,
      shippedQuantity: quantity(0),
      price: fields.price,
      discountPercent: percent(0),
      discountAmount: money(0),
      vatRate: product.vatRate,
      vatAmount: money(0),
      amount: money(0),
      erp: { lineId: null },
    };
    computeLine(line);
    return line;
  }

  buyerView(orderId: number): BuyerView {
    const o = this.record(orderId);
    const wire = this.toWire(o);
    return {
      orderId: o.id,
      number: o.number,
      status: o.status,
      statusLabel: statusLabels[o.status],
      total: wire.totals.amount,
      lines: o.lines.map((l) => ({
        lineId: l.id,
        product: l.product.name,
        sku: l.product.sku,
        unit: l.product.unit,
        ordered: l.quantity,
        cancelled: l.cancelledQuantity,
        cancelReason: l.cancelReason,
        shipped: l.shippedQuantity,
        price: l.price,
        amount: l.amount,
      })),
    };
  }

  supplierView(orderId: number): SupplierView {
    const o = this.record(orderId);
    const view = this.buyerView(orderId);
    return {
      ...view,
      lines: view.lines.map((line, i) => {
        const productId = (o.lines[i] as LineRecord).productId;
        const held = this.productReserves(productId);
        const mine = (this.reserves.get(productId) ?? []).filter(
          (r) => r.orderId === o.id || (r.erp?.orderId != null && r.erp.orderId === o.erp.orderId),
        );
        return { ...line, reserved: held.totalQuantity, reservedForOrder: quantity(sum(mine.map((r) => r.quantity))), reserves: held.reserves };
      }),
    };
  }

  // ---------------------------------------------------------------- ERP-side update

  erpUpdate(orderId: number, update: ErpUpdate): WireOrder {
    const current = this.record(orderId);
    if (current.confirmedAt === null) {
      throw new ApiProblem(409, 'order_not_confirmed', `Order ${orderId} has not been confirmed by the supplier yet`, { status: current.status });
    }
    if (update.expectedVersion !== current.version) {
      throw new ApiProblem(409, 'version_conflict', `Order ${orderId} is at version ${current.version}, not ${update.expectedVersion}`, {
        currentVersion: current.version,
        expectedVersion: update.expectedVersion,
      });
    }
    const next: OrderRecord = structuredClone(current);

    if (update.status !== undefined && update.status !== next.status) {
      assertErpTransition(next.status, update.status);
      next.status = update.status;
    }
    if (update.statusReason !== undefined) next.statusReason = update.statusReason;
    if (update.erp) {
      for (const key of ['orderId', 'number', 'date'] as const) {
        const v = update.erp[key];
        if (v !== undefined) next.erp[key] = v;
      }
    }

    const remove = update.lines?.remove ?? [];
    const changes = update.lines?.update ?? [];
    const adds = update.lines?.add ?? [];
    const removed = new Set<string>();
    remove.forEach((id, i) => {
      const line = next.lines.find((l) => l.id === id);
      const field = `lines.remove[${i}]`;
      if (!line) throw unprocessable('unknown_line', `Order ${orderId} has no line ${id}`, field, { lineId: id });
      if (new Big(line.shippedQuantity).gt(0)) throw unprocessable('validation_failed', `Line ${id} has shipped goods and cannot be removed`, field, { lineId: id });
      removed.add(id);
    });
    const seen = new Set<string>();
    changes.forEach((change, i) => {
      const field = `lines.update[${i}]`;
      if (seen.has(change.id)) throw unprocessable('validation_failed', `Line ${change.id} is changed twice`, `${field}.id`, { lineId: change.id });
      seen.add(change.id);
      if (removed.has(change.id)) throw unprocessable('validation_failed', `Line ${change.id} is both changed and removed`, `${field}.id`, { lineId: change.id });
      const line = next.lines.find((l) => l.id === change.id);
      if (!line) throw unprocessable('unknown_line', `Order ${orderId} has no line ${change.id}`, `${field}.id`, { lineId: change.id });
      applyLineFields(line, change, field);
    });
    next.lines = next.lines.filter((l) => !removed.has(l.id));
    adds.forEach((add, i) => {
      const field = `lines.add[${i}]`;
      const product = this.products.get(add.productId);
      if (!product) throw unprocessable('unknown_product', `Product ${add.productId} is not in catalog ${this.catalogId}`, `${field}.productId`, { productId: add.productId });
      const line = this.newLine(product, { quantity: quantity(add.quantity), price: money(add.price) });
      applyLineFields(line, add, field);
      next.lines.push(line);
    });
    if (next.lines.length === 0) throw unprocessable('validation_failed', 'An order keeps at least one line: cancel lines instead of removing them all', 'lines');
    const totals = { amount: sum(next.lines.map((l) => l.amount)), vatAmount: sum(next.lines.map((l) => l.vatAmount)), discountAmount: sum(next.lines.map((l) => l.discountAmount)) };
    for (const [key, total] of Object.entries(totals)) assertFits(money(total), Precisions.money, `totals.${key}`);

    if (JSON.stringify(next) === JSON.stringify(current)) return this.toWire(current);
    Object.assign(current, next);
    this.touch(current);
    return this.toWire(current);
  }

  // ---------------------------------------------------------------- reserves

  productReserves(productId: number): WireProductReserves {
    this.product(productId);
    const list = this.reserves.get(productId) ?? [];
    return {
      productId,
      totalQuantity: quantity(sum(list.map((r) => r.quantity))),
      reserves: list.map((r) => this.reserveToWire(r)),
    };
  }

  private reserveToWire(r: ReserveRecord): WireReserve {
    const o = r.orderId === null ? undefined : this.orders.get(r.orderId);
    const b = o ? this.buyers.get(o.buyerId) : undefined;
    return {
      id: r.id,
      source: r.source,
      quantity: r.quantity,
      order: o && b ? { id: o.id, number: o.number, status: o.status, buyerId: b.id, buyerName: b.name } : null,
      erp: r.erp ? { ...r.erp } : null,
      updatedAt: r.updatedAt,
    };
  }

  /** Replaces every integration reserve of the product; manual reserves stay. */
  replaceIntegrationReserves(
    productId: number,
    entries: readonly { quantity: string; orderId?: number | null; erp?: Partial<ErpOrderRef> | null }[],
  ): WireProductReserves {
    this.product(productId);
    const at = new Date(this.nowMs()).toISOString();
    const fresh: ReserveRecord[] = entries.map((e, i) => {
      const field = `reserves[${i}]`;
      const q = new Big(e.quantity);
      if (q.lte(0)) throw unprocessable('validation_failed', 'Reserved quantity must be > 0', `${field}.quantity`);
      const orderId = e.orderId ?? null;
      if (orderId !== null && !this.orders.has(orderId)) throw unprocessable('unknown_order', `Order ${orderId} is not in catalog ${this.catalogId}`, `${field}.orderId`, { orderId });
      const erp = e.erp ? { orderId: e.erp.orderId ?? null, number: e.erp.number ?? null, date: e.erp.date ?? null } : null;
      if (orderId === null && (erp === null || (erp.orderId === null && erp.number === null))) {
        throw unprocessable('validation_failed', 'A reserve names its order: orderId, or erp.orderId / erp.number', field);
      }
      assertFits(quantity(q), Precisions.quantity, `${field}.quantity`);
      return { id: `rsv-${this.nextReserveId++}`, productId, source: 'integration', quantity: quantity(q), orderId, erp, updatedAt: at };
    });
    const manual = (this.reserves.get(productId) ?? []).filter((r) => r.source === 'manual');
    assertFits(quantity(sum([...manual, ...fresh].map((r) => r.quantity))), Precisions.quantity, 'reserves');
    this.reserves.set(productId, [...manual, ...fresh]);
    return this.productReserves(productId);
  }

  /** The supplier reserves goods by hand in Goodwix. */
  addManualReserve(input: { productId: number; quantity: string | number; orderId?: number | null }): WireReserve {
    this.product(input.productId);
    const q = new Big(input.quantity);
    if (q.lte(0)) throw unprocessable('validation_failed', 'Reserved quantity must be > 0', 'quantity');
    if (input.orderId != null && !this.orders.has(input.orderId)) throw unprocessable('unknown_order', `Order ${input.orderId} not found`, 'orderId');
    const r: ReserveRecord = {
      id: `rsv-${this.nextReserveId++}`,
      productId: input.productId,
      source: 'manual',
      quantity: quantity(q),
      orderId: input.orderId ?? null,
      erp: null,
      updatedAt: new Date(this.nowMs()).toISOString(),
    };
    this.reserves.set(input.productId, [...(this.reserves.get(input.productId) ?? []), r]);
    return this.reserveToWire(r);
  }

  removeManualReserve(reserveId: string): void {
    for (const [productId, list] of this.reserves) {
      const r = list.find((x) => x.id === reserveId);
      if (!r) continue;
      if (r.source !== 'manual') throw new ApiProblem(409, 'not_manual', `Reserve ${reserveId} comes from the integration`);
      this.reserves.set(productId, list.filter((x) => x.id !== reserveId));
      return;
    }
    throw notFound(`Reserve ${reserveId}`, { reserveId });
  }
}

// ------------------------------------------------------------------ line arithmetic and rules

/** Derived amounts from price, quantities, discount and VAT; prices include VAT. */
function computeLine(l: LineRecord, explicit: { discountAmount?: string; vatAmount?: string; amount?: string } = {}): void {
  const active = new Big(l.quantity).minus(l.cancelledQuantity);
  const gross = new Big(l.price).times(active);
  l.discountAmount = explicit.discountAmount !== undefined ? money(explicit.discountAmount) : money(gross.times(l.discountPercent).div(100));
  l.amount = explicit.amount !== undefined ? money(explicit.amount) : money(gross.minus(l.discountAmount));
  const rate = new Big(l.vatRate);
  l.vatAmount = explicit.vatAmount !== undefined ? money(explicit.vatAmount) : money(new Big(l.amount).times(rate).div(rate.plus(100)));
}

function applyLineFields(line: LineRecord, f: ErpLineFields, field: string): void {
  if (f.quantity !== undefined) line.quantity = quantity(f.quantity);
  if (f.cancelledQuantity !== undefined) line.cancelledQuantity = quantity(f.cancelledQuantity);
  if (f.cancelReason !== undefined) line.cancelReason = f.cancelReason;
  if (f.shippedQuantity !== undefined) line.shippedQuantity = quantity(f.shippedQuantity);
  if (f.price !== undefined) line.price = money(f.price);
  if (f.discountPercent !== undefined) line.discountPercent = percent(f.discountPercent);
  if (f.vatRate !== undefined) line.vatRate = percent(f.vatRate);
  if (f.erpLineId !== undefined) line.erp = { lineId: f.erpLineId };

  const q = new Big(line.quantity);
  const cancelled = new Big(line.cancelledQuantity);
  const shipped = new Big(line.shippedQuantity);
  if (q.lte(0)) throw unprocessable('validation_failed', 'Quantity must be > 0 (cancel the line instead)', `${field}.quantity`);
  if (cancelled.lt(0) || cancelled.gt(q)) throw unprocessable('validation_failed', `Cancelled quantity must be between 0 and the quantity ${line.quantity}`, `${field}.cancelledQuantity`);
  if (shipped.lt(0) || shipped.gt(q.minus(cancelled))) {
    throw unprocessable('validation_failed', `Shipped quantity must be between 0 and the quantity not cancelled (${quantity(q.minus(cancelled))})`, `${field}.shippedQuantity`);
  }
  if (new Big(line.price).lt(0)) throw unprocessable('validation_failed', 'Price must be >= 0', `${field}.price`);
  const d = new Big(line.discountPercent);
  if (d.lt(0) || d.gt(100)) throw unprocessable('validation_failed', 'Discount percent must be between 0 and 100', `${field}.discountPercent`);
  const v = new Big(line.vatRate);
  if (v.lt(0) || v.gt(100)) throw unprocessable('validation_failed', 'VAT rate must be between 0 and 100 percent', `${field}.vatRate`);
  const gross = new Big(line.price).times(q.minus(cancelled));
  if (f.discountAmount !== undefined && (new Big(f.discountAmount).lt(0) || new Big(f.discountAmount).gt(gross))) {
    throw unprocessable('validation_failed', `Discount amount must be between 0 and the line's gross amount ${money(gross)}`, `${field}.discountAmount`);
  }
  for (const key of ['vatAmount', 'amount'] as const) {
    const value = f[key];
    if (value !== undefined && new Big(value).lt(0)) throw unprocessable('validation_failed', `${key} must be >= 0`, `${field}.${key}`);
  }
  computeLine(line, {
    ...(f.discountAmount !== undefined ? { discountAmount: f.discountAmount } : {}),
    ...(f.vatAmount !== undefined ? { vatAmount: f.vatAmount } : {}),
    ...(f.amount !== undefined ? { amount: f.amount } : {}),
  });
  for (const key of ['quantity', 'cancelledQuantity', 'shippedQuantity'] as const) assertFits(line[key], Precisions.quantity, `${field}.${key}`);
  for (const key of ['price', 'discountAmount', 'vatAmount', 'amount'] as const) assertFits(line[key], Precisions.money, `${field}.${key}`);
  for (const key of ['discountPercent', 'vatRate'] as const) assertFits(line[key], Precisions.percent, `${field}.${key}`);
}

/**
 * Goodwix keeps decimals as wide as the ERP's fields (docs/goodwix-api.md): a value that grows
 * past them — rounded up to 10000000000000.00, or a price times a quantity — is refused, never
 * answered wider than the contract's patterns.
 */
function assertFits(value: string, p: Precision, field: string): void {
  const problem = precisionProblem(value, p);
  if (problem) throw unprocessable('validation_failed', `${value} is out of range: ${problem}`, field);
}

/**
 * What the ERP may do to a status: set any status but `new` (the state before the supplier
 * confirms), from any status — the ERP is the system of record of an order's progress, so it
 * closes a shipped order, moves one back to `confirmed`, or back from `shipped` when a shipment
 * is undone. The buyer's and the supplier's own transitions (confirm, reject, cancel) are theirs.
 */
function assertErpTransition(from: OrderStatus, to: OrderStatus): void {
  if (to === 'new') {
    throw unprocessable('invalid_status_transition', `Cannot change status from ${from} to ${to}: new is the state before confirmation`, 'status', { from, to });
  }
}

function lastAtMost(sorted: readonly number[], bound: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let best = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid] as number;
    if (v <= bound) {
      best = v;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

function sum(values: readonly string[]): Big {
  return values.reduce((s, v) => s.plus(v), new Big(0));
}
