/**
 * Texts from 1C and Goodwix are stored cut to a fixed size (2 KB of UTF-8, with a
 * `… [cut, N bytes]` marker): an error page or 1C's message can be of any length, and an item
 * holding it whole outgrew DynamoDB's 400 KB — the order could not even be parked.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demoBuyers, demoProducts } from '#local/demo/supplier';
import { cutText, MAX_STORED_MESSAGE_BYTES } from '#platform/limits';
import { syncOrder } from '#sync/order-sync';
import { json } from '#test/onec-stub';
import { useHostileExchange } from './world.ts';

const exchange = useHostileExchange();
const screws = demoProducts[2]!;
const buyer = demoBuyers[0]!;
const ORDERS = 'Document_ЗаказКлиента';
/** 1 MB of 1C's Russian words (two bytes a letter), ending in a letter no cut may split. */
const hugeText = `Ошибка при записи: ${'Недостаточно свободного остатка товара. '.repeat(14_000)}ё`;

describe('long texts from 1C', () => {
  test('a 1 MB 1C error text parks the order with the text cut, marked, on its sync record', async () => {
    assert.ok(Buffer.byteLength(hugeText) > 1_000_000);
    const w = await exchange.world();
    const order = w.goodwixSandbox.actions.placeOrder({ buyerId: buyer.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 2 }] });
    w.onecProxy.rule({ match: (r) => r.method === 'POST' && r.path.endsWith(`/${ORDERS}`), answer: json(400, { 'odata.error': { code: '1', message: { lang: 'ru', value: hugeText } } }) });

    const result = await syncOrder(w.ports(), w.request(order.id));

    assert.equal(result.outcome, 'parked', JSON.stringify(result.error?.code));
    assert.equal(result.error?.code, 'ONEC_BAD_REQUEST');
    const binding = await w.bindings.get(w.plan.id, String(order.id));
    const stored = binding?.parked?.message ?? '';
    assert.ok(Buffer.byteLength(stored) <= MAX_STORED_MESSAGE_BYTES, `${Buffer.byteLength(stored)} bytes stored`);
    assert.match(stored, /^1C 400 code 1: Ошибка при записи: Недостаточно/);
    assert.match(stored, /… \[cut, \d+ bytes\]$/);
    assert.equal(binding?.history[0]?.message, stored);
    assert.equal(binding?.open, true, 'the next run tries it again');
  });

  test('cutting keeps whole characters and says how long the text was', () => {
    const text = 'я'.repeat(3000); // 6,000 bytes
    const cut = cutText(text, 101);

    assert.ok(Buffer.byteLength(cut) <= 101);
    assert.match(cut, /^я+… \[cut, 6000 bytes\]$/, 'no broken character before the marker');
    assert.equal(cutText('short', 101), 'short');
  });
});
