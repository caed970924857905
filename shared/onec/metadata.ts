/**
 * Reading a base's `$metadata` (OData v3 CSDL) and checking the field map against it, so a
 * customised or older UT — a renamed field, a field of another type, an entity set not
 * published — fails loudly at setup with every problem named, instead of writing broken orders
 * (1C silently ignores unknown fields on write).
 */
import { edmTypes, type Kind } from './values.ts';
import type { EntitySpec, Field, RegisterSpec } from './fields.ts';
import { xmlTags } from './xml.ts';
import { OneCInvalidResponseError } from './errors.ts';

export interface ODataProperty {
  readonly type: string;
  readonly nullable: boolean;
}

export interface ODataStructuredType {
  readonly name: string;
  readonly properties: ReadonlyMap<string, ODataProperty>;
  readonly navigation: ReadonlySet<string>;
}

export interface ODataFunction {
  readonly name: string;
  /** Type bound to (namespace removed), e.g. `Document_ЗаказКлиента`. */
  readonly bindingType: string | undefined;
  readonly returnType: string | undefined;
  readonly parameters: ReadonlyMap<string, string>;
}

/** The parts of `$metadata` the client uses. Type names have the schema namespace removed. */
export interface ODataMetadata {
  readonly namespace: string;
  readonly entityTypes: ReadonlyMap<string, ODataStructuredType>;
  readonly complexTypes: ReadonlyMap<string, ODataStructuredType>;
  /** entity set → entity type */
  readonly entitySets: ReadonlyMap<string, string>;
  readonly functions: readonly ODataFunction[];
}

/** Parses CSDL. Throws OneCInvalidResponseError when it is not `$metadata`. */
export function parseMetadata(xml: string): ODataMetadata {
  const entityTypes = new Map<string, ODataStructuredType>();
  const complexTypes = new Map<string, ODataStructuredType>();
  const entitySets = new Map<string, string>();
  const functions: ODataFunction[] = [];
  let namespace = '';
  let sawSchema = false;

  let current: { name: string; properties: Map<string, ODataProperty>; navigation: Set<string>; into: Map<string, ODataStructuredType> } | undefined;
  let fn: { name: string; returnType: string | undefined; parameters: Map<string, string> } | undefined;

  const strip = (type: string | undefined): string | undefined => {
    if (type === undefined) return undefined;
    const collection = /^Collection\((.*)\)$/.exec(type);
    const inner = collection ? collection[1]! : type;
    const bare = namespace && inner.startsWith(`${namespace}.`) ? inner.slice(namespace.length + 1) : inner;
    return collection ? `Collection(${bare})` : bare;
  };

  try {
    for (const tag of xmlTags(xml)) {
      if (tag.kind === 'end') {
        if ((tag.name === 'EntityType' || tag.name === 'ComplexType') && current) {
          current.into.set(current.name, { name: current.name, properties: current.properties, navigation: current.navigation });
          current = undefined;
        } else if (tag.name === 'FunctionImport' && fn) {
          functions.push(finishFunction(fn));
          fn = undefined;
        }
        continue;
      }
      const a = tag.attributes;
      switch (tag.name) {
        case 'Schema':
          sawSchema = true;
          if (!namespace && a.Namespace) namespace = a.Namespace;
          break;
        case 'EntityType':
        case 'ComplexType': {
          const into = tag.name === 'EntityType' ? entityTypes : complexTypes;
          const entry = { name: a.Name ?? '', properties: new Map<string, ODataProperty>(), navigation: new Set<string>(), into };
          if (tag.selfClosing) into.set(entry.name, { name: entry.name, properties: entry.properties, navigation: entry.navigation });
          else current = entry;
          break;
        }
        case 'Property':
          if (current && a.Name) current.properties.set(a.Name, { type: strip(a.Type) ?? '', nullable: a.Nullable !== 'false' });
          break;
        case 'NavigationProperty':
          if (current && a.Name) current.navigation.add(a.Name);
          break;
        case 'EntitySet':
          if (a.Name) entitySets.set(a.Name, strip(a.EntityType) ?? '');
          break;
        case 'FunctionImport': {
          const entry = { name: a.Name ?? '', returnType: strip(a.ReturnType), parameters: new Map<string, string>() };
          if (tag.selfClosing) functions.push(finishFunction(entry));
          else fn = entry;
          break;
        }
        case 'Parameter':
          if (fn && a.Name) fn.parameters.set(a.Name, strip(a.Type) ?? '');
          break;
      }
    }
  } catch (error) {
    throw new OneCInvalidResponseError(`$metadata is not well-formed XML: ${(error as Error).message}`, { cause: error });
  }
  if (!sawSchema) throw new OneCInvalidResponseError('$metadata has no <Schema>: not an OData CSDL document');
  return { namespace, entityTypes, complexTypes, entitySets, functions };
}

function finishFunction(fn: { name: string; returnType: string | undefined; parameters: Map<string, string> }): ODataFunction {
  const bindingType = fn.parameters.get('bindingParameter');
  return { name: fn.name, bindingType, returnType: fn.returnType, parameters: fn.parameters };
}

// ---- the check ----------------------------------------------------------------------------------

export type MappingProblemKind = 'entity-set-missing' | 'property-missing' | 'property-type' | 'section-missing' | 'function-missing';

export interface MappingProblem {
  readonly kind: MappingProblemKind;
  /** Entity set, tabular section (`Document_ЗаказКлиента_Товары`) or register function at fault. */
  readonly entity: string;
  readonly property?: string;
  /** One line naming the fault, e.g. `Document_ЗаказКлиента_Товары.СтавкаНДС_Key: missing (this base has УдалитьСтавкаНДС)` */
  readonly message: string;
}

export interface MappingTarget {
  readonly entities?: readonly EntitySpec[];
  readonly registers?: readonly RegisterSpec[];
  /** Bound functions each listed entity set must offer (e.g. Post and Unpost on documents). */
  readonly functions?: readonly { readonly entitySet: string; readonly name: string }[];
}

/** Names in `properties` that look like a renamed `wanted` (drift between releases, custom prefixes). */
function lookalikes(wanted: string, properties: Iterable<string>): string[] {
  const base = wanted.replace(/_Key$/, '').replace(/^Удалить/, '').toLowerCase();
  const out: string[] = [];
  for (const name of properties) {
    const other = name.replace(/_Key$/, '').replace(/^Удалить/, '').toLowerCase();
    if (other === base || (base.length >= 5 && (other.endsWith(base) || other.endsWith(`_${base}`)))) out.push(name);
  }
  return out.slice(0, 4);
}

function checkProperty(
  problems: MappingProblem[],
  entity: string,
  type: ODataStructuredType,
  field: Field,
  /** Name everything the type has when nothing looks alike (a register's few dimensions and resources). */
  listAll = false,
): void {
  const expected = edmTypes[field.kind as Kind];
  const names = field.kind === 'composite' ? [field.odata, `${field.odata}_Type`] : [field.odata];
  for (const name of names) {
    const prop = type.properties.get(name);
    if (!prop) {
      const similar = lookalikes(name, type.properties.keys());
      const all = listAll ? [...type.properties.keys()].filter((p) => !p.endsWith('_Type')) : [];
      const hint = similar.length ? ` (this base has ${similar.join(', ')})` : all.length ? ` (this base has ${all.join(', ')})` : '';
      problems.push({
        kind: 'property-missing',
        entity,
        property: name,
        message: `${entity}.${name}: missing${hint}`,
      });
      continue;
    }
    const want = name === field.odata ? expected : ['Edm.String'];
    if (!want.includes(prop.type)) {
      problems.push({
        kind: 'property-type',
        entity,
        property: name,
        message: `${entity}.${name}: is ${prop.type}, expected ${want[0]} (${field.kind})`,
      });
    }
  }
}

function structuredType(meta: ODataMetadata, typeName: string): ODataStructuredType | undefined {
  return meta.entityTypes.get(typeName) ?? meta.complexTypes.get(typeName);
}

/**
 * Compares the field map with a base's `$metadata` and returns every problem found (empty = the
 * base has everything the exchange reads and writes, with the expected types).
 */
export function checkFieldMapping(metadata: string | ODataMetadata, target: MappingTarget): MappingProblem[] {
  const meta = typeof metadata === 'string' ? parseMetadata(metadata) : metadata;
  const problems: MappingProblem[] = [];

  for (const spec of target.entities ?? []) {
    const typeName = meta.entitySets.get(spec.entitySet);
    const type = typeName === undefined ? undefined : meta.entityTypes.get(typeName);
    if (!type) {
      problems.push({ kind: 'entity-set-missing', entity: spec.entitySet, message: `${spec.entitySet}: entity set missing (not in this base or not published over OData)` });
      continue;
    }
    for (const field of Object.values(spec.fields)) checkProperty(problems, spec.entitySet, type, field);
    for (const section of Object.values(spec.sections ?? {})) {
      const sectionEntity = `${spec.entitySet}_${section.odata}`;
      const prop = type.properties.get(section.odata);
      const rowTypeName = prop && /^Collection\((.*)\)$/.exec(prop.type)?.[1];
      const rowType = (rowTypeName && structuredType(meta, rowTypeName)) || meta.entityTypes.get(sectionEntity);
      if (!prop || !rowType) {
        problems.push({ kind: 'section-missing', entity: spec.entitySet, property: section.odata, message: `${spec.entitySet}.${section.odata}: tabular section missing` });
        continue;
      }
      for (const field of Object.values(section.fields)) checkProperty(problems, sectionEntity, rowType, field);
    }
  }

  for (const fnSpec of target.functions ?? []) {
    if (!meta.entitySets.has(fnSpec.entitySet)) continue; // already reported above when it matters
    const bound = meta.functions.some((f) => f.name === fnSpec.name && f.bindingType === meta.entitySets.get(fnSpec.entitySet));
    if (!bound) {
      problems.push({ kind: 'function-missing', entity: fnSpec.entitySet, property: fnSpec.name, message: `${fnSpec.entitySet}/${fnSpec.name}: bound function missing` });
    }
  }

  for (const register of target.registers ?? []) {
    const typeName = meta.entitySets.get(register.entitySet);
    if (typeName === undefined) {
      problems.push({ kind: 'entity-set-missing', entity: register.entitySet, message: `${register.entitySet}: entity set missing (not in this base or not published over OData)` });
      continue;
    }
    const fn = meta.functions.find((f) => f.name === register.function && f.bindingType === typeName);
    const returnName = fn?.returnType && /^Collection\((.*)\)$/.exec(fn.returnType)?.[1];
    const returned = returnName ? meta.complexTypes.get(returnName) : undefined;
    const entity = `${register.entitySet}/${register.function}`;
    if (!fn || !returned) {
      problems.push({ kind: 'function-missing', entity, message: `${entity}: function missing` });
      continue;
    }
    for (const field of Object.values(register.dimensions)) checkProperty(problems, entity, returned, field, true);
    for (const field of Object.values(register.resources)) {
      checkProperty(problems, entity, returned, { ...field, odata: `${field.odata}${register.function}` }, true);
    }
  }
  return problems;
}
