/**
 * Line amounts the way 1C computes them in a ЗаказКлиента row. Writes over OData do not
 * recalculate anything, so every amount we send must already be what the UI would have shown.
 *
 *   Сумма      = Количество × Цена − СуммаРучнойСкидки, with СуммаРучнойСкидки = Количество × Цена × %/100
 *   price with VAT:    СуммаНДС = Сумма × rate / (100 + rate),  СуммаСНДС = Сумма
 *   price without VAT: СуммаНДС = Сумма × rate / 100,          СуммаСНДС = Сумма + СуммаНДС
 */
import { Big, money, type Decimal } from './decimal.ts';

export interface AmountInputs {
  readonly quantity: Decimal;
  readonly price: Decimal;
  readonly discountPercent: Decimal;
  /** percent; null = без НДС */
  readonly vatRate: Decimal | null;
}

export interface LineAmounts {
  readonly gross: Decimal;
  readonly discountAmount: Decimal;
  /** Сумма: after discount, as the price states it */
  readonly net: Decimal;
  readonly vatAmount: Decimal;
  /** СуммаСНДС */
  readonly total: Decimal;
}

export function computeAmounts(inputs: AmountInputs, pricesIncludeVat: boolean): LineAmounts {
  const gross = new Big(inputs.quantity).times(inputs.price);
  const discount = new Big(money(gross.times(inputs.discountPercent).div(100)));
  const net = new Big(money(gross)).minus(discount);
  const rate = new Big(inputs.vatRate ?? 0);
  const vat = pricesIncludeVat ? net.times(rate).div(rate.plus(100)) : net.times(rate).div(100);
  const vatAmount = money(vat);
  return {
    gross: money(gross),
    discountAmount: money(discount),
    net: money(net),
    vatAmount,
    total: money(pricesIncludeVat ? net : net.plus(vatAmount)),
  };
}
