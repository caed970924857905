/**
 * `$filter` expressions for 1C's OData, built from typed pieces so that no value can change the
 * shape of a query: strings are quoted with `'` doubled, guids and dates are validated, numbers
 * are written in plain decimal notation, field names must be OData identifiers. Raw text is never
 * concatenated into a filter; the only way in is through these functions.
 *
 *   and(eq('НомерПоДаннымКлиента', "GW-1' or 1 eq 1"), eq('DeletionMark', false))
 *   → "НомерПоДаннымКлиента eq 'GW-1'' or 1 eq 1' and DeletionMark eq false"
 *   or(...refs.map((r) => eq('Ref_Key', guid(r))))
 *   eq('ЗаказКлиента', cast(guid(orderRef), 'Document_ЗаказКлиента'))
 */
import { Big } from '#core/decimal';
import { OneCInvalidArgumentError } from './errors.ts';

const FILTER = Symbol('onec.filter');
const LITERAL = Symbol('onec.literal');

/** A complete boolean expression. Only this module can make one. */
export interface Filter {
  readonly [FILTER]: true;
  /** The expression as 1C reads it. */
  readonly text: string;
  /** Whether the expression must be parenthesised as an operand of and/or/not. */
  readonly compound: boolean;
}

/** A typed literal (`guid'…'`, `datetime'…'`, `cast(…)`, a decimal). */
export interface Literal {
  readonly [LITERAL]: true;
  readonly text: string;
}

export type Value = string | number | boolean | Literal;

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** 1C dates carry no time zone: `2024-05-31T00:00:00`. Seconds and the time part are optional here. */
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
/** An OData identifier (letters in any script, digits, `_`), or a path of them separated by `/`. */
const NAME = /^[\p{L}_][\p{L}\p{N}_]*(\/[\p{L}_][\p{L}\p{N}_]*)*$/u;

function literal(text: string): Literal {
  return Object.freeze({ [LITERAL]: true as const, text });
}

function filter(text: string, compound: boolean): Filter {
  return Object.freeze({ [FILTER]: true as const, text, compound });
}

function invalid(message: string, context: Record<string, string>): never {
  throw new OneCInvalidArgumentError(message, { context });
}

export function isGuid(value: unknown): value is string {
  return typeof value === 'string' && GUID.test(value);
}

/** `guid'…'`; throws OneCInvalidArgumentError for anything that is not a guid. */
export function guid(value: string): Literal {
  if (!isGuid(value)) invalid(`not a guid: ${JSON.stringify(String(value)).slice(0, 80)}`, { argument: 'guid' });
  return literal(`guid'${value.toLowerCase()}'`);
}

/** `datetime'YYYY-MM-DDTHH:MM:SS'` from a 1C local date-time string (no time zone, as 1C stores it). */
export function datetime(value: string): Literal {
  const m = typeof value === 'string' ? DATETIME.exec(value) : null;
  if (!m) invalid(`not a 1C date-time (YYYY-MM-DD[THH:MM[:SS]]): ${JSON.stringify(String(value)).slice(0, 80)}`, { argument: 'datetime' });
  const [, y, mo, d, h = '00', mi = '00', s = '00'] = m;
  const probe = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  if (
    probe.getUTCFullYear() !== Number(y) || probe.getUTCMonth() !== Number(mo) - 1 || probe.getUTCDate() !== Number(d) ||
    Number(h) > 23 || Number(mi) > 59 || Number(s) > 59
  ) {
    invalid(`not a calendar date-time: ${value}`, { argument: 'datetime' });
  }
  return literal(`datetime'${y}-${mo}-${d}T${h}:${mi}:${s}'`);
}

/** A decimal string ("1500.50") as a numeric literal, for money and quantities kept as decimals. */
export function decimal(value: string): Literal {
  if (typeof value !== 'string' || !DECIMAL.test(value)) invalid(`not a decimal: ${JSON.stringify(String(value)).slice(0, 80)}`, { argument: 'decimal' });
  return literal(value);
}

/** `cast(guid'…', 'Document_ЗаказКлиента')`: the value of a composite-typed field. */
export function cast(ref: Literal | string, entitySet: string): Literal {
  const g = typeof ref === 'string' ? guid(ref) : ref;
  if (!g.text.startsWith("guid'")) invalid('cast() takes a guid', { argument: 'cast' });
  if (!NAME.test(entitySet) || entitySet.includes('/')) invalid(`not an entity set name: ${entitySet}`, { argument: 'cast' });
  return literal(`cast(${g.text}, '${entitySet}')`);
}

/** A string literal with `'` doubled, as OData requires. */
export function quote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function valueText(value: Value): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) invalid(`not a finite number: ${value}`, { argument: 'number' });
    // Plain notation: 1e-7 and 1e21 are not OData literals.
    return new Big(value).toFixed();
  }
  if (typeof value === 'object' && value !== null && (value as Literal)[LITERAL] === true) return value.text;
  return invalid(`unsupported filter value: ${typeof value}`, { argument: 'value' });
}

function fieldName(name: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) invalid(`not an OData field name: ${JSON.stringify(String(name)).slice(0, 80)}`, { argument: 'field' });
  return name;
}

type Op = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

function compare(op: Op, field: string, value: Value): Filter {
  return filter(`${fieldName(field)} ${op} ${valueText(value)}`, false);
}

export const eq = (field: string, value: Value): Filter => compare('eq', field, value);
export const ne = (field: string, value: Value): Filter => compare('ne', field, value);
export const gt = (field: string, value: Value): Filter => compare('gt', field, value);
export const ge = (field: string, value: Value): Filter => compare('ge', field, value);
export const lt = (field: string, value: Value): Filter => compare('lt', field, value);
export const le = (field: string, value: Value): Filter => compare('le', field, value);

/** `substringof('needle', field)`: the field contains the text. */
export function substringof(needle: string, field: string): Filter {
  if (typeof needle !== 'string') invalid('substringof() takes a string', { argument: 'substringof' });
  return filter(`substringof(${quote(needle)}, ${fieldName(field)})`, false);
}

function assertFilter(f: Filter): Filter {
  if (typeof f !== 'object' || f === null || f[FILTER] !== true) invalid('not a filter built by #onec/filter', { argument: 'filter' });
  return f;
}

function operand(f: Filter): string {
  assertFilter(f);
  return f.compound ? `(${f.text})` : f.text;
}

function join(op: 'and' | 'or', filters: readonly Filter[]): Filter {
  if (filters.length === 0) invalid(`${op}() needs at least one operand`, { argument: op });
  if (filters.length === 1) return assertFilter(filters[0]!);
  return filter(filters.map(operand).join(` ${op} `), true);
}

export const and = (...filters: Filter[]): Filter => join('and', filters);
export const or = (...filters: Filter[]): Filter => join('or', filters);
export const not = (f: Filter): Filter => filter(`not ${operand(f)}`, true);

export function isFilter(value: unknown): value is Filter {
  return typeof value === 'object' && value !== null && (value as Filter)[FILTER] === true;
}

/** The text of a filter, for `$filter=` or a register function's `Condition`. */
export function render(f: Filter): string {
  return assertFilter(f).text;
}
