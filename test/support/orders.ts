/** Small factories for canonical orders and lines, for tests of the pure core. */
import type { CanonicalLine, CanonicalOrder } from '#core/canonical';
import { lineAmounts } from '#core/merge';

let nextLine = 1;

export function aLine(overrides: Partial<CanonicalLine> = {}): CanonicalLine {
  const key = overrides.key ?? `gl-${nextLine++}`;
  const inputs = {
    quantity: '10.000',
    cancelledQuantity: '0.000',
    price: '100.00',
    discountPercent: '0.00',
    vatRate: '20.00',
    ...overrides,
  };
  return {
    key,
    goodwixLineId: key.startsWith('1c:') ? null : key,
    goodwixProductId: '10101',
    product: { nomenclature: '6b2a1d3e-1c7b-11ef-9a30-0800270bc701', characteristic: null },
    cancelReason: null,
    shippedQuantity: '0.000',
    ...inputs,
    ...lineAmounts(inputs, true),
    ...overrides,
  };
}

export function anOrder(lines: CanonicalLine[], overrides: Partial<CanonicalOrder> = {}): CanonicalOrder {
  return { status: 'in_progress', pricesIncludeVat: true, lines, ...overrides };
}

/** The same line with some inputs changed and its amounts recomputed. */
export function edit(line: CanonicalLine, changes: Partial<CanonicalLine>): CanonicalLine {
  const next = { ...line, ...changes };
  return { ...next, ...lineAmounts(next, true) };
}
