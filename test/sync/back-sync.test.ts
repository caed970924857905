import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demoBuyers, demoOneC, demoProducts } from '#local/demo/supplier';
import { OneCManager } from '#local/onec/manager';
import { syncOrder } from '#sync/order-sync';
import { stableKey } from '#sync/order-keys';
import { useExchange, type World } from '#test/exchange';

const exchange = useExchange();
const drill = demoProducts[0]!;
const screws = demoProducts[2]!;
const gloves = demoProducts.find((p) => p.sku === 'PRC-HB')!;
const tape = demoProducts.find((p) => p.sku === 'LNT-4850')!;
const buyer = demoBuyers[0]!;
const reasons = demoOneC.cancelReasons;

/** An order placed in Goodwix and exported to 1C: the starting point of every case here. */
async function exported(w: World, lines: { productId: number; quantity: number }[]) {
  const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: buyer.goodwixId, lines });
  const result = await syncOrder(w.ports(), w.request(placed.id));
  assert.equal(result.outcome, 'exported');
  const [doc] = await w.onec.findOrdersByClientNumber(stableKey(String(placed.id)));
  return { id: placed.id, ref: doc!.ref, doc: doc!, manager: new OneCManager(w.onec) };
}

describe('1C → Goodwix', () => {
  test('a row rejected in 1C with a reason shows as cancelled with that reason, and its reserve is released', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: drill.goodwixId, quantity: 1 }, { productId: screws.goodwixId, quantity: 4 }]);
    const screwRow = o.doc.items[1]!;

    await o.manager.rejectRow(o.ref, screwRow.lineCode, reasons.outOfStock.ref);
    const result = await syncOrder(w.ports(), w.request(o.id));

    assert.equal(result.outcome, 'updated');
    const screwsLine = w.goodwixSandbox.actions.buyerView(o.id).lines.find((l) => l.sku === screws.sku)!;
    assert.equal(Number(screwsLine.cancelled), 4, 'the buyer sees 4 in "Отменено"');
    assert.equal(screwsLine.cancelReason, 'Нет в наличии');
    const held = (await w.onec.readReserves({ products: [screws.ref] })).filter((r) => r.order?.ref === o.ref);
    assert.deepEqual(held, [], '1C released the reserve of the rejected row');
    assert.ok(result.products.some((p) => p.nomenclature === screws.ref), 'the product is reported for the reserve refresh');
  });

  test('part of a row rejected in 1C (row split) shows as a partial cancellation of the same Goodwix line', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: gloves.goodwixId, quantity: 10 }]);

    await o.manager.rejectPartOfRow(o.ref, o.doc.items[0]!.lineCode, 3, reasons.outOfStock.ref);
    await syncOrder(w.ports(), w.request(o.id));

    const order = await w.goodwix.order(o.id);
    assert.equal(order.lines.length, 1);
    assert.deepEqual([order.lines[0]!.quantity, order.lines[0]!.cancelledQuantity], ['10.000', '3.000']);
    assert.equal(order.lines[0]!.amount, '245.00', 'the line total covers the 7 still to deliver');
  });

  test('prices, discounts and VAT corrected in 1C reach Goodwix with 1C\'s amounts', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: drill.goodwixId, quantity: 2 }]);

    await o.manager.setPrice(o.ref, o.doc.items[0]!.lineCode, 5000, 10);
    await o.manager.setVatRate(o.ref, o.doc.items[0]!.lineCode, demoOneC.vatRates.vat10.ref);
    await syncOrder(w.ports(), w.request(o.id));

    const line = (await w.goodwix.order(o.id)).lines[0]!;
    assert.deepEqual([line.price, line.discountPercent, line.discountAmount, line.vatRate, line.amount, line.vatAmount], ['5000.00', '10.00', '1000.00', '10.00', '9000.00', '818.18']);
  });

  test('a line added in 1C is added in Goodwix, and a line removed in 1C is removed', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: drill.goodwixId, quantity: 1 }, { productId: screws.goodwixId, quantity: 2 }]);

    await o.manager.removeRow(o.ref, o.doc.items[1]!.lineCode);
    await o.manager.addRow(o.ref, { product: tape.ref, quantity: 6, price: 149, vatRate: demoOneC.vatRates.vat20.ref });
    const first = await syncOrder(w.ports(), w.request(o.id));
    const again = await syncOrder(w.ports(), w.request(o.id));

    const order = await w.goodwix.order(o.id);
    assert.deepEqual(order.lines.map((l) => [l.productId, l.quantity]).sort(), [[drill.goodwixId, '1.000'], [tape.goodwixId, '6.000']].sort());
    assert.equal(first.outcome, 'updated');
    assert.equal(again.outcome, 'unchanged', 'the added line is bound: nothing moves on the next exchange');
    const binding = await w.bindings.get(w.plan.id, String(o.id));
    const tapeLine = binding!.base!.lines.find((l) => l.product.nomenclature === tape.ref)!;
    assert.equal(tapeLine.key, order.lines.find((l) => l.productId === tape.goodwixId)!.id, 'keyed by its new Goodwix line id');
  });

  test('a line added in 1C with a product Goodwix does not list parks the order naming the product, and drops nothing', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: drill.goodwixId, quantity: 1 }]);
    // A product created in 1C and never uploaded to Goodwix (the test acts as 1C, so OData names are fine here).
    const created = (await w.onec.client.create('Catalog_Номенклатура', { Description: 'Стремянка алюминиевая 5 ступеней', Артикул: 'STR-5' })) as { Ref_Key: string };
    await o.manager.addRow(o.ref, { product: created.Ref_Key, quantity: 1, price: 3200, vatRate: demoOneC.vatRates.vat20.ref, provision: 'КОбеспечению' });

    const result = await syncOrder(w.ports(), w.request(o.id));

    assert.equal(result.outcome, 'parked');
    assert.match(result.message ?? '', /«Стремянка алюминиевая 5 ступеней» \(арт\. STR-5\) has no Goodwix product in catalog 2369/);
    const binding = await w.bindings.get(w.plan.id, String(o.id));
    assert.equal(binding?.parked?.code, 'SYNC_UNMAPPED_PRODUCT');
    assert.equal((await w.goodwix.order(o.id)).lines.length, 1, 'Goodwix was not half-updated');
  });

  test('partial then full shipment read from posted РеализацияТоваровУслуг: "partially_shipped", then "shipped", still watched', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: gloves.goodwixId, quantity: 10 }, { productId: screws.goodwixId, quantity: 2 }]);
    const [gloveRow, screwRow] = o.doc.items;

    await o.manager.ship(o.ref, { [gloveRow!.lineCode]: 4 });
    await syncOrder(w.ports(), w.request(o.id));
    let order = await w.goodwix.order(o.id);
    assert.equal(order.status, 'partially_shipped');
    assert.equal(order.lines.find((l) => l.productId === gloves.goodwixId)!.shippedQuantity, '4.000');

    await o.manager.ship(o.ref, { [gloveRow!.lineCode]: 6, [screwRow!.lineCode]: 2 });
    await syncOrder(w.ports(), w.request(o.id));
    order = await w.goodwix.order(o.id);
    assert.equal(order.status, 'shipped', '"Отгружен"');
    assert.deepEqual(order.lines.map((l) => l.shippedQuantity).sort(), ['10.000', '2.000'].sort());
    const binding = await w.bindings.get(w.plan.id, String(o.id));
    assert.equal(binding?.open, true, 'a shipped order is watched until closed in 1C or its watch ends');
    assert.ok(binding?.watchUntil, 'with the end of its watch');
  });

  test('an unposted shipment stops counting, and the status follows 1C back', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: gloves.goodwixId, quantity: 5 }]);
    const shipment = await o.manager.ship(o.ref, { [o.doc.items[0]!.lineCode]: 2 });
    await syncOrder(w.ports(), w.request(o.id));
    assert.equal((await w.goodwix.order(o.id)).lines[0]!.shippedQuantity, '2.000');

    await w.onec.unpostShipment(shipment.ref);
    await syncOrder(w.ports(), w.request(o.id));

    assert.equal((await w.goodwix.order(o.id)).lines[0]!.shippedQuantity, '0.000');
    assert.equal((await w.goodwix.order(o.id)).status, 'in_progress', 'nothing shipped any more: "В работе" again');
  });

  test('the whole order cancelled in 1C reads "rejected" in Goodwix with every line cancelled', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: drill.goodwixId, quantity: 1 }, { productId: screws.goodwixId, quantity: 1 }]);

    await o.manager.cancelOrder(o.ref, reasons.buyerRefused.ref);
    await syncOrder(w.ports(), w.request(o.id));

    const order = await w.goodwix.order(o.id);
    assert.equal(order.status, 'rejected');
    assert.ok(order.lines.every((l) => l.cancelledQuantity === l.quantity && l.cancelReason === 'Отказ клиента'));
  });

  test('a 1C write that changes nothing moves DataVersion but sends nothing to Goodwix', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: screws.goodwixId, quantity: 1 }]);
    const before = (await w.goodwix.order(o.id)).version;

    await o.manager.touch(o.ref);
    w.goodwixSandbox.stats.reset();
    const result = await syncOrder(w.ports(), w.request(o.id));

    assert.equal(result.outcome, 'unchanged');
    assert.equal(w.goodwixSandbox.stats.count({ method: 'PATCH' }), 0);
    assert.equal((await w.goodwix.order(o.id)).version, before);
    const binding = await w.bindings.get(w.plan.id, String(o.id));
    assert.equal(binding?.onecDataVersion, (await w.onec.readOrder(o.ref)).dataVersion, 'the new version is recorded, so the next probe is quiet');
  });
});

describe('Goodwix → 1C after export', () => {
  test('a line the buyer cancels in part becomes a split row in 1C: the rest stays reserved', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: gloves.goodwixId, quantity: 10 }]);
    const line = (await w.goodwix.order(o.id)).lines[0]!;

    w.goodwixSandbox.actions.cancelLine(o.id, line.id, { quantity: 4, reason: 'Передумал' });
    await syncOrder(w.ports(), w.request(o.id));

    const doc = await w.onec.readOrder(o.ref);
    assert.deepEqual(doc.items.map((r) => [r.quantity, r.cancelled, r.cancelReason]), [
      ['6.000', false, null],
      ['4.000', true, reasons.fromSite.ref],
    ]);
    assert.equal(doc.items[0]!.lineCode, o.doc.items[0]!.lineCode, 'the remaining row keeps its КодСтроки');
    assert.equal(doc.posted, true, 're-posted');
    const held = (await w.onec.readReserves({ products: [gloves.ref] })).find((r) => r.order?.ref === o.ref);
    assert.equal(held?.reserved, '6.000');
    const after = (await w.goodwix.order(o.id)).lines[0]!;
    assert.equal(after.cancelReason, 'Отменен на сайте', 'Goodwix shows the reason as 1C names it');
  });

  test('the buyer cancelling the whole order cancels every row in 1C', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: drill.goodwixId, quantity: 1 }]);

    w.goodwixSandbox.actions.cancelOrder(o.id, 'Заказали у другого поставщика');
    await syncOrder(w.ports(), w.request(o.id));

    const doc = await w.onec.readOrder(o.ref);
    assert.ok(doc.items.every((r) => r.cancelled));
    assert.equal((await w.goodwix.order(o.id)).status, 'cancelled');
    assert.equal((await w.bindings.get(w.plan.id, String(o.id)))?.open, false);
  });
});

describe('conflicts: 1C wins', () => {
  test('the same line edited on both sides takes 1C\'s values, keeps Goodwix-only changes elsewhere, and records the conflict', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: drill.goodwixId, quantity: 3 }, { productId: screws.goodwixId, quantity: 5 }]);
    const gw = await w.goodwix.order(o.id);
    const drillLine = gw.lines.find((l) => l.productId === drill.goodwixId)!;
    const screwLine = gw.lines.find((l) => l.productId === screws.goodwixId)!;

    w.goodwixSandbox.actions.editLine(o.id, drillLine.id, { price: '5200.00' });
    w.goodwixSandbox.actions.editLine(o.id, screwLine.id, { quantity: '8' });
    await o.manager.setPrice(o.ref, o.doc.items[0]!.lineCode, 5100);
    const result = await syncOrder(w.ports(), w.request(o.id));

    assert.deepEqual(result.conflicts.map((c) => [c.field, c.goodwix, c.onec]), [['price', '5200.00', '5100.00']]);
    const after = await w.goodwix.order(o.id);
    assert.equal(after.lines.find((l) => l.id === drillLine.id)!.price, '5100.00', '1C won the price');
    assert.equal(after.lines.find((l) => l.id === screwLine.id)!.quantity, '8.000', 'the Goodwix-only change is kept');
    const doc = await w.onec.readOrder(o.ref);
    assert.deepEqual(doc.items.map((r) => [r.price, r.quantity]), [['5100.00', '3.000'], ['420.50', '8.000']]);
    const binding = await w.bindings.get(w.plan.id, String(o.id));
    assert.equal(binding?.conflicts[0]?.field, 'price');
    assert.equal(binding?.history[0]?.conflicts, 1);
  });

  test('a replayed old message changes nothing', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: screws.goodwixId, quantity: 2 }]);
    await o.manager.setPrice(o.ref, o.doc.items[0]!.lineCode, 400);
    await syncOrder(w.ports(), w.request(o.id));
    const versions = { goodwix: (await w.goodwix.order(o.id)).version, onec: (await w.onec.readOrder(o.ref)).dataVersion };

    const replay = await syncOrder(w.ports(), w.request(o.id));

    assert.equal(replay.outcome, 'unchanged');
    assert.deepEqual({ goodwix: (await w.goodwix.order(o.id)).version, onec: (await w.onec.readOrder(o.ref)).dataVersion }, versions);
  });

  test('two workers racing on one order: the one computed from a stale base loses and the redo converges', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: screws.goodwixId, quantity: 2 }]);
    await o.manager.setPrice(o.ref, o.doc.items[0]!.lineCode, 410);

    // Both read the same binding; the slower one's write must fail on the revision condition.
    const stale = await w.bindings.get(w.plan.id, String(o.id));
    await syncOrder(w.ports(), w.request(o.id));
    const racer = { ...w.ports(), bindings: Object.assign(Object.create(w.bindings), { get: async () => stale }) as typeof w.bindings };
    await assert.rejects(syncOrder(racer, w.request(o.id)), (e: Error & { code?: string }) => ['SYNC_BINDING_RACE_LOST', 'SYNC_STALE_1C_READ'].includes(e.code ?? ''));

    const redo = await syncOrder(w.ports(), w.request(o.id));
    assert.equal(redo.outcome, 'unchanged');
    assert.equal((await w.goodwix.order(o.id)).lines[0]!.price, '410.00');
  });
});

describe('the collector\'s shipment probe', () => {
  test('sees for each order the same posted shipments, at the same versions, as the exchange reads in full', async () => {
    const w = await exchange.world();
    const o = await exported(w, [{ productId: gloves.goodwixId, quantity: 9 }]);
    const other = await exported(w, [{ productId: gloves.goodwixId, quantity: 2 }]);
    const code = o.doc.items[0]!.lineCode;
    await o.manager.ship(o.ref, { [code]: 2 });
    const unposted = await o.manager.ship(o.ref, { [code]: 3 });
    await w.onec.unpostShipment(unposted.ref);
    await o.manager.ship(o.ref, { [code]: 1 });

    const probed = await w.onec.probeShipments([o.ref, other.ref]);
    const full = await w.onec.listShipmentsForOrders([o.ref]);

    const pick = (s: { ref: string; dataVersion: string; posted: boolean; deletionMark: boolean }) => ({ ref: s.ref, dataVersion: s.dataVersion, posted: s.posted, deletionMark: s.deletionMark });
    const byRef = (a: { ref: string }, b: { ref: string }) => a.ref.localeCompare(b.ref);
    assert.equal(full.length, 2, 'two posted shipments, the unposted one left out');
    assert.deepEqual(probed.get(o.ref)!.map(pick).sort(byRef), full.map(pick).sort(byRef));
    assert.equal(probed.get(other.ref), undefined, 'an order without shipments has none');
  });
});
