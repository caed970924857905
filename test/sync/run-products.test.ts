/**
 * A run's products live in items of their own (`RUNPRODUCT#<runId>#<product>`), not in a set on
 * the run item: the run item stays far below DynamoDB's 400 KB whatever a run touches. Before,
 * every completed order added its products to a string set on the run item; at about 5,000
 * products with characteristics `complete()` failed for good, after 1C and Goodwix had been
 * written, and the run never closed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bulkProducts } from '#local/demo/supplier';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { demoPlan } from '#local/runtime/demo-plan';
import { parsePlan } from '#plans/plan';
import { startRun } from '#exchange/start-run';
import type { StartPorts } from '#runs/ports';
import { createRepositories, runPorts } from '#runs/wiring';
import { finalizeIfDone, type FinalizePorts } from '#exchange/finalize';
import { PlanClientCache } from '#sync/plan-clients';
import { encodeProduct } from '#sync/reserves';
import { useDynamoDb } from '#test/dynamodb';
import { DemoSecretsOfAnyPlan, localAccess, planId } from '#test/plans';

const PRODUCTS = 10_000;
const PER_ORDER = 250;

const dynamo = useDynamoDb();
let onecSandbox: OneCSandbox;
let goodwixSandbox: GoodwixSandbox;

before(async () => {
  [onecSandbox, goodwixSandbox] = await Promise.all([startOneCSandbox({ seed: 'demo' }), startGoodwixSandbox({ seed: 'empty', extraProducts: PRODUCTS })]);
});
after(async () => {
  await Promise.all([onecSandbox?.close(), goodwixSandbox?.close()]);
});

/** Product n with a characteristic, as the sync reports it: the longest form the run records. */
const touched = bulkProducts(PRODUCTS).map((p, i) =>
  encodeProduct({ nomenclature: p.ref, characteristic: `7c3b2e4f-0000-4000-8000-${(i + 1).toString(16).padStart(12, '0')}`, goodwixProductId: String(p.goodwixId) }),
);

describe('a run touching more products than one DynamoDB item holds', () => {
  test(`${PRODUCTS.toLocaleString('en')} distinct products (with characteristics): every order is recorded, the run closes and every product's reserves are pushed`, async () => {
    const store = await dynamo.newStore();
    const config = { tableName: store.tableName, lockTtlSeconds: 900, runRetentionDays: 90, dynamodbEndpoint: dynamo.endpoint };
    const repositories = createRepositories(config);
    const run = runPorts(repositories, config);
    const start: StartPorts = { ...run, queue: { sendCollect: async () => undefined } };
    const plan = parsePlan(demoPlan({ onecBaseUrl: onecSandbox.baseUrl, goodwixBaseUrl: goodwixSandbox.baseUrl }, { id: planId('products') }));
    await repositories.plans.put(plan);
    const progress = repositories.runs;
    const ports: FinalizePorts = { run, cursors: repositories.cursors, reserveState: repositories.reserveState, clients: new PlanClientCache(new DemoSecretsOfAnyPlan({}), { access: localAccess }) };
    const { runId } = await startRun(start, { planId: plan.id, trigger: 'manual' });
    const orders = PRODUCTS / PER_ORDER;
    for (let o = 0; o < orders; o += 1) await progress.register(plan.id, runId, String(100_000 + o), new Date());
    await progress.markCollected(plan.id, runId, null);

    for (let o = 0; o < orders; o += 1) {
      const counted = await progress.complete(plan.id, runId, {
        orderId: String(100_000 + o), outcome: 'updated', at: new Date().toISOString(), counters: { updatedInGoodwix: 1 },
        products: touched.slice(o * PER_ORDER, (o + 1) * PER_ORDER),
      });
      assert.equal(counted, true, `order ${o + 1} of ${orders} recorded`);
    }
    goodwixSandbox.stats.reset();

    assert.equal(await finalizeIfDone(ports, plan.id, runId, 'worker:last'), true);

    const closed = await repositories.runs.get(plan.id, runId);
    assert.equal(closed?.status, 'completed', JSON.stringify(closed?.errors));
    assert.match(closed?.summary ?? '', new RegExp(`reserves of ${PRODUCTS} product\\(s\\) refreshed`));
    const puts = goodwixSandbox.stats.requests.filter((r) => r.method === 'PUT' && r.status === 200).map((r) => r.path);
    // The run's products are the bulk ones; the reconciliation after them also tells Goodwix the demo base's own reserve (ТД00-000117's drills).
    const pushed = new Set(puts.filter((path) => Number(path.split('/').pop()) > 200_000));
    assert.equal(pushed.size, PRODUCTS, 'every product\'s integration reserves replaced');
    assert.equal(puts.length - pushed.size, 1, 'the reconciliation writes only the product Goodwix was not told of yet');
  });

  test('an order\'s 1 MB error is recorded on its run entry cut to a bound, and the order counts as done', async () => {
    const store = await dynamo.newStore();
    const config = { tableName: store.tableName, lockTtlSeconds: 900, runRetentionDays: 90, dynamodbEndpoint: dynamo.endpoint };
    const repositories = createRepositories(config);
    const progress = repositories.runs;
    const plan = parsePlan(demoPlan({ onecBaseUrl: onecSandbox.baseUrl, goodwixBaseUrl: goodwixSandbox.baseUrl }, { id: planId('texts') }));
    await repositories.plans.put(plan);
    const { runId } = await startRun({ ...runPorts(repositories, config), queue: { sendCollect: async () => undefined } }, { planId: plan.id, trigger: 'manual' });
    await progress.register(plan.id, runId, '100001', new Date());
    const huge = `1C 400 code 1: ${'Недостаточно свободного остатка. '.repeat(20_000)}`;

    const counted = await progress.complete(plan.id, runId, {
      orderId: '100001', outcome: 'parked', at: new Date().toISOString(), counters: { failed: 1 }, products: [],
      error: { code: 'ONEC_BAD_REQUEST', message: huge }, detail: { message: huge },
    });

    assert.equal(counted, true);
    const [entry] = (await repositories.runs.listOrders(plan.id, runId)).items;
    assert.ok(Buffer.byteLength(entry?.error?.message ?? '') <= 2048);
    assert.match(entry?.error?.message ?? '', /^1C 400 code 1: Недостаточно.*… \[cut, \d+ bytes\]$/s);
    assert.equal((await progress.progress(plan.id, runId))?.done, 1);
  });
});
