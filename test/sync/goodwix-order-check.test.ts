/**
 * A Goodwix order that breaks the contract is refused, with a message naming the line, the
 * product and the field, before anything of it reaches 1C. Found by the bad-input corpus
 * (test/bad-input/goodwix-input.test.ts): a line with quantity 0 or less became no 1C row (the
 * order reached 1C without it, silently), more cancelled than ordered became a cancelled row
 * larger than the line, a negative price was written to 1C, two lines with one id were both
 * exported, and an answer for another order was exported under the asked order's key.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { GoodwixOrder } from '#goodwix/model';
import { checkGoodwixOrder } from '#sync/goodwix-mapper';
import { aGoodwixLine, aGoodwixOrder } from '#test/orders';

const refused = (order: GoodwixOrder, message: RegExp, field: string) =>
  assert.throws(() => checkGoodwixOrder(order, '100001'), (e: Error & { code?: string; context?: Record<string, unknown> }) => {
    assert.equal(e.code, 'SYNC_INVALID_ORDER');
    assert.match(e.message, message);
    assert.equal(e.context?.field, field);
    return true;
  });

describe('a Goodwix order the exchange refuses to carry to 1C', () => {
  test('a well-formed order passes, with lines on the edge of every range: fully cancelled, shipped up to what is not cancelled, free, 100 % discount, no VAT, a variant', () => {
    // Prepare: each line sits on a bound a too-strict check would refuse
    const order = aGoodwixOrder([
      aGoodwixLine(),
      aGoodwixLine({ id: 'ln-2', quantity: '5.000', cancelledQuantity: '2.000', shippedQuantity: '3.000' }),
      aGoodwixLine({ id: 'ln-3', quantity: '4.000', cancelledQuantity: '4.000', cancelReason: 'Нет в наличии' }),
      aGoodwixLine({ id: 'ln-4', price: '0.00', discountPercent: '100.00', vatRate: '0.00' }),
      aGoodwixLine({ id: 'ln-5', characteristicId: '6b2a1d3e-1c7b-11ef-9a30-0800270bc7a1' }),
    ]);
    // Act / Assess
    assert.doesNotThrow(() => checkGoodwixOrder(order, '100001'));
  });

  test('a line with quantity 0 or less, naming the line and the product', () => {
    refused(aGoodwixOrder([aGoodwixLine({ quantity: '-2.000' })]), /line ln-1 «Саморез по дереву 3,5×35, 1000 шт» \(арт\. SMR-3535\): quantity -2\.000 must be greater than 0$/, 'lines[0].quantity');
    refused(aGoodwixOrder([aGoodwixLine(), aGoodwixLine({ id: 'ln-2', quantity: '0.000' })]), /line ln-2 .*quantity 0\.000 must be greater than 0/, 'lines[1].quantity');
  });

  test('more cancelled than ordered, or a negative cancelled or shipped quantity', () => {
    refused(aGoodwixOrder([aGoodwixLine({ cancelledQuantity: '5.000' })]), /cancelled quantity 5\.000 must be between 0 and the quantity 2\.000/, 'lines[0].cancelledQuantity');
    refused(aGoodwixOrder([aGoodwixLine({ cancelledQuantity: '-1.000' })]), /cancelled quantity -1\.000/, 'lines[0].cancelledQuantity');
    refused(aGoodwixOrder([aGoodwixLine({ shippedQuantity: '3.000' })]), /shipped quantity 3\.000 must be between 0 and the quantity not cancelled/, 'lines[0].shippedQuantity');
  });

  test('a negative price and percents out of 0..100', () => {
    refused(aGoodwixOrder([aGoodwixLine({ price: '-420.50' })]), /price -420\.50 must not be negative/, 'lines[0].price');
    refused(aGoodwixOrder([aGoodwixLine({ discountPercent: '120.00' })]), /discountPercent 120\.00 must be between 0 and 100/, 'lines[0].discountPercent');
    refused(aGoodwixOrder([aGoodwixLine({ vatRate: '-20.00' })]), /vatRate -20\.00 must be between 0 and 100/, 'lines[0].vatRate');
  });

  test('two lines with one id', () => {
    refused(aGoodwixOrder([aGoodwixLine(), aGoodwixLine({ productName: 'Дрель', sku: 'BSH-GSB13' })]), /line ln-1 «Дрель» \(арт\. BSH-GSB13\): another line has the same id/, 'lines[1].id');
  });

  test('a product whose 1C ids are missing or are not 1C references, naming the product', () => {
    refused(aGoodwixOrder([aGoodwixLine({ nomenclatureId: 'abc' })]), /line ln-1 «Саморез по дереву 3,5×35, 1000 шт» \(арт\. SMR-3535\): its 1C nomenclature «abc» is not a 1C reference/, 'lines[0].nomenclatureId');
    refused(aGoodwixOrder([aGoodwixLine({ nomenclatureId: '' })]), /\(арт\. SMR-3535\): the product has no 1C nomenclature in Goodwix/, 'lines[0].nomenclatureId');
    refused(aGoodwixOrder([aGoodwixLine({ characteristicId: 'size-48' })]), /its 1C characteristic «size-48» is not a 1C reference/, 'lines[0].characteristicId');
  });

  test('an answer for another order than the one asked for', () => {
    refused(aGoodwixOrder([aGoodwixLine()], { id: 1 }), /Goodwix answered order 1 when asked for order 100001/, 'id');
  });

  test('every problem of the order in one message', () => {
    assert.throws(() => checkGoodwixOrder(aGoodwixOrder([aGoodwixLine({ quantity: '0.000' }), aGoodwixLine({ id: 'ln-2', price: '-1.00' })]), '100001'), /quantity 0\.000 .*; line ln-2 .*price -1\.00/);
  });
});
