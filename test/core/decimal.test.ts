import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decEquals, money, quantity } from '#core/decimal';

test('money rounds half-up to kopecks without binary float error', () => {
  assert.equal(money(0.1 + 0.2), '0.30');
  assert.equal(money(2.675), '2.68');
  assert.equal(money('5490'), '5490.00');
});

test('quantities keep thousandths and compare regardless of scale', () => {
  assert.equal(quantity(1.5), '1.500');
  assert.ok(decEquals('1.50', '1.5'));
  assert.ok(!decEquals('1.501', '1.5'));
});
