/**
 * The binding item stays far below DynamoDB's 400 KB however long an order's life: its history
 * keeps 20 entries, and only the newest carries the products its exchange moved (what a
 * redelivery of the same run's message needs, `redelivery.test.ts`); older entries keep the
 * counts. Before, every `updated` entry stored all of the order's products: an order of 250
 * distinct products failed to save on its 13th update, and was stuck for good.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bulkProducts, demoBuyers } from '#local/demo/supplier';
import { syncOrder } from '#sync/order-sync';
import { useExchange } from '#test/exchange';

const PRODUCTS = 250;
const UPDATES = 50;
const exchange = useExchange({ extraProducts: PRODUCTS });
const buyer = demoBuyers[0]!;

describe('an order of many products, updated many times', () => {
  test(`an order of ${PRODUCTS} distinct products updated ${UPDATES} times keeps syncing, its history bounded`, async () => {
    const w = await exchange.world();
    const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: buyer.goodwixId, lines: bulkProducts(PRODUCTS).map((p) => ({ productId: p.goodwixId, quantity: 1 })) });
    const exported = await syncOrder(w.ports(), w.request(placed.id));
    assert.equal(exported.outcome, 'exported', JSON.stringify(exported.error));

    for (let n = 1; n <= UPDATES; n += 1) {
      // The supplier changes one line's quantity in Goodwix: the exchange carries it to 1C.
      const line = placed.lines[n % placed.lines.length]!;
      w.goodwixSandbox.actions.editLine(placed.id, line.id, { quantity: 1 + n });
      const result = await syncOrder(w.ports(), w.request(placed.id));
      assert.equal(result.outcome, 'updated', `update ${n}: ${JSON.stringify(result.error ?? result.message)}`);
      assert.equal(result.products.length, PRODUCTS, `update ${n} reports every product of the order for the reserves`);
    }

    const binding = await w.bindings.get(w.plan.id, String(placed.id));
    assert.equal(binding?.history.length, 20);
    assert.equal(binding?.history[0]?.products?.length, PRODUCTS, 'the newest entry keeps its products');
    assert.ok(binding!.history.slice(1).every((e) => e.products === undefined), 'older entries do not repeat them');
  });
});
