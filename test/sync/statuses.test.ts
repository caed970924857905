/**
 * Statuses: 1C is the system of record (issue 17). What a manager sets in 1C reaches Goodwix,
 * backwards too; an older read of either side never overwrites a newer one; a shipped order
 * stays watched until it is closed in 1C or the plan's days after its last shipment pass.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demoBuyers, demoProducts } from '#local/demo/supplier';
import { OneCManager } from '#local/onec/manager';
import type { OneCTrade } from '#onec/trade';
import { isRetryable } from '#platform/errors';
import { oneCLocalTime, syncOrder, type SyncPorts } from '#sync/order-sync';
import { stableKey } from '#sync/order-keys';
import { useExchange, type World } from '#test/exchange';

const exchange = useExchange();
const gloves = demoProducts.find((p) => p.sku === 'PRC-HB')!;
const screws = demoProducts[2]!;
const buyer = demoBuyers[0]!;
const DAY = 86_400_000;

async function exported(w: World, lines: { productId: number; quantity: number }[]) {
  const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: buyer.goodwixId, lines });
  const result = await syncOrder(w.ports(), w.request(placed.id));
  assert.equal(result.outcome, 'exported');
  const [doc] = await w.onec.findOrdersByClientNumber(stableKey(String(placed.id)));
  return { id: placed.id, ref: doc!.ref, doc: doc!, manager: new OneCManager(w.onec) };
}

/**
 * Ports whose 1C reads of the order (the document, then its shipments) are held back once read:
 * a worker that read 1C, then stalled (a slow Lambda, a redelivery racing the first delivery).
 */
function stalledAfter1CRead(w: World): { ports: SyncPorts; read: Promise<void>; release: () => void } {
  let reached!: () => void;
  let release!: () => void;
  const read = new Promise<void>((resolve) => (reached = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  const onec = new Proxy(w.onec, {
    get(target, prop) {
      if (prop === 'listShipmentsForOrders') {
        return async (...args: Parameters<OneCTrade['listShipmentsForOrders']>) => {
          const shipments = await target.listShipmentsForOrders(...args);
          reached();
          await gate;
          return shipments;
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { ports: { ...w.ports(), onec }, read, release };
}

/** Runs a sync to its end; a retryable failure is what SQS redelivers, so it is not the test's failure. */
async function settle(run: Promise<unknown>): Promise<void> {
  try {
    await run;
  } catch (error) {
    if (!isRetryable(error)) throw error;
  }
}

describe('statuses: 1C is the system of record', () => {
  test('a manager closes a shipped order in 1C: Goodwix shows it closed', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: gloves.goodwixId, quantity: 3 }]);
    await o.manager.ship(o.ref);
    await syncOrder(w.ports(), w.request(o.id));
    assert.equal((await w.goodwix.order(o.id)).status, 'shipped');

    await o.manager.setStatus(o.ref, 'Закрыт');
    const result = await syncOrder(w.ports(), w.request(o.id));

    assert.equal((await w.goodwix.order(o.id)).status, 'closed', 'Закрыт in 1C reads "Закрыт" in Goodwix');
    assert.equal(result.outcome, 'updated');
    const binding = await w.bindings.get(w.plan.id, String(o.id));
    assert.equal(binding?.open, false, 'a closed order is no longer watched');
  });

  test('a manager moves an order back from КОбеспечению to НеСогласован: Goodwix follows', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: gloves.goodwixId, quantity: 2 }]);
    assert.equal((await w.goodwix.order(o.id)).status, 'in_progress');

    await o.manager.setStatus(o.ref, 'НеСогласован');
    await syncOrder(w.ports(), w.request(o.id));

    assert.equal((await w.goodwix.order(o.id)).status, 'confirmed', 'НеСогласован reads "Подтвержден" again');
    const again = await syncOrder(w.ports(), w.request(o.id));
    assert.equal(again.outcome, 'unchanged', 'and stays so');
  });

  test('an older read never overwrites a newer status: a stalled worker loses to the newer exchange', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: gloves.goodwixId, quantity: 2 }]);

    await o.manager.setStatus(o.ref, 'КОтгрузке');
    const stalled = stalledAfter1CRead(w);
    const old = syncOrder(stalled.ports, w.request(o.id));
    await stalled.read; // it read КОтгрузке
    await o.manager.setStatus(o.ref, 'НеСогласован');
    await syncOrder(w.ports(), w.request(o.id)); // the newer read: НеСогласован
    stalled.release();
    await settle(old);

    assert.equal((await w.goodwix.order(o.id)).status, 'confirmed', 'the stalled read of КОтгрузке did not win');
  });

  test('an older read that landed in Goodwix after a newer exchange that wrote nothing is undone by the redelivery', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: gloves.goodwixId, quantity: 2 }]);

    await o.manager.setStatus(o.ref, 'КОтгрузке');
    const stalled = stalledAfter1CRead(w);
    const old = syncOrder(stalled.ports, w.request(o.id));
    await stalled.read; // it read КОтгрузке
    await o.manager.setStatus(o.ref, 'КОбеспечению');
    await syncOrder(w.ports(), w.request(o.id)); // the newer read: nothing to tell Goodwix
    stalled.release();
    await settle(old); // its Goodwix write lands (nobody moved Goodwix), its binding write loses

    await syncOrder(w.ports(), w.request(o.id)); // the redelivery of its message
    assert.equal((await w.goodwix.order(o.id)).status, 'in_progress', 'Goodwix shows what 1C holds now, not the stalled read');
  });

  test('a shipment unposted after the order showed "Отгружен": back to "В работе", shipped quantities 0', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: gloves.goodwixId, quantity: 4 }, { productId: screws.goodwixId, quantity: 1 }]);
    const shipment = await o.manager.ship(o.ref);
    await syncOrder(w.ports(), w.request(o.id));
    assert.equal((await w.goodwix.order(o.id)).status, 'shipped');
    assert.equal((await w.bindings.get(w.plan.id, String(o.id)))?.open, true, 'a shipped order is still watched');

    await w.onec.unpostShipment(shipment.ref);
    await syncOrder(w.ports(), w.request(o.id));

    const order = await w.goodwix.order(o.id);
    assert.equal(order.status, 'in_progress', '"В работе" again');
    assert.deepEqual(order.lines.map((l) => l.shippedQuantity), ['0.000', '0.000']);
  });
});

describe('the watch after the last shipment', () => {
  test('an order is no longer probed the plan\'s days (default 30) after its last shipment', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: gloves.goodwixId, quantity: 2 }]);
    const now = Date.now();
    await o.manager.ship(o.ref, undefined, { date: oneCLocalTime(new Date(now - 20 * DAY), w.plan.schedule.timeZone) });
    await syncOrder(w.ports(), w.request(o.id));
    assert.equal((await w.goodwix.order(o.id)).status, 'shipped');

    const listed = async (at: Date) => {
      const ids: string[] = [];
      for await (const b of w.bindings.allOpen(w.plan.id, { at })) ids.push(b.orderId);
      return ids;
    };
    assert.deepEqual(await listed(new Date(now)), [String(o.id)], 'shipped 20 days ago: still probed');
    assert.deepEqual(await listed(new Date(now + 11 * DAY)), [], '31 days after the shipment: no longer probed');
    assert.equal((await w.bindings.get(w.plan.id, String(o.id)))?.open, false, 'and its binding says so');
  });

  test('the plan\'s watchDaysAfterShipment sets the watch; a shipment older than it ends the watch at once', async () => {
    const w = await exchange.world({ orders: { watchDaysAfterShipment: 2 } });
    const o = await exported(w, [{ productId: gloves.goodwixId, quantity: 1 }]);
    await o.manager.ship(o.ref, undefined, { date: oneCLocalTime(new Date(Date.now() - 3 * DAY), w.plan.schedule.timeZone) });
    await syncOrder(w.ports(), w.request(o.id));

    const binding = await w.bindings.get(w.plan.id, String(o.id));
    assert.equal((await w.goodwix.order(o.id)).status, 'shipped');
    assert.equal(binding?.open, false, 'shipped 3 days ago, watched 2');
    const ids: string[] = [];
    for await (const b of w.bindings.allOpen(w.plan.id)) ids.push(b.orderId);
    assert.deepEqual(ids, []);
  });
});
