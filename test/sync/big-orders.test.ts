import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { GoodwixLineChange, GoodwixOrderUpdate } from '#goodwix/model';
import { demoBuyers, demoProducts } from '#local/demo/supplier';
import { splitGoodwixUpdate } from '#sync/goodwix-mapper';
import { syncOrder } from '#sync/order-sync';
import { stableKey } from '#sync/order-keys';
import { useExchange } from '#test/exchange';

const exchange = useExchange();
const gloves = demoProducts.find((p) => p.sku === 'PRC-HB')!;
const [headOffice] = demoBuyers;

const changes = (n: number, from = 0): GoodwixLineChange[] => Array.from({ length: n }, (_, i) => ({ id: `ln-${from + i + 1}`, erpLineId: String(from + i + 1) }));

describe('orders of more lines than one Goodwix update takes (1,000)', () => {
  test('an update within the limit stays one request', () => {
    const update: GoodwixOrderUpdate = { expectedVersion: 3, status: 'in_progress', changeLines: changes(1000), removeLineIds: ['ln-9'] };

    assert.deepEqual(splitGoodwixUpdate(update), [update]);
  });

  test('a bigger update is cut into parts of at most 1,000 lines of each kind, in order, the header with the last part', () => {
    const update: GoodwixOrderUpdate = {
      expectedVersion: 3,
      status: 'in_progress',
      erp: { orderId: 'ref', number: 'ТД00-000118', date: '2026-01-01T00:00:00' },
      changeLines: changes(2500),
      addLines: [{ productId: 10105, quantity: '1', price: '35.00' }],
      removeLineIds: ['ln-9000'],
    };

    const parts = splitGoodwixUpdate(update);

    assert.deepEqual(parts.map((p) => [p.changeLines?.length ?? 0, p.addLines?.length ?? 0, p.removeLineIds?.length ?? 0, p.status ?? null, p.erp?.number ?? null]), [
      [1000, 1, 1, null, null],
      [1000, 0, 0, null, null],
      [500, 0, 0, 'in_progress', 'ТД00-000118'],
    ]);
    assert.deepEqual(parts.flatMap((p) => p.changeLines ?? []), update.changeLines, 'every line once, in order');
    assert.ok(parts.every((p) => p.expectedVersion === 3), 'the caller sets each part\'s version from the answer to the previous one');
  });

  test('exports an order of 1,500 lines and tells Goodwix every line\'s 1C row in two updates; the next exchange writes nothing', async () => {
    const w = await exchange.world({ fresh: true });
    const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: Array.from({ length: 1500 }, () => ({ productId: gloves.goodwixId, quantity: 1 })) });
    w.goodwixSandbox.stats.reset();

    const result = await syncOrder(w.ports(), w.request(placed.id));

    assert.equal(result.outcome, 'exported', JSON.stringify(result.error));
    const [doc] = await w.onec.findOrdersByClientNumber(stableKey(String(placed.id)));
    assert.equal(doc?.items.length, 1500);
    const inGoodwix = await w.goodwix.order(placed.id);
    assert.equal(inGoodwix.erp.number, doc!.number);
    assert.equal(inGoodwix.lines.filter((l) => l.erpLineId).length, 1500, 'every line knows its 1C row');
    assert.equal(w.goodwixSandbox.stats.count({ method: 'PATCH' }), 2);
    const binding = await w.bindings.get(w.plan.id, String(placed.id));
    assert.deepEqual([binding?.parked, binding?.goodwixVersion], [null, inGoodwix.version]);

    const again = await syncOrder(w.ports(), w.request(placed.id));

    assert.equal(again.outcome, 'unchanged');
  });
});
