/**
 * A message redelivered within its run after the attempt that did the work died before the run
 * recorded it (a killed Lambda between `syncOrder` and `progress.complete`). Found by the chaos
 * suite (`npm run chaos -- --fast --seed 13`): the redelivery found the order up to date and
 * reported it with no products, so the run never refreshed the reserves the dead attempt had
 * moved, and no later run did either (Goodwix showed none for the product). The redelivery
 * still writes nothing and says `unchanged` (it changed nothing), but reports those products.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demoBuyers, demoProducts } from '#local/demo/supplier';
import { OneCManager } from '#local/onec/manager';
import { syncOrder } from '#sync/order-sync';
import { stableKey } from '#sync/order-keys';
import { useExchange } from '#test/exchange';

const exchange = useExchange();
const drill = demoProducts[0]!;
const screws = demoProducts[2]!;
const buyer = demoBuyers[0]!;

describe('a message redelivered in the same run after the attempt that did the work died', () => {
  test('reports the products of the export that attempt made, and writes nothing', async () => {
    const w = await exchange.world();
    const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: buyer.goodwixId, lines: [{ productId: drill.goodwixId, quantity: 1 }, { productId: screws.goodwixId, quantity: 2 }] });
    const request = w.request(placed.id, { runId: 'run-1' });
    const first = await syncOrder(w.ports(), request);
    assert.equal(first.outcome, 'exported');

    // The invocation died here: the run never heard of the result. The message comes back.
    const again = await syncOrder(w.ports(), request);

    assert.equal(again.outcome, 'unchanged');
    assert.deepEqual(again.products.map((p) => p.nomenclature).sort(), first.products.map((p) => p.nomenclature).sort(), 'the reserves of its products are refreshed');
    assert.equal((await w.onec.findOrdersByClientNumber(stableKey(String(placed.id)))).length, 1, 'and nothing was written twice');
  });

  test('reports the products of an update, those of the lines it removed included', async () => {
    const w = await exchange.world();
    const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: buyer.goodwixId, lines: [{ productId: drill.goodwixId, quantity: 1 }, { productId: screws.goodwixId, quantity: 2 }] });
    await syncOrder(w.ports(), w.request(placed.id, { runId: 'run-1' }));
    const [doc] = await w.onec.findOrdersByClientNumber(stableKey(String(placed.id)));
    const screwRow = doc!.items.find((r) => r.product === screws.ref)!;
    await new OneCManager(w.onec).removeRow(doc!.ref, screwRow.lineCode);
    const request = w.request(placed.id, { runId: 'run-2' });
    const first = await syncOrder(w.ports(), request);
    assert.equal(first.outcome, 'updated');

    const again = await syncOrder(w.ports(), request);

    assert.equal(again.outcome, 'unchanged');
    assert.ok(again.products.some((p) => p.nomenclature === screws.ref), 'the removed line\'s product: its reserve is gone');
  });

  test('a later run still finds the order unchanged and reports nothing to refresh', async () => {
    const w = await exchange.world();
    const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: buyer.goodwixId, lines: [{ productId: drill.goodwixId, quantity: 1 }] });
    await syncOrder(w.ports(), w.request(placed.id, { runId: 'run-1' }));

    const next = await syncOrder(w.ports(), w.request(placed.id, { runId: 'run-2' }));

    assert.equal(next.outcome, 'unchanged');
    assert.deepEqual(next.products, [], 'a quiet run writes no reserves');
  });
});
