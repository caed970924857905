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
import type { GoodwixOrder, GoodwixOrderLine } from '#goodwix/model';
import { checkGoodwixOrder } from '#sync/goodwix-mapper';

function aLine(overrides: Partial<GoodwixOrderLine> = {}): GoodwixOrderLine {
  return {
    id: 'ln-1', productId: 10103, productName: 'Саморез по дереву 3,5×35, 1000 шт', sku: 'SMR-3535', unit: 'уп',
    nomenclatureId: '6b2a1d3e-1c7b-11ef-9a30-0800270bc703', characteristicId: null,
    quantity: '2.000', cancelledQuantity: '0.000', cancelReason: null, shippedQuantity: '0.000',
    price: '420.50', discountPercent: '0.00', discountAmount: '0.00', vatRate: '20.00', vatAmount: '140.17', amount: '841.00', erpLineId: null,
    ...overrides,
  };
}

function anOrder(lines: GoodwixOrderLine[], overrides: Partial<GoodwixOrder> = {}): GoodwixOrder {
  return {
    id: 100001, number: '2369-000001', status: 'confirmed', statusReason: null, version: 1,
    buyer: { id: 3001, name: 'СтройМаркет', legalName: 'ООО "СтройМаркет"', inn: '7712345678', kpp: '771201001', counterpartyId: null, partnerId: null, contractId: null },
    priceListId: 501, currency: 'RUB', pricesIncludeVat: true, comment: null,
    createdAt: '2025-06-01T10:00:00.000Z', confirmedAt: '2025-06-01T10:00:00.000Z', changedAt: '2025-06-01T10:00:00.000Z',
    erp: { orderId: null, number: null, date: null }, totals: { amount: '841.00', vatAmount: '140.17', discountAmount: '0.00' },
    lines,
    ...overrides,
  } as GoodwixOrder;
}

const refused = (order: GoodwixOrder, message: RegExp, field: string) =>
  assert.throws(() => checkGoodwixOrder(order, '100001'), (e: Error & { code?: string; context?: Record<string, unknown> }) => {
    assert.equal(e.code, 'SYNC_INVALID_ORDER');
    assert.match(e.message, message);
    assert.equal(e.context?.field, field);
    return true;
  });

describe('a Goodwix order the exchange refuses to carry to 1C', () => {
  test('a well-formed order passes, partly cancelled and partly shipped lines and a free item included', () => {
    checkGoodwixOrder(anOrder([aLine(), aLine({ id: 'ln-2', quantity: '5.000', cancelledQuantity: '2.000', shippedQuantity: '3.000' }), aLine({ id: 'ln-3', price: '0.00' })]), '100001');
  });

  test('a line with quantity 0 or less, naming the line and the product', () => {
    refused(anOrder([aLine({ quantity: '-2.000' })]), /line ln-1 «Саморез по дереву 3,5×35, 1000 шт» \(арт\. SMR-3535\): quantity -2\.000 must be greater than 0$/, 'lines[0].quantity');
    refused(anOrder([aLine(), aLine({ id: 'ln-2', quantity: '0.000' })]), /line ln-2 .*quantity 0\.000 must be greater than 0/, 'lines[1].quantity');
  });

  test('more cancelled than ordered, or a negative cancelled or shipped quantity', () => {
    refused(anOrder([aLine({ cancelledQuantity: '5.000' })]), /cancelled quantity 5\.000 must be between 0 and the quantity 2\.000/, 'lines[0].cancelledQuantity');
    refused(anOrder([aLine({ cancelledQuantity: '-1.000' })]), /cancelled quantity -1\.000/, 'lines[0].cancelledQuantity');
    refused(anOrder([aLine({ shippedQuantity: '3.000' })]), /shipped quantity 3\.000 must be between 0 and the quantity not cancelled/, 'lines[0].shippedQuantity');
  });

  test('a negative price and percents out of 0..100', () => {
    refused(anOrder([aLine({ price: '-420.50' })]), /price -420\.50 must not be negative/, 'lines[0].price');
    refused(anOrder([aLine({ discountPercent: '120.00' })]), /discountPercent 120\.00 must be between 0 and 100/, 'lines[0].discountPercent');
    refused(anOrder([aLine({ vatRate: '-20.00' })]), /vatRate -20\.00 must be between 0 and 100/, 'lines[0].vatRate');
  });

  test('two lines with one id', () => {
    refused(anOrder([aLine(), aLine({ productName: 'Дрель', sku: 'BSH-GSB13' })]), /line ln-1 «Дрель» \(арт\. BSH-GSB13\): another line has the same id/, 'lines[1].id');
  });

  test('a product whose 1C ids are missing or are not 1C references, naming the product', () => {
    refused(anOrder([aLine({ nomenclatureId: 'abc' })]), /line ln-1 «Саморез по дереву 3,5×35, 1000 шт» \(арт\. SMR-3535\): its 1C nomenclature «abc» is not a 1C reference/, 'lines[0].nomenclatureId');
    refused(anOrder([aLine({ nomenclatureId: '' })]), /\(арт\. SMR-3535\): the product has no 1C nomenclature in Goodwix/, 'lines[0].nomenclatureId');
    refused(anOrder([aLine({ characteristicId: 'size-48' })]), /its 1C characteristic «size-48» is not a 1C reference/, 'lines[0].characteristicId');
  });

  test('an answer for another order than the one asked for', () => {
    refused(anOrder([aLine()], { id: 1 }), /Goodwix answered order 1 when asked for order 100001/, 'id');
  });

  test('every problem of the order in one message', () => {
    assert.throws(() => checkGoodwixOrder(anOrder([aLine({ quantity: '0.000' }), aLine({ id: 'ln-2', price: '-1.00' })]), '100001'), /quantity 0\.000 .*; line ln-2 .*price -1\.00/);
  });
});
