/**
 * Stuck orders in sight (issue 16): a run that parks an order ends `attention` (API and
 * events), parked orders are listed with their reason, since when and attempts, a parked order
 * can be dismissed (no longer retried, who and when kept) and a resync brings it back; a
 * resync asked while a run holds the plan is accepted and done right after that run.
 * Against the sandboxes, DynamoDB Local and the SQS emulator through the local runtime.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demoBuyers, demoProducts } from '#local/demo/supplier';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { DEMO_PLAN_ID } from '#local/runtime/demo-plan';
import { startLocalRuntime, type LocalRuntime } from '#local/runtime/runtime';
import { OneCTrade } from '#onec/trade';
import { checkedApi } from '#test/control-api-contract';

let onecSandbox: OneCSandbox;
let goodwixSandbox: GoodwixSandbox;
let runtime: LocalRuntime;
let onec: OneCTrade;

before(async () => {
  [onecSandbox, goodwixSandbox] = await Promise.all([startOneCSandbox({ seed: 'demo' }), startGoodwixSandbox({ seed: 'empty' })]);
  runtime = await startLocalRuntime({
    demo: { onecBaseUrl: onecSandbox.baseUrl, goodwixBaseUrl: goodwixSandbox.baseUrl },
    tick: false,
    // The queues are polled only while a test drains them: a run started holds the plan until then.
    collector: false,
    logLevel: 'SILENT',
    print: () => undefined,
    tuning: { onecRetry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 }, goodwixMaxAttempts: 3, goodwixBackoff: { baseMs: 5, maxMs: 20 } },
  });
  onec = OneCTrade.connect({ baseUrl: onecSandbox.baseUrl, login: onecSandbox.login, password: onecSandbox.password });
  // Only the runs the tests ask for: the tick starts no scheduled run in between.
  const stored = (await runtime.api('GET', `/plans/${DEMO_PLAN_ID}`)).body!;
  assert.equal((await runtime.api('PUT', `/plans/${DEMO_PLAN_ID}`, { ...stored, schedule: { ...stored.schedule, enabled: false } })).status, 200);
});

after(async () => {
  onec?.close();
  await runtime?.close();
  await Promise.all([onecSandbox?.close(), goodwixSandbox?.close()]);
});

const api = (method: string, path: string, body?: unknown) => checkedApi(runtime)(method, path, body);
const plan = `/plans/${DEMO_PLAN_ID}`;

async function exchange() {
  const started = await api('POST', `${plan}/runs`);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  await runtime.drain({ timeoutMs: 60_000 });
  return (await api('GET', `${plan}/runs/${started.body!.runId}`)).body!;
}

const level = demoProducts.find((p) => p.sku === 'URV-600')!;
const drill = demoProducts[0]!;
const [headOffice] = demoBuyers;

describe('stuck orders: seen and handled', () => {
  let stuck: number;
  let good: number;

  test('a run that parks an order ends `attention`, in the API and as a run.attention event; a run where all went through is `completed`', async () => {
    good = goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: drill.goodwixId, quantity: 1 }] }).id;
    await onec.client.update('Catalog_Номенклатура', level.ref, { DeletionMark: true });
    stuck = goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: level.goodwixId, quantity: 1 }] }).id;

    const run = await exchange();

    assert.equal(run.counters.failed, 1, JSON.stringify(run.orders));
    assert.equal(run.status, 'attention');
    const event = runtime.events.find((e) => e.runId === run.runId && e.type !== 'run.started' && e.type !== 'order.conflict');
    assert.equal(event?.type, 'run.attention');
    assert.equal(event?.detail?.['status'], 'attention');
    assert.equal(event?.detail?.['failed'], 1);
  });

  test('GET /orders?state=parked lists the parked order with its reason, since when and attempts; open lists both, dismissed none', async () => {
    const parked = (await api('GET', `${plan}/orders?state=parked`)).body!;
    assert.deepEqual(parked.items.map((o: { orderId: string }) => o.orderId), [String(stuck)]);
    const [item] = parked.items;
    assert.equal(item.state, 'parked');
    assert.equal(item.parked.code, 'SYNC_UNMAPPED_PRODUCT');
    assert.match(item.parked.message, /URV-600/);
    assert.equal(item.parked.attempts, 1);
    assert.ok(!Number.isNaN(Date.parse(item.parked.since)), item.parked.since);

    const open = (await api('GET', `${plan}/orders?state=open&limit=1`)).body!;
    assert.equal(open.items.length, 1);
    assert.ok(open.nextCursor, 'paged: a cursor to the next page');
    const rest = (await api('GET', `${plan}/orders?state=open&cursor=${encodeURIComponent(open.nextCursor)}`)).body!;
    const openIds = [...open.items, ...rest.items].map((o: { orderId: string }) => o.orderId).sort();
    assert.deepEqual(openIds, [String(good), String(stuck)].sort());
    assert.deepEqual((await api('GET', `${plan}/orders?state=dismissed`)).body!.items, []);
    assert.equal((await api('GET', `${plan}/orders?state=stuck`)).status, 400, 'an unknown state is refused, naming the field');
  });

  test('a dismissed order is no longer retried; the record says who dismissed it and when', async () => {
    const dismissed = await api('POST', `${plan}/orders/${stuck}/dismiss`);
    assert.equal(dismissed.status, 200, JSON.stringify(dismissed.body));
    assert.equal(dismissed.body!.dismissed.by, 'arn:aws:iam::000000000000:user/local');
    assert.ok(!Number.isNaN(Date.parse(dismissed.body!.dismissed.at)));
    assert.equal(dismissed.body!.parked.code, 'SYNC_UNMAPPED_PRODUCT', 'the reason stays on the record');

    assert.deepEqual((await api('GET', `${plan}/orders?state=parked`)).body!.items, []);
    assert.deepEqual((await api('GET', `${plan}/orders?state=dismissed`)).body!.items.map((o: { orderId: string; state: string }) => [o.orderId, o.state]), [[String(stuck), 'dismissed']]);

    const run = await exchange();
    assert.equal(run.status, 'completed', JSON.stringify(run.errors));
    assert.ok(!run.orders.items.some((o: { orderId: string }) => o.orderId === String(stuck)), 'not tried again');

    // Changed in Goodwix, it comes through the change feed: the worker passes over it.
    const line = goodwixSandbox.actions.order(stuck).lines[0]!;
    goodwixSandbox.actions.editLine(stuck, line.id, { price: '1.00' });
    const fed = await exchange();
    const entry = fed.orders.items.find((o: { orderId: string }) => o.orderId === String(stuck));
    assert.equal(entry?.outcome, 'skipped', JSON.stringify(fed.orders.items));
    assert.match(entry.detail.message, /dismissed by arn:aws:iam::000000000000:user\/local/);
    assert.equal(fed.status, 'completed');
    assert.equal((await api('POST', `${plan}/orders/${good}/dismiss`)).status, 409, 'only a parked order can be dismissed');
  });

  test('a resync asked while a run holds the plan is accepted, and done right after that run; it brings a dismissed order back', async () => {
    await onec.client.update('Catalog_Номенклатура', level.ref, { DeletionMark: false });
    const holding = await api('POST', `${plan}/runs`);
    assert.equal(holding.status, 202);

    const resync = await api('POST', `${plan}/orders/${stuck}/resync`);
    assert.equal(resync.status, 202, JSON.stringify(resync.body));
    assert.equal(resync.body!.status, 'requested');
    assert.equal(resync.body!.afterRunId, holding.body!.runId);
    assert.equal((await api('GET', `${plan}/orders/${stuck}`)).body!.dismissed, null, 'the resync brings the order back');

    await runtime.drain({ timeoutMs: 60_000 });
    const held = (await api('GET', `${plan}/runs/${holding.body!.runId}`)).body!;
    assert.equal(held.status, 'completed');
    assert.deepEqual(held.orders.items.map((o: { orderId: string; outcome: string }) => [o.orderId, o.outcome]), [[String(stuck), 'exported']], 'back in the open index: the run holding the plan tried it');

    const tick = await runtime.tickNow();
    assert.deepEqual(tick.resyncs?.map((r) => r.orderId), [String(stuck)], 'and the tick starts the resync asked for, right after that run');
    await runtime.drain({ timeoutMs: 60_000 });

    const runs = (await api('GET', `${plan}/runs?limit=5`)).body!.items as { runId: string; trigger: string; orderId?: string; status: string }[];
    const done = runs.find((r) => r.trigger === 'resync' && r.orderId === String(stuck));
    assert.ok(done, `no resync run: ${JSON.stringify(runs)}`);
    assert.equal(done.status, 'completed');
    assert.equal((await runtime.tickNow()).resyncs, undefined, 'started once');
    const record = (await api('GET', `${plan}/orders/${stuck}`)).body!;
    assert.equal(record.parked, null);
    assert.ok(record.onec?.number, 'exported to 1C');
  });

  test('a run whose orders went through but whose reserves could not be pushed to Goodwix ends `attention`, saying why', async () => {
    goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: drill.goodwixId, quantity: 2 }] });
    goodwixSandbox.faults.set({ errorRate: 1, match: { method: 'PUT', pathIncludes: '/reserves' } });
    try {
      const run = await exchange();
      assert.equal(run.counters.exported, 1);
      assert.equal(run.counters.failed, 0);
      assert.equal(run.status, 'attention');
      assert.match(run.errors.map((e: { message: string }) => e.message).join('\n'), /reserves: not refreshed/);
    } finally {
      goodwixSandbox.faults.set({ errorRate: 0, match: null });
    }
  });
});
