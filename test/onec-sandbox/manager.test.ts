/**
 * A 1C manager's status changes (local/onec/manager.ts) against the sandbox over HTTP, through
 * the real 1C client: what UT does with the reserve at the next posting.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { OneCManager } from '#local/onec/manager';
import { OneCTrade } from '#onec/trade';
import { line, orderInput, product } from '#test/onec-orders';

let sandbox: OneCSandbox;
let trade: OneCTrade;
let manager: OneCManager;
let serial = 0;

before(async () => {
  sandbox = await startOneCSandbox();
  trade = OneCTrade.connect({ baseUrl: sandbox.baseUrl, login: sandbox.login, password: sandbox.password, requestTimeoutMs: 5000, coldStartTimeoutMs: 5000 });
  manager = new OneCManager(trade);
});
after(async () => {
  trade?.close();
  await sandbox?.close();
});

/** A posted order reserving `quantity` of a product, as the exchange leaves it. */
async function postedOrder(sku: string, quantity: string) {
  const created = await trade.createOrder(orderInput(`GW-M${++serial}`, [line(product(sku), quantity)]));
  return trade.postOrder(created.ref);
}

/** What the order holds of the product (ВРезерве + КОтгрузке). */
async function held(order: string, sku: string): Promise<number> {
  const rows = await trade.readReserves({ products: [product(sku).ref] });
  return rows.filter((r) => r.order?.ref === order).reduce((sum, r) => sum + Number(r.reserved) + Number(r.toShip), 0);
}

describe('a 1C manager changes an order\'s status', () => {
  test('back to НеСогласован: the order stays posted and its reserve is released at that posting; К обеспечению brings it back', async () => {
    // Prepare
    const order = await postedOrder('SMR-3535', '4');
    assert.equal(await held(order.ref, 'SMR-3535'), 4);
    // Act
    const back = await manager.setStatus(order.ref, 'НеСогласован');
    const releasedTo = await held(order.ref, 'SMR-3535');
    const again = await manager.setStatus(order.ref, 'КОбеспечению');
    // Assess
    assert.deepEqual([back.status, back.posted, back.agreed], ['НеСогласован', true, false]);
    assert.equal(releasedTo, 0);
    assert.deepEqual([again.status, again.posted, again.agreed], ['КОбеспечению', true, true]);
    assert.equal(await held(order.ref, 'SMR-3535'), 4);
    assert.notEqual(again.dataVersion, back.dataVersion);
  });

  test('Закрыт after a partial shipment: the rest of the reserve is released, the shipment still counts', async () => {
    // Prepare
    const order = await postedOrder('SMR-3535', '6');
    const shipment = await manager.ship(order.ref, { [order.items[0]!.lineCode]: 2 });
    assert.equal(await held(order.ref, 'SMR-3535'), 4);
    // Act
    const closed = await manager.setStatus(order.ref, 'Закрыт');
    // Assess
    assert.deepEqual([closed.status, closed.posted], ['Закрыт', true]);
    assert.equal(await held(order.ref, 'SMR-3535'), 0);
    const shipments = await trade.listShipmentsForOrders([order.ref]);
    assert.deepEqual(shipments.map((s) => [s.ref, s.posted, s.items[0]!.quantity]), [[shipment.ref, true, '2.000']]);
  });

  test('Закрыт after a full shipment, then reopened: nothing is reserved again for what was shipped', async () => {
    // Prepare
    const order = await postedOrder('SMR-3535', '3');
    await manager.ship(order.ref);
    // Act
    const closed = await manager.setStatus(order.ref, 'Закрыт');
    const reopened = await manager.setStatus(order.ref, 'КОбеспечению');
    // Assess
    assert.equal(closed.status, 'Закрыт');
    assert.equal(reopened.status, 'КОбеспечению');
    assert.equal(await held(order.ref, 'SMR-3535'), 0);
  });
});
