import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeAmounts } from '#core/amounts';

test('extracts VAT from a price that includes it, as 1C does', () => {
  const a = computeAmounts({ quantity: '3.000', price: '5490.00', discountPercent: '0.00', vatRate: '20.00' }, true);
  assert.deepEqual(a, { gross: '16470.00', discountAmount: '0.00', net: '16470.00', vatAmount: '2745.00', total: '16470.00' });
});

test('adds VAT on top of a price without it and applies the manual discount first', () => {
  const a = computeAmounts({ quantity: '2.000', price: '100.00', discountPercent: '5.00', vatRate: '10.00' }, false);
  assert.deepEqual(a, { gross: '200.00', discountAmount: '10.00', net: '190.00', vatAmount: '19.00', total: '209.00' });
});

test('charges no VAT for a line without VAT', () => {
  const a = computeAmounts({ quantity: '1.500', price: '120.00', discountPercent: '0.00', vatRate: null }, true);
  assert.equal(a.vatAmount, '0.00');
  assert.equal(a.total, '180.00');
});
