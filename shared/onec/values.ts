/**
 * 1C's value formats and ours, both directions, validated with zod/mini.
 *
 * | kind        | 1C (OData JSON)                                   | ours                           |
 * |-------------|---------------------------------------------------|--------------------------------|
 * | key         | Edm.Guid `"…"`                                    | string (never empty)           |
 * | ref         | Edm.Guid, empty `"00000000-0000-…"`               | string \| null                 |
 * | string      | Edm.String                                        | string                         |
 * | enum        | Edm.String, the value's internal name, `""` empty | the name \| null               |
 * | boolean     | Edm.Boolean                                       | boolean                        |
 * | int64       | Edm.Int64 as a **string** `"3"`                   | number                         |
 * | money       | Edm.Double `5490` / `420.5`, field Число(15,2)    | Decimal "5490.00" (scale 2)    |
 * | quantity    | Edm.Double, field Число(15,3)                     | Decimal "1.500" (scale 3)      |
 * | percent     | Edm.Double, field Число(5,2)                      | Decimal "5.00" (scale 2)       |
 * | date        | Edm.DateTime `"2024-05-31T00:00:00"`, empty `"0001-01-01T00:00:00"` | string \| null (1C local time, no zone) |
 * | version     | `DataVersion`, base64 of an 8-byte counter        | string                         |
 * | composite   | `X` + `X_Type` `"StandardODATA.Document_…"` / `"StandardODATA.Undefined"` | { ref, type } \| null |
 */
import { Big, money, percent, Precisions, precisionProblem, precisionText, quantity, type Decimal, type Precision } from '#core/decimal';
import * as z from '#platform/zod';
import { OneCInvalidArgumentError } from './errors.ts';

export const EMPTY_REF = '00000000-0000-0000-0000-000000000000';
export const EMPTY_DATE = '0001-01-01T00:00:00';
export const TYPE_PREFIX = 'StandardODATA.';
export const UNDEFINED_TYPE = 'StandardODATA.Undefined';

/** A 1C date-time without a time zone, "YYYY-MM-DDTHH:MM:SS", as 1C stores it. */
export type LocalDateTime = string;

/** A value of a composite-typed field: a reference and its entity set (`Document_ЗаказКлиента`). */
export interface OneCLink {
  readonly ref: string;
  /** Entity set of the referenced object, without the `StandardODATA.` prefix. */
  readonly type: string;
}

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const INT_RE = /^-?\d+$/;
const DECIMAL_RE = /^-?\d+(\.\d+)?$/;

export type Kind =
  | 'key' | 'ref' | 'string' | 'enum' | 'boolean' | 'int64'
  | 'money' | 'quantity' | 'percent' | 'date' | 'version' | 'composite';

/** The Edm type `$metadata` must declare for each kind (the first is the expected one). */
export const edmTypes: Readonly<Record<Kind, readonly string[]>> = {
  key: ['Edm.Guid'],
  ref: ['Edm.Guid'],
  string: ['Edm.String'],
  enum: ['Edm.String'],
  boolean: ['Edm.Boolean'],
  int64: ['Edm.Int64', 'Edm.Int32', 'Edm.Int16'],
  money: ['Edm.Double', 'Edm.Decimal'],
  quantity: ['Edm.Double', 'Edm.Decimal'],
  percent: ['Edm.Double', 'Edm.Decimal'],
  date: ['Edm.DateTime'],
  version: ['Edm.String'],
  composite: ['Edm.String'],
};

const guidString = z.string().check(z.regex(GUID_RE, 'Expected a guid'));
const dateString = z.string().check(z.regex(DATE_RE, 'Expected a 1C date-time YYYY-MM-DDTHH:MM:SS'));
/** 1C sends Int64 as a string; a number is accepted too. */
const int64Wire = z.union([
  z.pipe(z.string().check(z.regex(INT_RE, 'Expected an integer string')), z.transform((s: string) => Number(s))),
  z.int(),
]);
const doubleWire = z.number().check(z.refine((n: number) => Number.isFinite(n), 'Expected a finite number'));

/** zod/mini schemas reading one 1C value into ours, per kind. */
export const readers = {
  key: z.pipe(guidString, z.transform((s: string) => s.toLowerCase())),
  ref: z.pipe(guidString, z.transform((s: string) => (s === EMPTY_REF ? null : s.toLowerCase()))),
  string: z.string(),
  enum: z.pipe(z.string(), z.transform((s: string) => (s === '' ? null : s))),
  boolean: z.boolean(),
  int64: int64Wire,
  money: z.pipe(doubleWire, z.transform((n: number): Decimal => money(n))),
  quantity: z.pipe(doubleWire, z.transform((n: number): Decimal => quantity(n))),
  percent: z.pipe(doubleWire, z.transform((n: number): Decimal => percent(n))),
  date: z.pipe(dateString, z.transform((s: string): LocalDateTime | null => (s === EMPTY_DATE ? null : s))),
  version: z.string(),
} as const;

/** Reads a composite pair (`X`, `X_Type`) into a link, or null when empty / Undefined. */
export function readComposite(value: unknown, type: unknown): OneCLink | null | undefined {
  if (typeof type !== 'string' || typeof value !== 'string') return undefined;
  if (type === UNDEFINED_TYPE || type === '' || value === '' || value === EMPTY_REF) return null;
  if (!GUID_RE.test(value)) return undefined;
  return { ref: value.toLowerCase(), type: type.startsWith(TYPE_PREFIX) ? type.slice(TYPE_PREFIX.length) : type };
}

function bad(kind: Kind, value: unknown, field: string): never {
  throw new OneCInvalidArgumentError(`${field}: not a valid ${kind} to write to 1C: ${JSON.stringify(value)?.slice(0, 80)}`, {
    context: { field, kind },
  });
}

/** Normalises a date we hold ("YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]") to 1C's form. */
export function toOneCDate(value: string | null, field = 'date'): string {
  if (value === null) return EMPTY_DATE;
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(value);
  if (!m) bad('date', value, field);
  return `${m[1]}T${m[2] ?? '00'}:${m[3] ?? '00'}:${m[4] ?? '00'}`;
}

/** A value as an error shows it: long ones cut, with their length. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return text.length > 40 ? `${text.slice(0, 40)}… (${text.length} characters)` : text;
}

/**
 * One of our decimals as the JSON number 1C reads into an Edm.Double field of precision `p`.
 * Refuses what the field cannot hold exactly — too many digits before the point, digits past the
 * scale — and anything that would not come back from the double as it went in: JSON has no
 * Infinity (it becomes null) and past 15 digits a double keeps only the nearest value it has.
 */
export function toOneCDouble(kind: 'money' | 'quantity' | 'percent', value: unknown, field: string, p: Precision = Precisions[kind]): number {
  let exact: Big;
  if (typeof value === 'string' && DECIMAL_RE.test(value)) exact = new Big(value);
  else if (typeof value === 'number' && Number.isFinite(value)) exact = new Big(value);
  else return bad(kind, value, field);
  const problem = doubleProblem(exact, p);
  if (problem) {
    throw new OneCInvalidArgumentError(`${field}: ${shown(value)} does not fit 1C's ${precisionText(p)}: ${problem}`, {
      context: { field, kind, value: shown(value), precision: precisionText(p) },
    });
  }
  return Number(exact.toFixed());
}

/** Why a decimal cannot go to an Edm.Double field of precision `p` exactly, or null when it can. */
export function doubleProblem(value: Big | string, p: Precision): string | null {
  const exact = new Big(value);
  const problem = precisionProblem(exact, p);
  if (problem) return problem;
  const n = Number(exact.toFixed());
  if (!Number.isFinite(n) || !new Big(n).round(p.scale, Big.roundHalfUp).eq(exact)) return 'a double does not hold it exactly';
  return null;
}

/**
 * Writes one of our values in 1C's JSON form. `field` names it in errors; `precision` is the
 * decimal field's (the kind's usual one when absent).
 */
export function writeValue(kind: Exclude<Kind, 'composite'>, value: unknown, field: string, precision?: Precision): unknown {
  switch (kind) {
    case 'key':
      if (typeof value !== 'string' || !GUID_RE.test(value)) bad(kind, value, field);
      return value.toLowerCase();
    case 'ref':
      if (value === null || value === undefined) return EMPTY_REF;
      if (typeof value !== 'string' || !GUID_RE.test(value)) bad(kind, value, field);
      return value.toLowerCase();
    case 'string':
    case 'version':
      if (typeof value !== 'string') bad(kind, value, field);
      return value;
    case 'enum':
      if (value === null) return '';
      if (typeof value !== 'string') bad(kind, value, field);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') bad(kind, value, field);
      return value;
    case 'int64':
      // Edm.Int64 travels as a string in OData v3 JSON, as 1C itself sends it.
      if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
      if (typeof value === 'string' && INT_RE.test(value)) return value;
      return bad(kind, value, field);
    case 'money':
    case 'quantity':
    case 'percent':
      return toOneCDouble(kind, value, field, precision);
    case 'date':
      if (value !== null && typeof value !== 'string') bad(kind, value, field);
      return toOneCDate(value as string | null, field);
  }
}

/** Writes a link as the pair 1C expects: `{ X: guid, X_Type: 'StandardODATA.<type>' }`. */
export function writeComposite(value: OneCLink | null, odata: string, field: string): Record<string, string> {
  if (value === null || value === undefined) return { [odata]: '', [`${odata}_Type`]: UNDEFINED_TYPE };
  if (typeof value !== 'object' || !GUID_RE.test(value.ref) || !/^[\p{L}_][\p{L}\p{N}_]*$/u.test(value.type)) bad('composite', value, field);
  return { [odata]: value.ref.toLowerCase(), [`${odata}_Type`]: `${TYPE_PREFIX}${value.type}` };
}
