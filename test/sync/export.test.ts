import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demoBuyers, demoOneC, demoProducts } from '#local/demo/supplier';
import { syncOrder } from '#sync/order-sync';
import { stableKey } from '#sync/order-keys';
import { useExchange, type World } from '#test/exchange';

const exchange = useExchange();
const drill = demoProducts[0]!;
const screws = demoProducts[2]!;
const level = demoProducts.find((p) => p.sku === 'URV-600')!;
const [headOffice, , contractBuyer] = demoBuyers;

describe('Goodwix → 1C export', () => {
  test('turns an auto-confirmed order into a posted 1C order filled from the plan, reserved, and tells Goodwix its number', async () => {
    const w = await exchange.world();
    const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: drill.goodwixId, quantity: 2 }, { productId: screws.goodwixId, quantity: 5 }], comment: 'Доставка до 12:00' });
    assert.equal(placed.status, 'confirmed', 'price list 501 confirms automatically');

    const result = await syncOrder(w.ports(), w.request(placed.id));

    assert.equal(result.outcome, 'exported');
    const [doc] = await w.onec.findOrdersByClientNumber(stableKey(String(placed.id)));
    assert.ok(doc, 'the order is in 1C under its stable key');
    assert.deepEqual(
      { posted: doc.posted, status: doc.status, agreed: doc.agreed, organization: doc.organization, warehouse: doc.warehouse, manager: doc.manager, agreement: doc.agreement, partner: doc.partner, counterparty: doc.counterparty, currency: doc.currency, settlement: doc.settlement, operation: doc.operation, priceIncludesVat: doc.priceIncludesVat, vatTaxation: doc.vatTaxation },
      { posted: true, status: 'КОбеспечению', agreed: true, organization: demoOneC.organization.ref, warehouse: demoOneC.warehouses.main.ref, manager: demoOneC.manager.ref, agreement: demoOneC.agreements.standard.ref, partner: headOffice!.partnerRef, counterparty: headOffice!.counterpartyRef, currency: demoOneC.currency.ref, settlement: 'ПоЗаказам', operation: 'РеализацияКлиенту', priceIncludesVat: true, vatTaxation: 'ПродажаОблагаетсяНДС' },
    );
    assert.match(doc.comment, /Доставка до 12:00/);
    assert.ok(doc.clientDate, 'ДатаПоДаннымКлиента is the Goodwix order date');
    assert.deepEqual(doc.items.map((r) => [r.product, r.quantity, r.price, r.vatRate, r.amountWithVat, r.provision, r.warehouse]), [
      [drill.ref, '2.000', '5490.00', demoOneC.vatRates.vat20.ref, '10980.00', 'СоСклада', demoOneC.warehouses.main.ref],
      [screws.ref, '5.000', '420.50', demoOneC.vatRates.vat20.ref, '2102.50', 'СоСклада', demoOneC.warehouses.main.ref],
    ]);
    assert.equal(doc.amount, '13082.50');
    assert.equal(doc.items[0]!.vatAmount, '1830.00');

    const reserves = await w.onec.readReserves({ products: [drill.ref] });
    assert.equal(reserves.find((r) => r.order?.ref === doc.ref)?.reserved, '2.000', 'the goods are reserved in 1C');

    const inGoodwix = await w.goodwix.order(placed.id);
    assert.deepEqual(inGoodwix.erp, { orderId: doc.ref, number: doc.number, date: doc.date });
    assert.equal(inGoodwix.status, 'in_progress');
    assert.deepEqual(inGoodwix.lines.map((l) => l.erpLineId), doc.items.map((r) => String(r.lineCode)));

    const binding = await w.bindings.get(w.plan.id, String(placed.id));
    assert.equal(binding?.onec?.ref, doc.ref);
    assert.equal(binding?.goodwixVersion, inGoodwix.version);
    assert.equal(binding?.onecDataVersion, doc.dataVersion);
  });

  test('leaves an order that is not confirmed yet alone, and exports it once the supplier confirms it', async () => {
    const w = await exchange.world({ orders: { agreement: demoOneC.agreements.contract.ref } });
    const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: contractBuyer!.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 1 }] });
    assert.equal(placed.status, 'new', 'price list 502 waits for the supplier');

    assert.equal((await syncOrder(w.ports(), w.request(placed.id))).outcome, 'skipped');
    assert.deepEqual(await w.onec.findOrdersByClientNumber(stableKey(String(placed.id))), []);

    w.goodwixSandbox.actions.confirmOrder(placed.id);
    const result = await syncOrder(w.ports(), w.request(placed.id));
    assert.equal(result.outcome, 'exported');
    const [doc] = await w.onec.findOrdersByClientNumber(stableKey(String(placed.id)));
    assert.equal(doc?.contract, contractBuyer!.contractRef, 'the agreement settles by contracts: the buyer\'s contract is filled');
  });

  test('never creates orders confirmed before the plan\'s exportFrom, nor orders that ended in Goodwix before reaching 1C', async () => {
    const w = await exchange.world({ orders: { exportFrom: '2999-01-01' } });
    const old = w.goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 1 }] });
    const w2 = await exchange.world();
    const cancelled = w2.goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 1 }] });
    w2.goodwixSandbox.actions.cancelOrder(cancelled.id, 'Передумали');

    const first = await syncOrder(w.ports(), w.request(old.id));
    const second = await syncOrder(w2.ports(), w2.request(cancelled.id));

    assert.deepEqual([first.outcome, first.message], ['skipped', "confirmed before the plan's exportFrom (2999-01-01)"]);
    assert.deepEqual([second.outcome, second.message], ['skipped', 'cancelled in Goodwix before it reached 1C']);
    assert.deepEqual(await w.onec.findOrdersByClientNumber(stableKey(String(old.id))), []);
    assert.deepEqual(await w.onec.findOrdersByClientNumber(stableKey(String(cancelled.id))), []);
  });

  test("takes an instant as exportFrom (a plan's creation time): orders confirmed before it stay out of 1C, later ones go in", async () => {
    const w = await exchange.world({ orders: { exportFrom: '2999-01-01T00:00:00.000Z' } });
    const old = w.goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 1 }] });
    const w2 = await exchange.world({ orders: { exportFrom: '2000-01-01T00:00:00+03:00' } });
    const recent = w2.goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 1 }] });

    const skipped = await syncOrder(w.ports(), w.request(old.id));
    const exported = await syncOrder(w2.ports(), w2.request(recent.id));

    assert.deepEqual([skipped.outcome, skipped.message], ['skipped', "confirmed before the plan's exportFrom (2999-01-01T00:00:00.000Z)"]);
    assert.equal(exported.outcome, 'exported', exported.message);
  });

  test('creates the order "На согласовании" without reserving anything when the plan says so', async () => {
    const w = await exchange.world({ orders: { newOrderStatus: 'НеСогласован', reservation: undefined } });
    const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 3 }] });

    await syncOrder(w.ports(), w.request(placed.id));

    const [doc] = await w.onec.findOrdersByClientNumber(stableKey(String(placed.id)));
    assert.equal(doc?.status, 'НеСогласован');
    assert.equal(doc?.agreed, false);
    assert.equal(doc?.items[0]?.provision, 'КОбеспечению');
    const held = (await w.onec.readReserves({ products: [screws.ref] })).filter((r) => r.order?.ref === doc?.ref);
    assert.deepEqual(held, [], 'nothing is reserved until a manager approves');
    assert.equal((await w.goodwix.order(placed.id)).status, 'confirmed');
  });

  test('ends with exactly one 1C order when the answer to the POST is lost', async () => {
    const w = await exchange.world();
    const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 1 }] });
    w.onecSandbox.faults.set({ loseNextResponses: 1, match: { method: 'POST', entitySet: 'Document_ЗаказКлиента' } });

    await assert.rejects(syncOrder(w.ports(), w.request(placed.id)), (e: Error & { retryable?: boolean }) => e.retryable === true);
    w.onecSandbox.faults.reset();
    const retried = await syncOrder(w.ports(), w.request(placed.id));

    assert.equal(retried.outcome, 'adopted');
    const docs = await w.onec.findOrdersByClientNumber(stableKey(String(placed.id)));
    assert.equal(docs.length, 1);
    assert.equal(docs[0]!.posted, true);
    assert.equal((await w.goodwix.order(placed.id)).erp.number, docs[0]!.number);
  });

  describe('a crash at each step ends with exactly one 1C order', () => {
    /** A copy of `target` whose `method` fails once with a retryable error, as a crash there would. */
    function failingOnce<T extends object>(target: T, method: keyof T & string, when: 'before' | 'after' = 'before'): T {
      const copy = Object.create(target) as T;
      let failed = false;
      (copy as Record<string, unknown>)[method] = async (...args: unknown[]) => {
        const real = (target[method] as (...a: unknown[]) => Promise<unknown>).bind(target);
        if (failed) return real(...args);
        failed = true;
        if (when === 'after') await real(...args);
        throw Object.assign(new Error(`crash ${when} ${method}`), { retryable: true });
      };
      return copy;
    }

    for (const [step, wrap] of [
      ['before the POST', (w: World) => ({ onec: failingOnce(w.onec, 'createOrder', 'before') })],
      ['after the POST, before the binding', (w: World) => ({ bindings: failingOnce(w.bindings, 'save', 'before') })],
      ['after the binding, before the Goodwix update', (w: World) => ({ goodwix: failingOnce(w.goodwix, 'updateOrder', 'before') })],
    ] as const) {
      test(step, async () => {
        const w = await exchange.world();
        const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 1 }] });

        await assert.rejects(syncOrder({ ...w.ports(), ...wrap(w) }, w.request(placed.id)), /crash/);
        await syncOrder(w.ports(), w.request(placed.id));
        await syncOrder(w.ports(), w.request(placed.id));

        const docs = await w.onec.findOrdersByClientNumber(stableKey(String(placed.id)));
        assert.equal(docs.length, 1);
        assert.equal(docs[0]!.posted, true);
        const inGoodwix = await w.goodwix.order(placed.id);
        assert.equal(inGoodwix.erp.number, docs[0]!.number, 'Goodwix learns the 1C number in the end');
        assert.equal((await w.bindings.get(w.plan.id, String(placed.id)))?.onec?.ref, docs[0]!.ref);
      });
    }
  });

  test('parks an order whose product has no 1C nomenclature, naming the product, and writes nothing to 1C', async () => {
    const w = await exchange.world();
    const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: drill.goodwixId, quantity: 1 }] });
    await w.onecSandbox.stats.reset();
    const ports = w.ports();
    // The supplier deleted the nomenclature in 1C after uploading it to Goodwix.
    const missing = '6b2a1d3e-1c7b-11ef-9a30-0800270bc7ff';
    const goodwix = Object.create(w.goodwix) as typeof w.goodwix;
    goodwix.order = async (id: number) => {
      const order = await w.goodwix.order(id);
      return { ...order, lines: order.lines.map((l) => ({ ...l, nomenclatureId: missing })) };
    };

    const result = await syncOrder({ ...ports, goodwix }, w.request(placed.id));

    assert.equal(result.outcome, 'parked');
    assert.match(result.message ?? '', new RegExp(`Goodwix product ${drill.goodwixId} \\(арт\\. ${drill.sku}\\) has no 1C nomenclature`));
    assert.equal(w.onecSandbox.stats.count({ method: 'POST' }), 0, 'nothing half-written');
    const binding = await w.bindings.get(w.plan.id, String(placed.id));
    assert.equal(binding?.parked?.code, 'SYNC_UNMAPPED_PRODUCT');
    assert.equal(binding?.open, true, 'kept for the next run');
  });

  test('parks an order whose buyer matches no single 1C counterparty, refusing to guess by ИНН', async () => {
    const w = await exchange.world();
    const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 1 }] });
    const goodwix = Object.create(w.goodwix) as typeof w.goodwix;
    goodwix.order = async (id: number) => {
      const order = await w.goodwix.order(id);
      // Unmatched in Goodwix, and its ИНН is shared by the head office and a branch: no КПП given.
      return { ...order, buyer: { ...order.buyer, counterpartyId: null, partnerId: null, kpp: '000000000' } };
    };

    const result = await syncOrder({ ...w.ports(), goodwix }, w.request(placed.id));

    assert.equal(result.outcome, 'parked');
    assert.match(result.message ?? '', /buyer 3001 «СтройМаркет» \(ИНН 7712345678, КПП 000000000\) has no 1C counterparty/);
  });

  test('binds the order but keeps it parked when 1C refuses to post it for lack of stock, and posts it once stock allows', async () => {
    const w = await exchange.world({ fresh: true });
    const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: level.goodwixId, quantity: 5 }] });

    const first = await syncOrder(w.ports(), w.request(placed.id));

    assert.equal(first.outcome, 'exported');
    assert.match(first.error?.message ?? '', /refused to post/);
    const binding = await w.bindings.get(w.plan.id, String(placed.id));
    assert.equal(binding?.needsPosting, true);
    assert.equal(binding?.parked?.code, 'ONEC_POSTING_REFUSED');
    assert.match(binding?.parked?.message ?? '', /Уровень строительный/);
    const [doc] = await w.onec.findOrdersByClientNumber(stableKey(String(placed.id)));
    assert.equal(doc?.posted, false);

    // The buyer reduces the order to what is in stock; the next exchange posts it.
    const line = (await w.goodwix.order(placed.id)).lines[0]!;
    w.goodwixSandbox.actions.cancelLine(placed.id, line.id, { quantity: 2, reason: 'Нет столько' });
    const second = await syncOrder(w.ports(), w.request(placed.id));
    assert.equal(second.outcome, 'updated');
    const after = await w.onec.readOrder(doc!.ref);
    assert.equal(after.posted, true);
    assert.equal((await w.bindings.get(w.plan.id, String(placed.id)))?.parked, null);
  });

  test('makes no writes when neither side changed since the last exchange', async () => {
    const w = await exchange.world();
    const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 1 }] });
    const first = await syncOrder(w.ports(), w.request(placed.id));
    assert.equal(first.outcome, 'exported', JSON.stringify(first));
    w.onecSandbox.stats.reset();
    w.goodwixSandbox.stats.reset();

    const again = await syncOrder(w.ports(), w.request(placed.id));

    assert.equal(again.outcome, 'unchanged');
    assert.equal(w.onecSandbox.stats.requests.filter((r) => r.method !== 'GET').length, 0);
    assert.equal(w.goodwixSandbox.stats.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/login')).length, 0);
  });
});
