/**
 * Money and quantities travel as decimal strings with a fixed scale ("5490.00", "1.500"),
 * never as binary floats: 1C answers doubles, and 0.1 + 0.2 must not reach an invoice.
 * Arithmetic goes through big.js.
 */
import Big from 'big.js';

export type Decimal = string;

/** Scales 1C uses: amounts and prices to kopecks, quantities to thousandths, percents to hundredths. */
export const Scale = { money: 2, quantity: 3, percent: 2 } as const;

/** Normalises a number or numeric string to a decimal string of the given scale (half-up). */
export function toDecimal(value: number | string | Big, scale: number): Decimal {
  return new Big(value).round(scale, Big.roundHalfUp).toFixed(scale);
}

export const money = (value: number | string | Big): Decimal => toDecimal(value, Scale.money);
export const quantity = (value: number | string | Big): Decimal => toDecimal(value, Scale.quantity);
export const percent = (value: number | string | Big): Decimal => toDecimal(value, Scale.percent);

/** Numeric equality regardless of scale: "1.50" equals "1.5". */
export function decEquals(a: Decimal, b: Decimal): boolean {
  return new Big(a).eq(b);
}

export function decAdd(...values: Decimal[]): Big {
  return values.reduce((sum, v) => sum.plus(v), new Big(0));
}

export { Big };
