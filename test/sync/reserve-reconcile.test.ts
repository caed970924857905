/**
 * Reserves always current: every run reconciles the Integration reserves of the plan's
 * warehouse with 1C, whatever touched them — a manager's own 1C order reserving a product no
 * Goodwix order holds, a reserve released in 1C alone — and writes Goodwix only where they
 * differ from what it was last told. Through the local deployment (collector, worker, finalize
 * message), against the 1C and Goodwix sandboxes over HTTP and DynamoDB Local.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GoodwixClient } from '#goodwix/client';
import { productKey } from '#core/canonical';
import { reconcileReserves } from '#sync/reserves';
import type { ReserveState } from '#store/reserve-state';
import { demoOneC, demoProducts } from '#local/demo/supplier';
import { OneCManager } from '#local/onec/manager';
import { useDemoDeployment } from '#test/demo-deployment';
import { line, orderInput } from '#test/onec-orders';

const demo = useDemoDeployment();
const { exchange } = demo;

const drill = demoProducts[0]!;
const tape = demoProducts.find((p) => p.sku === 'LNT-4850')!;
const integration = (goodwixId: number) => demo.goodwixSandbox.actions.reserves(goodwixId).reserves.filter((r) => r.source === 'integration');
const goodwixWrites = () => demo.goodwixSandbox.stats.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/auth/login'));

describe('reserves reconciled with 1C every run, whatever touched them', () => {
  test('a plan\'s first run clears the stale Integration reserves 1C no longer holds; Goodwix\'s reserves are read once', async () => {
    // Left in Goodwix by an exchange before the upgrade (or a state lost): 1C holds none of these.
    const level = demoProducts.find((p) => p.sku === 'URV-600')!;
    const jacket52 = demoProducts.find((p) => p.sku === 'KRT-UT')!.variants!.find((v) => v.name === 'Размер 52')!;
    const goodwix = new GoodwixClient({ baseUrl: demo.goodwixSandbox.baseUrl, email: demo.goodwixSandbox.supplier.email, password: demo.goodwixSandbox.supplier.password, catalogId: demo.goodwixSandbox.catalogId });
    for (const id of [level.goodwixId, jacket52.goodwixId]) {
      await goodwix.replaceIntegrationReserves(id, [{ quantity: '2.000', erp: { orderId: '0f0e0d0c-0000-4000-8000-00000000dead', number: 'ТД00-000999' } }]);
    }
    const manual = demo.goodwixSandbox.actions.addManualReserve({ productId: level.goodwixId, quantity: 1 });

    const run = await exchange();

    assert.equal(run.status, 'completed', JSON.stringify(run.errors));
    assert.deepEqual(integration(level.goodwixId), [], 'a product 1C holds no reserve of shows none');
    assert.deepEqual(integration(jacket52.goodwixId), [], 'a variant too');
    assert.deepEqual(demo.goodwixSandbox.actions.reserves(level.goodwixId).reserves.map((r) => r.id), [manual.id], 'a manual reserve stays');
    assert.equal(integration(drill.goodwixId).length, 1, 'what 1C holds is shown');

    demo.goodwixSandbox.stats.reset();
    const second = await exchange();
    assert.equal(second.status, 'completed', JSON.stringify(second.errors));
    const listings = demo.goodwixSandbox.stats.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/reserves'));
    assert.deepEqual(listings.map((r) => r.path), [], 'the state is seeded once: a second run reads no Goodwix reserves');
    assert.deepEqual(goodwixWrites(), []);
  });

  test('a run without any Goodwix order shows the reserve of the order a manager entered in 1C', async () => {
    const run = await exchange();
    assert.equal(run.status, 'completed', JSON.stringify(run.errors));
    const drills = integration(drill.goodwixId);
    assert.equal(drills.length, 1, JSON.stringify(drills));
    assert.equal(drills[0]!.erp?.number, 'ТД00-000117');
    assert.equal(Number(drills[0]!.quantity), 4);
  });

  let managerOrder: string;
  test('a manager\'s own 1C order reserving a product no Goodwix order holds shows as Integration after the next run', async () => {
    const created = await demo.onec.createOrder(orderInput('MGR-TAPE-1', [line(tape, '7')], { comment: 'entered in 1C' }));
    managerOrder = created.ref;
    await demo.onec.postOrder(created.ref);
    demo.goodwixSandbox.stats.reset();

    const run = await exchange();

    assert.equal(run.status, 'completed', JSON.stringify(run.errors));
    const tapes = integration(tape.goodwixId);
    assert.equal(tapes.length, 1, JSON.stringify(tapes));
    assert.equal(Number(tapes[0]!.quantity), 7);
    assert.equal(tapes[0]!.erp?.number, created.number);
    const writes = goodwixWrites();
    assert.equal(writes.length, 1, `only the product that changed is written: ${JSON.stringify(writes.map((r) => `${r.method} ${r.path}`))}`);
    assert.match(writes[0]!.path, new RegExp(`/reserves/${tape.goodwixId}$`));
  });

  test('a reserve released in 1C clears Goodwix\'s Integration reserve', async () => {
    await new OneCManager(demo.onec).setStatus(managerOrder, 'НеСогласован');

    const run = await exchange();

    assert.equal(run.status, 'completed', JSON.stringify(run.errors));
    assert.deepEqual(integration(tape.goodwixId), []);
    assert.equal(integration(drill.goodwixId).length, 1, 'the other products\' reserves stay');
  });

  test('an idle run makes no Goodwix write', async () => {
    demo.goodwixSandbox.stats.reset();
    demo.onecSandbox.stats.reset();

    const run = await exchange();

    assert.equal(run.status, 'completed', JSON.stringify(run.errors));
    assert.deepEqual(goodwixWrites(), []);
    assert.equal(demo.onecSandbox.stats.requests.filter((r) => r.method !== 'GET').length, 0);
    const balances = demo.onecSandbox.stats.requests.filter((r) => r.path.includes('/Balance('));
    assert.equal(balances.length, 1, `one read of the warehouse's reserves: ${JSON.stringify(demo.onecSandbox.stats.requests.map((r) => r.path))}`);
  });

  test("a product whose Goodwix id the state knows is gone from the catalog (deleted, or uploaded again under a new id) is looked up again, and the products after it are still reconciled", async () => {
    // Prepare: the state names ids Goodwix no longer has for two products 1C reserves; sorted
    // first, a refused push of the drill would have stopped every product after it, run after run.
    const goodwix = new GoodwixClient({ baseUrl: demo.goodwixSandbox.baseUrl, email: demo.goodwixSandbox.supplier.email, password: demo.goodwixSandbox.supplier.password, catalogId: demo.goodwixSandbox.catalogId });
    const key = (p: { ref: string }) => productKey(p.ref, null);
    const state: ReserveState = new Map([
      [key(drill), { hash: 'before-the-catalog-changed', goodwixId: '999001' }],
      [key(tape), { hash: 'before-the-catalog-changed', goodwixId: '999002' }],
    ]);
    await demo.onec.postOrder((await demo.onec.createOrder(orderInput('MGR-TAPE-2', [line(tape, '3')], { comment: 'entered in 1C' }))).ref);
    const recorded = new Map<string, unknown>();

    // Act
    const result = await reconcileReserves({ onec: demo.onec, goodwix }, demoOneC.warehouses.main.ref, state, {
      record: async (told) => {
        for (const [k, v] of told) recorded.set(k, v);
      },
    });

    // Assess
    assert.equal(result.complete, true);
    assert.deepEqual([(recorded.get(key(drill)) as { goodwixId?: string } | null)?.goodwixId, (recorded.get(key(tape)) as { goodwixId?: string } | null)?.goodwixId], [String(drill.goodwixId), String(tape.goodwixId)], 'the state learns the ids the catalog has now');
    assert.equal(integration(drill.goodwixId).length, 1, 'the drill shows what 1C holds');
    assert.ok(integration(tape.goodwixId).some((r) => Number(r.quantity) === 3), 'and so does the product after it');
  });
});
