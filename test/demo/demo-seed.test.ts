import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoBuyers, demoProducts } from '#local/demo/supplier';

test('the demo seed gives every product, variant and buyer a unique id on each side', () => {
  const oneCRefs = demoProducts.flatMap((p) => [p.ref, ...(p.variants ?? []).map((v) => v.ref)]);
  const goodwixIds = demoProducts.flatMap((p) => (p.variants ? p.variants.map((v) => v.goodwixId) : [p.goodwixId]));
  assert.equal(new Set(oneCRefs).size, oneCRefs.length);
  assert.equal(new Set(goodwixIds).size, goodwixIds.length);
  assert.equal(new Set(demoBuyers.map((b) => b.counterpartyRef)).size, demoBuyers.length);
});
