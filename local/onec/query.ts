/**
 * Query options on collections, the way 1C applies them: `$filter`, `$select` (with
 * `Section/Field` and `Nav/Field` paths), `$expand` (only for navigation properties that are
 * also in `$select`; otherwise silently ignored), `$orderby`, `$skip`, `$top`,
 * `$inlinecount=allpages` (`odata.count` as a string).
 */
import { badValue, filterSyntax, unknownSegment } from './errors.ts';
import { compileFilter, type BoundField, type FieldResolver, type ValueType } from './filter.ts';
import type { FieldDef, RecordType } from './model.ts';
import { compositeOf, wireFields, wireRow, type Rec, type Row } from './values.ts';

/** How the query engine follows a navigation property: referenced record and its type. */
export interface NavLookup {
  (targetSet: string, ref: string): { type: RecordType; rec: Rec } | undefined;
  typeOf(targetSet: string): RecordType | undefined;
}

export interface Collection {
  /** Entity set (or virtual table) name */
  readonly name: string;
  readonly type: RecordType;
  readonly rows: readonly Rec[];
  /** Whether rows are objects with tabular sections whose rows need the owner's Ref_Key */
  readonly keyField?: string;
  /** URL of one record, for `@navigationLinkUrl` */
  readonly entityUrl?: (rec: Rec) => string;
}

export type QueryOptions = Readonly<Record<string, string | undefined>>;

const valueTypeOf = (f: FieldDef): ValueType => {
  switch (f.kind) {
    case 'Guid': return 'guid';
    case 'String': return 'string';
    case 'Double': case 'Int64': case 'Int16': return 'number';
    case 'Boolean': return 'bool';
    case 'DateTime': return 'datetime';
    case 'Composite': return 'composite';
  }
};

function fieldGetter(f: FieldDef): (rec: Rec) => unknown {
  if (f.kind === 'Composite') return (rec) => compositeOf(rec, f.name);
  return (rec) => rec[f.name];
}

/** Field resolver over a record type, following `Nav/Field` through `lookup`. */
export function resolverFor(type: RecordType, lookup: NavLookup): FieldResolver<Rec> {
  const resolve = (path: string): BoundField<Rec> => {
    const slash = path.indexOf('/');
    if (slash < 0) {
      const f = type.byName.get(path);
      if (!f) {
        if (type.sections.some((s) => s.name === path) || type.navs.has(path)) {
          throw filterSyntax(`свойство "${path}" не может использоваться в выражении`);
        }
        throw unknownSegment(path);
      }
      return { type: valueTypeOf(f), get: fieldGetter(f) };
    }
    const head = path.slice(0, slash);
    const rest = path.slice(slash + 1);
    const nav = type.navs.get(head);
    if (!nav?.ref) {
      if (type.sections.some((s) => s.name === head)) {
        throw filterSyntax(`отбор по реквизитам табличной части "${head}" не поддерживается; используйте набор ${type.name}_${head}`);
      }
      throw unknownSegment(head);
    }
    const targetType = lookup.typeOf(nav.ref);
    if (!targetType) throw unknownSegment(head);
    const inner = resolverFor(targetType, lookup)(rest);
    const target = nav.ref;
    return {
      type: inner.type,
      get: (rec) => {
        const found = lookup(target, String(rec[nav.name]));
        return found ? inner.get(found.rec) : null;
      },
    };
  };
  return resolve;
}

function plainRow(s: { fields: readonly FieldDef[] }, row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  wireFields(s.fields, row, out);
  return out;
}

function splitList(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter((x) => x !== '');
}

interface Projection {
  all: boolean;
  fields: Set<string>;
  /** section name → subfields ('*' = all) */
  sections: Map<string, Set<string>>;
  /** nav name → subfields ('*' = all) */
  navs: Map<string, Set<string>>;
}

function parseSelect(type: RecordType, select: string | undefined): Projection {
  const p: Projection = { all: select === undefined || select.trim() === '' || select.trim() === '*', fields: new Set(), sections: new Map(), navs: new Map() };
  if (p.all) return p;
  for (const item of splitList(select!)) {
    if (item === '*') { p.all = true; continue; }
    const [head, sub, ...more] = item.split('/');
    if (more.length > 0) throw unknownSegment(item);
    const section = type.sections.find((s) => s.name === head);
    if (section) {
      const set = p.sections.get(head!) ?? new Set<string>();
      if (sub === undefined || sub === '*') set.add('*');
      else if (sub === 'LineNumber' || sub === 'Ref_Key' || section.fields.some((f) => f.name === sub || (f.kind === 'Composite' && `${f.name}_Type` === sub))) set.add(sub);
      else throw unknownSegment(sub);
      p.sections.set(head!, set);
      continue;
    }
    if (type.navs.has(head!)) {
      const set = p.navs.get(head!) ?? new Set<string>();
      set.add(sub ?? '*');
      p.navs.set(head!, set);
      continue;
    }
    if (sub !== undefined || !type.byName.has(head!)) throw unknownSegment(item);
    p.fields.add(head!);
  }
  return p;
}

/** Serialises one record under a projection; `expand` lists the navigation properties to inline. */
function project(
  coll: Collection,
  rec: Rec,
  p: Projection,
  expand: ReadonlySet<string>,
  lookup: NavLookup,
): Record<string, unknown> {
  const type = coll.type;
  const out: Record<string, unknown> = {};
  const ownerRef = String(rec[coll.keyField ?? 'Ref_Key'] ?? '');
  for (const f of type.fields) {
    if (p.all || p.fields.has(f.name) || (f.kind === 'Composite' && p.fields.has(`${f.name}_Type`))) wireFields([f], rec, out);
  }
  for (const s of type.sections) {
    const sub = p.all ? new Set(['*']) : p.sections.get(s.name);
    if (!sub) continue;
    const rows = (rec[s.name] as Row[] | undefined) ?? [];
    out[s.name] = rows.map((row) => {
      const full = s.plainRows ? plainRow(s, row) : wireRow(s, ownerRef, row);
      if (sub.has('*')) return full;
      const part: Record<string, unknown> = s.plainRows ? {} : { LineNumber: full.LineNumber };
      for (const name of sub) {
        part[name] = full[name];
        if (full[`${name}_Type`] !== undefined) part[`${name}_Type`] = full[`${name}_Type`];
      }
      return part;
    });
  }
  if (!p.all) {
    for (const [nav, sub] of p.navs) {
      const f = type.navs.get(nav)!;
      if (!expand.has(nav)) {
        if (coll.entityUrl) out[`${nav}@navigationLinkUrl`] = `${coll.entityUrl(rec)}/${nav}`;
        continue;
      }
      const found = lookup(f.ref!, String(rec[f.name]));
      if (!found) { out[nav] = null; continue; }
      const innerColl: Collection = { name: f.ref!, type: found.type, rows: [] };
      const innerProj = sub.has('*') ? parseSelect(found.type, undefined) : parseSelect(found.type, [...sub].join(','));
      out[nav] = project(innerColl, found.rec, innerProj, new Set(), lookup);
    }
  }
  return out;
}

function parseNonNegative(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/u.test(raw.trim())) throw badValue(`Неверное значение параметра ${name}: "${raw}"`);
  return Number(raw.trim());
}

export interface QueryResult {
  value: Record<string, unknown>[];
  count?: string;
}

/** Applies the query options to a collection and serialises the page. */
export function runQuery(coll: Collection, opts: QueryOptions, lookup: NavLookup): QueryResult {
  const resolve = resolverFor(coll.type, lookup);
  const projection = parseSelect(coll.type, opts.$select);
  const expand = new Set<string>();
  for (const item of splitList(opts.$expand ?? '')) {
    const head = item.split('/')[0]!;
    if (!coll.type.navs.has(head) && !coll.type.sections.some((s) => s.name === head)) throw unknownSegment(head);
    // Real 1C expands only what is also in $select; without $select, $expand is ignored.
    if (projection.navs.has(head)) expand.add(head);
  }
  const order = splitList(opts.$orderby ?? '').map((item) => {
    const m = /^(\S+)(?:\s+(asc|desc))?$/u.exec(item);
    if (!m) throw badValue(`Неверное значение параметра $orderby: "${item}"`);
    const f = resolve(m[1]!);
    if (f.type === 'composite') {
      return { get: (r: Rec) => (f.get(r) as { value: string }).value, desc: m[2] === 'desc' };
    }
    return { get: f.get, desc: m[2] === 'desc' };
  });
  const top = parseNonNegative('$top', opts.$top);
  const skip = parseNonNegative('$skip', opts.$skip) ?? 0;
  const inline = opts.$inlinecount;
  if (inline !== undefined && inline !== 'allpages' && inline !== 'none') throw badValue(`Неверное значение параметра $inlinecount: "${inline}"`);

  let rows = [...coll.rows];
  if (opts.$filter !== undefined) {
    const pred = compileFilter(opts.$filter, resolve);
    rows = rows.filter(pred);
  }
  if (order.length > 0) {
    const cmp = (a: unknown, b: unknown): number => {
      if (a === b) return 0;
      if (a === null || a === undefined) return -1;
      if (b === null || b === undefined) return 1;
      if (typeof a === 'number' && typeof b === 'number') return a - b;
      if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
      return String(a) < String(b) ? -1 : 1;
    };
    rows = rows
      .map((rec, i) => ({ rec, i }))
      .sort((x, y) => {
        for (const o of order) {
          const c = cmp(o.get(x.rec), o.get(y.rec));
          if (c !== 0) return o.desc ? -c : c;
        }
        return x.i - y.i;
      })
      .map((x) => x.rec);
  }
  const count = rows.length;
  rows = rows.slice(skip, top === undefined ? undefined : skip + top);
  const value = rows.map((rec) => project(coll, rec, projection, expand, lookup));
  return inline === 'allpages' ? { value, count: String(count) } : { value };
}

/** Serialises one record with `$select`/`$expand` (for `Set(guid'…')` reads). */
export function projectOne(coll: Collection, rec: Rec, opts: QueryOptions, lookup: NavLookup): Record<string, unknown> {
  const projection = parseSelect(coll.type, opts.$select);
  const expand = new Set<string>();
  for (const item of splitList(opts.$expand ?? '')) {
    const head = item.split('/')[0]!;
    if (!coll.type.navs.has(head) && !coll.type.sections.some((s) => s.name === head)) throw unknownSegment(head);
    if (projection.navs.has(head)) expand.add(head);
  }
  return project(coll, rec, projection, expand, lookup);
}
