/**
 * The collector's 1C probes, set-wise: the exchange's orders not closed in 1C read as one
 * filtered list, the shipments since the oldest of them as another — a constant number of 1C
 * requests whatever the number of open orders — and still every change a manager makes in 1C is
 * seen by the next run: a shipment posted, a shipment unposted, an order closed (which leaves the
 * list and is read by key). Through the local deployment, against the sandboxes over HTTP.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demoBuyers, demoProducts } from '#local/demo/supplier';
import { OneCManager } from '#local/onec/manager';
import { stableKey } from '#sync/order-keys';
import { useDemoDeployment } from '#test/demo-deployment';

const demo = useDemoDeployment();
const { exchange } = demo;

const drill = demoProducts[0]!;
const screws = demoProducts[2]!;
const queued = (run: Record<string, any>): string[] => (run.orders.items as { orderId: string }[]).map((o) => o.orderId);

describe('the collector reads 1C set-wise and still sees every change a manager makes', () => {
  const ids: number[] = [];
  const refs: string[] = [];

  test('three orders exported, then an idle run: one list of orders and one of shipments, no key lists', async () => {
    for (const buyer of demoBuyers.slice(0, 2)) {
      ids.push(demo.goodwixSandbox.actions.placeOrder({ buyerId: buyer.goodwixId, lines: [{ productId: drill.goodwixId, quantity: 2 }, { productId: screws.goodwixId, quantity: 5 }] }).id);
    }
    ids.push(demo.goodwixSandbox.actions.placeOrder({ buyerId: demoBuyers[0]!.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 3 }] }).id);
    const first = await exchange();
    assert.equal(first.counters.exported, 3, JSON.stringify(first.errors));
    for (const id of ids) refs.push((await demo.onec.findOrdersByClientNumber(stableKey(String(id))))[0]!.ref);
    await exchange(); // the exchange's own Goodwix updates come back through the feed once
    demo.onecSandbox.stats.reset();

    const idle = await exchange();

    assert.deepEqual(queued(idle), []);
    assert.equal(demo.onecSandbox.stats.count({ method: 'GET', entitySet: 'Document_ЗаказКлиента' }), 1, 'the open orders\' versions: one filtered list');
    assert.equal(demo.onecSandbox.stats.count({ method: 'GET', entitySet: 'Document_РеализацияТоваровУслуг' }), 1, 'the shipments since the oldest open order: one list');
    assert.equal(demo.onecSandbox.stats.count({ method: 'GET', entitySet: 'Document_РеализацияТоваровУслуг_Товары' }), 0, 'no shipment rows read by order');
  });

  let shipment: string;
  test('a shipment posted in 1C reaches Goodwix at the next run', async () => {
    const doc = await demo.onec.readOrder(refs[0]!);
    const drillRow = doc.items.find((r) => r.product === drill.ref)!;
    shipment = (await new OneCManager(demo.onec).ship(refs[0]!, { [drillRow.lineCode]: 1 })).ref;

    const run = await exchange();

    assert.deepEqual(queued(run), [String(ids[0])]);
    const line = demo.goodwixSandbox.actions.order(ids[0]!).lines.find((l) => l.productId === drill.goodwixId)!;
    assert.equal(Number(line.shippedQuantity), 1);
  });

  test('a shipment unposted in 1C reaches Goodwix at the next run', async () => {
    await demo.onec.unpostShipment(shipment);

    const run = await exchange();

    assert.deepEqual(queued(run), [String(ids[0])]);
    const line = demo.goodwixSandbox.actions.order(ids[0]!).lines.find((l) => l.productId === drill.goodwixId)!;
    assert.equal(Number(line.shippedQuantity), 0);
  });

  test('an order closed in 1C leaves the list of open orders and is still seen, read by key', async () => {
    await new OneCManager(demo.onec).setStatus(refs[2]!, 'Закрыт');

    const run = await exchange();

    assert.ok(queued(run).includes(String(ids[2])), JSON.stringify(queued(run)));
  });
});
