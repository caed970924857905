import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { manualClock, RawApi, startGoodwixSandbox, type GoodwixSandbox } from '#test/goodwix-sandbox';

/** Ids of the orders the exchange's feed lists now (all pages). */
async function feedIds(raw: RawApi, query = ''): Promise<number[]> {
  const ids: number[] = [];
  let cursor: string | undefined;
  for (;;) {
    const answer = await raw.api('GET', `${raw.catalog}/orders?limit=500${query}${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    ids.push(...answer.body.items.map((o: { id: number }) => o.id));
    if (!answer.body.hasMore) return ids;
    cursor = answer.body.nextCursor;
  }
}

describe('Goodwix sandbox: orders', () => {
  let sandbox: GoodwixSandbox;
  let raw: RawApi;
  before(async () => {
    sandbox = await startGoodwixSandbox({ seed: 'empty' });
    raw = new RawApi(sandbox);
  });
  after(async () => {
    await sandbox.close();
  });

  test('an order from a price list without auto-confirm waits for the supplier, then is listed once confirmed by hand', async () => {
    // Prepare
    const placed = (await raw.act('POST', '/orders', { buyerId: 3003, lines: [{ productId: 10102, quantity: 2 }] })).body;
    const before = await feedIds(raw);
    // Act
    const confirmed = (await raw.act('POST', `/orders/${placed.id}/confirm`)).body;
    const afterConfirm = await feedIds(raw);
    // Assess
    assert.equal(placed.status, 'new');
    assert.equal(placed.confirmedAt, null);
    assert.ok(!before.includes(placed.id), 'a new order is not for the exchange');
    assert.equal(confirmed.status, 'confirmed');
    assert.equal(confirmed.version, 2);
    assert.ok(confirmed.confirmedAt);
    assert.ok(afterConfirm.includes(placed.id));
  });

  test('an order from an auto-confirming price list is confirmed at once and listed', async () => {
    // Act
    const placed = (await raw.act('POST', '/orders', { buyerId: 3001, lines: [{ productId: 10101, quantity: 1 }] })).body;
    // Assess
    assert.equal(placed.status, 'confirmed');
    assert.equal(placed.confirmedAt, placed.createdAt);
    assert.ok((await feedIds(raw)).includes(placed.id));
  });

  test('an order the supplier rejects before confirming never reaches the exchange', async () => {
    // Prepare
    const placed = sandbox.actions.placeOrder({ buyerId: 3004, lines: [{ productId: 10105, quantity: 10 }] });
    // Act
    const rejected = (await raw.act('POST', `/orders/${placed.id}/reject`, { reason: 'Нет договора' })).body;
    // Assess
    assert.equal(rejected.status, 'rejected');
    assert.equal(rejected.statusReason, 'Нет договора');
    assert.ok(!(await feedIds(raw)).includes(placed.id));
  });

  test('a confirmed order the buyer cancels is listed as cancelled with a higher version', async () => {
    // Prepare
    const placed = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10103, quantity: 5 }] });
    // Act
    const cancelled = (await raw.act('POST', `/orders/${placed.id}/cancel`, { reason: 'Передумали' })).body;
    // Assess
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.version, placed.version + 1);
    assert.ok((await feedIds(raw, '&status=cancelled')).includes(placed.id));
    assert.ok(!(await feedIds(raw, '&status=confirmed')).includes(placed.id));
  });

  test('a line the buyer cancels shows in the "Отменено" column and lowers the total', async () => {
    // Prepare
    const placed = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10101, quantity: 4 }, { productId: 10104, quantity: 2 }] });
    // Act
    const answer = await raw.act('POST', `/orders/${placed.id}/lines/${placed.lines[0]!.id}/cancel`, { quantity: 1 });
    const view = (await raw.act('GET', `/orders/${placed.id}`)).body;
    // Assess
    assert.equal(answer.status, 200);
    assert.equal(view.buyerView.lines[0].cancelled, '1.000');
    assert.equal(view.buyerView.lines[0].cancelReason, 'Отменено покупателем');
    assert.equal(view.order.totals.amount, '16849.80'); // 3 × 5490.00 + 2 × 189.90
    assert.equal(view.order.version, 2);
  });

  test('a supplier edit of a line in Goodwix bumps the version and recomputes the line', async () => {
    // Prepare
    const placed = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10102, quantity: 2 }] });
    // Act
    const edited = (await raw.act('PATCH', `/orders/${placed.id}/lines/${placed.lines[0]!.id}`, { price: '8500', discountPercent: 10 })).body;
    // Assess
    assert.equal(edited.version, 2);
    assert.deepEqual(
      { price: edited.lines[0].price, discountAmount: edited.lines[0].discountAmount, amount: edited.lines[0].amount, vatAmount: edited.lines[0].vatAmount },
      { price: '8500.00', discountAmount: '1700.00', amount: '15300.00', vatAmount: '2550.00' },
    );
  });

  test('ERP updates change what the buyer and the supplier see, and bump the version once', async () => {
    // Prepare
    const placed = sandbox.actions.placeOrder({ buyerId: 3002, lines: [{ productId: 10101, quantity: 3 }, { productId: 10108, quantity: 10 }] });
    // Act
    const updated = await raw.api('PATCH', `${raw.catalog}/orders/${placed.id}`, {
      expectedVersion: 1,
      status: 'partially_shipped',
      erp: { orderId: 'a1b2c3d4-1c7b-11ef-9a30-0800270bd100', number: 'ТД00-000100', date: '2025-03-02T10:15:00' },
      lines: {
        update: [
          { id: placed.lines[0]!.id, cancelledQuantity: '3', cancelReason: 'Нет в наличии' },
          { id: placed.lines[1]!.id, shippedQuantity: '4', price: '140.00', discountPercent: '5' },
        ],
        add: [{ productId: 10162, quantity: '1', price: '2750' }],
      },
    });
    const view = (await raw.act('GET', `/orders/${placed.id}`)).body;
    // Assess
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.body.version, 2);
    assert.equal(updated.body.erp.number, 'ТД00-000100');
    assert.equal(view.buyerView.statusLabel, 'Отгружен частично');
    assert.deepEqual(view.buyerView.lines.map((l: { cancelled: string }) => l.cancelled), ['3.000', '0.000', '0.000']);
    assert.equal(view.order.lines[0].amount, '0.00');
    assert.equal(view.order.lines[1].amount, '1330.00'); // 10 × 140 − 5 %
    assert.equal(view.order.lines[2].product.erp.characteristicId, '7c3b2e4f-1c7b-11ef-9a30-0800270bc802');
    assert.equal(view.supplierView.statusLabel, 'Отгружен частично');
  });

  test('an ERP update that changes nothing keeps the version', async () => {
    // Prepare
    const placed = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10101, quantity: 1 }] });
    // Act
    const same = await raw.api('PATCH', `${raw.catalog}/orders/${placed.id}`, { expectedVersion: 1, status: 'confirmed', lines: { update: [{ id: placed.lines[0]!.id, price: '5490' }] } });
    // Assess
    assert.equal(same.status, 200);
    assert.equal(same.body.version, 1);
  });

  test('a stale version is refused with 409 and the current version, and nothing changes', async () => {
    // Prepare
    const placed = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10101, quantity: 1 }] });
    sandbox.actions.editLine(placed.id, placed.lines[0]!.id, { quantity: 2 });
    // Act
    const stale = await raw.api('PATCH', `${raw.catalog}/orders/${placed.id}`, { expectedVersion: 1, status: 'shipped' });
    // Assess
    assert.equal(stale.status, 409);
    assert.deepEqual(stale.body.error.details, { currentVersion: 2, expectedVersion: 1 });
    assert.equal(sandbox.actions.order(placed.id).status, 'confirmed');
  });

  test('invalid ERP changes are refused naming the field, all or nothing', async () => {
    // Prepare
    const placed = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10101, quantity: 2 }] });
    const lineId = placed.lines[0]!.id;
    const patch = (body: object) => raw.api('PATCH', `${raw.catalog}/orders/${placed.id}`, { expectedVersion: 1, ...body });
    // Act
    const answers = [
      await patch({ status: 'in_progress', lines: { update: [{ id: lineId, cancelledQuantity: '3' }] } }),
      await patch({ lines: { update: [{ id: lineId, shippedQuantity: '2', cancelledQuantity: '1' }] } }),
      await patch({ lines: { add: [{ productId: 99999, quantity: '1', price: '1' }] } }),
      await patch({ lines: { remove: [lineId] } }),
      await patch({ status: 'new' }),
      await patch({ lines: { update: [{ id: lineId, discountPercent: '101' }] } }),
      await patch({ erp: { date: '01.03.2025' } }),
      await patch({ surprise: true }),
    ];
    // Assess
    assert.deepEqual(
      answers.map((a) => [a.status, a.body.error.details?.field]),
      [
        [422, 'lines.update[0].cancelledQuantity'],
        [422, 'lines.update[0].shippedQuantity'],
        [422, 'lines.add[0].productId'],
        [422, 'lines'],
        [422, 'status'],
        [422, 'lines.update[0].discountPercent'],
        [400, 'erp.date'],
        [400, '(body)'],
      ],
    );
    assert.equal(sandbox.actions.order(placed.id).version, 1);
    assert.equal(sandbox.actions.order(placed.id).status, 'confirmed');
  });

  test('the ERP sets any status but new, backwards and out of closed too', async () => {
    // Prepare
    const a = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10101, quantity: 1 }] });
    const b = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10101, quantity: 1 }] });
    sandbox.actions.cancelOrder(b.id);
    // Act
    const shipped = await raw.api('PATCH', `${raw.catalog}/orders/${a.id}`, { expectedVersion: 1, status: 'shipped' });
    const back = await raw.api('PATCH', `${raw.catalog}/orders/${a.id}`, { expectedVersion: 2, status: 'in_progress' });
    const closed = await raw.api('PATCH', `${raw.catalog}/orders/${a.id}`, { expectedVersion: 3, status: 'closed' });
    const reopened = await raw.api('PATCH', `${raw.catalog}/orders/${a.id}`, { expectedVersion: 4, status: 'confirmed' });
    const toNew = await raw.api('PATCH', `${raw.catalog}/orders/${a.id}`, { expectedVersion: 5, status: 'new' });
    const override = await raw.api('PATCH', `${raw.catalog}/orders/${b.id}`, { expectedVersion: 2, status: 'shipped' });
    // Assess
    assert.deepEqual([shipped.status, back.status, closed.status, reopened.status, toNew.status, override.status], [200, 200, 200, 200, 422, 200]);
    assert.equal(toNew.body.error.code, 'invalid_status_transition');
    assert.equal(sandbox.actions.order(a.id).status, 'confirmed');
  });

  test('a repeated update with the same Idempotency-Key replays the first answer', async () => {
    // Prepare
    const placed = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10101, quantity: 1 }] });
    const body = { expectedVersion: 1, status: 'in_progress' };
    // Act
    const first = await raw.api('PATCH', `${raw.catalog}/orders/${placed.id}`, body, { 'Idempotency-Key': 'k-1' });
    const again = await raw.api('PATCH', `${raw.catalog}/orders/${placed.id}`, body, { 'Idempotency-Key': 'k-1' });
    const other = await raw.api('PATCH', `${raw.catalog}/orders/${placed.id}`, { ...body, status: 'shipped' }, { 'Idempotency-Key': 'k-1' });
    // Assess
    assert.equal(first.status, 200);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(other.status, 422);
    assert.equal(other.body.error.code, 'idempotency_key_reused');
    assert.equal(sandbox.actions.order(placed.id).version, 2);
  });
});

describe('Goodwix sandbox: the change feed', () => {
  let sandbox: GoodwixSandbox;
  let raw: RawApi;
  const clock = manualClock();
  before(async () => {
    sandbox = await startGoodwixSandbox({ seed: 'empty', clock: clock.date });
    raw = new RawApi(sandbox);
  });
  after(async () => {
    await sandbox.close();
  });

  test('changedSince lists only orders changed at or after the instant', async () => {
    // Prepare
    const old = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10101, quantity: 1 }] });
    clock.advance(60_000);
    const since = clock.date().toISOString();
    const recent = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10101, quantity: 1 }] });
    // Act
    const ids = await feedIds(raw, `&changedSince=${encodeURIComponent(since)}`);
    // Assess
    assert.deepEqual(ids, [recent.id]);
    assert.ok(!ids.includes(old.id));
  });

  test('the cursor at the end of a pass yields only orders changed since, each once, by change order', async () => {
    // Prepare
    const a = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10101, quantity: 1 }] });
    const b = sandbox.actions.placeOrder({ buyerId: 3002, lines: [{ productId: 10101, quantity: 1 }] });
    let cursor: string | undefined;
    for (;;) {
      const page = await raw.api('GET', `${raw.catalog}/orders?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      cursor = page.body.nextCursor;
      if (!page.body.hasMore) break;
    }
    // Act
    sandbox.actions.editLine(b.id, b.lines[0]!.id, { quantity: 2 });
    sandbox.actions.editLine(a.id, a.lines[0]!.id, { quantity: 3 });
    sandbox.actions.editLine(b.id, b.lines[0]!.id, { quantity: 4 });
    const next = await raw.api('GET', `${raw.catalog}/orders?cursor=${cursor}`);
    const nothing = await raw.api('GET', `${raw.catalog}/orders?cursor=${next.body.nextCursor}`);
    // Assess
    assert.deepEqual(next.body.items.map((o: { id: number; version: number }) => [o.id, o.version]), [[a.id, 2], [b.id, 3]]);
    assert.equal(next.body.hasMore, false);
    assert.deepEqual(nothing.body.items, []);
  });

  test('a cursor is refused with other status filters', async () => {
    // Prepare
    const first = await raw.api('GET', `${raw.catalog}/orders?status=confirmed&limit=1`);
    // Act
    const other = await raw.api('GET', `${raw.catalog}/orders?status=shipped&cursor=${first.body.nextCursor}`);
    const same = await raw.api('GET', `${raw.catalog}/orders?status=confirmed&cursor=${first.body.nextCursor}`);
    // Assess
    assert.equal(other.status, 400);
    assert.equal(other.body.error.code, 'invalid_cursor');
    assert.equal(same.status, 200);
  });

  test('a few thousand orders page through with bounded pages, each listed once although some change meanwhile', async () => {
    // Prepare
    const bulk = sandbox.actions.createOrders({ count: 3000 });
    const total = (await feedIds(raw)).length;
    const seen = new Map<number, number>();
    let cursor: string | undefined;
    let pages = 0;
    // Act
    for (;;) {
      const page = await raw.api('GET', `${raw.catalog}/orders?limit=250${cursor ? `&cursor=${cursor}` : ''}`);
      pages += 1;
      assert.ok(page.body.items.length <= 250);
      for (const o of page.body.items) seen.set(o.id, (seen.get(o.id) ?? 0) + 1);
      if (pages === 3) {
        for (const o of page.body.items.slice(0, 5)) sandbox.actions.cancelOrder(o.id); // already seen
        for (const id of [bulk.lastId - 100, bulk.lastId - 7]) sandbox.actions.cancelOrder(id); // not seen yet
      }
      if (!page.body.hasMore) break;
      cursor = page.body.nextCursor;
    }
    // Assess
    assert.equal(seen.size, total);
    assert.deepEqual([...seen.values()].filter((n) => n !== 1), []);
    assert.ok(pages >= 12);
  });
});

describe('Goodwix sandbox: reserves', () => {
  let sandbox: GoodwixSandbox;
  let raw: RawApi;
  before(async () => {
    sandbox = await startGoodwixSandbox({ seed: 'empty' });
    raw = new RawApi(sandbox);
  });
  after(async () => {
    await sandbox.close();
  });

  test('integration reserves of a product replace the previous integration ones and keep the manual ones', async () => {
    // Prepare
    const order = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10103, quantity: 10 }] });
    const manual = (await raw.act('POST', '/reserves', { productId: 10103, quantity: 4 })).body;
    await raw.api('PUT', `${raw.catalog}/reserves/10103`, { reserves: [{ quantity: '10', orderId: order.id }, { quantity: '7', erp: { number: 'ТД00-000050' } }] });
    // Act
    const replaced = await raw.api('PUT', `${raw.catalog}/reserves/10103`, { reserves: [{ quantity: '8', orderId: order.id }] });
    const read = await raw.api('GET', `${raw.catalog}/reserves?productIds=10103`);
    // Assess
    assert.equal(replaced.status, 200);
    assert.deepEqual(
      read.body.items[0].reserves.map((r: { id: string; source: string; quantity: string; order: { id: number } | null }) => [r.source, r.quantity, r.order?.id ?? null]),
      [
        ['manual', '4.000', null],
        ['integration', '8.000', order.id],
      ],
    );
    assert.equal(read.body.items[0].reserves[0].id, manual.id);
    assert.equal(read.body.items[0].totalQuantity, '12.000');
  });

  test('the supplier sees the reserve of an order shrink when the ERP cancels part of it', async () => {
    // Prepare
    const order = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10104, quantity: 6 }] });
    await raw.api('PUT', `${raw.catalog}/reserves/10104`, { reserves: [{ quantity: '6', orderId: order.id }] });
    // Act
    await raw.api('PATCH', `${raw.catalog}/orders/${order.id}`, { expectedVersion: 1, lines: { update: [{ id: order.lines[0]!.id, cancelledQuantity: '2', cancelReason: 'Нет в наличии' }] } });
    await raw.api('PUT', `${raw.catalog}/reserves/10104`, { reserves: [{ quantity: '4', orderId: order.id }] });
    const view = sandbox.actions.supplierView(order.id);
    // Assess
    assert.equal(view.lines[0]!.cancelled, '2.000');
    assert.equal(view.lines[0]!.reservedForOrder, '4.000');
    assert.equal(view.lines[0]!.reserves[0]!.source, 'integration');
  });

  test('an empty list removes the integration reserves; a manual one can be removed by hand', async () => {
    // Prepare
    const manual = sandbox.actions.addManualReserve({ productId: 10105, quantity: 3 });
    await raw.api('PUT', `${raw.catalog}/reserves/10105`, { reserves: [{ quantity: '1', erp: { orderId: 'x-1' } }] });
    // Act
    const cleared = await raw.api('PUT', `${raw.catalog}/reserves/10105`, { reserves: [] });
    const removed = await raw.act('DELETE', `/reserves/${manual.id}`);
    // Assess
    assert.deepEqual(cleared.body.reserves.map((r: { source: string }) => r.source), ['manual']);
    assert.equal(removed.status, 204);
    assert.equal(sandbox.actions.reserves(10105).totalQuantity, '0.000');
  });

  test('a reserve that names no order is refused naming the entry', async () => {
    // Act
    const answer = await raw.api('PUT', `${raw.catalog}/reserves/10105`, { reserves: [{ quantity: '1' }] });
    // Assess
    assert.equal(answer.status, 422);
    assert.equal(answer.body.error.details.field, 'reserves[0]');
  });
});

describe('Goodwix sandbox: faults', () => {
  let sandbox: GoodwixSandbox;
  let raw: RawApi;
  const clock = manualClock();
  before(async () => {
    sandbox = await startGoodwixSandbox({ seed: 'demo', clock: clock.date, tokenTtlSeconds: 600 });
    raw = new RawApi(sandbox);
    await raw.login();
  });
  afterEach(() => {
    sandbox.faults.reset();
  });
  after(async () => {
    await sandbox.close();
  });

  test('latency delays answers by the configured time', async () => {
    // Prepare
    sandbox.faults.set({ latencyMs: 60 });
    const started = performance.now();
    // Act
    const answer = await raw.api('GET', raw.catalog);
    // Assess
    assert.equal(answer.status, 200);
    assert.ok(performance.now() - started >= 55);
  });

  test('the faults are set, read and reset over HTTP at /_sandbox/faults, which is never faulted', async () => {
    // Prepare
    const patched = await raw.request('PATCH', '/_sandbox/faults', { failNext: 1, errorStatus: 504, match: { method: 'GET', pathIncludes: '/catalogs/' } });
    // Act
    const faulted = await raw.api('GET', raw.catalog);
    const read = await raw.request('PATCH', '/_sandbox/faults', { failNext: 3 });
    const control = await raw.request('GET', '/_sandbox/faults');
    const reset = await raw.request('DELETE', '/_sandbox/faults');
    const served = await raw.api('GET', raw.catalog);
    const refused = await raw.request('PATCH', '/_sandbox/faults', { errorRate: 3 });
    // Assess
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.body.match, { method: 'GET', pathIncludes: '/catalogs/' });
    assert.equal(faulted.status, 504);
    assert.equal(read.body.failNext, 3);
    assert.equal(control.status, 200);
    assert.equal(control.body.failNext, 3);
    assert.equal(reset.body.failNext, 0);
    assert.equal(reset.body.match, null);
    assert.equal(served.status, 200);
    assert.equal(refused.status, 400);
    assert.equal(sandbox.faults.current.errorRate, 0);
  });

  test('failNext answers the next requests with the chosen 5xx, then recovers', async () => {
    // Prepare
    sandbox.faults.set({ failNext: 2, errorStatus: 502 });
    // Act
    const statuses = [(await raw.api('GET', raw.catalog)).status, (await raw.api('GET', raw.catalog)).status, (await raw.api('GET', raw.catalog)).status];
    // Assess
    assert.deepEqual(statuses, [502, 502, 200]);
    assert.equal(sandbox.faults.current.failNext, 0);
  });

  test('an error rate with a seed fails the same requests every time', async () => {
    // Prepare
    const run = async (): Promise<number[]> => {
      sandbox.faults.set({ errorRate: 0.5, seed: 42 });
      const out: number[] = [];
      for (let i = 0; i < 20; i += 1) out.push((await raw.api('GET', raw.catalog)).status);
      return out;
    };
    // Act
    const first = await run();
    const second = await run();
    // Assess
    assert.deepEqual(first, second);
    assert.ok(first.includes(503) && first.includes(200));
  });

  test('rate limiting answers 429 with Retry-After, by count and by rate', async () => {
    // Prepare
    sandbox.faults.set({ rateLimitNext: 1, retryAfterSeconds: 7 });
    // Act
    const limited = await raw.api('GET', raw.catalog);
    sandbox.faults.set({ rateLimitRate: 1 });
    const always = await raw.api('GET', raw.catalog);
    // Assess
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '7');
    assert.equal(limited.body.error.details.retryAfterSeconds, 7);
    assert.equal(always.status, 429);
  });

  test('tokens expire when told to, and after their lifetime', async () => {
    // Prepare
    sandbox.faults.expireTokens();
    // Act
    const expired = await raw.api('GET', raw.catalog);
    await raw.login();
    const fresh = await raw.api('GET', raw.catalog);
    sandbox.faults.set({ tokenTtlSeconds: 5 });
    await raw.login();
    clock.advance(5_000);
    const aged = await raw.api('GET', raw.catalog);
    // Assess
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error.code, 'token_expired');
    assert.equal(fresh.status, 200);
    assert.equal(aged.body.error.code, 'token_expired');
    sandbox.faults.reset();
    await raw.login();
  });

  test('a hung request is never answered, and closing the sandbox does not wait for it', async () => {
    // Prepare
    const own = await startGoodwixSandbox({ seed: 'empty', faults: { hangNext: 1 } });
    const controller = new AbortController();
    // Act
    const pending = fetch(`${own.baseUrl}/api/v1/auth/login`, { method: 'POST', body: JSON.stringify(own.supplier), signal: controller.signal });
    const raced = await Promise.race([pending.then(() => 'answered', () => 'failed'), new Promise((r) => setTimeout(() => r('waiting'), 100))]);
    const closing = own.close();
    const outcome = await pending.then(() => 'answered', () => 'failed');
    await closing;
    // Assess
    assert.equal(raced, 'waiting');
    assert.equal(outcome, 'failed');
    assert.equal(own.stats.requests[0]?.fault, 'hang');
  });

  test('a lost response applies the change but cuts the connection', async () => {
    // Prepare
    const order = sandbox.actions.placeOrder({ buyerId: 3001, lines: [{ productId: 10101, quantity: 1 }] });
    sandbox.faults.set({ loseNextResponses: 1 });
    // Act
    const outcome = await raw.api('PATCH', `${raw.catalog}/orders/${order.id}`, { expectedVersion: 1, status: 'in_progress' }).then(
      () => 'answered',
      () => 'cut',
    );
    // Assess
    assert.equal(outcome, 'cut');
    assert.equal(sandbox.actions.order(order.id).status, 'in_progress');
  });

  test('faults can be limited to some requests, and are set and reset over HTTP too', async () => {
    // Prepare
    await raw.act('PATCH', '/faults', { failNext: 1, match: { method: 'PATCH' } });
    // Act
    const read = await raw.api('GET', raw.catalog);
    const write = await raw.api('PATCH', `${raw.catalog}/orders/100001`, { expectedVersion: 1 });
    const control = await raw.act('PATCH', '/faults', { errorRate: 1 });
    const sandboxRouteUnaffected = await raw.act('GET', '/faults');
    const reset = await raw.act('DELETE', '/faults');
    // Assess
    assert.deepEqual([read.status, write.status], [200, 503]);
    assert.equal(control.body.errorRate, 1);
    assert.equal(sandboxRouteUnaffected.status, 200);
    assert.equal(reset.body.errorRate, 0);
    assert.equal(reset.body.tokenTtlSeconds, 600);
  });

  test('stats count requests by method and path', async () => {
    // Prepare
    sandbox.stats.reset();
    // Act
    await raw.api('GET', raw.catalog);
    await raw.api('GET', `${raw.catalog}/orders`);
    await raw.api('GET', `${raw.catalog}/orders`);
    // Assess
    assert.equal(sandbox.stats.count({ method: 'GET', path: `${raw.catalog}/orders` }), 2);
    assert.equal(sandbox.stats.count({ path: /\/catalogs\/\d+$/ }), 1);
    assert.equal(sandbox.stats.count(), 3);
  });
});

describe('Goodwix sandbox: command line', () => {
  test('npm run sandbox:goodwix prints its URL and the demo login, serves, and stops on SIGTERM', async () => {
    // Prepare
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/goodwix/cli.ts', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          out += chunk;
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m && out.includes('login:')) resolve(m[1] as string);
        });
        child.once('exit', () => reject(new Error(`exited early: ${out}`)));
      });
      // Act
      const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', body: JSON.stringify({ email: 'supplier@alfa-td.example', password: 'goodwix-demo' }) });
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      // Assess
      assert.equal(login.status, 200);
      assert.match(out, /supplier@alfa-td\.example \/ goodwix-demo/);
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('npm run sandbox:goodwix stops cleanly when Ctrl+C arrives the moment its banner shows', async () => {
    // Prepare: the child signals itself right after writing its last banner line
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/support/signal-on-output.ts', 'local/goodwix/cli.ts', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SIGNAL_ON_OUTPUT: 'buyer and supplier actions', SIGNAL_NAME: 'SIGINT' },
    });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => { out += chunk; });
      // Act
      const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
      // Assess
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, out);
      assert.match(out, /SIGINT: closing the Goodwix sandbox/u);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
