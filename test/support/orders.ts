/**
 * Factories for the two order shapes the tests build by hand, one pair per type so no two
 * factories build the same thing: the canonical order the pure core merges (`aCanonicalLine`,
 * `aCanonicalOrder`) and the order as Goodwix's API returns it (`aGoodwixLine`,
 * `aGoodwixOrder`). Orders placed in a 1C sandbox are built from test/support/onec-orders.ts.
 */
import type { CanonicalLine, CanonicalOrder } from '#core/canonical';
import { lineAmounts } from '#core/merge';
import type { GoodwixOrder, GoodwixOrderLine } from '#goodwix/model';

let nextLine = 1;

/** A canonical line whose amounts agree with its inputs (so a merge has no amount to repair). */
export function aCanonicalLine(overrides: Partial<CanonicalLine> = {}): CanonicalLine {
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

export function aCanonicalOrder(lines: CanonicalLine[], overrides: Partial<CanonicalOrder> = {}): CanonicalOrder {
  return { status: 'in_progress', pricesIncludeVat: true, lines, ...overrides };
}

/** The same canonical line with some inputs changed and its amounts recomputed. */
export function edit(line: CanonicalLine, changes: Partial<CanonicalLine>): CanonicalLine {
  const next = { ...line, ...changes };
  return { ...next, ...lineAmounts(next, true) };
}

/** A line of a Goodwix order that keeps Goodwix's contract: 2 packs of screws of the demo seed. */
export function aGoodwixLine(overrides: Partial<GoodwixOrderLine> = {}): GoodwixOrderLine {
  return {
    id: 'ln-1', productId: 10103, productName: 'Саморез по дереву 3,5×35, 1000 шт', sku: 'SMR-3535', unit: 'уп',
    nomenclatureId: '6b2a1d3e-1c7b-11ef-9a30-0800270bc703', characteristicId: null,
    quantity: '2.000', cancelledQuantity: '0.000', cancelReason: null, shippedQuantity: '0.000',
    price: '420.50', discountPercent: '0.00', discountAmount: '0.00', vatRate: '20.00', vatAmount: '140.17', amount: '841.00', erpLineId: null,
    ...overrides,
  };
}

/** A confirmed Goodwix order 100001 (not yet in 1C) with the given lines; its totals are not recomputed from them. */
export function aGoodwixOrder(lines: GoodwixOrderLine[], overrides: Partial<GoodwixOrder> = {}): GoodwixOrder {
  return {
    id: 100001, number: '2369-000001', status: 'confirmed', statusReason: null, version: 1,
    buyer: { id: 3001, name: 'СтройМаркет', legalName: 'ООО "СтройМаркет"', inn: '7712345678', kpp: '771201001', counterpartyId: null, partnerId: null, contractId: null },
    priceListId: 501, currency: 'RUB', pricesIncludeVat: true, comment: null,
    createdAt: '2025-06-01T10:00:00.000Z', confirmedAt: '2025-06-01T10:00:00.000Z', changedAt: '2025-06-01T10:00:00.000Z',
    erp: { orderId: null, number: null, date: null }, totals: { amount: '841.00', vatAmount: '140.17', discountAmount: '0.00' },
    lines,
    ...overrides,
  };
}
