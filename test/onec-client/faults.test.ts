/**
 * The 1C client under each fault the 1C sandbox injects: latency, cold start, 5xx, requests that
 * never answer, and lost responses (the write committed, the answer lost). Time budgets are
 * small here; back-off sleeps go through a recording clock, so nothing waits long.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOneCSandbox } from '#local/onec/sandbox';
import type { OneCClientOptions } from '#onec/client';
import { OneCLockConflictError, OneCOutcomeUnknownError, OneCTimeoutError } from '#onec/errors';
import { OneCTrade } from '#onec/trade';
import { fakeClock } from '#test/onec-stub';
import { line, orderInput, product } from '#test/onec-orders';

type Sandbox = Awaited<ReturnType<typeof startOneCSandbox>>;
let sandbox: Sandbox;
let setup: OneCTrade;
let serial = 0;
const clientNumber = (): string => `GW-F${process.pid % 10000}-${++serial}`;
const ORDERS = 'Document_ЗаказКлиента';
const open: OneCTrade[] = [];

/** A client with small budgets and a clock whose back-off sleeps return at once (and are recorded). */
function connect(options: Partial<OneCClientOptions> = {}) {
  const clock = fakeClock();
  const trade = OneCTrade.connect({
    baseUrl: sandbox.baseUrl, login: sandbox.login, password: sandbox.password, clock,
    requestTimeoutMs: 300, coldStartTimeoutMs: 300, retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
    ...options,
  });
  open.push(trade);
  return { trade, clock };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  sandbox = await startOneCSandbox({ port: 0, seed: 'demo' });
  setup = OneCTrade.connect({ baseUrl: sandbox.baseUrl, login: sandbox.login, password: sandbox.password });
});
after(async () => {
  for (const t of [setup, ...open]) t.close();
  await sandbox?.close();
});
beforeEach(() => {
  sandbox.faults.reset();
  sandbox.stats.reset();
});

/** An order created in the 1C sandbox, for the client under test to read and write. */
async function anOrderInOneC() {
  return setup.createOrder(orderInput(clientNumber(), [line(product('PRC-HB'), '2')]));
}

describe('1C client under faults', () => {
  test('works through latency', async () => {
    // Prepare
    const order = await anOrderInOneC();
    const { trade } = connect({ requestTimeoutMs: 1000, coldStartTimeoutMs: 1000 });
    sandbox.faults.set({ latencyMs: 120 });
    // Act
    const started = Date.now();
    const read = await trade.readOrder(order.ref);
    // Assess
    assert.ok(Date.now() - started >= 120);
    assert.equal(read.ref, order.ref);
  });

  test('a cold start longer than the normal timeout fits in the cold-start budget', async () => {
    // Prepare: the publication sleeps 400 ms on the first request after 50 ms idle
    sandbox.faults.set({ coldStartMs: 400, idleMs: 50 });
    await sleep(70);
    const short = connect({ requestTimeoutMs: 150, coldStartTimeoutMs: 150, retry: { attempts: 1 } }).trade;
    // Act / Assess: with no longer budget the cold call times out…
    await assert.rejects(short.client.list(ORDERS, { top: 1 }), OneCTimeoutError);
    await sleep(450 + 70);
    // …with it, the same cold call succeeds, and later calls are fast again
    const { trade } = connect({ requestTimeoutMs: 150, coldStartTimeoutMs: 2000, retry: { attempts: 1 } });
    const started = Date.now();
    await trade.client.list(ORDERS, { top: 1 });
    assert.ok(Date.now() - started >= 400, 'the first call was a cold start');
    await trade.client.list(ORDERS, { top: 1 });
  });

  test('5xx on reads is retried with growing back-off', async () => {
    // Prepare
    const order = await anOrderInOneC();
    const { trade, clock } = connect({ retry: { attempts: 4, baseDelayMs: 10, maxDelayMs: 1000 } });
    sandbox.faults.set({ failNext: 3, match: { method: 'GET', entitySet: ORDERS } });
    // Act
    const read = await trade.readOrder(order.ref);
    // Assess
    assert.equal(read.ref, order.ref);
    assert.equal(sandbox.stats.requests.filter((r) => r.fault === 'error').length, 3);
    assert.equal(sandbox.stats.count({ method: 'GET', entitySet: ORDERS }), 4);
    assert.equal(clock.sleeps.length, 3);
    assert.ok(clock.sleeps[0]! < clock.sleeps[1]! && clock.sleeps[1]! < clock.sleeps[2]!, `sleeps ${clock.sleeps.join(', ')}`);
  });

  test('5xx on create is not repeated and creates nothing', async () => {
    // Prepare
    const { trade } = connect();
    const number = clientNumber();
    sandbox.faults.set({ failNext: 1, match: { method: 'POST', entitySet: ORDERS } });
    // Act / Assess: 1C's own error (a lock conflict) comes back as is, retryable by the caller
    await assert.rejects(trade.createOrder(orderInput(number, [line(product('PRC-HB'), '1')])), (e: unknown) => e instanceof OneCLockConflictError && e.retryable);
    assert.equal(sandbox.stats.count({ method: 'POST', entitySet: ORDERS }), 1);
    assert.deepEqual(await trade.findOrdersByClientNumber(number), []);
  });

  test('a request that never answers ends in a timeout error after the retries', async () => {
    // Prepare
    const order = await anOrderInOneC();
    const { trade } = connect({ requestTimeoutMs: 100, coldStartTimeoutMs: 100, retry: { attempts: 2, baseDelayMs: 1 } });
    sandbox.faults.set({ hangNext: 5, match: { method: 'GET', entitySet: ORDERS } });
    // Act / Assess
    await assert.rejects(trade.readOrder(order.ref), (e: unknown) => e instanceof OneCTimeoutError && e.retryable && /within 100 ms/.test(e.message));
    assert.equal(sandbox.stats.count({ method: 'GET', entitySet: ORDERS }), 2);
  });

  test('a hanging read is answered by the retry', async () => {
    const order = await anOrderInOneC();
    const { trade } = connect({ requestTimeoutMs: 100, coldStartTimeoutMs: 100, retry: { attempts: 2, baseDelayMs: 1 } });
    sandbox.faults.set({ hangNext: 1, match: { method: 'GET', entitySet: ORDERS } });
    assert.equal((await trade.readOrder(order.ref)).ref, order.ref);
  });

  test('a create that never answers is an unknown outcome, sent once', async () => {
    // Prepare
    const { trade } = connect({ requestTimeoutMs: 100, coldStartTimeoutMs: 100 });
    const number = clientNumber();
    sandbox.faults.set({ hangNext: 1, match: { method: 'POST', entitySet: ORDERS } });
    // Act / Assess
    await assert.rejects(trade.createOrder(orderInput(number, [line(product('PRC-HB'), '1')])), OneCOutcomeUnknownError);
    assert.equal(sandbox.stats.count({ method: 'POST', entitySet: ORDERS }), 1);
    // the caller resolves it by the stable key (here 1C had not written it)
    assert.deepEqual(await trade.findOrdersByClientNumber(number), []);
  });

  test('a create whose response is lost is an unknown outcome, and exactly one order exists', async () => {
    // Prepare
    const { trade } = connect();
    const number = clientNumber();
    sandbox.faults.set({ loseNextResponses: 1, match: { method: 'POST', entitySet: ORDERS } });
    // Act
    const outcome = await trade.createOrder(orderInput(number, [line(product('PRC-HB'), '1')])).then(
      () => 'created', (e: unknown) => e,
    );
    // Assess
    assert.ok(outcome instanceof OneCOutcomeUnknownError, String(outcome));
    assert.equal(outcome.retryable, true);
    assert.equal(sandbox.stats.count({ method: 'POST', entitySet: ORDERS }), 1);
    const found = await trade.findOrdersByClientNumber(number);
    assert.equal(found.length, 1);
    assert.equal(found[0]!.items.length, 1);
  });

  test('a lost response to a read, a PATCH or a Post is repeated safely', async () => {
    // Prepare
    const order = await anOrderInOneC();
    const { trade } = connect();
    // Act
    sandbox.faults.set({ loseNextResponses: 1, match: { method: 'GET', entitySet: ORDERS } });
    const read = await trade.readOrder(order.ref);
    sandbox.faults.set({ loseNextResponses: 1, match: { method: 'PATCH', entitySet: ORDERS } });
    const updated = await trade.updateOrder(order.ref, { comment: 'after a lost answer' });
    sandbox.faults.set({ loseNextResponses: 1, match: { method: 'POST', action: 'Post' } });
    const posted = await trade.postOrder(order.ref);
    // Assess
    assert.equal(read.ref, order.ref);
    assert.equal(updated.comment, 'after a lost answer');
    assert.equal(posted.posted, true);
    assert.equal(sandbox.stats.requests.filter((r) => r.fault === 'lost').length, 3);
  });

  test('a 5xx to Post is retried (posting is idempotent)', async () => {
    const order = await anOrderInOneC();
    const { trade } = connect();
    sandbox.faults.set({ failNext: 1, match: { method: 'POST', action: 'Post' } });
    assert.equal((await trade.postOrder(order.ref)).posted, true);
    assert.equal(sandbox.stats.requests.filter((r) => r.path.endsWith('/Post')).length, 2);
  });

  test('reads keep working under random errors and lost answers', async () => {
    // Prepare: a reproducible storm on reads
    const orders = [await anOrderInOneC(), await anOrderInOneC(), await anOrderInOneC()];
    const { trade } = connect({ retry: { attempts: 8, baseDelayMs: 1, maxDelayMs: 5 } });
    sandbox.faults.set({ errorRate: 0.3, lostResponseRate: 0.2, seed: 7, match: { method: 'GET' } });
    // Act
    const results: string[] = [];
    for (let i = 0; i < 30; i++) results.push((await trade.readOrder(orders[i % 3]!.ref)).ref);
    const versions = await trade.readDataVersions(orders.map((o) => o.ref));
    // Assess
    assert.deepEqual(results, Array.from({ length: 30 }, (_, i) => orders[i % 3]!.ref));
    assert.equal(versions.size, 3);
    assert.ok(sandbox.stats.requests.some((r) => r.fault === 'error') && sandbox.stats.requests.some((r) => r.fault === 'lost'));
  });
});
