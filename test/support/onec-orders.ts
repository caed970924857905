/**
 * Small factories for 1C orders on the demo base (`#local/demo/supplier`), in the 1C client's
 * formats: `orderInput('GW-1', [line(product('SMR-3535'), '3')])`.
 */
import { computeAmounts } from '#core/amounts';
import type { OneCOrderInput, OneCOrderItemInput } from '#onec/documents';
import type { ProvisionVariant } from '#onec/fields';
import { demoBuyers, demoOneC, demoProducts, type DemoProduct } from '#local/demo/supplier';

export function product(sku: string): DemoProduct {
  const p = demoProducts.find((x) => x.sku === sku);
  if (!p) throw new Error(`no demo product ${sku}`);
  return p;
}

function vatRef(rate: 20 | 10 | 0): string {
  return rate === 20 ? demoOneC.vatRates.vat20.ref : rate === 10 ? demoOneC.vatRates.vat10.ref : demoOneC.vatRates.none.ref;
}

export interface LineOptions {
  readonly variant?: string | null;
  readonly provision?: ProvisionVariant;
  readonly price?: string;
  readonly discountPercent?: string;
  readonly cancelled?: boolean;
  readonly cancelReason?: string | null;
  readonly lineCode?: number | null;
}

/** A full `Товары` row with amounts computed the way 1C does (prices include VAT). */
export function line(p: DemoProduct, quantity: string, options: LineOptions = {}): OneCOrderItemInput {
  const price = options.price ?? p.price;
  const discountPercent = options.discountPercent ?? '0.00';
  const a = computeAmounts({ quantity, price, discountPercent, vatRate: p.vatRate === 0 ? null : String(p.vatRate) }, true);
  return {
    ...(options.lineCode !== undefined ? { lineCode: options.lineCode } : {}),
    product: p.ref,
    characteristic: options.variant ?? null,
    packaging: null,
    packageQuantity: quantity,
    quantity,
    priceType: demoOneC.priceTypes.wholesale.ref,
    price,
    amount: a.net,
    vatRate: vatRef(p.vatRate),
    vatAmount: a.vatAmount,
    amountWithVat: a.total,
    manualDiscountPercent: discountPercent,
    manualDiscountAmount: a.discountAmount,
    autoDiscountPercent: '0.00',
    autoDiscountAmount: '0.00',
    cancelled: options.cancelled ?? false,
    cancelReason: options.cancelReason ?? null,
    provision: options.provision ?? 'СоСклада',
    warehouse: null,
    shipmentDate: null,
    separate: false,
  };
}

/** An order of the first demo buyer under the standard agreement, status КОбеспечению. */
export function orderInput(clientNumber: string, items: OneCOrderItemInput[], over: Partial<OneCOrderInput> = {}): OneCOrderInput {
  const buyer = demoBuyers[0]!;
  return {
    clientNumber,
    clientDate: '2024-05-31T10:00:00',
    partner: buyer.partnerRef,
    counterparty: buyer.counterpartyRef,
    organization: demoOneC.organization.ref,
    agreement: demoOneC.agreements.standard.ref,
    warehouse: demoOneC.warehouses.main.ref,
    manager: demoOneC.manager.ref,
    currency: demoOneC.currency.ref,
    priceIncludesVat: true,
    vatTaxation: 'ПродажаОблагаетсяНДС',
    settlement: 'ПоЗаказам',
    status: 'КОбеспечению',
    comment: 'Goodwix',
    items,
    ...over,
  };
}
