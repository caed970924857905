/**
 * A plan moved to another Goodwix catalog: what the plan last told Goodwix (the reserve state)
 * was about the old catalog, so the new one must be read for the Integration reserves it shows
 * and told what 1C holds, as a plan's first run would. Through the local deployment, against
 * the sandboxes over HTTP and DynamoDB Local.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GoodwixClient } from '#goodwix/client';
import { demoProducts } from '#local/demo/supplier';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { DEMO_PLAN_ID } from '#local/runtime/demo-plan';
import { useDemoDeployment } from '#test/demo-deployment';

const demo = useDemoDeployment();
const drill = demoProducts[0]!;
const level = demoProducts.find((p) => p.sku === 'URV-600')!;
const integration = (sandbox: GoodwixSandbox, goodwixId: number) => sandbox.actions.reserves(goodwixId).reserves.filter((r) => r.source === 'integration');

describe('reserves when a plan moves to another Goodwix catalog', () => {
  test('the new catalog is read for stale Integration reserves and shown what 1C holds, though nothing changed in 1C', async () => {
    // Prepare: a first run tells the old catalog what 1C holds (the drill's reserve of the manager's order)
    const first = await demo.exchange();
    assert.equal(first.status, 'completed', JSON.stringify(first.errors));
    assert.equal(integration(demo.goodwixSandbox, drill.goodwixId).length, 1);
    // The supplier's new catalog shows an Integration reserve 1C does not hold (left by an earlier integration)
    const newCatalog = await startGoodwixSandbox({ seed: 'empty', catalogId: demo.goodwixSandbox.catalogId + 1 });
    try {
      const goodwix = new GoodwixClient({ baseUrl: newCatalog.baseUrl, email: newCatalog.supplier.email, password: newCatalog.supplier.password, catalogId: newCatalog.catalogId });
      await goodwix.replaceIntegrationReserves(level.goodwixId, [{ quantity: '2.000', erp: { orderId: '0f0e0d0c-0000-4000-8000-00000000dead', number: 'ТД00-000999' } }]);
      const plan = (await demo.api('GET', `/plans/${DEMO_PLAN_ID}`)).body!;
      const moved = await demo.api('PUT', `/plans/${DEMO_PLAN_ID}`, { ...plan, goodwix: { ...plan['goodwix'], baseUrl: newCatalog.baseUrl, catalogId: newCatalog.catalogId } });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));

      // Act
      const run = await demo.exchange();

      // Assess
      assert.equal(run.status, 'completed', JSON.stringify(run.errors));
      const drills = integration(newCatalog, drill.goodwixId);
      assert.deepEqual(drills.map((r) => [r.erp?.number, Number(r.quantity)]), [['ТД00-000117', 4]], 'what 1C holds is shown in the new catalog');
      assert.deepEqual(integration(newCatalog, level.goodwixId), [], 'a reserve 1C does not hold is cleared from the new catalog');
    } finally {
      await newCatalog.close();
    }
  });
});
