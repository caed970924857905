/**
 * `$metadata` (CSDL v3, namespace StandardODATA) generated from the model, shaped like a real
 * 1C publication: entity types for objects, their tabular sections and register records,
 * `_RowType` / `_Balance` complex types, navigation properties with their associations, and the
 * container with entity sets and the bound Post / Unpost / Balance function imports.
 */
import {
  ENTITIES, NS, OPEN_TYPES, REGISTERS, registerBalanceFields, registerRecordFields, type EntityDef, type FieldDef, type RegisterDef, type SectionDef,
} from './model.ts';

const EDM: Record<FieldDef['kind'], string> = {
  Guid: 'Edm.Guid', String: 'Edm.String', Double: 'Edm.Double', Int64: 'Edm.Int64', Int16: 'Edm.Int16', Boolean: 'Edm.Boolean', DateTime: 'Edm.DateTime', Composite: 'Edm.String',
};

const esc = (s: string): string => s.replace(/&/gu, '&amp;').replace(/"/gu, '&quot;').replace(/</gu, '&lt;');

class Xml {
  private readonly lines: string[] = [];
  line(depth: number, text: string): void {
    this.lines.push(`${'\t'.repeat(depth)}${text}`);
  }
  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

function prop(x: Xml, depth: number, name: string, type: string, nullable = true): void {
  x.line(depth, `<Property Name="${esc(name)}" Type="${esc(type)}" Nullable="${nullable ? 'true' : 'false'}"/>`);
}

/** Scalar fields in order, then collections, then the `_Type` of composites (as 1C orders them). */
function props(x: Xml, depth: number, fields: readonly FieldDef[], collections: readonly { name: string; type: string; nullable: boolean }[], nonNull: ReadonlySet<string>): void {
  for (const f of fields) prop(x, depth, f.name, EDM[f.kind], !nonNull.has(f.name));
  for (const c of collections) prop(x, depth, c.name, `Collection(${NS}.${c.type})`, c.nullable);
  for (const f of fields) if (f.kind === 'Composite') prop(x, depth, `${f.name}_Type`, 'Edm.String', !nonNull.has(`${f.name}_Type`));
}

interface Nav { from: string; name: string; target: string }

function navs(x: Xml, depth: number, typeName: string, fields: readonly FieldDef[], out: Nav[]): void {
  for (const f of fields) {
    if (!f.ref || !f.nav) continue;
    const nav = { from: typeName, name: f.nav, target: f.ref };
    out.push(nav);
    x.line(depth, `<NavigationProperty Name="${esc(f.nav)}" Relationship="${NS}.${esc(typeName)}_${esc(f.nav)}" FromRole="Begin" ToRole="End"/>`);
  }
}

const open = (name: string): string => (OPEN_TYPES.has(name) ? ' OpenType="true"' : '');

const KEY_FIELDS: FieldDef[] = [
  { name: 'Ref_Key', kind: 'Guid', maxLength: 0 },
  { name: 'LineNumber', kind: 'Int64', maxLength: 0 },
];

function entityType(x: Xml, e: EntityDef, out: Nav[]): void {
  x.line(3, `<EntityType Name="${esc(e.set)}"${open(e.set)}>`);
  x.line(4, '<Key>');
  x.line(5, '<PropertyRef Name="Ref_Key"/>');
  x.line(4, '</Key>');
  props(x, 4, e.fields, e.sections.map((s) => ({ name: s.name, type: s.rowType, nullable: true })), new Set(['Ref_Key']));
  navs(x, 4, e.set, e.fields, out);
  x.line(3, '</EntityType>');
}

function sectionEntityType(x: Xml, e: EntityDef, s: SectionDef, out: Nav[]): void {
  const name = `${e.set}_${s.name}`;
  x.line(3, `<EntityType Name="${esc(name)}"${open(name)}>`);
  x.line(4, '<Key>');
  x.line(5, '<PropertyRef Name="Ref_Key"/>');
  x.line(5, '<PropertyRef Name="LineNumber"/>');
  x.line(4, '</Key>');
  props(x, 4, [...KEY_FIELDS, ...s.fields], [], new Set(['Ref_Key', 'LineNumber']));
  navs(x, 4, name, s.fields, out);
  x.line(3, '</EntityType>');
}

function registerTypes(x: Xml, r: RegisterDef, out: Nav[]): void {
  x.line(3, `<EntityType Name="${esc(r.set)}" OpenType="true">`);
  x.line(4, '<Key>');
  x.line(5, '<PropertyRef Name="Recorder"/>');
  x.line(5, '<PropertyRef Name="Recorder_Type"/>');
  x.line(4, '</Key>');
  prop(x, 4, 'Recorder', 'Edm.String', false);
  prop(x, 4, 'RecordSet', `Collection(${NS}.${r.set}_RowType)`, false);
  prop(x, 4, 'Recorder_Type', 'Edm.String', false);
  x.line(3, '</EntityType>');
  const recordName = `${r.set}_RecordType`;
  x.line(3, `<EntityType Name="${esc(recordName)}" OpenType="true">`);
  x.line(4, '<Key>');
  x.line(5, '<PropertyRef Name="Recorder"/>');
  x.line(5, '<PropertyRef Name="LineNumber"/>');
  x.line(5, '<PropertyRef Name="Recorder_Type"/>');
  x.line(4, '</Key>');
  props(x, 4, registerRecordFields(r), [], new Set(['Recorder', 'LineNumber', 'Recorder_Type']));
  navs(x, 4, recordName, registerRecordFields(r), out);
  x.line(3, '</EntityType>');
}

function complexType(x: Xml, name: string, fields: readonly FieldDef[], nonNull: ReadonlySet<string>): void {
  x.line(3, `<ComplexType Name="${esc(name)}">`);
  props(x, 4, fields, [], nonNull);
  x.line(3, '</ComplexType>');
}

/** The whole `$metadata` document. */
export function buildMetadata(): string {
  const x = new Xml();
  const associations: Nav[] = [];
  x.line(0, '<?xml version="1.0" encoding="UTF-8"?>');
  x.line(0, '<edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" Version="1.0">');
  x.line(1, '<edmx:DataServices xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" m:DataServiceVersion="3.0" m:MaxDataServiceVersion="3.0">');
  x.line(2, `<Schema xmlns="http://schemas.microsoft.com/ado/2009/11/edm" Namespace="${NS}">`);

  for (const r of REGISTERS) registerTypes(x, r, associations);
  for (const e of ENTITIES) {
    entityType(x, e, associations);
    for (const s of e.sections) sectionEntityType(x, e, s, associations);
  }
  for (const r of REGISTERS) {
    complexType(x, `${r.set}_RowType`, registerRecordFields(r), new Set(['Recorder', 'LineNumber', 'Recorder_Type']));
    complexType(x, `${r.set}_Balance`, registerBalanceFields(r), new Set());
  }
  for (const e of ENTITIES) {
    for (const s of e.sections) complexType(x, s.rowType, [...KEY_FIELDS, ...s.fields], new Set(['Ref_Key', 'LineNumber']));
  }
  for (const a of associations) {
    x.line(3, `<Association Name="${esc(a.from)}_${esc(a.name)}">`);
    x.line(4, `<End Role="Begin" Type="${NS}.${esc(a.from)}" Multiplicity="*"/>`);
    x.line(4, `<End Role="End" Type="${NS}.${esc(a.target)}" Multiplicity="0..1"/>`);
    x.line(3, '</Association>');
  }
  x.line(3, '<EnumType Name="AccumulationRecordType" UnderlyingType="Edm.Int32">');
  x.line(4, '<Member Name="Expense"/>');
  x.line(4, '<Member Name="Receipt"/>');
  x.line(3, '</EnumType>');

  x.line(3, '<EntityContainer Name="EnterpriseV8" m:IsDefaultEntityContainer="true">');
  const set = (name: string): void => x.line(4, `<EntitySet Name="${esc(name)}" EntityType="${NS}.${esc(name)}"/>`);
  for (const r of REGISTERS) {
    set(r.set);
    set(`${r.set}_RecordType`);
  }
  for (const e of ENTITIES) {
    set(e.set);
    for (const s of e.sections) set(`${e.set}_${s.name}`);
  }
  for (const r of REGISTERS) {
    x.line(4, `<FunctionImport Name="Balance" IsBindable="true" IsSideEffecting="false" ReturnType="Collection(${NS}.${esc(r.set)}_Balance)">`);
    x.line(5, `<Parameter Name="bindingParameter" Type="${NS}.${esc(r.set)}"/>`);
    x.line(5, '<Parameter Name="Condition" Type="Edm.String"/>');
    x.line(5, '<Parameter Name="Dimensions" Type="Edm.String"/>');
    x.line(5, '<Parameter Name="Period" Type="Edm.DateTime"/>');
    x.line(4, '</FunctionImport>');
  }
  for (const e of ENTITIES.filter((d) => d.kind === 'Document')) {
    for (const fn of ['Post', 'Unpost']) {
      x.line(4, `<FunctionImport Name="${fn}" IsBindable="true" IsSideEffecting="true">`);
      x.line(5, `<Parameter Name="bindingParameter" Type="${NS}.${esc(e.set)}"/>`);
      x.line(5, '<Parameter Name="PostingModeOperational" Type="Edm.Boolean"/>');
      x.line(4, '</FunctionImport>');
    }
  }
  x.line(3, '</EntityContainer>');
  x.line(2, '</Schema>');
  x.line(1, '</edmx:DataServices>');
  x.line(0, '</edmx:Edmx>');
  return x.toString();
}
