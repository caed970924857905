/**
 * Values as the sandbox keeps them and as 1C writes them on the wire.
 *
 * Inside: Guid = lowercase string, String = string, Double/Int64/Int16 = number, Boolean = boolean,
 * DateTime = "YYYY-MM-DDTHH:MM:SS", composite `X` = string + `X_Type` = "StandardODATA.<Set>" |
 * "StandardODATA.Undefined", tabular section = array of rows (with `LineNumber` as number).
 * On the wire (JSON): the same, except Int64 as strings (OData v3), and every property is always
 * present with its empty value.
 */
import { randomUUID } from 'node:crypto';
import { EMPTY_DATE, EMPTY_REF, ENUMS, NS, UNDEFINED_TYPE, entityByName, type FieldDef, type SectionDef } from './model.ts';
import { badValue } from './errors.ts';

export type Scalar = string | number | boolean;
export type Row = Record<string, Scalar>;
export type Rec = Record<string, Scalar | Row[]>;

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/u;

export const isGuid = (s: string): boolean => GUID_RE.test(s);
export const newRef = (): string => randomUUID();

export function emptyValue(f: FieldDef): Scalar {
  switch (f.kind) {
    case 'Guid': return EMPTY_REF;
    case 'String': return '';
    case 'Double': case 'Int64': case 'Int16': return 0;
    case 'Boolean': return false;
    case 'DateTime': return EMPTY_DATE;
    case 'Composite': return '';
  }
}

/** A record with every field at its empty value (composites get `X_Type` = Undefined). */
export function emptyRecord(fields: readonly FieldDef[], sections: readonly SectionDef[] = []): Rec {
  const rec: Rec = {};
  for (const f of fields) {
    rec[f.name] = emptyValue(f);
    if (f.kind === 'Composite') rec[`${f.name}_Type`] = UNDEFINED_TYPE;
  }
  for (const s of sections) rec[s.name] = [];
  return rec;
}

export function emptyRow(s: SectionDef, lineNumber: number): Row {
  return { LineNumber: lineNumber, ...(emptyRecord(s.fields) as Row) };
}

/** 1C date-time without time zone, in the publication's local time (Moscow, UTC+3). */
export function nowLocal(date: Date = new Date()): string {
  return new Date(date.getTime() + 3 * 3600_000).toISOString().slice(0, 19);
}

/** Wire form of one scalar field value (Int64 as string). */
export function wireScalar(f: FieldDef, v: Scalar | undefined): Scalar {
  const value = v ?? emptyValue(f);
  return f.kind === 'Int64' ? String(value) : value;
}

/** Appends the wire form of the fields of `rec` to `out`, composites with their `_Type`. */
export function wireFields(fields: readonly FieldDef[], rec: Rec | Row, out: Record<string, unknown>): void {
  for (const f of fields) {
    out[f.name] = wireScalar(f, rec[f.name] as Scalar | undefined);
    if (f.kind === 'Composite') out[`${f.name}_Type`] = (rec[`${f.name}_Type`] as string | undefined) ?? UNDEFINED_TYPE;
  }
}

export function wireRow(s: SectionDef, ownerRef: string, row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = { Ref_Key: ownerRef, LineNumber: String(row.LineNumber) };
  wireFields(s.fields, row, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing written values (POST/PATCH bodies)

function describe(raw: unknown): string {
  return typeof raw === 'string' ? raw : JSON.stringify(raw);
}

function cannotConvert(f: FieldDef, raw: unknown, edm: string): never {
  throw badValue(`Невозможно преобразовать значение "${describe(raw)}" свойства "${f.name}" к типу ${edm}`);
}

export function parseDateTime(raw: string): string | undefined {
  const m = DATE_RE.exec(raw);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00'] = m;
  if (Number(mo) > 12 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}`;
}

function parseNumber(f: FieldDef, raw: unknown, integer: boolean): number {
  const edm = f.kind === 'Double' ? 'Edm.Double' : `Edm.${f.kind}`;
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && raw.trim() !== '' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/u.test(raw.trim())) n = Number(raw);
  else return cannotConvert(f, raw, edm);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) cannotConvert(f, raw, edm);
  return n;
}

/** Known `_Type` values: the published entity types, Undefined and primitive Edm types. */
function parseTypeName(f: FieldDef, raw: unknown): string {
  if (raw === null || raw === undefined || raw === '') return UNDEFINED_TYPE;
  if (typeof raw !== 'string') return cannotConvert(f, raw, 'Edm.String');
  if (raw === UNDEFINED_TYPE || /^Edm\.(String|Double|Boolean|DateTime|Int64|Int32|Int16|Decimal)$/u.test(raw)) return raw;
  if (raw.startsWith(`${NS}.`) && (entityByName.has(raw.slice(NS.length + 1)) || /^StandardODATA\.(Catalog|Document|Enum|ChartOfCharacteristicTypes)_/u.test(raw))) return raw;
  throw badValue(`Неизвестный тип "${raw}" в свойстве "${f.name}_Type"`);
}

/** Converts one written value of a scalar (non-composite) field; throws code 1 when it cannot. */
export function parseScalar(f: FieldDef, raw: unknown): Scalar {
  if (raw === null || raw === undefined) return emptyValue(f);
  switch (f.kind) {
    case 'Guid':
      if (typeof raw === 'string' && GUID_RE.test(raw)) return raw.toLowerCase();
      return cannotConvert(f, raw, 'Edm.Guid');
    case 'String': {
      if (typeof raw !== 'string') return cannotConvert(f, raw, 'Edm.String');
      if (f.enumName) {
        if (raw !== '' && !ENUMS[f.enumName]!.includes(raw)) {
          throw badValue(`Неверное значение перечисления "${raw}" свойства "${f.name}" (${f.enumName})`);
        }
        return raw;
      }
      // Real 1C silently cuts strings longer than the attribute's length.
      return f.maxLength > 0 && [...raw].length > f.maxLength ? [...raw].slice(0, f.maxLength).join('') : raw;
    }
    case 'Double': return parseNumber(f, raw, false);
    case 'Int64': case 'Int16': return parseNumber(f, raw, true);
    case 'Boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      return cannotConvert(f, raw, 'Edm.Boolean');
    case 'DateTime': {
      const d = typeof raw === 'string' ? parseDateTime(raw) : undefined;
      return d ?? cannotConvert(f, raw, 'Edm.DateTime');
    }
    case 'Composite':
      throw new Error('composite fields are parsed with parseComposite');
  }
}

/**
 * Applies a written composite `X` / `X_Type` pair onto `target`. A reference type needs a guid
 * value; an empty value makes it Undefined.
 */
export function applyComposite(f: FieldDef, body: Record<string, unknown>, target: Row | Rec): void {
  const typeKey = `${f.name}_Type`;
  const hasValue = Object.hasOwn(body, f.name);
  const hasType = Object.hasOwn(body, typeKey);
  if (!hasValue && !hasType) return;
  const type = hasType ? parseTypeName(f, body[typeKey]) : (target[typeKey] as string | undefined) ?? UNDEFINED_TYPE;
  const raw = hasValue ? body[f.name] : target[f.name];
  if (type === UNDEFINED_TYPE) {
    if (raw !== null && raw !== undefined && raw !== '' && hasValue) {
      throw badValue(`Не указан тип значения свойства "${f.name}" (ожидается свойство "${typeKey}")`);
    }
    target[f.name] = '';
    target[typeKey] = UNDEFINED_TYPE;
    return;
  }
  if (type.startsWith('Edm.')) {
    target[f.name] = raw === null || raw === undefined ? '' : (typeof raw === 'object' ? JSON.stringify(raw) : (raw as Scalar));
    target[typeKey] = type;
    return;
  }
  if (raw === null || raw === undefined || raw === '') {
    target[f.name] = EMPTY_REF;
  } else if (typeof raw === 'string' && GUID_RE.test(raw)) {
    target[f.name] = raw.toLowerCase();
  } else {
    cannotConvert(f, raw, 'Edm.Guid');
  }
  target[typeKey] = type;
}

/** Composite value as the filter engine sees it: guid + entity set name ('' for Undefined). */
export function compositeOf(rec: Rec | Row, name: string): { value: string; type: string } {
  const type = (rec[`${name}_Type`] as string | undefined) ?? UNDEFINED_TYPE;
  return { value: String(rec[name] ?? ''), type: type === UNDEFINED_TYPE ? '' : type.replace(`${NS}.`, '') };
}

export function round(n: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round((n + Number.EPSILON * Math.sign(n)) * k) / k;
}
