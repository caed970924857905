/**
 * Money and quantities travel as decimal strings with a fixed scale ("5490.00", "1.500"),
 * never as binary floats: 1C answers doubles, and 0.1 + 0.2 must not reach an invoice.
 * Arithmetic goes through big.js.
 */
import Big from 'big.js';

export type Decimal = string;

/** Scales 1C uses: amounts and prices to kopecks, quantities to thousandths, percents to hundredths. */
export const Scale = { money: 2, quantity: 3, percent: 2 } as const;

/**
 * Precision of the decimal fields we exchange: digits in all and digits after the point, as
 * 1C:UT 11 declares them (amounts and prices Число(15,2), quantities Число(15,3), percents
 * Число(5,2)). Goodwix's wire schema caps what it reads to the same, and nothing wider is ever
 * sent to 1C: within 15 significant digits a decimal survives a double exactly.
 */
export interface Precision {
  readonly digits: number;
  readonly scale: number;
}

export const Precisions = {
  money: { digits: 15, scale: 2 },
  quantity: { digits: 15, scale: 3 },
  percent: { digits: 5, scale: 2 },
} as const satisfies Record<keyof typeof Scale, Precision>;

/** `Число(15,2)`, as 1C's configurator writes a precision. */
export const precisionText = (p: Precision): string => `Число(${p.digits},${p.scale})`;

/**
 * Why `value` cannot be held exactly at precision `p`, or null when it can: too many digits
 * before the point, or significant digits past the scale (1C would round them away).
 */
export function precisionProblem(value: Big | string, p: Precision): string | null {
  const v = new Big(value);
  const whole = v.abs().round(0, Big.roundDown);
  const before = whole.eq(0) ? 0 : whole.toFixed(0).length;
  if (before > p.digits - p.scale) return `more than ${p.digits - p.scale} digits before the point`;
  if (!v.round(p.scale, Big.roundDown).eq(v)) return `more than ${p.scale} digits after the point`;
  return null;
}

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
