import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import {
  GoodwixAuthError,
  GoodwixError,
  GoodwixInvalidArgumentError,
  GoodwixNetworkError,
  GoodwixNotFoundError,
  GoodwixRateLimitedError,
  GoodwixResponseError,
  GoodwixTimeoutError,
  GoodwixUnavailableError,
  GoodwixValidationError,
  GoodwixVersionConflictError,
} from '#goodwix/errors';
import { withoutUrlCredentials } from '#goodwix/client';
import type { GoodwixOrder } from '#goodwix/model';
import { clientFor, manualClock, startGoodwixSandbox, type GoodwixSandbox } from '#test/goodwix-sandbox';

const LOGIN = '/api/v1/auth/login';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('Goodwix client: session', () => {
  let sandbox: GoodwixSandbox;
  const clock = manualClock();
  before(async () => {
    sandbox = await startGoodwixSandbox({ seed: 'demo', clock: clock.date, tokenTtlSeconds: 600 });
  });
  afterEach(() => {
    sandbox.faults.reset();
    sandbox.stats.reset();
  });
  after(async () => {
    await sandbox.close();
  });

  test('logs in on first use and keeps the token for later calls', async () => {
    // Prepare
    const { client } = clientFor(sandbox, { now: clock.now });
    // Act
    await client.catalog();
    await client.priceLists();
    await client.buyer(3001);
    // Assess
    assert.equal(sandbox.stats.count({ path: LOGIN }), 1);
  });

  test('logs in again once when the token is refused as expired, and the call succeeds', async () => {
    // Prepare
    const { client } = clientFor(sandbox, { now: clock.now });
    await client.catalog();
    sandbox.faults.expireTokens();
    // Act
    const catalog = await client.catalog();
    // Assess
    assert.equal(catalog.id, 2369);
    assert.equal(sandbox.stats.count({ path: LOGIN }), 2);
    assert.equal(sandbox.stats.requests.filter((r) => r.status === 401).length, 1);
  });

  test('renews the token before it expires instead of waiting for a 401', async () => {
    // Prepare
    const { client } = clientFor(sandbox, { now: clock.now });
    await client.catalog();
    clock.advance(599_000);
    // Act
    await client.catalog();
    // Assess
    assert.equal(sandbox.stats.count({ path: LOGIN }), 2);
    assert.equal(sandbox.stats.requests.filter((r) => r.status === 401).length, 0);
  });

  test('a wrong password is a permanent auth error that names neither the password nor a token', async () => {
    // Prepare
    const { client } = clientFor(sandbox, { password: 'not-the-password' });
    // Act
    const error = await client.catalog().then(() => undefined, (e: unknown) => e);
    // Assess
    assert.ok(error instanceof GoodwixAuthError);
    assert.equal(error.retryable, false);
    assert.equal(error.code, 'GOODWIX_AUTH_FAILED');
    assert.ok(!JSON.stringify({ m: error.message, c: error.context }).includes('not-the-password'));
    assert.equal(sandbox.stats.count({ path: LOGIN }), 1);
  });

  test('a token refused twice in a row is an auth error, not a loop', async () => {
    // Prepare: a gateway that refuses every token
    const refuse: typeof fetch = async (input, init) =>
      String(input).endsWith(LOGIN)
        ? fetch(input, init)
        : new Response(JSON.stringify({ error: { code: 'token_expired', message: 'The token has expired' } }), { status: 401 });
    const { client } = clientFor(sandbox, { now: clock.now, fetch: refuse });
    // Act
    const error = await client.catalog().then(() => undefined, (e: unknown) => e);
    // Assess
    assert.ok(error instanceof GoodwixAuthError, String(error));
    assert.equal(error.context.apiCode, 'token_expired');
    assert.equal(sandbox.stats.count({ path: LOGIN }), 2);
    assert.ok(!error.message.includes(sandbox.supplier.password));
  });
});

describe('Goodwix client: catalog', () => {
  let sandbox: GoodwixSandbox;
  before(async () => {
    sandbox = await startGoodwixSandbox({ seed: 'empty' });
  });
  after(async () => {
    await sandbox.close();
  });

  test('reads products with their ERP ids, page by page, and finds one by nomenclature and characteristic', async () => {
    // Prepare
    const { client } = clientFor(sandbox, { pageSize: 5 });
    // Act
    const products = await collect(client.products());
    const variant = await client.findProductByErp('6b2a1d3e-1c7b-11ef-9a30-0800270bc706', '7c3b2e4f-1c7b-11ef-9a30-0800270bc803');
    const plain = await client.findProductByErp('6b2a1d3e-1c7b-11ef-9a30-0800270bc701', null);
    const unknown = await client.findProductByErp('00000000-0000-0000-0000-000000000000', null);
    // Assess
    assert.equal(products.length, 12);
    assert.ok(sandbox.stats.count({ path: '/api/v1/catalogs/2369/products' }) >= 3);
    assert.equal(variant?.id, 10163);
    assert.equal(plain?.id, 10101);
    assert.equal(plain?.price, '5490.00');
    assert.equal(unknown, null);
  });

  test('reads buyers with their matched counterparty, and price lists with their auto-confirm flag', async () => {
    // Prepare
    const { client } = clientFor(sandbox);
    // Act
    const branch = await collect(client.buyers({ inn: '7712345678' }));
    const entrepreneur = await client.buyer(3004);
    const priceLists = await client.priceLists();
    // Assess
    assert.deepEqual(branch.map((b) => [b.id, b.kpp, b.counterpartyId]), [
      [3001, '771201001', '8d4c3f50-1c7b-11ef-9a30-0800270bca01'],
      [3002, '771245001', '8d4c3f50-1c7b-11ef-9a30-0800270bca02'],
    ]);
    assert.equal(entrepreneur.kpp, null);
    assert.deepEqual(priceLists.map((p) => [p.id, p.autoConfirm]), [[501, true], [502, false]]);
  });

  test('an unknown order is a permanent not-found error naming it', async () => {
    // Prepare
    const { client } = clientFor(sandbox);
    // Act
    const error = await client.order(4242).then(() => undefined, (e: unknown) => e);
    // Assess
    assert.ok(error instanceof GoodwixNotFoundError);
    assert.equal(error.retryable, false);
    assert.equal(error.context.orderId, 4242);
  });
});

describe('Goodwix client: orders', () => {
  let sandbox: GoodwixSandbox;
  before(async () => {
    sandbox = await startGoodwixSandbox({ seed: 'empty' });
  });
  after(async () => {
    await sandbox.close();
  });

  test('pages through a few thousand orders with bounded pages, seeing each exactly once while orders change', async () => {
    // Prepare
    const bulk = sandbox.actions.createOrders({ count: 3000 });
    const { client } = clientFor(sandbox, { pageSize: 200 });
    const feed = client.orders();
    const seen = new Map<number, number>();
    const changedBehind: number[] = [];
    const changedAhead = [bulk.lastId - 10, bulk.lastId - 1500];
    let index = 0;
    // Act
    for await (const order of feed) {
      seen.set(order.id, (seen.get(order.id) ?? 0) + 1);
      index += 1;
      if (index === 700) {
        for (const id of [bulk.firstId, bulk.firstId + 350, order.id]) {
          sandbox.actions.editLine(id, sandbox.actions.order(id).lines[0]!.id, { quantity: 9 });
          changedBehind.push(id);
        }
        for (const id of changedAhead) sandbox.actions.cancelOrder(id);
      }
    }
    const later = await collect(client.orders({ cursor: feed.cursor! }));
    // Assess
    assert.equal(seen.size, 3000);
    assert.deepEqual([...seen.values()].filter((n) => n !== 1), []);
    const listCalls = sandbox.stats.requests.filter((r) => r.path.endsWith('/orders'));
    assert.ok(listCalls.length >= 15);
    assert.ok(listCalls.every((r) => new URLSearchParams(r.query).get('limit') === '200'));
    assert.deepEqual(later.map((o) => o.id).sort(), [...changedBehind, ...changedAhead].sort());
    assert.ok(later.find((o) => o.id === changedAhead[0])?.status === 'cancelled');
  });

  test('pages expose the cursor to persist, and the feed cursor moves only past finished pages', async () => {
    // Prepare
    const { client } = clientFor(sandbox, { pageSize: 500 });
    const feed = client.orders({ statuses: ['confirmed'] });
    const cursors: string[] = [];
    let sizes = 0;
    // Act
    for await (const page of feed.pages()) {
      assert.ok(page.orders.length <= 500);
      sizes += page.orders.length;
      cursors.push(page.cursor);
      if (cursors.length === 1) assert.equal(feed.cursor, undefined);
    }
    // Assess
    assert.ok(sizes > 2900);
    assert.equal(feed.cursor, cursors.at(-1));
    assert.deepEqual(await collect(client.orders({ statuses: ['confirmed'], cursor: feed.cursor! })), []);
  });

  test('an order confirmed by hand appears in the feed only after the supplier confirms it', async () => {
    // Prepare
    const { client } = clientFor(sandbox);
    const start = client.orders();
    await collect(start);
    const placed = sandbox.actions.placeOrder({ buyerId: 3003, lines: [{ productId: 10102, quantity: 1 }] });
    // Act
    const whileNew = client.orders({ cursor: start.cursor! });
    const beforeConfirm = await collect(whileNew);
    sandbox.actions.confirmOrder(placed.id);
    const afterConfirm = await collect(client.orders({ cursor: whileNew.cursor! }));
    // Assess
    assert.deepEqual(beforeConfirm, []);
    assert.deepEqual(afterConfirm.map((o) => [o.id, o.status, o.version]), [[placed.id, 'confirmed', 2]]);
    assert.ok(afterConfirm[0]!.confirmedAt);
  });

  test('an order from an auto-confirming price list is in the feed at once, with the buyer\'s counterparty and the ERP ids', async () => {
    // Prepare
    const { client } = clientFor(sandbox);
    const start = client.orders();
    await collect(start);
    // Act
    const placed = sandbox.actions.placeOrder({ buyerId: 3002, lines: [{ productId: 10162, quantity: 2 }] });
    const [order] = await collect(client.orders({ cursor: start.cursor! }));
    // Assess
    assert.equal(order?.id, placed.id);
    assert.equal(order?.status, 'confirmed');
    assert.equal(order?.buyer.counterpartyId, '8d4c3f50-1c7b-11ef-9a30-0800270bca02');
    assert.equal(order?.buyer.kpp, '771245001');
    assert.deepEqual([order?.lines[0]?.nomenclatureId, order?.lines[0]?.characteristicId, order?.lines[0]?.quantity, order?.lines[0]?.price], [
      '6b2a1d3e-1c7b-11ef-9a30-0800270bc706',
      '7c3b2e4f-1c7b-11ef-9a30-0800270bc802',
      '2.000',
      '2750.00',
    ]);
  });

  test('updates an order with the ERP\'s changes and reads back what the buyer sees', async () => {
    // Prepare
    const { client } = clientFor(sandbox);
    const placed = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10101, quantity: 3 }, { productId: 10108, quantity: 10 }] });
    const order = await client.order(placed.id);
    // Act
    const updated = await client.updateOrder(order.id, {
      expectedVersion: order.version,
      status: 'in_progress',
      erp: { orderId: 'a1b2c3d4-1c7b-11ef-9a30-0800270bd200', number: 'ТД00-000200', date: '2025-03-02T11:00:00' },
      changeLines: [{ id: order.lines[0]!.id, cancelledQuantity: '1.000', cancelReason: 'Нет в наличии', erpLineId: '1' }],
      addLines: [{ productId: 10107, quantity: '1.000', price: '1290.00', erpLineId: '3' }],
      removeLineIds: [order.lines[1]!.id],
    });
    // Assess
    assert.equal(updated.version, order.version + 1);
    assert.equal(updated.status, 'in_progress');
    assert.equal(updated.erp.number, 'ТД00-000200');
    assert.deepEqual(updated.lines.map((l) => [l.productId, l.cancelledQuantity, l.erpLineId, l.vatRate]), [
      [10101, '1.000', '1', '20.00'],
      [10107, '0.000', '3', '10.00'],
    ]);
    assert.equal(sandbox.actions.buyerView(order.id).lines[0]!.cancelled, '1.000');
  });

  test('a stale version is reported as a version conflict carrying the current version', async () => {
    // Prepare
    const { client } = clientFor(sandbox);
    const placed = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10101, quantity: 1 }] });
    sandbox.actions.cancelLine(placed.id, placed.lines[0]!.id, { quantity: 1 });
    // Act
    const error = await client.updateOrder(placed.id, { expectedVersion: 1, status: 'shipped' }).then(() => undefined, (e: unknown) => e);
    // Assess
    assert.ok(error instanceof GoodwixVersionConflictError);
    assert.ok(error instanceof GoodwixError);
    assert.equal(error.currentVersion, 2);
    assert.equal(error.expectedVersion, 1);
    assert.equal(error.code, 'GOODWIX_VERSION_CONFLICT');
    assert.equal(error.retryable, true);
  });

  test('a change Goodwix refuses is a permanent validation error naming the field', async () => {
    // Prepare
    const { client } = clientFor(sandbox);
    const placed = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10101, quantity: 1 }] });
    // Act
    const error = await client
      .updateOrder(placed.id, { expectedVersion: 1, addLines: [{ productId: 77777, quantity: '1.000', price: '1.00' }] })
      .then(() => undefined, (e: unknown) => e);
    // Assess
    assert.ok(error instanceof GoodwixValidationError);
    assert.equal(error.retryable, false);
    assert.equal(error.context.field, 'lines.add[0].productId');
    assert.equal(error.context.apiCode, 'unknown_product');
  });
});

describe('Goodwix client: reserves', () => {
  let sandbox: GoodwixSandbox;
  before(async () => {
    sandbox = await startGoodwixSandbox({ seed: 'empty' });
  });
  after(async () => {
    await sandbox.close();
  });

  test('replaces a product\'s integration reserves, keeps the manual ones, and reads them back by source', async () => {
    // Prepare
    const { client } = clientFor(sandbox);
    const order = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10103, quantity: 10 }] });
    sandbox.actions.addManualReserve({ productId: 10103, quantity: 2 });
    await client.replaceIntegrationReserves(10103, [{ quantity: '10.000', orderId: order.id }, { quantity: '3.000', erp: { orderId: 'e1', number: 'ТД00-000300' } }]);
    // Act
    const after = await client.replaceIntegrationReserves(10103, [{ quantity: '9.000', orderId: order.id }]);
    const [read, empty] = await client.reserves([10103, 10104]);
    // Assess
    assert.deepEqual(after.reserves.map((r) => [r.source, r.quantity, r.orderId]), [
      ['manual', '2.000', null],
      ['integration', '9.000', order.id],
    ]);
    assert.equal(read?.totalQuantity, '11.000');
    assert.equal(read?.reserves[1]?.orderNumber, order.number);
    assert.deepEqual(empty, { productId: 10104, totalQuantity: '0.000', reserves: [] });
  });

  test('asks for reserves of many products a hundred at a time', async () => {
    // Prepare
    const { client } = clientFor(sandbox);
    const ids = Array.from({ length: 250 }, (_, i) => [10101, 10102, 10103][i % 3] as number);
    sandbox.stats.reset();
    // Act
    const answers = await client.reserves(ids);
    // Assess
    assert.equal(answers.length, 250);
    assert.equal(sandbox.stats.count({ path: '/api/v1/catalogs/2369/reserves' }), 3);
  });
});

describe('Goodwix client: faults', () => {
  let sandbox: GoodwixSandbox;
  before(async () => {
    sandbox = await startGoodwixSandbox({ seed: 'demo' });
  });
  afterEach(() => {
    sandbox.faults.reset();
    sandbox.stats.reset();
  });
  after(async () => {
    await sandbox.close();
  });

  test('slow answers within the timeout are simply waited for', async () => {
    // Prepare
    const { client, sleeps } = clientFor(sandbox, { timeoutMs: 1_000 });
    sandbox.faults.set({ latencyMs: 40, latencyJitterMs: 20 });
    // Act
    const order = await client.order(100001);
    // Assess
    assert.equal(order.id, 100001);
    assert.deepEqual(sleeps, []);
  });

  test('5xx answers are retried with growing, jittered back-off until one succeeds', async () => {
    // Prepare
    const { client, sleeps } = clientFor(sandbox, { backoff: { baseMs: 100, maxMs: 1_000 } });
    await client.login();
    sandbox.faults.set({ failNext: 3, errorStatus: 503 });
    // Act
    const catalog = await client.catalog();
    // Assess
    assert.equal(catalog.id, 2369);
    assert.deepEqual(sleeps, [50, 100, 200]); // random() = 0.5 of 100, 200, 400
  });

  test('5xx answers past the attempts are a retryable unavailable error', async () => {
    // Prepare
    const { client, sleeps } = clientFor(sandbox, { maxAttempts: 3 });
    await client.login();
    sandbox.faults.set({ errorRate: 1, errorStatus: 500 });
    // Act
    const error = await client.catalog().then(() => undefined, (e: unknown) => e);
    // Assess
    assert.ok(error instanceof GoodwixUnavailableError);
    assert.equal(error.retryable, true);
    assert.equal(error.context.status, 500);
    assert.equal(sleeps.length, 2);
  });

  test('a 429 is waited out for as long as Retry-After says', async () => {
    // Prepare
    const { client, sleeps } = clientFor(sandbox);
    await client.login();
    sandbox.faults.set({ rateLimitNext: 2, retryAfterSeconds: 7 });
    // Act
    const products = await collect(client.products({ ids: [10101] }));
    // Assess
    assert.equal(products.length, 1);
    assert.deepEqual(sleeps, [7_000, 7_000]);
  });

  test('a 429 asking for a longer wait than allowed is a retryable rate-limit error at once', async () => {
    // Prepare
    const { client, sleeps } = clientFor(sandbox, { maxRetryAfterMs: 5_000 });
    await client.login();
    sandbox.faults.set({ rateLimitNext: 1, retryAfterSeconds: 60 });
    // Act
    const error = await client.catalog().then(() => undefined, (e: unknown) => e);
    // Assess
    assert.ok(error instanceof GoodwixRateLimitedError);
    assert.equal(error.retryAfterMs, 60_000);
    assert.equal(error.retryable, true);
    assert.deepEqual(sleeps, []);
  });

  test('a request that never answers times out and is retried', async () => {
    // Prepare
    const { client, sleeps } = clientFor(sandbox, { timeoutMs: 400 });
    await client.login();
    sandbox.faults.set({ hangNext: 1 });
    // Act
    const order = await client.order(100001);
    // Assess
    assert.equal(order.id, 100001);
    assert.equal(sleeps.length, 1);
    assert.equal(sandbox.stats.requests.filter((r) => r.fault === 'hang').length, 1);
  });

  test('requests that keep hanging end in a retryable timeout error', async () => {
    // Prepare
    const { client } = clientFor(sandbox, { timeoutMs: 50, maxAttempts: 2 });
    await client.login();
    sandbox.faults.set({ hangRate: 1 });
    // Act
    const error = await client.catalog().then(() => undefined, (e: unknown) => e);
    // Assess
    assert.ok(error instanceof GoodwixTimeoutError);
    assert.equal(error.retryable, true);
    assert.equal(error.code, 'GOODWIX_TIMEOUT');
  });

  test('an update whose answer was lost is repeated safely: applied once, answered as the first time', async () => {
    // Prepare
    const { client, sleeps } = clientFor(sandbox);
    const placed = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10101, quantity: 1 }] });
    await client.login();
    sandbox.faults.set({ loseNextResponses: 1, match: { method: 'PATCH' } });
    // Act
    const updated: GoodwixOrder = await client.updateOrder(placed.id, { expectedVersion: 1, status: 'in_progress' });
    // Assess
    assert.equal(updated.version, 2);
    assert.equal(sandbox.actions.order(placed.id).version, 2);
    assert.equal(sleeps.length, 1);
    assert.equal(sandbox.stats.count({ method: 'PATCH' }), 2);
  });

  test('reserves are replaced despite a failure on the way (PUT is repeated)', async () => {
    // Prepare
    const { client } = clientFor(sandbox);
    await client.login();
    sandbox.faults.set({ failNext: 1, match: { method: 'PUT' } });
    // Act
    const result = await client.replaceIntegrationReserves(10102, [{ quantity: '1.000', erp: { number: 'ТД00-000400' } }]);
    // Assess
    assert.equal(result.totalQuantity, '1.000');
    assert.equal(sandbox.stats.count({ method: 'PUT' }), 2);
  });

  test('a refused connection is a retryable network error after the retries', async () => {
    // Prepare
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const { client, sleeps } = clientFor(sandbox, { baseUrl: `http://127.0.0.1:${port}`, maxAttempts: 2 });
    // Act
    const error = await client.catalog().then(() => undefined, (e: unknown) => e);
    // Assess
    assert.ok(error instanceof GoodwixNetworkError, String(error));
    assert.equal(error.retryable, true);
    assert.equal(sleeps.length, 1);
  });

  test('a base URL carrying credentials is refused when the client is made, for good, naming the field but not the credentials', () => {
    // Prepare: fetch would refuse such a URL at every call, quoting it whole, and retrying cannot help.
    const baseUrl = sandbox.baseUrl.replace('://', '://gw-user-7d3b:Pa55-w0rd-in-url@');
    // Act
    const error = (() => {
      try {
        clientFor(sandbox, { baseUrl, maxAttempts: 2 });
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    // Assess
    assert.ok(error instanceof GoodwixInvalidArgumentError, String(error));
    assert.deepEqual([error.retryable, error.context['argument']], [false, 'baseUrl']);
    const said = [error.message, error.stack, JSON.stringify(error.toJSON())].join('\n');
    for (const secret of ['gw-user-7d3b', 'Pa55-w0rd-in-url']) assert.ok(!said.includes(secret), `${secret} was repeated: ${said}`);
  });

  test('a base URL that is no http(s) URL is refused when the client is made', () => {
    for (const baseUrl of ['not a url', 'ftp://goodwix.example/']) {
      assert.throws(() => clientFor(sandbox, { baseUrl }), (e: unknown) => e instanceof GoodwixInvalidArgumentError && e.context['argument'] === 'baseUrl', baseUrl);
    }
  });

  test('an answer that breaks the contract is a permanent bad-response error', async () => {
    // Prepare
    const { client } = clientFor(sandbox, {
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        if (!url.includes('/orders/')) return res;
        const body = (await res.json()) as Record<string, unknown>;
        return new Response(JSON.stringify({ ...body, version: 'two' }), { status: 200 });
      },
    });
    // Act
    const error = await client.order(100001).then(() => undefined, (e: unknown) => e);
    // Assess
    assert.ok(error instanceof GoodwixResponseError);
    assert.equal(error.retryable, false);
    assert.match(error.message, /version/);
  });

  test('retries and failures never log the password or the token', async () => {
    // Prepare
    const lines: string[] = [];
    const record = (m: string, e?: object) => void lines.push(m + JSON.stringify(e));
    const logger = { debug: record, info: record, warn: record, error: record };
    const { client } = clientFor(sandbox, { logger, maxAttempts: 2 });
    let token = '';
    const spy: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (String(input).endsWith(LOGIN)) {
        const body = (await res.clone().json()) as { accessToken?: string };
        token = body.accessToken ?? token;
      }
      return res;
    };
    const spied = clientFor(sandbox, { logger, maxAttempts: 2, fetch: spy }).client;
    sandbox.faults.set({ failNext: 1 });
    await client.catalog().catch(() => undefined);
    sandbox.faults.expireTokens();
    sandbox.faults.set({ errorRate: 1 });
    // Act
    const error = await spied.catalog().then(() => undefined, (e: unknown) => e);
    sandbox.faults.reset();
    await spied.catalog();
    sandbox.faults.expireTokens();
    await spied.catalog();
    // Assess
    assert.ok(error instanceof GoodwixError);
    assert.ok(token.length > 10);
    const text = lines.join('\n') + JSON.stringify((error as GoodwixError).toJSON());
    assert.ok(lines.length > 0);
    assert.ok(!text.includes(sandbox.supplier.password));
    assert.ok(!text.includes(token));
  });
});

describe('Goodwix client: URL credentials never leave in a message', () => {
  test('takes the user name and password out of every URL in a text and leaves the rest as written', () => {
    // Prepare
    const text = 'Request cannot be constructed from a URL that includes credentials: https://user:p@ss@pub.goodwix.com:8443/api/v1/auth/login?x=1; '
      + 'then http://token-only@127.0.0.1/api; supplier@alfa-td.example asked https://pub.goodwix.com/api/v1/orders?email=a@b.example';
    // Act
    const said = withoutUrlCredentials(text);
    // Assess
    assert.equal(
      said,
      'Request cannot be constructed from a URL that includes credentials: https://***@pub.goodwix.com:8443/api/v1/auth/login?x=1; '
        + 'then http://***@127.0.0.1/api; supplier@alfa-td.example asked https://pub.goodwix.com/api/v1/orders?email=a@b.example',
    );
  });
});
