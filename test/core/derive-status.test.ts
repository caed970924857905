import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveStatus } from '#core/derive-status';
import { statusToShow } from '#core/status';

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

test('Закрыт wins over shipped quantities: a manager closed the shipped order', () => {
  assert.equal(deriveStatus({ oneCStatus: 'Закрыт', deleted: false, lines: [line('5.000', '0.000', '5.000')] }), 'closed');
  assert.equal(deriveStatus({ oneCStatus: 'Закрыт', deleted: false, lines: [line('5.000', '5.000')] }), 'rejected', 'every row cancelled still reads rejected');
});

test('1C\'s status is shown, backwards too; a buyer\'s or supplier\'s decision in Goodwix stands until 1C moves', () => {
  assert.equal(statusToShow({ goodwix: 'shipped', onec: 'closed', agreedOneC: 'shipped' }), 'closed');
  assert.equal(statusToShow({ goodwix: 'shipped', onec: 'in_progress', agreedOneC: 'shipped' }), 'in_progress');
  assert.equal(statusToShow({ goodwix: 'in_progress', onec: 'confirmed', agreedOneC: 'in_progress' }), 'confirmed');
  assert.equal(statusToShow({ goodwix: null, onec: 'in_progress', agreedOneC: null }), 'in_progress');
  // Goodwix's decisions
  assert.equal(statusToShow({ goodwix: 'cancelled', onec: 'in_progress', agreedOneC: 'in_progress' }), 'cancelled');
  assert.equal(statusToShow({ goodwix: 'cancelled', onec: 'rejected', agreedOneC: 'in_progress' }), 'cancelled', 'both ended it: Goodwix\'s word stays');
  assert.equal(statusToShow({ goodwix: 'cancelled', onec: 'partially_shipped', agreedOneC: 'in_progress' }), 'partially_shipped', '1C moved: it wins');
  // A status only the exchange sets, left by a stalled worker: put back to 1C's
  assert.equal(statusToShow({ goodwix: 'ready_to_ship', onec: 'in_progress', agreedOneC: 'in_progress' }), 'in_progress');
});
