/**
 * The Goodwix contract, checked exhaustively against the sandbox: every operation is driven with
 * good inputs, inputs malformed in each way the sandbox refuses, inputs well-formed but refused
 * for their content, without a token, for another catalog, and under a rate limit and an outage;
 * plus methods the document does not list and oversized bodies. For every answer:
 *
 *  - its status is one the document lists for the operation (for a method or path it does not
 *    list, `x-method-not-allowed` / `x-unknown-path`), and its body and headers match;
 *  - the document's verdict on the request agrees with the sandbox's: a request the document
 *    refuses is refused by the sandbox (400, or 422 for a value out of range), a shape refusal
 *    (400 `invalid_request`) is of a request the document refuses, and a request the document
 *    accepts is never refused for its shape;
 *
 * and in the end every status the document lists for every operation has been answered.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GoodwixContract } from '#test/goodwix-contract';
import { RawApi, startGoodwixSandbox, type GoodwixSandbox } from '#test/goodwix-sandbox';

type Thunk<T> = T | (() => T);
const value = <T>(t: Thunk<T>): T => (typeof t === 'function' ? (t as () => T)() : t);

interface Probe {
  readonly name: string;
  readonly method: string;
  /** Path under /api/v1, query included. */
  readonly path: Thunk<string>;
  /** A value is sent as JSON; a string as it is. */
  readonly body?: Thunk<unknown>;
  readonly headers?: Record<string, string>;
  /** Send the bearer token (default true). */
  readonly auth?: boolean;
  /** Arrange a fault for this request. */
  readonly fault?: Parameters<GoodwixSandbox['faults']['set']>[0];
  /**
   * `good`: the document accepts it and the sandbox answers 2xx. `bad`: malformed or out of range
   * — the document refuses it. `content`: well-formed, refused for what it names or the state
   * (unknown id, stale version, no token, a fault): the document accepts it.
   */
  readonly kind: 'good' | 'bad' | 'content';
  readonly status: number;
  readonly code?: string;
}

interface Outcome {
  readonly probe: Probe;
  readonly where: string;
  /** operationId, or null for a method the document does not list. */
  readonly opId: string | null;
  readonly status: number;
  readonly code: string | undefined;
  readonly docRefuses: string[];
}

const API = '/api/v1';
const BIG_BODY = (key: string) => JSON.stringify({ [key]: 'x'.repeat(5 * 1024 * 1024 + 16) });

describe('the Goodwix document says exactly what the sandbox enforces', () => {
  let sandbox: GoodwixSandbox;
  let contract: GoodwixContract;
  let raw: RawApi;
  const outcomes: Outcome[] = [];

  before(async () => {
    sandbox = await startGoodwixSandbox({ seed: 'demo' });
    contract = new GoodwixContract();
    raw = new RawApi(sandbox, contract.fetch());
    await raw.login();
  });
  after(async () => {
    await sandbox.close();
  });

  async function run(probe: Probe): Promise<Outcome> {
    const path = `${API}${value(probe.path)}`;
    const rawBody = probe.body === undefined ? undefined : ((b) => (typeof b === 'string' ? b : JSON.stringify(b)))(value(probe.body));
    const headers: Record<string, string> = {
      ...(rawBody === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(probe.auth === false ? {} : { Authorization: `Bearer ${raw.token}` }),
      ...probe.headers,
    };
    const url = new URL(sandbox.baseUrl + path);
    const op = contract.operation(probe.method, url.pathname);
    const docRefuses = op ? contract.checkRequestParts(probe.method, url, new Headers(headers), rawBody) : ['not an operation of the document'];
    if (probe.fault) sandbox.faults.set(probe.fault);
    try {
      const answer = await raw.request(probe.method, path, rawBody, headers);
      const outcome = { probe, where: `${probe.name}: ${probe.method} ${path.slice(0, 120)}`, opId: op?.id ?? null, status: answer.status, code: answer.body?.error?.code as string | undefined, docRefuses };
      outcomes.push(outcome);
      return outcome;
    } finally {
      if (probe.fault) sandbox.faults.reset();
    }
  }

  const C = () => `/catalogs/${sandbox.catalogId}`;
  /** A confirmed order of its own for each update probe, so one probe's change does not stale the next. */
  const confirmedOrder = () => sandbox.actions.placeOrder({ buyerId: 3002, lines: [{ productId: 10101, quantity: 3 }, { productId: 10162, quantity: 1 }] });
  const unconfirmedOrder = () => sandbox.actions.placeOrder({ buyerId: 3003, lines: [{ productId: 10104, quantity: 1 }] });

  /** An update probe on a fresh confirmed order: `body` gets the order. */
  const update = (name: string, kind: Probe['kind'], status: number, body: (o: ReturnType<typeof confirmedOrder>) => unknown, extra: Partial<Probe> = {}): Probe => {
    let order: ReturnType<typeof confirmedOrder> | undefined;
    const get = () => (order ??= confirmedOrder());
    return { name, method: 'PATCH', path: () => `${C()}/orders/${get().id}`, body: () => body(get()), kind, status, ...extra };
  };
  const lineChange = (name: string, kind: Probe['kind'], status: number, change: Record<string, unknown>) =>
    update(name, kind, status, (o) => ({ expectedVersion: o.version, lines: { update: [{ id: o.lines[0]!.id, ...change }] } }));
  const reserves = (name: string, kind: Probe['kind'], status: number, body: unknown, productId: string | number = 10101): Probe => ({
    name, method: 'PUT', path: () => `${C()}/reserves/${productId}`, body, kind, status,
  });

  const probes = (): Probe[] => [
    // ---- login
    { name: 'login', method: 'POST', path: '/auth/login', body: () => sandbox.supplier, auth: false, kind: 'good', status: 200 },
    { name: 'login, wrong password', method: 'POST', path: '/auth/login', body: () => ({ ...sandbox.supplier, password: 'wrong' }), auth: false, kind: 'content', status: 401, code: 'invalid_credentials' },
    { name: 'login, e-mail a number', method: 'POST', path: '/auth/login', body: { email: 42, password: 'x' }, auth: false, kind: 'bad', status: 400 },
    { name: 'login, empty object', method: 'POST', path: '/auth/login', body: {}, auth: false, kind: 'bad', status: 400 },
    { name: 'login, empty password', method: 'POST', path: '/auth/login', body: () => ({ ...sandbox.supplier, password: '' }), auth: false, kind: 'bad', status: 400 },
    { name: 'login, e-mail of 321 characters', method: 'POST', path: '/auth/login', body: { email: 'x'.repeat(321), password: 'x' }, auth: false, kind: 'bad', status: 400 },
    { name: 'login, an unknown field', method: 'POST', path: '/auth/login', body: () => ({ ...sandbox.supplier, remember: true }), auth: false, kind: 'bad', status: 400 },
    { name: 'login, not JSON', method: 'POST', path: '/auth/login', body: '{"email":', auth: false, kind: 'bad', status: 400 },
    { name: 'login, no body', method: 'POST', path: '/auth/login', auth: false, kind: 'bad', status: 400 },
    { name: 'login, a body over 5 MiB', method: 'POST', path: '/auth/login', body: BIG_BODY('email'), auth: false, kind: 'bad', status: 413, code: 'payload_too_large' },
    { name: 'login, rate limited', method: 'POST', path: '/auth/login', body: () => sandbox.supplier, auth: false, fault: { rateLimitNext: 1, retryAfterSeconds: 2 }, kind: 'content', status: 429 },
    { name: 'login, Goodwix down', method: 'POST', path: '/auth/login', body: () => sandbox.supplier, auth: false, fault: { failNext: 1, errorStatus: 503 }, kind: 'content', status: 503 },

    // ---- the catalog and its reference lists
    { name: 'catalog', method: 'GET', path: () => C(), kind: 'good', status: 200 },
    { name: 'catalog id not a number', method: 'GET', path: '/catalogs/abc', kind: 'bad', status: 400 },
    { name: 'catalog id 0', method: 'GET', path: '/catalogs/0', kind: 'bad', status: 400 },
    { name: 'catalog id of 13 digits', method: 'GET', path: '/catalogs/1000000000000', kind: 'bad', status: 400 },
    { name: 'catalog id negative', method: 'GET', path: '/catalogs/-5', kind: 'bad', status: 400 },
    { name: 'products', method: 'GET', path: () => `${C()}/products?limit=5`, kind: 'good', status: 200 },
    { name: 'products by ids', method: 'GET', path: () => `${C()}/products?ids=10101,10102,10103`, kind: 'good', status: 200 },
    { name: 'products, 500 ids', method: 'GET', path: () => `${C()}/products?ids=${Array.from({ length: 500 }, (_, i) => 10101 + i).join(',')}`, kind: 'good', status: 200 },
    { name: 'products by nomenclature', method: 'GET', path: () => `${C()}/products?nomenclatureId=6b2a1d3e-1c7b-11ef-9a30-0800270bc706`, kind: 'good', status: 200 },
    { name: 'products, limit 500', method: 'GET', path: () => `${C()}/products?limit=500`, kind: 'good', status: 200 },
    { name: 'products, limit 0', method: 'GET', path: () => `${C()}/products?limit=0`, kind: 'bad', status: 400 },
    { name: 'products, limit 501', method: 'GET', path: () => `${C()}/products?limit=501`, kind: 'bad', status: 400 },
    { name: 'products, limit not a number', method: 'GET', path: () => `${C()}/products?limit=ten`, kind: 'bad', status: 400 },
    { name: 'products, ids not numbers', method: 'GET', path: () => `${C()}/products?ids=a,b`, kind: 'bad', status: 400 },
    { name: 'products, id 0', method: 'GET', path: () => `${C()}/products?ids=0`, kind: 'bad', status: 400 },
    { name: 'products, an empty id between commas', method: 'GET', path: () => `${C()}/products?ids=10101,,10102`, kind: 'bad', status: 400 },
    { name: 'products, 501 ids', method: 'GET', path: () => `${C()}/products?ids=${Array.from({ length: 501 }, (_, i) => 10101 + i).join(',')}`, kind: 'bad', status: 400 },
    { name: 'products, ids given twice', method: 'GET', path: () => `${C()}/products?ids=10101&ids=10102`, kind: 'bad', status: 400 },
    { name: 'products, limit 5.0', method: 'GET', path: () => `${C()}/products?limit=5.0`, kind: 'bad', status: 400 },
    { name: 'products, a cursor not issued', method: 'GET', path: () => `${C()}/products?cursor=nonsense`, kind: 'content', status: 400, code: 'invalid_cursor' },
    { name: 'product', method: 'GET', path: () => `${C()}/products/10161`, kind: 'good', status: 200 },
    { name: 'product not in the catalog', method: 'GET', path: () => `${C()}/products/1`, kind: 'content', status: 404 },
    { name: 'product id not a number', method: 'GET', path: () => `${C()}/products/x1`, kind: 'bad', status: 400 },
    { name: 'product id 0', method: 'GET', path: () => `${C()}/products/0`, kind: 'bad', status: 400 },
    { name: 'buyers', method: 'GET', path: () => `${C()}/buyers`, kind: 'good', status: 200 },
    { name: 'buyers by INN', method: 'GET', path: () => `${C()}/buyers?inn=7712345678`, kind: 'good', status: 200 },
    { name: 'buyers, limit -1', method: 'GET', path: () => `${C()}/buyers?limit=-1`, kind: 'bad', status: 400 },
    { name: 'buyer', method: 'GET', path: () => `${C()}/buyers/3004`, kind: 'good', status: 200 },
    { name: 'buyer not in the catalog', method: 'GET', path: () => `${C()}/buyers/9`, kind: 'content', status: 404 },
    { name: 'buyer id 0', method: 'GET', path: () => `${C()}/buyers/0`, kind: 'bad', status: 400 },
    { name: 'buyer id a decimal', method: 'GET', path: () => `${C()}/buyers/3004.5`, kind: 'bad', status: 400 },
    { name: 'price lists', method: 'GET', path: () => `${C()}/price-lists`, kind: 'good', status: 200 },
    { name: 'price lists, limit 1000', method: 'GET', path: () => `${C()}/price-lists?limit=1000`, kind: 'bad', status: 400 },
    { name: 'price list', method: 'GET', path: () => `${C()}/price-lists/502`, kind: 'good', status: 200 },
    { name: 'price list not in the catalog', method: 'GET', path: () => `${C()}/price-lists/1`, kind: 'content', status: 404 },
    { name: 'price list id 0', method: 'GET', path: () => `${C()}/price-lists/0`, kind: 'bad', status: 400 },

    // ---- orders
    { name: 'order feed', method: 'GET', path: () => `${C()}/orders?limit=2&status=confirmed,in_progress`, kind: 'good', status: 200 },
    { name: 'order feed since', method: 'GET', path: () => `${C()}/orders?changedSince=${encodeURIComponent('2000-01-01T00:00:00Z')}`, kind: 'good', status: 200 },
    { name: 'order feed since, with an offset', method: 'GET', path: () => `${C()}/orders?changedSince=${encodeURIComponent('2000-01-01T03:00:00.000+03:00')}`, kind: 'good', status: 200 },
    { name: 'order feed, every listed status', method: 'GET', path: () => `${C()}/orders?status=confirmed,in_progress,ready_to_ship,partially_shipped,shipped,closed,rejected,cancelled`, kind: 'good', status: 200 },
    { name: 'order feed, status new', method: 'GET', path: () => `${C()}/orders?status=new`, kind: 'bad', status: 400 },
    { name: 'order feed, an unknown status', method: 'GET', path: () => `${C()}/orders?status=paid`, kind: 'bad', status: 400 },
    { name: 'order feed, an empty status between commas', method: 'GET', path: () => `${C()}/orders?status=confirmed,,shipped`, kind: 'bad', status: 400 },
    { name: 'order feed, a status with a space', method: 'GET', path: () => `${C()}/orders?status=confirmed,%20shipped`, kind: 'bad', status: 400 },
    { name: 'order feed, status given twice', method: 'GET', path: () => `${C()}/orders?status=confirmed&status=shipped`, kind: 'bad', status: 400 },
    { name: 'order feed, since 30 February', method: 'GET', path: () => `${C()}/orders?changedSince=${encodeURIComponent('2025-02-30T00:00:00Z')}`, kind: 'bad', status: 400 },
    { name: 'order feed, since not a date', method: 'GET', path: () => `${C()}/orders?changedSince=yesterday`, kind: 'bad', status: 400 },
    { name: 'order feed, since without a zone', method: 'GET', path: () => `${C()}/orders?changedSince=2000-01-01T00:00:00`, kind: 'bad', status: 400 },
    { name: 'order feed, limit 0', method: 'GET', path: () => `${C()}/orders?limit=0`, kind: 'bad', status: 400 },
    { name: 'order feed, a cursor not issued', method: 'GET', path: () => `${C()}/orders?cursor=nonsense`, kind: 'content', status: 400, code: 'invalid_cursor' },
    { name: 'order', method: 'GET', path: () => `${C()}/orders/100001`, kind: 'good', status: 200 },
    { name: 'order not in the catalog', method: 'GET', path: () => `${C()}/orders/999`, kind: 'content', status: 404 },
    { name: 'order id not a number', method: 'GET', path: () => `${C()}/orders/GW-1`, kind: 'bad', status: 400 },
    { name: 'order id 0', method: 'GET', path: () => `${C()}/orders/0`, kind: 'bad', status: 400 },
    { name: 'order id of 13 digits', method: 'GET', path: () => `${C()}/orders/1000000000000`, kind: 'bad', status: 400 },

    // ---- the ERP's update
    update('update: status and ERP reference', 'good', 200, (o) => ({ expectedVersion: o.version, status: 'in_progress', erp: { orderId: '0f0e0d0c-1c7b-11ef-9a30-0800270bd001', number: 'ТД00-000017', date: '2025-03-01T12:00:00' } })),
    update('update: lines changed, added and removed', 'good', 200, (o) => ({
      expectedVersion: o.version,
      lines: {
        update: [{ id: o.lines[0]!.id, cancelledQuantity: '1', cancelReason: 'Нет в наличии', price: '5490.5', discountPercent: '5', erpLineId: '1' }],
        add: [{ productId: 10107, quantity: '2.5', price: '1290', vatRate: '10', erpLineId: '3' }],
        remove: [o.lines[1]!.id],
      },
    })),
    update('update: with an Idempotency-Key', 'good', 200, (o) => ({ expectedVersion: o.version, statusReason: 'ok' }), { headers: { 'Idempotency-Key': 'k-1' } }),
    update('update: amounts near the largest 1C holds', 'good', 200, (o) => ({ expectedVersion: o.version, lines: { update: [{ id: o.lines[0]!.id, quantity: '1', price: '9999999900000.99', discountPercent: '0' }] } })),
    update('update: no expectedVersion', 'bad', 400, () => ({ status: 'in_progress' })),
    update('update: expectedVersion 0', 'bad', 400, () => ({ expectedVersion: 0 })),
    update('update: expectedVersion a string', 'bad', 400, (o) => ({ expectedVersion: String(o.version) })),
    update('update: expectedVersion a fraction', 'bad', 400, () => ({ expectedVersion: 1.5 })),
    update('update: expectedVersion past 2^53', 'bad', 400, () => '{"expectedVersion": 90071992547409930}'),
    update('update: an unknown status', 'bad', 400, (o) => ({ expectedVersion: o.version, status: 'paid' })),
    update('update: an unknown field', 'bad', 400, (o) => ({ expectedVersion: o.version, note: 'x' })),
    update('update: an ERP date without seconds', 'bad', 400, (o) => ({ expectedVersion: o.version, erp: { date: '2025-03-01T12:00' } })),
    update('update: not JSON', 'bad', 400, () => 'expectedVersion=1'),
    update('update: no body', 'bad', 400, () => undefined),
    update('update: a body over 5 MiB', 'bad', 413, () => BIG_BODY('statusReason')),
    update('update: an Idempotency-Key of 201 characters', 'bad', 400, (o) => ({ expectedVersion: o.version }), { headers: { 'Idempotency-Key': 'k'.repeat(201) } }),
    update('update: 1001 lines removed', 'bad', 400, (o) => ({ expectedVersion: o.version, lines: { remove: Array.from({ length: 1001 }, (_, i) => `ln-${i}`) } })),
    lineChange('update: a price as a number', 'bad', 400, { price: 12 }),
    lineChange('update: a price with a comma', 'bad', 400, { price: '12,5' }),
    lineChange('update: a price of 14 digits', 'bad', 400, { price: '10000000000000' }),
    lineChange('update: a price with 7 decimals', 'bad', 400, { price: '1.1234567' }),
    lineChange('update: a negative price', 'bad', 422, { price: '-1' }),
    lineChange('update: a quantity of 13 digits', 'bad', 400, { quantity: '1000000000000' }),
    lineChange('update: a negative quantity', 'bad', 422, { quantity: '-2' }),
    lineChange('update: a negative cancelled quantity', 'bad', 422, { cancelledQuantity: '-1' }),
    lineChange('update: a negative shipped quantity', 'bad', 422, { shippedQuantity: '-1' }),
    lineChange('update: a negative discount', 'bad', 422, { discountPercent: '-5' }),
    lineChange('update: a discount of 4 digits', 'bad', 400, { discountPercent: '1000' }),
    lineChange('update: a negative VAT rate', 'bad', 422, { vatRate: '-20' }),
    lineChange('update: a negative discount amount', 'bad', 422, { discountAmount: '-1' }),
    lineChange('update: a negative VAT amount', 'bad', 422, { vatAmount: '-1' }),
    lineChange('update: a negative amount', 'bad', 422, { amount: '-1' }),
    lineChange('update: an empty line id', 'bad', 400, { id: '' }),
    update('update: an added line with product 0', 'bad', 400, (o) => ({ expectedVersion: o.version, lines: { add: [{ productId: 0, quantity: '1', price: '1' }] } })),
    update('update: an added line without a price', 'bad', 400, (o) => ({ expectedVersion: o.version, lines: { add: [{ productId: 10107, quantity: '1' }] } })),
    update('update: a stale version', 'content', 409, (o) => ({ expectedVersion: o.version + 1 }), { code: 'version_conflict' }),
    update('update: a line the order has not', 'content', 422, (o) => ({ expectedVersion: o.version, lines: { update: [{ id: 'ln-none', price: '1' }] } }), { code: 'unknown_line' }),
    update('update: a product the catalog has not', 'content', 422, (o) => ({ expectedVersion: o.version, lines: { add: [{ productId: 1, quantity: '1', price: '1' }] } }), { code: 'unknown_product' }),
    update('update: a status set to new', 'content', 422, (o) => ({ expectedVersion: o.version, status: 'new' }), { code: 'invalid_status_transition' }),
    update('update: a price times a quantity past 1C\'s amounts', 'content', 422, (o) => ({ expectedVersion: o.version, lines: { update: [{ id: o.lines[0]!.id, quantity: '1000000', price: '9999999999999.99' }] } }), { code: 'validation_failed' }),
    update('update: a price rounding past 13 digits', 'content', 422, (o) => ({ expectedVersion: o.version, lines: { update: [{ id: o.lines[0]!.id, quantity: '1', price: '9999999999999.999' }] } }), { code: 'validation_failed' }),
    { name: 'update: an order not yet confirmed', method: 'PATCH', path: () => `${C()}/orders/${unconfirmedOrder().id}`, body: { expectedVersion: 1, status: 'in_progress' }, kind: 'content', status: 409, code: 'order_not_confirmed' },
    { name: 'update: an order not in the catalog', method: 'PATCH', path: () => `${C()}/orders/999`, body: { expectedVersion: 1 }, kind: 'content', status: 404 },
    { name: 'update: order id 0', method: 'PATCH', path: () => `${C()}/orders/0`, body: { expectedVersion: 1 }, kind: 'bad', status: 400 },

    // ---- reserves
    { name: 'reserves', method: 'GET', path: () => `${C()}/reserves?productIds=10101,10109`, kind: 'good', status: 200 },
    { name: 'reserves, 100 ids', method: 'GET', path: () => `${C()}/reserves?productIds=${Array.from({ length: 100 }, () => 10101).join(',')}`, kind: 'good', status: 200 },
    { name: 'reserves, no productIds', method: 'GET', path: () => `${C()}/reserves`, kind: 'bad', status: 400 },
    { name: 'reserves, productIds empty', method: 'GET', path: () => `${C()}/reserves?productIds=`, kind: 'bad', status: 400 },
    { name: 'reserves, productIds not numbers', method: 'GET', path: () => `${C()}/reserves?productIds=abc`, kind: 'bad', status: 400 },
    { name: 'reserves, product id 0', method: 'GET', path: () => `${C()}/reserves?productIds=0`, kind: 'bad', status: 400 },
    { name: 'reserves, 101 ids', method: 'GET', path: () => `${C()}/reserves?productIds=${Array.from({ length: 101 }, () => 10101).join(',')}`, kind: 'bad', status: 400 },
    { name: 'reserves, a product not in the catalog', method: 'GET', path: () => `${C()}/reserves?productIds=1`, kind: 'content', status: 404 },
    reserves('replace reserves', 'good', 200, { reserves: [{ quantity: '2', orderId: 100001, erp: { orderId: '0f0e0d0c-1c7b-11ef-9a30-0800270bd002', number: 'ТД00-000018', date: '2025-03-01T12:00:00' } }, { quantity: '5.5', erp: { number: 'ТД00-000003' } }] }),
    reserves('replace reserves with none', 'good', 200, { reserves: [] }),
    reserves('reserves, a quantity as a number', 'bad', 400, { reserves: [{ quantity: 2, orderId: 100001 }] }),
    reserves('reserves, a negative quantity', 'bad', 422, { reserves: [{ quantity: '-2', orderId: 100001 }] }),
    reserves('reserves, a quantity of 13 digits', 'bad', 400, { reserves: [{ quantity: '1000000000000', orderId: 100001 }] }),
    reserves('reserves, order id 0', 'bad', 400, { reserves: [{ quantity: '1', orderId: 0 }] }),
    reserves('reserves, an unknown field', 'bad', 400, { reserves: [{ quantity: '1', orderId: 100001, source: 'manual' }] }),
    reserves('reserves, 1001 of them', 'bad', 400, { reserves: Array.from({ length: 1001 }, () => ({ quantity: '1', orderId: 100001 })) }),
    reserves('reserves, no list', 'bad', 400, {}),
    reserves('reserves, a body over 5 MiB', 'bad', 413, BIG_BODY('reserves')),
    reserves('reserves, an order not in the catalog', 'content', 422, { reserves: [{ quantity: '1', orderId: 5 }] }),
    reserves('reserves, naming no order', 'content', 422, { reserves: [{ quantity: '1' }] }),
    reserves('reserves, a product not in the catalog', 'content', 404, { reserves: [] }, 1),
    reserves('reserves, product id not a number', 'bad', 400, { reserves: [] }, 'p1'),
    reserves('reserves, product id 0', 'bad', 400, { reserves: [] }, 0),

    // ---- methods the document does not list
    { name: 'DELETE an order', method: 'DELETE', path: () => `${C()}/orders/100001`, kind: 'content', status: 405 },
    { name: 'POST to the catalog', method: 'POST', path: () => C(), body: {}, kind: 'content', status: 405 },
    { name: 'GET the login', method: 'GET', path: '/auth/login', auth: false, kind: 'content', status: 405 },
    { name: 'PUT the product list', method: 'PUT', path: () => `${C()}/products`, body: {}, kind: 'content', status: 405 },
    // ---- paths the document does not have
    { name: 'a path not in the API', method: 'GET', path: () => `${C()}/warehouses`, kind: 'content', status: 404 },
    { name: 'a path not in the API, without a token', method: 'POST', path: '/auth/logout', auth: false, kind: 'content', status: 404 },
  ];

  /** Each authenticated operation without a token, for another catalog, rate limited and down. */
  const everywhere = (): Probe[] => {
    const out: Probe[] = [];
    const bodies: Record<string, unknown> = { updateOrder: { expectedVersion: 1 }, replaceIntegrationReserves: { reserves: [] } };
    const sample: Record<string, string> = { productId: '10101', buyerId: '3004', priceListId: '502', orderId: '100001' };
    for (const op of contract.operations) {
      if (op.id === 'login') continue;
      const path = (catalog: number) => op.template.replace('{catalogId}', String(catalog)).replace(/\{(\w+)\}/g, (_m, n: string) => sample[n] ?? '1') + (op.id === 'listReserves' ? '?productIds=10101' : '');
      const base = { method: op.method, body: bodies[op.id], kind: 'content' as const };
      out.push({ ...base, name: `${op.id} without a token`, path: () => path(sandbox.catalogId), auth: false, status: 401 });
      out.push({ ...base, name: `${op.id} with an unknown token`, path: () => path(sandbox.catalogId), headers: { Authorization: 'Bearer nope' }, status: 401 });
      out.push({ ...base, name: `${op.id} of another catalog`, path: () => path(1), status: 404 });
      out.push({ ...base, name: `${op.id} rate limited`, path: () => path(sandbox.catalogId), fault: { rateLimitNext: 1, retryAfterSeconds: 1 }, status: 429 });
      out.push({ ...base, name: `${op.id} while Goodwix is down`, path: () => path(sandbox.catalogId), fault: { failNext: 1, errorStatus: 502 }, status: 502 });
    }
    return out;
  };

  test('every probe is answered as the document says, and the document judges each request as the sandbox does', async () => {
    const problems: string[] = [];
    for (const probe of [...probes(), ...everywhere()]) {
      const o = await run(probe);
      if (o.status !== probe.status) problems.push(`${o.where}: answered ${o.status} ${o.code ?? ''}, expected ${probe.status}`);
      if (probe.code && o.code !== probe.code) problems.push(`${o.where}: error code ${o.code}, expected ${probe.code}`);
      const refused = o.docRefuses.length > 0;
      if (probe.kind === 'bad' && !refused) problems.push(`${o.where}: the document accepts it (the sandbox answered ${o.status} ${o.code ?? ''})`);
      if (probe.kind !== 'bad' && refused && o.opId !== null) problems.push(`${o.where}: the document refuses it: ${o.docRefuses.join('; ')}`);
      if (o.status === 400 && o.code === 'invalid_request' && !refused) problems.push(`${o.where}: the sandbox refuses its shape but the document accepts it`);
      if (refused && o.status >= 200 && o.status < 300) problems.push(`${o.where}: the document refuses it but the sandbox accepted it`);
    }
    const violations = contract.violations.map((v) => `${v.where}: ${v.errors.join('; ')}`);
    assert.deepEqual([...problems, ...violations], [], [...problems, ...violations].join('\n'));
  });

  test('every status the document lists for every operation was answered, 405 for an unlisted method and 404 for an unknown path', () => {
    const missing: string[] = [];
    for (const op of contract.operations) {
      for (const status of Object.keys(op.spec.responses)) if (!contract.seen.has(`${op.id} ${status}`)) missing.push(`${op.id} ${status}`);
      if (!outcomes.some((o) => o.opId === op.id && o.probe.kind === 'good')) missing.push(`${op.id}: no good input`);
      if (!outcomes.some((o) => o.opId === op.id && o.probe.kind === 'bad')) missing.push(`${op.id}: no bad input`);
    }
    if (!contract.seen.has('* 405')) missing.push('405 for an unlisted method');
    if (!contract.seen.has('? 404')) missing.push('404 for a path not in the API');
    assert.deepEqual(missing, [], missing.join('\n'));
  });

  test('the document says which operations need the bearer token: login none, every other one the token and 401', () => {
    const globalSecurity = contract.doc.security as unknown;
    for (const op of contract.operations) {
      const security = (op.spec.security ?? globalSecurity) as unknown[] | undefined;
      if (op.id === 'login') {
        assert.deepEqual(op.spec.security, [], 'login says security: [] in so many words');
      } else {
        assert.deepEqual(security, [{ bearer: [] }], `${op.id} needs the bearer token`);
        assert.ok(op.spec.responses['401'], `${op.id} lists 401`);
      }
    }
  });
});
