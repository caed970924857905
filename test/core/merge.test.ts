import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeOrder } from '#core/merge';
import { aCanonicalLine, aCanonicalOrder, edit } from '#test/orders';

const drill = { nomenclature: '6b2a1d3e-1c7b-11ef-9a30-0800270bc701', characteristic: null };
const screws = { nomenclature: '6b2a1d3e-1c7b-11ef-9a30-0800270bc703', characteristic: null };

describe('three-way merge of order lines', () => {
  test('takes a price changed in 1C only and reports it for Goodwix', () => {
    const line = aCanonicalLine({ key: 'g1' });
    const base = aCanonicalOrder([line]);
    const result = mergeOrder({ base, goodwix: base, onec: aCanonicalOrder([edit(line, { price: '90.00' })]) });
    assert.equal(result.lines[0]!.price, '90.00');
    assert.equal(result.lines[0]!.amount, '900.00');
    assert.deepEqual(result.fromOneC, [{ lineKey: 'g1', field: 'price', from: '100.00', to: '90.00' }]);
    assert.deepEqual(result.conflicts, []);
  });

  test('takes a cancellation made in Goodwix only and reports it for 1C', () => {
    const line = aCanonicalLine({ key: 'g1' });
    const base = aCanonicalOrder([line]);
    const goodwix = aCanonicalOrder([edit(line, { cancelledQuantity: '4.000', cancelReason: 'Отказ клиента' })]);
    const result = mergeOrder({ base, goodwix, onec: base });
    assert.equal(result.lines[0]!.cancelledQuantity, '4.000');
    assert.equal(result.lines[0]!.cancelReason, 'Отказ клиента');
    assert.equal(result.lines[0]!.amount, '600.00');
    assert.deepEqual(result.fromGoodwix.map((c) => c.field).sort(), ['cancelReason', 'cancelledQuantity']);
  });

  test('gives the field to 1C when both sides changed it, and records the loss', () => {
    const line = aCanonicalLine({ key: 'g1' });
    const base = aCanonicalOrder([line]);
    const result = mergeOrder({
      base,
      goodwix: aCanonicalOrder([edit(line, { discountPercent: '5.00' })]),
      onec: aCanonicalOrder([edit(line, { discountPercent: '10.00' })]),
    });
    assert.equal(result.lines[0]!.discountPercent, '10.00');
    assert.deepEqual(result.conflicts, [{ lineKey: 'g1', field: 'discountPercent', base: '0.00', goodwix: '5.00', onec: '10.00' }]);
    assert.deepEqual(result.fromGoodwix, []);
  });

  test('keeps Goodwix changes to fields 1C did not touch alongside 1C changes to others', () => {
    const line = aCanonicalLine({ key: 'g1' });
    const base = aCanonicalOrder([line]);
    const result = mergeOrder({
      base,
      goodwix: aCanonicalOrder([edit(line, { quantity: '12.000' })]),
      onec: aCanonicalOrder([edit(line, { price: '95.00' })]),
    });
    assert.equal(result.lines[0]!.quantity, '12.000');
    assert.equal(result.lines[0]!.price, '95.00');
    assert.equal(result.lines[0]!.amount, '1140.00', 'amounts are recomputed from the merged inputs');
    assert.deepEqual(result.conflicts, []);
  });

  test('removes a line 1C removed even though Goodwix edited it, as a conflict', () => {
    const kept = aCanonicalLine({ key: 'g1' });
    const dropped = aCanonicalLine({ key: 'g2', product: screws });
    const base = aCanonicalOrder([kept, dropped]);
    const result = mergeOrder({ base, goodwix: aCanonicalOrder([kept, edit(dropped, { quantity: '3.000' })]), onec: aCanonicalOrder([kept]) });
    assert.deepEqual(result.lines.map((l) => l.key), ['g1']);
    assert.equal(result.conflicts[0]?.field, 'line');
    assert.equal(result.conflicts[0]?.onec, 'removed');
  });

  test('keeps a line Goodwix removed when 1C edited it meanwhile', () => {
    const line = aCanonicalLine({ key: 'g1' });
    const base = aCanonicalOrder([line]);
    const result = mergeOrder({ base, goodwix: aCanonicalOrder([]), onec: aCanonicalOrder([edit(line, { price: '80.00' })]) });
    assert.equal(result.lines[0]?.price, '80.00');
    assert.equal(result.conflicts[0]?.goodwix, 'removed');
  });

  test('removes a line Goodwix removed when 1C left it alone', () => {
    const line = aCanonicalLine({ key: 'g1' });
    const base = aCanonicalOrder([line]);
    const result = mergeOrder({ base, goodwix: aCanonicalOrder([]), onec: base });
    assert.deepEqual(result.lines, []);
    assert.deepEqual(result.fromGoodwix, [{ lineKey: 'g1', field: 'line', from: 'present', to: 'removed' }]);
  });

  test('keeps lines added on either side', () => {
    const line = aCanonicalLine({ key: 'g1' });
    const base = aCanonicalOrder([line]);
    const addedIn1C = aCanonicalLine({ key: '1c:7', product: screws, goodwixLineId: null });
    const addedInGoodwix = aCanonicalLine({ key: 'g9', product: { nomenclature: '6b2a1d3e-1c7b-11ef-9a30-0800270bc705', characteristic: null } });
    const result = mergeOrder({ base, goodwix: aCanonicalOrder([line, addedInGoodwix]), onec: aCanonicalOrder([line, addedIn1C]) });
    assert.deepEqual(result.lines.map((l) => l.key), ['g1', '1c:7', 'g9']);
  });

  test('pairs a line that reached both sides before the binding recorded it, instead of duplicating it', () => {
    const line = aCanonicalLine({ key: 'g1' });
    const base = aCanonicalOrder([line]);
    const inGoodwix = aCanonicalLine({ key: 'g9', product: screws });
    const in1C = { ...aCanonicalLine({ key: '1c:7', product: screws, goodwixLineId: null }), onecRows: { active: 7 } };
    const result = mergeOrder({ base, goodwix: aCanonicalOrder([line, inGoodwix]), onec: aCanonicalOrder([line, in1C]) });
    assert.deepEqual(result.lines.map((l) => [l.key, l.onecRows?.active]), [['g1', undefined], ['g9', 7]]);
    assert.deepEqual(result.conflicts, []);
  });

  test('refuses to cancel goods 1C already shipped', () => {
    const line = aCanonicalLine({ key: 'g1' });
    const base = aCanonicalOrder([line]);
    const result = mergeOrder({
      base,
      goodwix: aCanonicalOrder([edit(line, { cancelledQuantity: '10.000', cancelReason: 'Отказ клиента' })]),
      onec: aCanonicalOrder([{ ...line, shippedQuantity: '6.000' }]),
    });
    assert.equal(result.lines[0]!.cancelledQuantity, '0.000');
    assert.equal(result.lines[0]!.cancelReason, null);
    assert.deepEqual(result.conflicts.map((c) => c.field), ['cancelledQuantity']);
    assert.ok(!result.fromGoodwix.some((c) => c.field === 'cancelledQuantity'));
  });

  test('changes nothing when neither side changed', () => {
    const base = aCanonicalOrder([aCanonicalLine({ key: 'g1' }), aCanonicalLine({ key: 'g2', product: drill, quantity: '2.000' })]);
    const result = mergeOrder({ base, goodwix: base, onec: base });
    assert.deepEqual(result.lines, base.lines);
    assert.deepEqual([result.fromGoodwix, result.fromOneC, result.conflicts], [[], [], []]);
  });
});
