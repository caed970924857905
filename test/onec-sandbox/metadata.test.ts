import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { RECORDINGS_MISSING, readRecording, recordingsDir } from '#test/recordings';
import { type Http, startSandbox } from './helpers.ts';
import type { OneCSandbox } from '#local/onec/sandbox';

interface Prop { name: string; type: string; nullable: string }
interface TypeInfo { props: Prop[]; navs: string[]; keys: string[]; openType?: string }
interface Csdl {
  namespace: string;
  entityTypes: Map<string, TypeInfo>;
  complexTypes: Map<string, TypeInfo>;
  entitySets: Map<string, string>;
  functions: { name: string; binding: string; params: string[]; returnType?: string }[];
  associations: Set<string>;
}

const arrays = new Set(['EntityType', 'ComplexType', 'Property', 'NavigationProperty', 'PropertyRef', 'EntitySet', 'FunctionImport', 'Parameter', 'Association', 'End', 'EnumType', 'Member']);

function parseCsdl(xml: string): Csdl {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => arrays.has(name) }).parse(xml);
  const schema = doc['edmx:Edmx']['edmx:DataServices'].Schema;
  const info = (t: any): TypeInfo => ({
    props: (t.Property ?? []).map((p: any) => ({ name: p['@Name'], type: p['@Type'], nullable: p['@Nullable'] })),
    navs: (t.NavigationProperty ?? []).map((n: any) => n['@Name']),
    keys: (t.Key?.PropertyRef ?? []).map((k: any) => k['@Name']),
    openType: t['@OpenType'],
  });
  const container = schema.EntityContainer;
  return {
    namespace: schema['@Namespace'],
    entityTypes: new Map((schema.EntityType ?? []).map((t: any) => [t['@Name'], info(t)])),
    complexTypes: new Map((schema.ComplexType ?? []).map((t: any) => [t['@Name'], info(t)])),
    entitySets: new Map((container.EntitySet ?? []).map((s: any) => [s['@Name'], s['@EntityType']])),
    functions: (container.FunctionImport ?? []).map((f: any) => ({
      name: f['@Name'],
      binding: f.Parameter.find((p: any) => p['@Name'] === 'bindingParameter')['@Type'],
      params: f.Parameter.map((p: any) => `${p['@Name']}:${p['@Type']}`),
      returnType: f['@ReturnType'],
    })),
    associations: new Set((schema.Association ?? []).map((a: any) => a['@Name'])),
  };
}

describe('1C sandbox $metadata', () => {
  let sandbox: OneCSandbox;
  let http: Http;
  let ours: Csdl;
  let xml: string;

  before(async () => {
    ({ sandbox, http } = await startSandbox());
    const a = await http.get('$metadata');
    xml = a.text;
    ours = parseCsdl(xml);
  });
  after(async () => {
    await sandbox.close();
  });

  test('is CSDL v3 XML in the StandardODATA namespace', async () => {
    // Act
    const a = await http.get('$metadata');
    // Assess
    assert.equal(a.status, 200);
    assert.match(a.headers.get('content-type') ?? '', /^application\/xml/u);
    assert.match(xml, /m:DataServiceVersion="3\.0"/u);
    assert.equal(ours.namespace, 'StandardODATA');
  });

  test('describes the documents, tabular sections, register types and the bound functions it serves', () => {
    // Assess
    for (const name of ['Document_ЗаказКлиента', 'Document_ЗаказКлиента_Товары', 'Document_РеализацияТоваровУслуг', 'Document_РеализацияТоваровУслуг_Товары',
      'Catalog_СоглашенияСКлиентами', 'Catalog_СтавкиНДС', 'AccumulationRegister_ТоварыКОтгрузке', 'AccumulationRegister_ТоварыКОтгрузке_RecordType']) {
      assert.ok(ours.entitySets.has(name), name);
      assert.ok(ours.entityTypes.has(name), name);
    }
    assert.ok(ours.complexTypes.has('Document_ЗаказКлиента_Товары_RowType'));
    assert.deepEqual(
      ours.complexTypes.get('AccumulationRegister_ТоварыКОтгрузке_Balance')!.props.map((p) => p.name),
      // The live UT 11 shape: the order is ДокументОтгрузки (composite), beside Получатель
      ['Склад_Key', 'Номенклатура_Key', 'Характеристика_Key', 'ДокументОтгрузки', 'Получатель', 'Назначение_Key', 'Серия_Key',
        'ВРезервеBalance', 'КОтгрузкеBalance', 'ДокументОтгрузки_Type', 'Получатель_Type'],
    );
    // Free stock per product and warehouse, as live connectors read it
    assert.deepEqual(
      ours.complexTypes.get('AccumulationRegister_СвободныеОстатки_Balance')!.props.map((p) => `${p.name}:${p.type}`),
      ['Номенклатура_Key:Edm.Guid', 'Характеристика_Key:Edm.Guid', 'Склад_Key:Edm.Guid', 'ВНаличииBalance:Edm.Double', 'ВРезервеСоСкладаBalance:Edm.Double', 'ВРезервеПодЗаказBalance:Edm.Double'],
    );
    const bound = ours.functions.map((f) => `${f.name}@${f.binding}`);
    for (const doc of ['Document_ЗаказКлиента', 'Document_РеализацияТоваровУслуг']) {
      assert.ok(bound.includes(`Post@StandardODATA.${doc}`));
      assert.ok(bound.includes(`Unpost@StandardODATA.${doc}`));
    }
    assert.ok(bound.includes('Balance@StandardODATA.AccumulationRegister_ТоварыКОтгрузке'));
    assert.ok(bound.includes('Balance@StandardODATA.AccumulationRegister_СвободныеОстатки'));
  });

  test('gives every navigation property an association', () => {
    // Assess
    for (const [name, t] of ours.entityTypes) {
      for (const nav of t.navs) assert.ok(ours.associations.has(`${name}_${nav}`), `${name}_${nav}`);
    }
  });

  test('publishes only entity sets the server answers', async () => {
    // Act
    const statuses = await Promise.all([...ours.entitySets.keys()].map(async (set) => [set, (await http.list(set, { $top: 1 })).status] as const));
    // Assess
    for (const [set, status] of statuses) assert.equal(status, 200, set);
  });

  describe('against the real UT 11 $metadata', { skip: recordingsDir() ? false : RECORDINGS_MISSING }, () => {
    let real: Csdl;
    before(() => {
      real = parseCsdl(readRecording('msg001_metadata.xml'));
    });

    test('has, for every type both describe, the same properties with the same types, in the same order', () => {
      // Prepare
      const overlap: string[] = [];
      // Act / Assess
      for (const kind of ['entityTypes', 'complexTypes'] as const) {
        for (const [name, ours1] of ours[kind]) {
          const theirs = real[kind].get(name);
          if (!theirs) continue;
          overlap.push(name);
          assert.deepEqual(ours1.props.map((p) => `${p.name}:${p.type}`), theirs.props.map((p) => `${p.name}:${p.type}`), name);
          assert.deepEqual(ours1.props.map((p) => `${p.name}:${p.nullable}`), theirs.props.map((p) => `${p.name}:${p.nullable}`), `${name} nullability`);
          assert.deepEqual(ours1.keys, theirs.keys, `${name} key`);
          assert.equal(ours1.openType, theirs.openType, `${name} OpenType`);
        }
      }
      // The documents, their rows, the two real catalogs and the stock register overlap at least.
      for (const name of ['Document_ЗаказКлиента', 'Document_ЗаказКлиента_Товары', 'Document_ЗаказКлиента_Товары_RowType',
        'Document_РеализацияТоваровУслуг', 'Document_РеализацияТоваровУслуг_Товары', 'Document_РеализацияТоваровУслуг_Товары_RowType',
        'Catalog_Контрагенты', 'Catalog_Номенклатура', 'AccumulationRegister_ТоварыНаСкладах_RecordType',
        'AccumulationRegister_ТоварыНаСкладах_RowType', 'AccumulationRegister_ТоварыНаСкладах_Balance']) {
        assert.ok(overlap.includes(name), `${name} is compared`);
      }
    });

    test('keeps every navigation property the real base has on the shared types', () => {
      // Assess
      for (const [name, theirs] of real.entityTypes) {
        const mine = ours.entityTypes.get(name);
        if (!mine) continue;
        for (const nav of theirs.navs) assert.ok(mine.navs.includes(nav), `${name}/${nav}`);
      }
    });

    test('declares Post, Unpost and Balance with the real parameters', () => {
      // Assess
      const sig = (c: Csdl, name: string, binding: string): string[] | undefined => c.functions.find((f) => f.name === name && f.binding === binding)?.params;
      for (const doc of ['StandardODATA.Document_ЗаказКлиента', 'StandardODATA.Document_РеализацияТоваровУслуг']) {
        assert.deepEqual(sig(ours, 'Post', doc), sig(real, 'Post', doc));
        assert.deepEqual(sig(ours, 'Unpost', doc), sig(real, 'Unpost', doc));
      }
      const stock = 'StandardODATA.AccumulationRegister_ТоварыНаСкладах';
      assert.deepEqual(sig(ours, 'Balance', stock), sig(real, 'Balance', stock));
      assert.equal(
        ours.functions.find((f) => f.name === 'Balance' && f.binding === stock)?.returnType,
        real.functions.find((f) => f.name === 'Balance' && f.binding === stock)?.returnType,
      );
    });
  });
});
