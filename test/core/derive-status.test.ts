import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveStatus } from '#core/derive-status';
import { advanceStatus } from '#core/status';

const line = (quantity: string, cancelledQuantity = '0.000', shippedQuantity = '0.000') => ({ quantity, cancelledQuantity, shippedQuantity });

test('reads "shipped" from shipped quantities, since UT 11 has no such status', () => {
  assert.equal(deriveStatus({ oneCStatus: 'КОтгрузке', deleted: false, lines: [line('5.000', '0.000', '5.000'), line('2.000', '2.000')] }), 'shipped');
  assert.equal(deriveStatus({ oneCStatus: 'КОтгрузке', deleted: false, lines: [line('5.000', '0.000', '3.000')] }), 'partially_shipped');
});

test('reads a rejected order from every row cancelled or a deletion mark', () => {
  assert.equal(deriveStatus({ oneCStatus: 'КОбеспечению', deleted: false, lines: [line('1.000', '1.000'), line('4.000', '4.000')] }), 'rejected');
  assert.equal(deriveStatus({ oneCStatus: 'НеСогласован', deleted: true, lines: [line('1.000')] }), 'rejected');
});

test('maps 1C statuses through the plan map', () => {
  assert.equal(deriveStatus({ oneCStatus: 'НеСогласован', deleted: false, lines: [line('1.000')] }), 'confirmed');
  assert.equal(deriveStatus({ oneCStatus: 'КОбеспечению', deleted: false, lines: [line('1.000')] }), 'in_progress');
  assert.equal(deriveStatus({ oneCStatus: 'Закрыт', deleted: false, lines: [line('1.000')] }), 'closed');
});

test('never moves a status backwards or out of a terminal one', () => {
  assert.equal(advanceStatus('shipped', 'confirmed'), 'shipped');
  assert.equal(advanceStatus('partially_shipped', 'in_progress'), 'partially_shipped');
  assert.equal(advanceStatus('rejected', 'in_progress'), 'rejected');
  assert.equal(advanceStatus('in_progress', 'partially_shipped'), 'partially_shipped');
  assert.equal(advanceStatus(null, 'confirmed'), 'confirmed');
});
