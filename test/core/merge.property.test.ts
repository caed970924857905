import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CanonicalLine, CanonicalOrder } from '#core/canonical';
import { mergeOrder } from '#core/merge';
import { decEquals } from '#core/decimal';
import { aCanonicalLine, aCanonicalOrder, edit } from '#test/orders';

const products = ['6b2a1d3e-1c7b-11ef-9a30-0800270bc701', '6b2a1d3e-1c7b-11ef-9a30-0800270bc703', '6b2a1d3e-1c7b-11ef-9a30-0800270bc705'];

const arbInputs = fc.record({
  quantity: fc.integer({ min: 1, max: 50 }).map((n) => `${n}.000`),
  price: fc.integer({ min: 1, max: 100000 }).map((n) => (n / 100).toFixed(2)),
  discountPercent: fc.constantFrom('0.00', '5.00', '10.00'),
  vatRate: fc.constantFrom('20.00', '10.00', '0.00'),
});

type Edit = { kind: 'keep' } | { kind: 'remove' } | { kind: 'change'; field: 'quantity' | 'price' | 'discountPercent' | 'vatRate' | 'cancel'; value: string | null };

const arbEdit: fc.Arbitrary<Edit> = fc.oneof(
  fc.constant<Edit>({ kind: 'keep' }),
  fc.constant<Edit>({ kind: 'remove' }),
  fc.record({ kind: fc.constant('change' as const), field: fc.constant('quantity' as const), value: fc.integer({ min: 1, max: 60 }).map((n) => `${n}.000`) }),
  fc.record({ kind: fc.constant('change' as const), field: fc.constant('price' as const), value: fc.integer({ min: 1, max: 100000 }).map((n) => (n / 100).toFixed(2)) }),
  fc.record({ kind: fc.constant('change' as const), field: fc.constant('discountPercent' as const), value: fc.constantFrom('0.00', '3.00', '15.00') }),
  fc.record({ kind: fc.constant('change' as const), field: fc.constant('vatRate' as const), value: fc.constantFrom('20.00', '10.00', '0.00') }),
  fc.record({ kind: fc.constant('change' as const), field: fc.constant('cancel' as const), value: fc.integer({ min: 1, max: 5 }).map((n) => `${n}.000`) }),
);

function apply(line: CanonicalLine, e: Edit): CanonicalLine | undefined {
  if (e.kind === 'remove') return undefined;
  if (e.kind === 'keep') return line;
  if (e.field === 'cancel') return edit(line, { cancelledQuantity: e.value!, cancelReason: 'Нет в наличии' });
  return edit(line, { [e.field]: e.value });
}

const arbScenario = fc
  .array(fc.tuple(arbInputs, fc.integer({ min: 0, max: 2 }), arbEdit, arbEdit, fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 5 })
  .map((rows) => {
    const baseLines = rows.map(([inputs, product, , , shipped], i) => ({
      ...aCanonicalLine({ key: `g${i}`, ...inputs, product: { nomenclature: products[product]!, characteristic: null } }),
      shippedQuantity: `${Math.min(shipped, Number.parseInt(inputs.quantity, 10))}.000`,
    }));
    const goodwix = rows.map(([, , g], i) => apply(baseLines[i]!, g)).filter((l): l is CanonicalLine => Boolean(l));
    const onec = rows.map(([, , , c], i) => apply(baseLines[i]!, c)).filter((l): l is CanonicalLine => Boolean(l));
    return { base: aCanonicalOrder(baseLines), goodwix: aCanonicalOrder(goodwix), onec: aCanonicalOrder(onec), edits: rows.map(([, , g, c]) => ({ g, c })) };
  });

const FIELDS = ['quantity', 'cancelledQuantity', 'price', 'discountPercent', 'vatRate'] as const;
const eq = (a: string | null, b: string | null) => (a === null || b === null ? a === b : decEquals(a, b));

test('after a merge every field 1C changed holds 1C\'s value and every field only Goodwix changed holds Goodwix\'s, or a conflict says why', () => {
  fc.assert(
    fc.property(arbScenario, ({ base, goodwix, onec }) => {
      const result = mergeOrder({ base, goodwix, onec });
      const merged = new Map(result.lines.map((l) => [l.key, l]));
      for (const b of base.lines) {
        const g = goodwix.lines.find((l) => l.key === b.key);
        const c = onec.lines.find((l) => l.key === b.key);
        const m = merged.get(b.key);
        if (!c) {
          assert.equal(m, undefined, 'a line removed in 1C never survives');
          continue;
        }
        if (!g) continue;
        assert.ok(m, 'a line present on both sides survives');
        for (const f of FIELDS) {
          if (!eq(b[f], c[f])) assert.ok(eq(m[f], c[f]), `${b.key}.${f}: 1C changed it, 1C's value must hold`);
          else if (!eq(b[f], g[f]) && !eq(m[f], g[f])) {
            assert.ok(result.conflicts.some((x) => x.lineKey === b.key && x.field === f), `${b.key}.${f}: Goodwix's change lost without a conflict`);
          }
        }
      }
      assert.equal(new Set(result.lines.map((l) => l.key)).size, result.lines.length, 'no duplicated lines');
    }),
    { numRuns: 500 },
  );
});

test('merging an agreed order again changes nothing (replaying is harmless)', () => {
  fc.assert(
    fc.property(arbScenario, ({ base, goodwix, onec }) => {
      const first = mergeOrder({ base, goodwix, onec });
      const agreed: CanonicalOrder = { ...onec, lines: first.lines };
      const again = mergeOrder({ base: agreed, goodwix: agreed, onec: agreed });
      assert.deepEqual(again.lines, first.lines);
      assert.deepEqual([again.fromGoodwix, again.fromOneC, again.conflicts], [[], [], []]);
    }),
    { numRuns: 300 },
  );
});

test('merged lines never cancel more than was ordered or what was already shipped', () => {
  fc.assert(
    fc.property(arbScenario, ({ base, goodwix, onec }) => {
      for (const line of mergeOrder({ base, goodwix, onec }).lines) {
        const deliverable = Number(line.quantity) - Number(line.cancelledQuantity);
        const onecLine = onec.lines.find((l) => l.key === line.key);
        const onecValid = onecLine ? Number(onecLine.quantity) - Number(onecLine.cancelledQuantity) >= Number(onecLine.shippedQuantity) : true;
        if (onecValid) assert.ok(deliverable >= Number(line.shippedQuantity), `${line.key}: deliverable ${deliverable} < shipped ${line.shippedQuantity}`);
      }
    }),
    { numRuns: 500 },
  );
});
