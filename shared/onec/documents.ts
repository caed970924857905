/**
 * Typed 1C objects in our formats, read and written through the field map (`fields.ts`):
 * decoding validates 1C's JSON with zod/mini and converts values (`values.ts`); encoding turns
 * our values back into 1C's JSON. Errors name the entity set and the OData field at fault.
 */
import * as z from '#platform/zod';
import { describeZodError } from '#platform/zod';
import { OneCInvalidArgumentError, OneCUnexpectedDataError } from './errors.ts';
import {
  orderSpec, shipmentSpec,
  type EntityOf, type EntitySpec, type Field, type RowOf, type SectionSpec,
} from './fields.ts';
import { readComposite, readers, writeComposite, writeValue } from './values.ts';

export type OneCOrder = EntityOf<typeof orderSpec>;
export type OneCOrderItem = RowOf<typeof orderSpec.sections.items>;
export type OneCOrderHeader = Omit<OneCOrder, 'items'>;
export type OneCShipment = EntityOf<typeof shipmentSpec>;
export type OneCShipmentItem = RowOf<typeof shipmentSpec.sections.items>;

/** A row to write: every field (a tabular section in a PATCH replaces rows whole), `lineNumber` is assigned 1..n. */
export type OneCOrderItemInput = Omit<OneCOrderItem, 'lineNumber' | 'lineCode'> & {
  /** КодСтроки of an existing row (from `readOrder`); absent/null for a new row (1C assigns it). */
  lineCode?: number | null;
};

/** Header fields we may write; only the fields present are sent. */
export type OneCOrderHeaderInput = Partial<Omit<OneCOrderHeader, 'ref' | 'dataVersion' | 'number' | 'posted'>>;

export type OneCOrderInput = OneCOrderHeaderInput & {
  /** The stable key (Goodwix order id): required on create, so an unknown outcome can be resolved. */
  clientNumber: string;
  partner: string;
  items: OneCOrderItemInput[];
};

export type OneCOrderPatch = OneCOrderHeaderInput & {
  /** When present, the whole `Товары` section is replaced by these rows, in this order. */
  items?: OneCOrderItemInput[];
};

export type OneCShipmentItemInput = Omit<OneCShipmentItem, 'lineNumber' | 'lineCode'> & { lineCode?: number | null };
export type OneCShipmentInput = Partial<Omit<OneCShipment, 'ref' | 'dataVersion' | 'number' | 'posted' | 'items'>> & {
  items: OneCShipmentItemInput[];
};

// ---- decoding -----------------------------------------------------------------------------------

type AnySchema = z.ZodMiniType;

function fieldReader(field: Field): AnySchema {
  if (field.kind === 'composite') throw new Error('composite fields are read in pairs');
  const base = readers[field.kind] as AnySchema;
  if (field.kind === 'enum' && field.values) {
    const allowed = new Set<string>(field.values);
    return base.check(
      z.refine((v: unknown) => v === null || allowed.has(v as string), `Expected one of ${field.values.join(', ')}`),
    ) as AnySchema;
  }
  return base;
}

/** The shape of the raw object (OData names), composites validated as two strings. */
function rawShape(fields: Readonly<Record<string, Field>>): Record<string, AnySchema> {
  const shape: Record<string, AnySchema> = {};
  for (const field of Object.values(fields)) {
    if (field.kind === 'composite') {
      shape[field.odata] = z.string();
      shape[`${field.odata}_Type`] = z.string();
    } else {
      shape[field.odata] = fieldReader(field);
    }
  }
  return shape;
}

function rename(fields: Readonly<Record<string, Field>>, raw: Record<string, unknown>, where: () => string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) {
    if (field.kind === 'composite') {
      const link = readComposite(raw[field.odata], raw[`${field.odata}_Type`]);
      if (link === undefined) {
        throw new OneCUnexpectedDataError(`${where()}.${field.odata}: not a reference of a composite type: ${JSON.stringify(raw[field.odata])}`, {
          context: { field: field.odata },
        });
      }
      out[name] = link;
    } else {
      out[name] = raw[field.odata];
    }
  }
  return out;
}

interface Decoder {
  schema: AnySchema;
  fields: Readonly<Record<string, Field>>;
  sections: Readonly<Record<string, SectionSpec>>;
}

const decoders = new Map<string, Decoder>();

function pickFields(spec: EntitySpec, select?: readonly string[]): { fields: Record<string, Field>; sections: Record<string, SectionSpec> } {
  if (!select) return { fields: { ...spec.fields }, sections: { ...(spec.sections ?? {}) } };
  const fields: Record<string, Field> = {};
  const sections: Record<string, SectionSpec> = {};
  for (const name of select) {
    const f = spec.fields[name];
    const s = spec.sections?.[name];
    if (f) fields[name] = f;
    else if (s) sections[name] = s;
    else throw new OneCInvalidArgumentError(`${spec.entitySet}: no field "${name}" in the field map`, { context: { entitySet: spec.entitySet, field: name } });
  }
  return { fields, sections };
}

function decoderFor(spec: EntitySpec, select?: readonly string[]): Decoder {
  const cacheKey = `${spec.entitySet}|${select ? select.join(',') : '*'}`;
  let decoder = decoders.get(cacheKey);
  if (!decoder) {
    const { fields, sections } = pickFields(spec, select);
    const shape = rawShape(fields);
    for (const section of Object.values(sections)) shape[section.odata] = z.array(z.object(rawShape(section.fields)));
    decoder = { schema: z.object(shape), fields, sections };
    decoders.set(cacheKey, decoder);
  }
  return decoder;
}

/**
 * Reads one 1C object into our form. `select` limits it to some of our property names (the ones
 * that were `$select`ed); without it every mapped field must be present.
 */
export function decodeEntity<E extends EntitySpec>(spec: E, raw: unknown, select?: readonly string[]): EntityOf<E> {
  const decoder = decoderFor(spec, select);
  const parsed = decoder.schema.safeParse(raw);
  const refHint = typeof raw === 'object' && raw !== null && typeof (raw as Record<string, unknown>).Ref_Key === 'string'
    ? `(guid'${(raw as Record<string, unknown>).Ref_Key as string}')` : '';
  const where = () => `${spec.entitySet}${refHint}`;
  if (!parsed.success) {
    const problems = describeZodError(parsed.error, spec.entitySet);
    throw new OneCUnexpectedDataError(`1C sent ${where()} in an unexpected shape: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`, {
      context: { entitySet: spec.entitySet, problems: problems.length },
    });
  }
  const data = parsed.data as Record<string, unknown>;
  const out = rename(decoder.fields, data, where);
  for (const [name, section] of Object.entries(decoder.sections)) {
    const rows = data[section.odata] as Record<string, unknown>[];
    out[name] = rows
      .map((row) => rename(section.fields, row, () => `${where()}.${section.odata}`))
      .sort((a, b) => (a.lineNumber as number) - (b.lineNumber as number));
  }
  return out as EntityOf<E>;
}

/** The OData names to `$select` for some (default: all) of our property names. */
export function selectFor(spec: EntitySpec, names?: readonly string[]): string[] {
  const { fields, sections } = pickFields(spec, names);
  const out: string[] = [];
  for (const f of Object.values(fields)) {
    out.push(f.odata);
    if (f.kind === 'composite') out.push(`${f.odata}_Type`);
  }
  for (const s of Object.values(sections)) out.push(s.odata);
  return out;
}

// ---- encoding -----------------------------------------------------------------------------------

function encodeFields(
  entitySet: string,
  fields: Readonly<Record<string, Field>>,
  value: Record<string, unknown>,
  skip: ReadonlySet<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) {
    if (v === undefined || skip.has(name)) continue;
    const field = fields[name];
    if (!field) {
      throw new OneCInvalidArgumentError(`${entitySet}: no field "${name}" in the field map`, { context: { entitySet, field: name } });
    }
    if (field.readOnly) {
      throw new OneCInvalidArgumentError(`${entitySet}.${field.odata} is set by 1C and cannot be written`, { context: { entitySet, field: field.odata } });
    }
    const where = `${entitySet}.${field.odata}`;
    if (field.kind === 'composite') Object.assign(out, writeComposite(v as never, field.odata, where));
    else {
      if (field.kind === 'enum' && field.values && v !== null && !field.values.includes(v as string)) {
        throw new OneCInvalidArgumentError(`${where}: "${String(v)}" is not one of ${field.values.join(', ')}`, { context: { entitySet, field: field.odata } });
      }
      out[field.odata] = writeValue(field.kind, v, where, field.precision);
    }
  }
  return out;
}

/**
 * Encodes the rows of a tabular section: `LineNumber` 1..n in the given order, `КодСтроки` kept
 * when given (existing rows) and left to 1C when absent (new rows). `base` supplies, per
 * КодСтроки, the row as 1C holds it, so fields the map does not know survive the replacement.
 */
export function encodeRows(
  entitySet: string,
  section: SectionSpec,
  rows: readonly Record<string, unknown>[],
  base?: ReadonlyMap<number, Record<string, unknown>>,
): Record<string, unknown>[] {
  const lineNumber = section.fields.lineNumber;
  const lineCode = section.fields.lineCode;
  if (!lineNumber) throw new Error(`${entitySet}.${section.odata}: the field map has no lineNumber`);
  const seen = new Set<number>();
  return rows.map((row, i) => {
    const code = row.lineCode;
    const where = `${entitySet}.${section.odata}[${i + 1}]`;
    if (code !== undefined && code !== null) {
      if (!lineCode || typeof code !== 'number' || !Number.isSafeInteger(code) || code <= 0) {
        throw new OneCInvalidArgumentError(`${where}: bad line code ${JSON.stringify(code)}`, { context: { entitySet, row: i + 1 } });
      }
      if (seen.has(code)) throw new OneCInvalidArgumentError(`${where}: line code ${code} appears twice`, { context: { entitySet, row: i + 1, lineCode: code } });
      seen.add(code);
    }
    const kept = code !== undefined && code !== null ? base?.get(code) : undefined;
    const encoded = encodeFields(`${entitySet}.${section.odata}`, section.fields, row, new Set(['lineNumber', 'lineCode']));
    return {
      ...(kept ? carryOver(kept) : {}),
      ...encoded,
      [lineNumber.odata]: writeValue('int64', i + 1, `${where}.${lineNumber.odata}`),
      ...(lineCode && code !== undefined && code !== null ? { [lineCode.odata]: writeValue('int64', code, `${where}.${lineCode.odata}`) } : {}),
    };
  });
}

/** The part of a row read from 1C that may be sent back: no key, no annotations. */
function carryOver(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === 'Ref_Key' || k.includes('@') || k.startsWith('odata.')) continue;
    out[k] = v;
  }
  return out;
}

/** Encodes header fields and (optionally) whole sections for a POST or PATCH body. */
export function encodeEntity(
  spec: EntitySpec,
  value: Record<string, unknown>,
  bases: Readonly<Record<string, ReadonlyMap<number, Record<string, unknown>>>> = {},
): Record<string, unknown> {
  const sectionNames = new Set(Object.keys(spec.sections ?? {}));
  const body = encodeFields(spec.entitySet, spec.fields, value, sectionNames);
  for (const [name, section] of Object.entries(spec.sections ?? {})) {
    const rows = value[name];
    if (rows === undefined) continue;
    if (!Array.isArray(rows)) throw new OneCInvalidArgumentError(`${spec.entitySet}.${section.odata} must be an array of rows`, { context: { entitySet: spec.entitySet } });
    body[section.odata] = encodeRows(spec.entitySet, section, rows as Record<string, unknown>[], bases[name]);
  }
  return body;
}

export const decodeOrder = (raw: unknown): OneCOrder => decodeEntity(orderSpec, raw);
export const decodeShipment = (raw: unknown): OneCShipment => decodeEntity(shipmentSpec, raw);
