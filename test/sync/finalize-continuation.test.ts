/**
 * The finalize fits any run: it pushes the run's reserves a page at a time, looks at the time
 * its invocation has left before each page, and when that is short hands the rest off to a
 * finalize message on the order queue, which goes on from the last product recorded. Before,
 * the worker that finished the last order pushed every product in one go, one request after
 * another: ~800 products at 150 ms passed the worker's 120 s timeout, and every redelivery
 * started over.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GoodwixClient } from '#goodwix/client';
import { productKey } from '#core/canonical';
import { bulkProducts, demoProducts } from '#local/demo/supplier';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { demoPlan } from '#local/runtime/demo-plan';
import type { Deadline } from '#platform/limits';
import { parsePlan } from '#plans/plan';
import { startRun } from '#exchange/start-run';
import { createRepositories, runPorts } from '#runs/wiring';
import { keys } from '#store/table';
import { BindingRepository } from '#store/bindings';
import { finalizeIfDone, processFinalizeMessage } from '#exchange/finalize';
import { parseOrderMessage, SqsOrderQueue, type FinalizeMessage } from '#aws/order-queue';
import { PlanClientCache } from '#sync/plan-clients';
import { encodeProduct, reserveCatalog } from '#sync/reserves';
import type { WorkerPorts } from '#exchange/sync-order';
import { useDynamoDb } from '#test/dynamodb';
import { DemoSecretsOfAnyPlan, localAccess, planId } from '#test/plans';
import { useSqs } from '#test/sqs';

const PRODUCTS = 1000;
const PAGE = 100;

const dynamo = useDynamoDb();
const sqs = useSqs();
let onecSandbox: OneCSandbox;
let goodwixSandbox: GoodwixSandbox;

before(async () => {
  [onecSandbox, goodwixSandbox] = await Promise.all([startOneCSandbox({ seed: 'demo' }), startGoodwixSandbox({ seed: 'empty', extraProducts: PRODUCTS })]);
});
after(async () => {
  await Promise.all([onecSandbox?.close(), goodwixSandbox?.close()]);
});

/** Plenty of time for `pages` checks, then 10 s: below the finalize's margin. */
function runningOut(pages: number): Deadline {
  let checks = 0;
  return { remainingMs: () => (++checks <= pages ? 120_000 : 10_000) };
}

async function setup() {
  const store = await dynamo.newStore();
  const { queueUrl } = await sqs.newOrderQueue({ visibilityTimeoutSeconds: 30 });
  const config = { tableName: store.tableName, lockTtlSeconds: 900, runRetentionDays: 90, dynamodbEndpoint: dynamo.endpoint };
  const repositories = createRepositories(config);
  const run = runPorts(repositories, config);
  const plan = parsePlan(demoPlan({ onecBaseUrl: onecSandbox.baseUrl, goodwixBaseUrl: goodwixSandbox.baseUrl }, { id: planId('fin') }));
  await repositories.plans.put(plan);
  const ports: WorkerPorts = {
    run,
    cursors: repositories.cursors, reserveState: repositories.reserveState,
    clients: new PlanClientCache(new DemoSecretsOfAnyPlan({}), { access: localAccess }),
    bindings: new BindingRepository(repositories.store),
    locks: repositories.locks,
    finalizeQueue: new SqsOrderQueue(sqs.client, queueUrl),
    finalizeTuning: { page: PAGE },
  };
  const { runId } = await startRun({ ...run, queue: { sendCollect: async () => undefined } }, { planId: plan.id, trigger: 'manual' });
  const products = bulkProducts(PRODUCTS).map((p) => encodeProduct({ nomenclature: p.ref, characteristic: null, goodwixProductId: String(p.goodwixId) }));
  await ports.run.runs.register(plan.id, runId, '100001', new Date());
  await ports.run.runs.markCollected(plan.id, runId, null);
  await ports.run.runs.complete(plan.id, runId, { orderId: '100001', outcome: 'exported', at: new Date().toISOString(), counters: { exported: 1 }, products });
  // Each test's plan starts unseeded and reads Goodwix's reserves: an earlier test's drill reserve taken away, so its reconciliation pushes it.
  const goodwix = new GoodwixClient({ baseUrl: goodwixSandbox.baseUrl, email: goodwixSandbox.supplier.email, password: goodwixSandbox.supplier.password, catalogId: goodwixSandbox.catalogId });
  await goodwix.replaceIntegrationReserves(demoProducts[0]!.goodwixId, []);
  goodwixSandbox.stats.reset();
  return { plan, runId, ports, queueUrl, repositories };
}

const pushed = () => goodwixSandbox.stats.requests.filter((r) => r.method === 'PUT' && r.status === 200).map((r) => r.path);
/** The run's products (the bulk ones); the reconciliation also pushes the demo base's own reserves (the drills of ТД00-000117). */
const pushes = () => pushed().filter((path) => Number(path.split('/').pop()) > 200_000);
const reconciled = () => pushed().filter((path) => Number(path.split('/').pop()) < 200_000);

describe('a finalize that runs out of time', () => {
  test('hands the rest off to a finalize message, which goes on from where it stopped and closes the run; each product pushed once', async () => {
    const { plan, runId, ports, queueUrl, repositories } = await setup();

    const closed = await finalizeIfDone(ports, plan.id, runId, 'worker:100001', { deadline: runningOut(3) });

    assert.equal(closed, false, 'not closed by the worker that ran out of time');
    assert.equal((await repositories.runs.get(plan.id, runId))?.status, 'running');
    assert.equal((await ports.run.runs.progress(plan.id, runId))?.reservesPushed, 3 * PAGE, 'three pages pushed and recorded');
    assert.equal(pushes().length, 3 * PAGE);
    const queued = await sqs.receiveAll(queueUrl);
    assert.equal(queued.length, 1, 'one continuation message');
    const message = parseOrderMessage(queued[0]!.Body!) as FinalizeMessage;
    assert.equal(message.kind, 'finalize');

    const closedByContinuation = await processFinalizeMessage(ports, message, { deadline: runningOut(100) });

    assert.equal(closedByContinuation, true);
    const run = await repositories.runs.get(plan.id, runId);
    assert.equal(run?.status, 'completed', JSON.stringify(run?.errors));
    assert.match(run?.summary ?? '', new RegExp(`reserves of ${PRODUCTS} product\\(s\\) refreshed`));
    assert.equal(pushes().length, PRODUCTS, 'no product pushed twice');
    assert.equal(new Set(pushes()).size, PRODUCTS, 'every product pushed');
    assert.equal(reconciled().length, 1, 'then the reconciliation: only the product whose reserves Goodwix was not told yet');

    assert.equal(await processFinalizeMessage(ports, message), false, 'a copy of the message finds the run closed');
    assert.equal(pushes().length, PRODUCTS);
  });

  test('a continuation that runs out of time too hands off again; a second copy of a message never finalizes twice', async () => {
    const { plan, runId, ports, queueUrl, repositories } = await setup();
    await finalizeIfDone(ports, plan.id, runId, 'worker:100001', { deadline: runningOut(2) });
    const [first] = await sqs.receiveAll(queueUrl);
    const message = parseOrderMessage(first!.Body!) as FinalizeMessage;
    // Its group (the plan's finalize) holds the next one back until it is deleted, as Lambda does when it succeeds.
    await sqs.client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: first!.ReceiptHandle }));

    // Two copies arrive at once (a redelivery): one takes the claim, the other finds it taken.
    const [a, b] = await Promise.all([processFinalizeMessage(ports, message, { deadline: runningOut(4) }), processFinalizeMessage(ports, message, { deadline: runningOut(4) })]);

    assert.deepEqual([a, b], [false, false]);
    assert.equal((await ports.run.runs.progress(plan.id, runId))?.reservesPushed, 7 * PAGE, 'two pages by the worker, five by one copy (the first without looking at the time)');
    const [second] = await sqs.receiveAll(queueUrl);
    const next = parseOrderMessage(second!.Body!) as FinalizeMessage;
    assert.notEqual(next.after, message.after, 'the next message goes on from further on');

    assert.equal(await processFinalizeMessage(ports, next), true);
    assert.equal((await repositories.runs.get(plan.id, runId))?.status, 'completed');
    assert.equal(pushes().length, PRODUCTS, 'no product pushed twice');
  });

  test('a continuation short of time from its start still pushes a page before it hands off again: a chain of continuations always moves on', async () => {
    const { plan, runId, ports, queueUrl, repositories } = await setup();
    await finalizeIfDone(ports, plan.id, runId, 'worker:100001', { deadline: runningOut(1) });
    let [message] = await sqs.receiveAll(queueUrl);

    // Every invocation it arrives in spent its time on other messages first.
    for (let hops = 1; hops < PRODUCTS / PAGE - 1; hops += 1) {
      await sqs.client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message!.ReceiptHandle }));
      assert.equal(await processFinalizeMessage(ports, parseOrderMessage(message!.Body!) as FinalizeMessage, { deadline: runningOut(0) }), false);
      assert.equal((await ports.run.runs.progress(plan.id, runId))?.reservesPushed, (hops + 1) * PAGE, `hop ${hops}: one more page`);
      [message] = await sqs.receiveAll(queueUrl);
      assert.ok(message, `hop ${hops}: the next continuation is on the queue`);
    }

    await sqs.client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message!.ReceiptHandle }));
    assert.equal(await processFinalizeMessage(ports, parseOrderMessage(message!.Body!) as FinalizeMessage, { deadline: runningOut(0) }), false, 'the last page, then no time for the reconciliation');
    assert.deepEqual(reconciled(), []);
    // The plan's reserve state was never seeded from Goodwix's reserves: a page of the catalog a
    // hop, each recorded, then the reconciliation closes the run.
    let closed = false;
    for (let hops = 0; !closed; hops += 1) {
      assert.ok(hops < 30, 'the seed moves on a page a hop');
      [message] = await sqs.receiveAll(queueUrl);
      assert.ok(message, `seed hop ${hops}: the next continuation is on the queue`);
      await sqs.client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message!.ReceiptHandle }));
      closed = await processFinalizeMessage(ports, parseOrderMessage(message!.Body!) as FinalizeMessage, { deadline: runningOut(0) });
      if (!closed) assert.deepEqual(reconciled(), [], 'nothing reconciled before the state is seeded');
    }
    assert.equal(reconciled().length, 1, 'the reconciliation pushed the warehouse\'s one other product with reserves');
    assert.equal((await repositories.runs.get(plan.id, runId))?.status, 'completed');
    assert.equal(pushes().length, PRODUCTS, 'no product pushed twice');
  });

  test('a run started before the upgrade, its products in a set on the run item, closes with their reserves pushed', async () => {
    const store = await dynamo.newStore();
    const config = { tableName: store.tableName, lockTtlSeconds: 900, runRetentionDays: 90, dynamodbEndpoint: dynamo.endpoint };
    const repositories = createRepositories(config);
    const run = runPorts(repositories, config);
    const plan = parsePlan(demoPlan({ onecBaseUrl: onecSandbox.baseUrl, goodwixBaseUrl: goodwixSandbox.baseUrl }, { id: planId('legacy') }));
    await repositories.plans.put(plan);
    const { runId } = await startRun({ ...run, queue: { sendCollect: async () => undefined } }, { planId: plan.id, trigger: 'manual' });
    await repositories.runs.markCollected(plan.id, runId, null);
    const legacy = bulkProducts(5).map((p) => encodeProduct({ nomenclature: p.ref, characteristic: null, goodwixProductId: String(p.goodwixId) }));
    // As the code before the upgrade left it: `ADD products :set` on the run item.
    await store.client.send(new UpdateCommand({ TableName: store.tableName, Key: { pk: keys.planPk(plan.id), sk: keys.runSk(runId) }, UpdateExpression: 'ADD products :p', ExpressionAttributeValues: { ':p': new Set(legacy) } }));
    goodwixSandbox.stats.reset();

    assert.equal(await finalizeIfDone({ run, cursors: repositories.cursors, reserveState: repositories.reserveState, clients: new PlanClientCache(new DemoSecretsOfAnyPlan({}), { access: localAccess }) }, plan.id, runId, 'worker:1'), true);

    assert.match((await repositories.runs.get(plan.id, runId))?.summary ?? '', /reserves of 5 product\(s\) refreshed/);
    assert.equal(new Set(pushes()).size, 5);
  });
});

describe('a long reconciliation with 1C', () => {
  test('keeps the plan its run\'s for another bound with each batch it pushes', async () => {
    // Prepare: a run with nothing to refresh, whose reconciliation has four products to clear,
    // one a batch, each batch taking five minutes (a slow, rate-limited Goodwix); the lease was
    // capped at 12 minutes when the close began.
    const store = await dynamo.newStore();
    const config = { tableName: store.tableName, lockTtlSeconds: 900, runRetentionDays: 90, dynamodbEndpoint: dynamo.endpoint };
    const repositories = createRepositories(config);
    let nowMs = Date.now();
    const now = () => new Date(nowMs);
    const run = { ...runPorts(repositories, config), now };
    const plan = parsePlan(demoPlan({ onecBaseUrl: onecSandbox.baseUrl, goodwixBaseUrl: goodwixSandbox.baseUrl }, { id: planId('long') }));
    await repositories.plans.put(plan);
    const { runId } = await startRun({ ...run, queue: { sendCollect: async () => undefined } }, { planId: plan.id, trigger: 'manual' });
    await repositories.runs.markCollected(plan.id, runId, null);
    const stale = bulkProducts(4).map((p) => [productKey(p.ref, null), { hash: 'held-before', goodwixId: String(p.goodwixId) }] as const);
    const { state } = await repositories.reserveState.loadWithSeed(plan.id);
    await repositories.reserveState.save(plan.id, state, new Map(stale), now());
    await repositories.reserveState.saveSeed(plan.id, runId, null, now(), reserveCatalog(plan));
    const leaseLeft: number[] = [];
    const slow = new Proxy(repositories.reserveState, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (prop === 'save') {
          return async (...args: Parameters<typeof target.save>) => {
            await target.save(...args);
            nowMs += 5 * 60_000;
            const lease = await repositories.locks.get(plan.id);
            leaseLeft.push(lease ? Date.parse(lease.expiresAt) - nowMs : -1);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });

    // Act
    const closed = await finalizeIfDone({ run, cursors: repositories.cursors, reserveState: slow, clients: new PlanClientCache(new DemoSecretsOfAnyPlan({}), { access: localAccess }), finalizeTuning: { page: 1 } }, plan.id, runId, 'worker:1');

    // Assess: a lease lapsed mid-way lets the next start abandon the run while its finalizer goes
    // on writing the reserve state from its own copy, over what the new run writes
    assert.equal(closed, true);
    assert.ok(leaseLeft.length >= 4, `one save a batch: ${leaseLeft.length}`);
    assert.ok(leaseLeft.every((ms) => ms > 0), `the plan stayed the run's after every batch (ms left: ${leaseLeft.join(', ')})`);
    assert.equal((await repositories.runs.get(plan.id, runId))?.status, 'completed');
  });
});
