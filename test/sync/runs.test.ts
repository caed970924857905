import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demoBuyers, demoOneC, demoProducts } from '#local/demo/supplier';
import { OneCManager } from '#local/onec/manager';
import { DEMO_PLAN_ID } from '#local/runtime/demo-plan';
import { stableKey } from '#sync/order-keys';
import { useDemoDeployment } from '#test/demo-deployment';

const demo = useDemoDeployment();
const { api, exchange } = demo;

const drill = demoProducts[0]!;
const screws = demoProducts[2]!;
const tape = demoProducts.find((p) => p.sku === 'LNT-4850')!;
const [headOffice, , contractBuyer, soleTrader] = demoBuyers;

describe('runs of the demo plan through the local deployment', () => {
  let autoConfirmed: number;
  let handConfirmed: number;
  let waiting: number;

  test('a run exports the auto-confirmed and the hand-confirmed orders, not the one still waiting, and shows 1C\'s reserves in Goodwix', async () => {
    autoConfirmed = demo.goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: drill.goodwixId, quantity: 3 }, { productId: tape.goodwixId, quantity: 10 }] }).id;
    handConfirmed = demo.goodwixSandbox.actions.placeOrder({ buyerId: contractBuyer!.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 20 }] }).id;
    demo.goodwixSandbox.actions.confirmOrder(handConfirmed);
    waiting = demo.goodwixSandbox.actions.placeOrder({ buyerId: soleTrader!.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 1 }] }).id;

    const run = await exchange();

    assert.equal(run.status, 'completed', JSON.stringify(run.errors));
    assert.equal(run.counters.exported, 2);
    assert.equal((await demo.onec.findOrdersByClientNumber(stableKey(String(autoConfirmed)))).length, 1);
    assert.equal((await demo.onec.findOrdersByClientNumber(stableKey(String(handConfirmed)))).length, 1);
    assert.deepEqual(await demo.onec.findOrdersByClientNumber(stableKey(String(waiting))), []);

    const drillReserves = demo.goodwixSandbox.actions.reserves(drill.goodwixId).reserves.filter((r) => r.source === 'integration');
    const ours = drillReserves.find((r) => r.order?.id === autoConfirmed);
    assert.equal(Number(ours?.quantity), 3, 'the exported order holds its drills, marked Integration');
    const madeIn1C = drillReserves.find((r) => r.order === null);
    assert.equal(madeIn1C?.erp?.number, 'ТД00-000117', 'the order entered directly in 1C shows too');
    assert.equal(Number(madeIn1C?.quantity), 4);
  });

  test('a run with nothing new writes nothing to 1C or Goodwix', async () => {
    demo.onecSandbox.stats.reset();
    demo.goodwixSandbox.stats.reset();

    const run = await exchange();

    assert.equal(run.status, 'completed');
    assert.deepEqual(run.counters, { exported: 0, updatedInOneC: 0, updatedInGoodwix: 0, conflicts: 0, failed: 0 });
    assert.deepEqual(run.orders.items, [], "the exchange's own Goodwix updates, back through the feed, are not news: nothing is queued");
    assert.equal(demo.onecSandbox.stats.count({ entitySet: 'Document_ЗаказКлиента' }), 1, 'one batched probe of the open orders, no order read one by one');
    assert.equal(demo.onecSandbox.stats.requests.filter((r) => r.method !== 'GET').length, 0);
    assert.equal(demo.goodwixSandbox.stats.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/auth/login')).length, 0);
  });

  test('a row a manager rejects in 1C reaches the buyer\'s "Отменено" column and the Integration reserve shrinks', async () => {
    const [doc] = await demo.onec.findOrdersByClientNumber(stableKey(String(autoConfirmed)));
    const drillRow = doc!.items.find((r) => r.product === drill.ref)!;
    await new OneCManager(demo.onec).rejectRow(doc!.ref, drillRow.lineCode, demoOneC.cancelReasons.outOfStock.ref);

    const run = await exchange();

    assert.equal(run.counters.updatedInGoodwix, 1);
    const line = demo.goodwixSandbox.actions.buyerView(autoConfirmed).lines.find((l) => l.sku === drill.sku)!;
    assert.deepEqual([Number(line.cancelled), line.cancelReason], [3, 'Нет в наличии']);
    const ours = demo.goodwixSandbox.actions.reserves(drill.goodwixId).reserves.find((r) => r.source === 'integration' && r.order?.id === autoConfirmed);
    assert.equal(ours, undefined, 'the rejected drills are no longer reserved');
  });

  test('an order that cannot be mapped is parked with its reason, visible through the API, and exported by a later run once fixed', async () => {
    // The supplier marked the level for deletion in 1C after uploading it to Goodwix.
    const level = demoProducts.find((p) => p.sku === 'URV-600')!;
    await demo.onec.client.update('Catalog_Номенклатура', level.ref, { DeletionMark: true });
    const id = demo.goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: level.goodwixId, quantity: 1 }] }).id;

    const first = await exchange();

    assert.equal(first.counters.failed, 1);
    const entry = first.orders.items.find((o: { orderId: string }) => o.orderId === String(id));
    assert.equal(entry.error.code, 'SYNC_UNMAPPED_PRODUCT');
    assert.match(entry.error.message, /арт\. URV-600/);
    const record = (await api('GET', `/plans/${DEMO_PLAN_ID}/orders/${id}`)).body!;
    assert.equal(record.parked.code, 'SYNC_UNMAPPED_PRODUCT');

    await demo.onec.client.update('Catalog_Номенклатура', level.ref, { DeletionMark: false });
    const second = await exchange();

    assert.equal(second.counters.exported, 1, 'picked up again although Goodwix did not change it');
    assert.equal((await demo.onec.findOrdersByClientNumber(stableKey(String(id)))).length, 1);
    assert.equal((await api('GET', `/plans/${DEMO_PLAN_ID}/orders/${id}`)).body!.parked, null);
  });

  test('a resync request exchanges one order even when neither side moved', async () => {
    demo.onecSandbox.stats.reset();
    const started = await api('POST', `/plans/${DEMO_PLAN_ID}/orders/${handConfirmed}/resync`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    await demo.runtime.drain({ timeoutMs: 60_000 });

    const run = (await api('GET', `/plans/${DEMO_PLAN_ID}/runs/${started.body!.runId}`)).body!;
    assert.equal(run.trigger, 'resync');
    assert.deepEqual(run.orders.items.map((o: { orderId: string; outcome: string }) => [o.orderId, o.outcome]), [[String(handConfirmed), 'unchanged']]);
    assert.ok(demo.onecSandbox.stats.count({ entitySet: 'Document_ЗаказКлиента' }) > 0, 'the order was read from 1C');
  });
});
