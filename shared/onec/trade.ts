/**
 * What the exchange asks of 1C:УТ 11, in our vocabulary: orders by their stable key, created,
 * read, updated with whole `Товары` sections, posted and unposted; change probes over many
 * orders; shipments of orders; reserves; catalog items. Built on `OneCClient` and the field map;
 * every OData name comes from `fields.ts`.
 */
import { OneCClient, type OneCClientOptions } from './client.ts';
import {
  decodeEntity, encodeEntity, selectFor,
  type OneCOrder, type OneCOrderInput, type OneCOrderPatch, type OneCShipment, type OneCShipmentInput,
} from './documents.ts';
import { OneCInvalidArgumentError, OneCNotFoundError, OneCStaleVersionError } from './errors.ts';
import {
  catalogSpecs, dimensionName, EntitySets, exchangeEntities, exchangeFunctions, exchangeRegisters,
  orderSpec, orderVersionFields, reserveRegisterSpec, shipmentRowSetSpec, shipmentSpec,
  type CatalogItem, type CatalogName, type EntitySpec, type Field, type OrderStatus,
} from './fields.ts';
import { and, cast, datetime, eq, type Filter, ge, gt, guid, isGuid, ne, or, substringof } from './filter.ts';
import type { MappingProblem, MappingTarget } from './metadata.ts';
import type { Decimal } from '#core/decimal';
import type { OneCLink } from './values.ts';

/** Everything the exchange reads and writes: checked against `$metadata` at setup. */
export const exchangeMapping: MappingTarget = {
  entities: exchangeEntities,
  registers: exchangeRegisters,
  functions: exchangeFunctions,
};

/** The change probe of one order. */
export interface OneCOrderVersion {
  readonly ref: string;
  readonly dataVersion: string;
  readonly posted: boolean;
  readonly deletionMark: boolean;
  readonly status: OrderStatus | null;
}

/** What names an order to people: its number and date, and the stable key when the exchange made it. */
export interface OneCOrderSummary {
  readonly ref: string;
  readonly number: string;
  readonly date: string | null;
  readonly clientNumber: string;
  readonly deletionMark: boolean;
  readonly posted: boolean;
}

/** What tells a change of a shipment (its rows and amounts are not read). */
export interface OneCShipmentVersion {
  readonly ref: string;
  readonly dataVersion: string;
  readonly posted: boolean;
  readonly deletionMark: boolean;
}

/** One reserve: a quantity of a product held by an order (1C's `ДокументОтгрузки`) on a warehouse. */
export interface OneCReserve {
  readonly order: OneCLink | null;
  /** `Получатель`: who the goods go to (for a customer order, its partner). */
  readonly recipient?: OneCLink | null;
  readonly product: string | null;
  readonly characteristic: string | null;
  readonly warehouse: string | null;
  /** `ВРезерве`: reserved from stock (rows with `СоСклада`). */
  readonly reserved: Decimal;
  /** `КОтгрузке`: held to ship from stock (rows with `Отгрузить`). */
  readonly toShip: Decimal;
}

export interface OneCTradeOptions {
  /**
   * Length of `НомерПоДаннымКлиента` in the base (30 in UT 11). 1C silently cuts longer strings,
   * after which the stable-key lookup would never find the order again: longer keys are refused.
   */
  readonly clientNumberMaxLength?: number;
}

/** Each request of a warehouse's whole reserve balance (`readWarehouseReserves`) may take this long. */
export const WAREHOUSE_BALANCE_TIMEOUT_MS = 60_000;

/** The balance's rows as the field map decodes them: resources named `<Resource>Balance`. */
const reserveBalanceSpec: EntitySpec = {
  entitySet: `${reserveRegisterSpec.entitySet}/${reserveRegisterSpec.function}`,
  fields: {
    ...reserveRegisterSpec.dimensions,
    ...Object.fromEntries(Object.entries(reserveRegisterSpec.resources).map(([name, f]) => [name, { ...f, odata: `${f.odata}${reserveRegisterSpec.function}` }])),
  },
};

function uniqueRefs(refs: Iterable<string>, what: string): string[] {
  const out = new Set<string>();
  for (const r of refs) {
    if (!isGuid(r)) throw new OneCInvalidArgumentError(`${what}: not a guid: ${JSON.stringify(String(r)).slice(0, 80)}`, { context: { argument: what } });
    out.add(r.toLowerCase());
  }
  return [...out];
}

function fieldOf(spec: { fields: Readonly<Record<string, Field>> }, name: string): string {
  const field = spec.fields[name];
  if (!field) throw new Error(`field map has no ${name}`);
  return field.odata;
}

/** The catalogs a plan's references point into, as their choice lists show them. */
export type ChoiceCatalog = 'organizations' | 'warehouses' | 'users' | 'agreements' | 'cancelReasons';

/** UT 11 catalogs with a `Code` (Пользователи have none) and with folders (Склады). */
const CODED_CATALOGS: ReadonlySet<ChoiceCatalog> = new Set(['organizations', 'warehouses', 'agreements', 'cancelReasons']);
const FOLDERED_CATALOGS: ReadonlySet<ChoiceCatalog> = new Set(['warehouses']);

export interface CatalogChoice {
  readonly ref: string;
  readonly name: string;
  /** The item's code, null when the catalog has none */
  readonly code: string | null;
  readonly deletionMark: boolean;
}

export class OneCTrade {
  private readonly clientNumberMaxLength: number;

  constructor(readonly client: OneCClient, options: OneCTradeOptions = {}) {
    this.clientNumberMaxLength = options.clientNumberMaxLength ?? 30;
  }

  static connect(options: OneCClientOptions & OneCTradeOptions): OneCTrade {
    return new OneCTrade(new OneCClient(options), options);
  }

  close(): void {
    this.client.close();
  }

  // ---- setup ------------------------------------------------------------------------------------

  /** Problems of this base's `$metadata` against the field map (empty = fine). */
  checkFieldMapping(target: MappingTarget = exchangeMapping): Promise<MappingProblem[]> {
    return this.client.checkFieldMapping(target);
  }

  /** Throws OneCFieldMappingError naming every missing or mistyped field. */
  assertFieldMapping(target: MappingTarget = exchangeMapping): Promise<void> {
    return this.client.assertFieldMapping(target);
  }

  // ---- orders -----------------------------------------------------------------------------------

  /**
   * Orders carrying `clientNumber` in `НомерПоДаннымКлиента` (the stable key the exchange writes):
   * how a create with an unknown outcome is resolved, and how duplicates are avoided. Orders
   * marked for deletion are included (check `deletionMark`).
   */
  async findOrdersByClientNumber(clientNumber: string): Promise<OneCOrder[]> {
    this.assertClientNumber(clientNumber);
    const page = await this.client.list(orderSpec.entitySet, {
      filter: eq(fieldOf(orderSpec, 'clientNumber'), clientNumber),
      select: selectFor(orderSpec),
    });
    // 1C compares strings case-insensitively on some DBMS: keep exact matches only.
    return page.value.map((raw) => decodeEntity(orderSpec, raw)).filter((o) => o.clientNumber === clientNumber);
  }

  /**
   * Creates an order (one POST, 201 with the full object) and returns it as 1C stored it.
   * Throws OneCOutcomeUnknownError when 1C may or may not have created it: resolve with
   * `findOrdersByClientNumber(input.clientNumber)`, never by calling this again blindly.
   * `operation` defaults to `РеализацияКлиенту`.
   */
  async createOrder(input: OneCOrderInput, options: { ref?: string } = {}): Promise<OneCOrder> {
    this.assertClientNumber(input.clientNumber);
    if (!input.partner) throw new OneCInvalidArgumentError('an order needs a partner (Партнер_Key)', { context: { field: 'Партнер_Key' } });
    if (options.ref !== undefined && !isGuid(options.ref)) throw new OneCInvalidArgumentError(`Ref_Key ${JSON.stringify(options.ref)} is not a guid`, { context: { field: 'Ref_Key' } });
    // A Ref_Key chosen by the caller (recorded before the POST) finds the order after a lost
    // answer even when its key was edited meanwhile.
    const body = { ...encodeEntity(orderSpec, { operation: 'РеализацияКлиенту', ...input }), ...(options.ref ? { Ref_Key: options.ref } : {}) };
    const created = await this.client.create(orderSpec.entitySet, body);
    return decodeEntity(orderSpec, created);
  }

  /**
   * Orders of `partner` dated exactly `date` (1C local time, as the exchange wrote it): how a
   * create with an unknown outcome is found when a manager changed its key meanwhile.
   */
  async findOrdersByDateAndPartner(date: string, partner: string): Promise<OneCOrder[]> {
    const page = await this.client.list(orderSpec.entitySet, {
      filter: and(eq(fieldOf(orderSpec, 'date'), datetime(date)), eq(fieldOf(orderSpec, 'partner'), guid(partner))),
      select: selectFor(orderSpec),
    });
    return page.value.map((raw) => decodeEntity(orderSpec, raw)).filter((o) => o.date === date && o.partner === partner);
  }

  /** The order with its `Товары`; OneCNotFoundError when there is none. */
  async readOrder(ref: string): Promise<OneCOrder> {
    const raw = await this.client.getByKey(orderSpec.entitySet, ref, { select: selectFor(orderSpec) });
    return decodeEntity(orderSpec, raw);
  }

  /** The order, or undefined when 1C has none with this ref. */
  async findOrder(ref: string): Promise<OneCOrder | undefined> {
    try {
      return await this.readOrder(ref);
    } catch (error) {
      if (error instanceof OneCNotFoundError) return undefined;
      throw error;
    }
  }

  /**
   * PATCHes the header fields given and, when `items` is given, replaces the whole `Товары`
   * section with them: `LineNumber` 1..n in the given order, `КодСтроки` kept for rows that carry
   * their `lineCode` (registers are keyed on it), new rows without one (1C numbers them). Fields
   * of existing rows the field map does not know (series, row ids, discount links) are read from
   * 1C just before and sent back unchanged, so the replacement loses nothing.
   */
  async updateOrder(ref: string, patch: OneCOrderPatch, options: { expectedDataVersion?: string } = {}): Promise<OneCOrder> {
    if (patch.clientNumber !== undefined) this.assertClientNumber(patch.clientNumber);
    let bases = {};
    const expected = options.expectedDataVersion;
    if (patch.items !== undefined || expected !== undefined) {
      const section = orderSpec.sections.items;
      // The rows' unknown fields and, when asked, the version in one read right before the PATCH:
      // the only window in which another write is lost (1C has no optimistic locking).
      const select = [...(patch.items !== undefined ? [section.odata] : []), ...(expected !== undefined ? [orderSpec.fields.dataVersion.odata] : [])];
      const current = await this.client.getByKey(orderSpec.entitySet, ref, { select });
      if (expected !== undefined && current[orderSpec.fields.dataVersion.odata] !== expected) {
        throw new OneCStaleVersionError(`1C order ${ref} is at DataVersion ${String(current[orderSpec.fields.dataVersion.odata])}, not ${expected}: it changed since it was read`, {
          context: { onecRef: ref, expectedDataVersion: expected },
        });
      }
      const rows = Array.isArray(current[section.odata]) ? (current[section.odata] as Record<string, unknown>[]) : [];
      const byCode = new Map<number, Record<string, unknown>>();
      for (const row of rows) {
        const code = Number(row[section.fields.lineCode.odata]);
        if (Number.isSafeInteger(code) && code > 0) byCode.set(code, row);
      }
      bases = { items: byCode };
    }
    const body = encodeEntity(orderSpec, patch, bases);
    const updated = await this.client.update(orderSpec.entitySet, ref, body);
    return decodeEntity(orderSpec, updated);
  }

  /**
   * Posts the order (`PostingModeOperational=false`: ЗаказКлиента forbids operational posting),
   * then re-reads it. OneCPostingRefusedError carries 1C's message (e.g. not enough stock).
   */
  async postOrder(ref: string): Promise<OneCOrder> {
    await this.client.callPosting(orderSpec.entitySet, ref, 'post');
    return this.readOrder(ref);
  }

  /** Unposts the order (its reserves are released), then re-reads it. */
  async unpostOrder(ref: string): Promise<OneCOrder> {
    await this.client.callPosting(orderSpec.entitySet, ref, 'unpost');
    return this.readOrder(ref);
  }

  /**
   * `DataVersion`, `Posted`, `DeletionMark` and `Статус` of many orders in few requests: refs are
   * split into `Ref_Key eq guid'…' or …` filters, each URL kept under `maxUrlLength`. Orders 1C
   * does not have (deleted) are absent from the map.
   */
  async readDataVersions(refs: Iterable<string>): Promise<Map<string, OneCOrderVersion>> {
    const unique = uniqueRefs(refs, 'order ref');
    const select = selectFor(orderSpec, orderVersionFields);
    const keyField = fieldOf(orderSpec, 'ref');
    const out = new Map<string, OneCOrderVersion>();
    for (const raw of await this.listChunked(orderSpec, unique, (r) => eq(keyField, guid(r)), { select })) {
      const v = decodeEntity(orderSpec, raw, orderVersionFields) as unknown as OneCOrderVersion;
      out.set(v.ref, v);
    }
    return out;
  }

  /**
   * The change probe of the orders the exchange made, set-wise: `DataVersion`, `Posted`,
   * `DeletionMark`, `Статус` and `Date` of every order whose stable key contains `keyPrefix`
   * and whose status is not `Закрыт`, as pages of one filtered list (`substringof`, which the
   * standard interface has; the prefix itself is checked here). What it costs follows the
   * orders not yet closed in 1C, not the number asked about, and no key list goes in a URL.
   * An order it leaves out (closed, deleted, its key edited) is read by key by the caller.
   */
  async readOpenOrderVersions(keyPrefix: string, options: { pageSize?: number } = {}): Promise<Map<string, OneCOrderVersion & { readonly date: string | null }>> {
    const names = [...orderVersionFields, 'date', 'clientNumber'] as const;
    const filter = and(substringof(keyPrefix, fieldOf(orderSpec, 'clientNumber')), ne(fieldOf(orderSpec, 'status'), 'Закрыт'));
    const out = new Map<string, OneCOrderVersion & { readonly date: string | null }>();
    const rows = this.client.iterate(orderSpec.entitySet, { filter, select: selectFor(orderSpec, names), orderby: [fieldOf(orderSpec, 'ref')] }, { pageSize: options.pageSize ?? 5000 });
    for await (const raw of rows) {
      const v = decodeEntity(orderSpec, raw, names) as unknown as OneCOrderVersion & { date: string | null; clientNumber: string };
      if (!v.clientNumber.startsWith(keyPrefix)) continue;
      out.set(v.ref, { ref: v.ref, dataVersion: v.dataVersion, posted: v.posted, deletionMark: v.deletionMark, status: v.status, date: v.date });
    }
    return out;
  }

  /**
   * Number, date and stable key of many orders in few requests: how reserves held by orders
   * (bound or made directly in 1C) are named for Goodwix. Orders 1C does not have are absent.
   */
  async readOrderSummaries(refs: Iterable<string>): Promise<Map<string, OneCOrderSummary>> {
    const unique = uniqueRefs(refs, 'order ref');
    const names = ['ref', 'number', 'date', 'clientNumber', 'deletionMark', 'posted'] as const;
    const select = selectFor(orderSpec, names);
    const keyField = fieldOf(orderSpec, 'ref');
    const out = new Map<string, OneCOrderSummary>();
    for (const raw of await this.listChunked(orderSpec, unique, (r) => eq(keyField, guid(r)), { select })) {
      const s = decodeEntity(orderSpec, raw, names) as unknown as OneCOrderSummary;
      out.set(s.ref, s);
    }
    return out;
  }

  // ---- shipments --------------------------------------------------------------------------------

  /**
   * Shipments (`РеализацияТоваровУслуг`) made for any of the orders: those whose header
   * `ЗаказКлиента` is one of them, and those with a row (`Товары.ЗаказКлиента`) for one of them
   * (a shipment covering several orders leaves the header Undefined). Unposted and deleted
   * ones are left out unless `includeUnposted`. Each row's `order` says which order it ships.
   */
  async listShipmentsForOrders(orderRefs: Iterable<string>, options: { includeUnposted?: boolean } = {}): Promise<OneCShipment[]> {
    const unique = uniqueRefs(orderRefs, 'order ref');
    const extra = options.includeUnposted ? undefined : eq(fieldOf(shipmentSpec, 'posted'), true);
    const select = selectFor(shipmentSpec);
    const byOrder = (odata: string) => (r: string): Filter => eq(odata, cast(r, EntitySets.order));
    const found = new Map<string, unknown>();
    const keep = (raw: unknown): void => { found.set(String((raw as Record<string, unknown>)[fieldOf(shipmentSpec, 'ref')]).toLowerCase(), raw); };
    // 1. By the header's order.
    for (const raw of await this.listChunked(shipmentSpec, unique, byOrder(fieldOf(shipmentSpec, 'order')), { select, ...(extra ? { extra } : {}) })) keep(raw);
    // 2. By the rows' order, then the shipments not found by their header.
    const rowSpec = shipmentRowSetSpec;
    const rows = await this.listChunked(rowSpec, unique, byOrder(fieldOf(rowSpec, 'order')), {
      select: selectFor(rowSpec, ['ref']), orderby: [fieldOf(rowSpec, 'ref'), fieldOf(rowSpec, 'lineNumber')],
    });
    const more = [...new Set(rows.map((raw) => decodeEntity(rowSpec, raw, ['ref']).ref))].filter((ref) => !found.has(ref));
    if (more.length) {
      const keyField = fieldOf(shipmentSpec, 'ref');
      for (const raw of await this.listChunked(shipmentSpec, more, (r) => eq(keyField, guid(r)), { select, ...(extra ? { extra } : {}) })) keep(raw);
    }
    return [...found.values()].map((raw) => decodeEntity(shipmentSpec, raw));
  }

  /**
   * The change probe of shipments: for each order, the posted shipments made for it (by the
   * header's order or a row's, as `listShipmentsForOrders` finds them) with only what tells a
   * change — ref, `DataVersion`, `Posted`, `DeletionMark` — so many more orders fit in a URL
   * than when whole shipments are read.
   */
  async probeShipments(orderRefs: Iterable<string>): Promise<Map<string, OneCShipmentVersion[]>> {
    const unique = uniqueRefs(orderRefs, 'order ref');
    const names = ['ref', 'dataVersion', 'posted', 'deletionMark', 'order'] as const;
    const select = selectFor(shipmentSpec, names);
    const posted = eq(fieldOf(shipmentSpec, 'posted'), true);
    const byOrder = (odata: string) => (r: string): Filter => eq(odata, cast(r, EntitySets.order));
    const versions = new Map<string, OneCShipmentVersion>();
    const forOrders = new Map<string, Set<string>>();
    const link = (shipment: string, order: string) => {
      const set = forOrders.get(shipment) ?? new Set<string>();
      set.add(order);
      forOrders.set(shipment, set);
    };
    for (const raw of await this.listChunked(shipmentSpec, unique, byOrder(fieldOf(shipmentSpec, 'order')), { select, extra: posted })) {
      const s = decodeEntity(shipmentSpec, raw, names) as unknown as OneCShipmentVersion & { order: OneCLink | null };
      versions.set(s.ref, { ref: s.ref, dataVersion: s.dataVersion, posted: s.posted, deletionMark: s.deletionMark });
      if (s.order) link(s.ref, s.order.ref);
    }
    const rowSpec = shipmentRowSetSpec;
    const rows = await this.listChunked(rowSpec, unique, byOrder(fieldOf(rowSpec, 'order')), {
      select: selectFor(rowSpec, ['ref', 'order']), orderby: [fieldOf(rowSpec, 'ref'), fieldOf(rowSpec, 'lineNumber')],
    });
    for (const raw of rows) {
      const r = decodeEntity(rowSpec, raw, ['ref', 'order']);
      if (r.order) link(r.ref, r.order.ref);
    }
    const more = [...forOrders.keys()].filter((ref) => !versions.has(ref));
    if (more.length) {
      const keyField = fieldOf(shipmentSpec, 'ref');
      for (const raw of await this.listChunked(shipmentSpec, more, (r) => eq(keyField, guid(r)), { select, extra: posted })) {
        const s = decodeEntity(shipmentSpec, raw, names) as unknown as OneCShipmentVersion;
        versions.set(s.ref, { ref: s.ref, dataVersion: s.dataVersion, posted: s.posted, deletionMark: s.deletionMark });
      }
    }
    const asked = new Set(unique);
    const out = new Map<string, OneCShipmentVersion[]>();
    for (const [shipment, orders] of forOrders) {
      const version = versions.get(shipment);
      if (!version) continue; // not posted
      for (const order of orders) if (asked.has(order)) out.set(order, [...(out.get(order) ?? []), version]);
    }
    return out;
  }

  /**
   * `probeShipments` set-wise: every posted shipment dated `since` or later (one paged list with
   * each shipment's header order and its rows' orders, `Товары/ЗаказКлиента`), kept for the
   * orders asked. Exact for orders dated `since` or later, as long as a shipment is never dated
   * before the order it ships (UT's own rule for shipments by orders); a shipment unposted or
   * deleted drops out of the list, so it changes the order's result as `probeShipments`' does.
   */
  async probeShipmentsSince(since: string, orderRefs: Iterable<string>, options: { pageSize?: number } = {}): Promise<Map<string, OneCShipmentVersion[]>> {
    const asked = new Set(uniqueRefs(orderRefs, 'order ref'));
    const out = new Map<string, OneCShipmentVersion[]>();
    if (asked.size === 0) return out;
    const names = ['ref', 'dataVersion', 'posted', 'deletionMark', 'order'] as const;
    const section = shipmentSpec.sections.items;
    const rowOrder = section.fields.order.odata;
    const select = [...selectFor(shipmentSpec, names), `${section.odata}/${rowOrder}`, `${section.odata}/${rowOrder}_Type`];
    const filter = and(eq(fieldOf(shipmentSpec, 'posted'), true), ge(fieldOf(shipmentSpec, 'date'), datetime(since)));
    const rowSpec: EntitySpec = { entitySet: shipmentRowSetSpec.entitySet, fields: { order: shipmentRowSetSpec.fields.order } };
    const rows = this.client.iterate(shipmentSpec.entitySet, { filter, select, orderby: [fieldOf(shipmentSpec, 'ref')] }, { pageSize: options.pageSize ?? 2000 });
    for await (const raw of rows) {
      const s = decodeEntity(shipmentSpec, raw, names) as unknown as OneCShipmentVersion & { order: OneCLink | null };
      const orders = new Set<string>();
      if (s.order) orders.add(s.order.ref);
      const items = (raw as Record<string, unknown>)[section.odata];
      for (const row of Array.isArray(items) ? items : []) {
        const order = (decodeEntity(rowSpec, row, ['order']) as unknown as { order: OneCLink | null }).order;
        if (order) orders.add(order.ref);
      }
      const version = { ref: s.ref, dataVersion: s.dataVersion, posted: s.posted, deletionMark: s.deletionMark };
      for (const order of orders) if (asked.has(order)) out.set(order, [...(out.get(order) ?? []), version]);
    }
    return out;
  }

  /** Creates a shipment (as a 1C manager would; used by tests and the demo). Same unknown-outcome rule as orders. */
  async createShipment(input: OneCShipmentInput): Promise<OneCShipment> {
    const created = await this.client.create(shipmentSpec.entitySet, encodeEntity(shipmentSpec, input));
    return decodeEntity(shipmentSpec, created);
  }

  async readShipment(ref: string): Promise<OneCShipment> {
    return decodeEntity(shipmentSpec, await this.client.getByKey(shipmentSpec.entitySet, ref, { select: selectFor(shipmentSpec) }));
  }

  async postShipment(ref: string): Promise<OneCShipment> {
    await this.client.callPosting(shipmentSpec.entitySet, ref, 'post');
    return this.readShipment(ref);
  }

  async unpostShipment(ref: string): Promise<OneCShipment> {
    await this.client.callPosting(shipmentSpec.entitySet, ref, 'unpost');
    return this.readShipment(ref);
  }

  // ---- reserves ---------------------------------------------------------------------------------

  /**
   * Stock held by orders for the given products, per order and warehouse: the `ВРезерве` and
   * `КОтгрузке` balances of `ТоварыКОтгрузке`, asked with a Condition on the products (never
   * unconditioned: that took 12–25 s on a real base) — and on the warehouse when given, so that
   * it answers exactly what `readWarehouseReserves` answers for these products — grouped by the
   * register spec's dimensions (Склад, Номенклатура, Характеристика, ДокументОтгрузки,
   * Получатель), as live connectors ask. Rows where both are zero are left out.
   */
  async readReserves(query: { products: Iterable<string>; warehouse?: string }): Promise<OneCReserve[]> {
    const products = uniqueRefs(query.products, 'product ref');
    const warehouse = query.warehouse === undefined ? undefined : uniqueRefs([query.warehouse], 'warehouse ref')[0]!;
    const spec = reserveRegisterSpec;
    const productField = spec.dimensions.product.odata;
    const dimensions = Object.values(spec.dimensions).map(dimensionName);
    const out: OneCReserve[] = [];
    const conditionOf = (part: string[]): Filter => {
      const any = or(...part.map((p) => eq(productField, guid(p))));
      return warehouse ? and(eq(spec.dimensions.warehouse.odata, guid(warehouse)), any) : any;
    };
    for (const chunk of this.chunkByUrl(products, (part) => this.client.urlLength(OneCClient.balancePath(spec.entitySet, { condition: conditionOf(part), dimensions })))) {
      const rows = await this.client.balance(spec.entitySet, { condition: conditionOf(chunk), dimensions });
      for (const raw of rows) {
        const r = decodeEntity(reserveBalanceSpec, raw) as unknown as OneCReserve;
        if (Number(r.reserved) !== 0 || Number(r.toShip) !== 0) out.push(r);
      }
    }
    return out;
  }

  /**
   * Every reserve held on a warehouse, whatever the product: the same balance as `readReserves`
   * conditioned on `Склад` alone (1C sums only that warehouse's records, not the whole register),
   * with `$filter` keeping the rows that hold something, paged in dimension order (`pageSize`
   * rows a request; 1C has no server paging, so a page is as large as asked). 1C sums the
   * warehouse's records for each page, which on a live base may take as long as an unconditioned
   * balance (12–25 s) when one warehouse holds most of them: each request gets
   * `timeoutMs` (default WAREHOUSE_BALANCE_TIMEOUT_MS), not the plan's budget for quick reads.
   */
  async *readWarehouseReserves(warehouse: string, options: { pageSize?: number; timeoutMs?: number } = {}): AsyncGenerator<OneCReserve> {
    const [ref] = uniqueRefs([warehouse], 'warehouse ref');
    const spec = reserveRegisterSpec;
    const dimensions = Object.values(spec.dimensions).map(dimensionName);
    const resource = (f: Field) => `${f.odata}${spec.function}`;
    const rows = this.client.iterateBalance(spec.entitySet, {
      condition: eq(spec.dimensions.warehouse.odata, guid(ref!)),
      dimensions,
      filter: or(gt(resource(spec.resources.reserved), 0), gt(resource(spec.resources.toShip), 0)),
      orderby: [spec.dimensions.product.odata, spec.dimensions.characteristic.odata, spec.dimensions.order.odata, spec.dimensions.recipient.odata],
    }, { pageSize: options.pageSize ?? 5000, timeoutMs: options.timeoutMs ?? WAREHOUSE_BALANCE_TIMEOUT_MS });
    for await (const raw of rows) {
      const r = decodeEntity(reserveBalanceSpec, raw) as unknown as OneCReserve;
      if (Number(r.reserved) !== 0 || Number(r.toShip) !== 0) yield r;
    }
  }

  // ---- catalogs ---------------------------------------------------------------------------------

  /** Catalog items by ref, in few requests; refs 1C does not have are absent from the map. */
  async readCatalogItems<C extends CatalogName>(catalog: C, refs: Iterable<string>): Promise<Map<string, CatalogItem<C>>> {
    const spec = catalogSpecs[catalog] as EntitySpec;
    const unique = uniqueRefs(refs, `${catalog} ref`);
    const keyField = fieldOf(spec, 'ref');
    const out = new Map<string, CatalogItem<C>>();
    for (const raw of await this.listChunked(spec, unique, (r) => eq(keyField, guid(r)), { select: selectFor(spec) })) {
      const item = decodeEntity(spec, raw) as unknown as CatalogItem<C>;
      out.set((item as { ref: string }).ref, item);
    }
    return out;
  }

  /** One catalog item, or undefined when 1C has none with this ref. */
  async readCatalogItem<C extends CatalogName>(catalog: C, ref: string): Promise<CatalogItem<C> | undefined> {
    const spec = catalogSpecs[catalog] as EntitySpec;
    try {
      return decodeEntity(spec, await this.client.getByKey(spec.entitySet, ref, { select: selectFor(spec) })) as unknown as CatalogItem<C>;
    } catch (error) {
      if (error instanceof OneCNotFoundError) return undefined;
      throw error;
    }
  }

  /**
   * Items of a catalog as its choice list shows them (Description, Code where the catalog has
   * one, the deletion mark), by exact name or by a piece of the name, at most `limit` of them
   * (one more tells the caller the list was cut). Folders are left out.
   */
  async findCatalogChoices(catalog: ChoiceCatalog, query: { name?: string; contains?: string; limit: number }): Promise<CatalogChoice[]> {
    const spec = catalogSpecs[catalog] as EntitySpec;
    const coded = CODED_CATALOGS.has(catalog);
    const filters: Filter[] = [];
    if (query.name !== undefined) filters.push(eq('Description', query.name));
    if (query.contains) filters.push(substringof(query.contains, 'Description'));
    if (FOLDERED_CATALOGS.has(catalog)) filters.push(eq('IsFolder', false));
    const page = await this.client.list(spec.entitySet, {
      ...(filters.length ? { filter: filters.length === 1 ? filters[0]! : and(...filters) } : {}),
      select: ['Ref_Key', 'Description', 'DeletionMark', ...(coded ? ['Code'] : [])],
      orderby: ['Description', 'Ref_Key'],
      top: query.limit + 1,
    });
    return page.value.map((raw) => {
      const item = raw as Record<string, unknown>;
      return {
        ref: String(item['Ref_Key']),
        name: typeof item['Description'] === 'string' ? item['Description'] : '',
        code: coded && typeof item['Code'] === 'string' ? item['Code'].trim() || null : null,
        deletionMark: item['DeletionMark'] === true,
      };
    });
  }

  /** Every item of a catalog matching a filter on our property names' OData fields, page by page. */
  async *listCatalog<C extends CatalogName>(catalog: C, filter?: Filter): AsyncGenerator<CatalogItem<C>> {
    const spec = catalogSpecs[catalog] as EntitySpec;
    for await (const raw of this.client.iterate(spec.entitySet, { ...(filter ? { filter } : {}), select: selectFor(spec) })) {
      yield decodeEntity(spec, raw) as unknown as CatalogItem<C>;
    }
  }

  /** Counterparties with this ИНН (and КПП when given): a branch shares the ИНН of its head office. */
  async findCounterparties(query: { inn: string; kpp?: string }): Promise<CatalogItem<'counterparties'>[]> {
    const spec = catalogSpecs.counterparties;
    const filter = query.kpp === undefined
      ? eq(spec.fields.inn.odata, query.inn)
      : and(eq(spec.fields.inn.odata, query.inn), eq(spec.fields.kpp.odata, query.kpp));
    const out: CatalogItem<'counterparties'>[] = [];
    for await (const item of this.listCatalog('counterparties', filter)) out.push(item);
    return out;
  }

  /** Contracts (`ДоговорыКонтрагентов`) of a counterparty with an organization, not marked for deletion. */
  async findContracts(query: { counterparty: string; organization: string }): Promise<CatalogItem<'contracts'>[]> {
    const spec = catalogSpecs.contracts;
    const filter = and(
      eq(spec.fields.counterparty.odata, guid(query.counterparty)),
      eq(spec.fields.organization.odata, guid(query.organization)),
      eq(spec.fields.deletionMark.odata, false),
    );
    const out: CatalogItem<'contracts'>[] = [];
    for await (const item of this.listCatalog('contracts', filter)) out.push(item);
    return out;
  }

  // ---- chunking ---------------------------------------------------------------------------------

  private assertClientNumber(clientNumber: string): void {
    if (typeof clientNumber !== 'string' || clientNumber.trim() === '') {
      throw new OneCInvalidArgumentError('the stable key (НомерПоДаннымКлиента) must be a non-empty string', { context: { field: 'НомерПоДаннымКлиента' } });
    }
    if ([...clientNumber].length > this.clientNumberMaxLength) {
      throw new OneCInvalidArgumentError(
        `the stable key "${clientNumber}" is longer than ${this.clientNumberMaxLength} characters: 1C would cut it and the order could not be found again`,
        { context: { field: 'НомерПоДаннымКлиента', length: [...clientNumber].length } },
      );
    }
  }

  /** Splits items into the fewest consecutive chunks whose URL stays under `maxUrlLength`. */
  private chunkByUrl<T>(items: readonly T[], lengthOf: (chunk: T[]) => number): T[][] {
    const chunks: T[][] = [];
    let current: T[] = [];
    for (const item of items) {
      const candidate = [...current, item];
      if (lengthOf(candidate) <= this.client.maxUrlLength) {
        current = candidate;
        continue;
      }
      if (current.length === 0) {
        throw new OneCInvalidArgumentError(`one item alone makes a URL longer than ${this.client.maxUrlLength} characters`, { context: { maxUrlLength: this.client.maxUrlLength } });
      }
      chunks.push(current);
      current = [item];
      if (lengthOf(current) > this.client.maxUrlLength) {
        throw new OneCInvalidArgumentError(`one item alone makes a URL longer than ${this.client.maxUrlLength} characters`, { context: { maxUrlLength: this.client.maxUrlLength } });
      }
    }
    if (current.length) chunks.push(current);
    return chunks;
  }

  /** GETs `spec`'s objects matching `term(item)` for any item, in URL-bounded chunks. */
  private async listChunked(
    spec: EntitySpec,
    items: readonly string[],
    term: (item: string) => Filter,
    options: { select: readonly string[]; extra?: Filter; orderby?: readonly string[] },
  ): Promise<unknown[]> {
    const orderby = options.orderby ?? [fieldOf(spec, 'ref')];
    const filterOf = (chunk: string[]): Filter => {
      const any = or(...chunk.map(term));
      return options.extra ? and(any, options.extra) : any;
    };
    const out: unknown[] = [];
    // Measured with the paging options `iterate` adds (a generous $skip included).
    const pathOf = (chunk: string[]): string => OneCClient.collectionPath(spec.entitySet, {
      filter: filterOf(chunk), select: options.select, orderby, top: this.client.pageSize, skip: 1_000_000,
    });
    const chunks = this.chunkByUrl(items, (chunk) => this.client.urlLength(pathOf(chunk)));
    for (const chunk of chunks) {
      // A chunk can match more objects than it has items (several shipments per order): page it.
      for await (const raw of this.client.iterate(spec.entitySet, { filter: filterOf(chunk), select: options.select, orderby })) out.push(raw);
    }
    return out;
  }
}
