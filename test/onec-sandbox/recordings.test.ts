/**
 * The sandbox's value formats against objects recorded from a real UT 11 demo base (Atom feeds):
 * for every property a real object has, the sandbox's JSON has it too, in the format real 1C
 * uses for its type (Int64 as strings, Doubles as numbers, empty refs and dates, dates without
 * a time zone, composite `_Type` values).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { RECORDINGS_MISSING, readRecording, recordingsDir } from '#test/recordings';
import { EMPTY_DATE, EMPTY_REF, type Http, ORDERS, SALES, demo, orderBody, shipmentBody, startSandbox, type Json } from './helpers.ts';
import type { OneCSandbox } from '#local/onec/sandbox';

type AtomValue = string | AtomRow[];
type AtomRow = Record<string, string>;
interface AtomEntry { type: string; props: Record<string, AtomValue> }

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, trimValues: false, isArray: (name) => name === 'entry' || name === 'd:element' });

function text(v: unknown): string {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v === 'object') return String((v as Record<string, unknown>)['#text'] ?? '');
  return String(v);
}

function atomEntries(xml: string): AtomEntry[] {
  const feed = parser.parse(xml).feed;
  return (feed.entry as Json[]).map((e) => {
    const raw = e.content['m:properties'] as Json;
    const props: Record<string, AtomValue> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (!k.startsWith('d:')) continue;
      const name = k.slice(2);
      if (v && typeof v === 'object' && String((v as Json)['@m:type'] ?? '').startsWith('Collection(')) {
        props[name] = ((v as Json)['d:element'] ?? []).map((row: Json) => Object.fromEntries(Object.entries(row).filter(([rk]) => rk.startsWith('d:')).map(([rk, rv]) => [rk.slice(2), text(rv)])));
      } else props[name] = text(v);
    }
    return { type: String(e.category['@term']), props };
  });
}

/** Property types of the real `$metadata`, per entity/complex type. */
function realTypes(): Map<string, Map<string, string>> {
  return typesOf(readRecording('msg001_metadata.xml'));
}

/** Property types of the sandbox's `$metadata`. */
function parseCsdlTypes(answer: { text: string }): Map<string, Map<string, string>> {
  return typesOf(answer.text);
}

function typesOf(xml: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const m of xml.matchAll(/<(?:EntityType|ComplexType) Name="([^"]+)"[^>]*>([\s\S]*?)<\/(?:EntityType|ComplexType)>/gu)) {
    const props = new Map<string, string>();
    for (const p of m[2]!.matchAll(/<Property Name="([^"]+)"\s+Type="([^"]+)"/gu)) props.set(p[1]!, p[2]!);
    out.set(m[1]!, props);
  }
  return out;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/u;
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/u;

/** Checks one value against the wire format of its Edm type; `json` = sandbox value, `atom` = real text. */
function assertFormat(where: string, edm: string, json: unknown, atom: string | undefined): void {
  switch (edm) {
    case 'Edm.Guid':
      assert.equal(typeof json, 'string', where);
      assert.match(json as string, GUID, where);
      if (atom !== undefined) assert.match(atom, GUID, `${where} (real)`);
      break;
    case 'Edm.DateTime':
      assert.match(json as string, DATE, where);
      if (atom !== undefined) assert.match(atom, DATE, `${where} (real)`);
      break;
    case 'Edm.Boolean':
      assert.equal(typeof json, 'boolean', where);
      if (atom !== undefined) assert.match(atom, /^(true|false)$/u, `${where} (real)`);
      break;
    case 'Edm.Int64':
      // OData v3 JSON writes Int64 as a string
      assert.equal(typeof json, 'string', where);
      assert.match(json as string, /^-?\d+$/u, where);
      if (atom !== undefined) assert.match(atom, /^-?\d+$/u, `${where} (real)`);
      break;
    case 'Edm.Double': case 'Edm.Int16':
      assert.equal(typeof json, 'number', where);
      if (atom !== undefined) assert.ok(Number.isFinite(Number(atom)), `${where} (real)`);
      break;
    case 'Edm.String':
      assert.equal(typeof json, 'string', where);
      break;
    default:
      assert.fail(`${where}: unexpected type ${edm}`);
  }
}

/** Every scalar property of the real object is in ours, in the real type's format. */
function compareObject(label: string, typeName: string, real: Record<string, AtomValue>, ours: Json, types: Map<string, Map<string, string>>): void {
  const props = types.get(typeName)!;
  for (const [name, value] of Object.entries(real)) {
    const edm = props.get(name);
    assert.ok(edm, `${label}.${name} is in the real $metadata`);
    assert.ok(Object.hasOwn(ours, name), `${label}.${name} is in the sandbox's answer`);
    if (edm!.startsWith('Collection(')) {
      assert.ok(Array.isArray(ours[name]), `${label}.${name} is an array`);
      continue;
    }
    assertFormat(`${label}.${name}`, edm!, ours[name], value as string);
  }
}

describe('1C sandbox value formats against the real recordings', { skip: recordingsDir() ? false : RECORDINGS_MISSING }, () => {
  let sandbox: OneCSandbox;
  let http: Http;
  let types: Map<string, Map<string, string>>;

  before(async () => {
    ({ sandbox, http } = await startSandbox());
    types = realTypes();
  });
  after(async () => {
    await sandbox.close();
  });

  test('an order has every property of a real ЗаказКлиента, each in the real format, rows included', async () => {
    // Prepare
    const real = atomEntries(readRecording('msg003_zakaz_klienta.xml')).filter((e) => e.type === 'StandardODATA.Document_ЗаказКлиента');
    // Act
    const ours = await http.read(ORDERS, demo.integrationOrder.ref);
    // Assess
    assert.ok(real.length >= 3);
    for (const r of real) {
      const { Товары: rows, ...header } = r.props;
      compareObject('ЗаказКлиента', 'Document_ЗаказКлиента', header, ours, types);
      for (const row of rows as AtomRow[]) compareObject('ЗаказКлиента.Товары', 'Document_ЗаказКлиента_Товары_RowType', row, ours.Товары[0], types);
    }
  });

  test('an unposted order (after Unpost) has the same shape as the real one', async () => {
    // Prepare
    const [real] = atomEntries(readRecording('msg005_zakaz_klienta_2.xml')).filter((e) => e.type === 'StandardODATA.Document_ЗаказКлиента');
    const created = await http.create(ORDERS, orderBody());
    await http.postDoc(ORDERS, created.Ref_Key);
    // Act
    await http.unpostDoc(ORDERS, created.Ref_Key);
    const ours = await http.read(ORDERS, created.Ref_Key);
    // Assess
    assert.equal(real!.props.Posted, 'false');
    assert.equal(ours.Posted, false);
    const { Товары: _rows, ...header } = real!.props;
    compareObject('ЗаказКлиента', 'Document_ЗаказКлиента', header, ours, types);
  });

  test('empty references, empty dates and empty composites look exactly as in the real base', async () => {
    // Prepare
    const [real] = atomEntries(readRecording('msg003_zakaz_klienta.xml')).filter((e) => e.type === 'StandardODATA.Document_ЗаказКлиента');
    // Act
    const ours = await http.read(ORDERS, demo.integrationOrder.ref);
    // Assess
    assert.equal(real!.props.Сделка_Key, EMPTY_REF);
    assert.equal(ours.Сделка_Key, EMPTY_REF);
    assert.equal(real!.props.ДатаПоДаннымКлиента, EMPTY_DATE);
    assert.equal(ours.ДатаПоДаннымКлиента, EMPTY_DATE);
    assert.equal(real!.props.ДокументОснование, '');
    assert.equal(real!.props.ДокументОснование_Type, 'StandardODATA.Undefined');
    assert.equal(ours.ДокументОснование, '');
    assert.equal(ours.ДокументОснование_Type, 'StandardODATA.Undefined');
    assert.equal(ours.Товары[0].ПричинаОтмены_Key, EMPTY_REF);
  });

  test('numbers and DataVersion follow the real patterns', async () => {
    // Prepare
    const orders = atomEntries(readRecording('msg003_zakaz_klienta.xml')).filter((e) => e.type === 'StandardODATA.Document_ЗаказКлиента');
    const [sale] = atomEntries(readRecording('msg006_realizatsiya.xml')).filter((e) => e.type === 'StandardODATA.Document_РеализацияТоваровУслуг');
    // Act
    const ours = await http.read(ORDERS, demo.integrationOrder.ref);
    // Assess: "ТДЦБ-000002" / "ТД00-000026": a 4-character prefix, a dash, 6 digits
    const numberPattern = /^[\p{Lu}\d]{4}-\d{6}$/u;
    for (const o of orders) assert.match(o.props.Number as string, numberPattern);
    assert.match(sale!.props.Number as string, numberPattern);
    assert.match(ours.Number, numberPattern);
    for (const dv of [orders[0]!.props.DataVersion as string, ours.DataVersion as string]) {
      assert.equal(Buffer.from(dv, 'base64').length, 8, dv);
    }
    // Enum values are internal names, as real ones are
    assert.equal(orders[0]!.props.Статус, 'КОбеспечению');
    assert.equal(ours.Статус, 'КОбеспечению');
    assert.equal(orders[0]!.props.ХозяйственнаяОперация, ours.ХозяйственнаяОперация);
  });

  test('a shipment has every property of a real РеализацияТоваровУслуг, and refers to its order the real way', async () => {
    // Prepare
    const [real] = atomEntries(readRecording('msg006_realizatsiya.xml')).filter((e) => e.type === 'StandardODATA.Document_РеализацияТоваровУслуг');
    const order = await http.create(ORDERS, orderBody([{ product: demo.makita, qty: 2 }]));
    await http.postDoc(ORDERS, order.Ref_Key);
    // Act
    const created = await http.create(SALES, shipmentBody(order.Ref_Key, [{ product: demo.makita, qty: 2 }]));
    const ours = await http.read(SALES, created.Ref_Key);
    // Assess
    const { Товары: rows, ВидыЗапасов: _stockKinds, ЭтапыГрафикаОплаты: _stages, ...header } = real!.props;
    compareObject('РеализацияТоваровУслуг', 'Document_РеализацияТоваровУслуг', header, ours, types);
    for (const row of rows as AtomRow[]) compareObject('РеализацияТоваровУслуг.Товары', 'Document_РеализацияТоваровУслуг_Товары_RowType', row, ours.Товары[0], types);
    assert.equal(real!.props.ЗаказКлиента_Type, 'StandardODATA.Document_ЗаказКлиента');
    assert.equal(ours.ЗаказКлиента_Type, real!.props.ЗаказКлиента_Type);
    assert.equal(ours.ЗаказКлиента, order.Ref_Key);
    assert.equal((rows as AtomRow[])[0]!.ЗаказКлиента_Type, 'StandardODATA.Document_ЗаказКлиента');
    assert.equal(ours.Товары[0].ЗаказКлиента_Type, 'StandardODATA.Document_ЗаказКлиента');
  });

  test('products and counterparties have every property of the real catalog items, in the real formats', async () => {
    // Prepare
    const realProducts = atomEntries(readRecording('msg002_nomenklatura.xml')).filter((e) => e.type === 'StandardODATA.Catalog_Номенклатура');
    const realCounterparties = atomEntries(readRecording('msg004_kontragenti.xml')).filter((e) => e.type === 'StandardODATA.Catalog_Контрагенты');
    // Act
    const product = await http.read('Catalog_Номенклатура', demo.bosch.ref);
    const counterparty = await http.read('Catalog_Контрагенты', demo.buyer.counterpartyRef);
    // Assess
    assert.ok(realProducts.length > 0 && realCounterparties.length > 0);
    for (const r of realProducts) compareObject('Номенклатура', 'Catalog_Номенклатура', r.props, product, types);
    for (const r of realCounterparties) compareObject('Контрагенты', 'Catalog_Контрагенты', r.props, counterparty, types);
    assert.equal(product.Артикул, demo.bosch.sku);
    assert.equal(product.ИспользованиеХарактеристик, 'НеИспользовать');
    assert.equal(counterparty.ИНН, demo.buyer.inn);
    assert.equal(counterparty.КПП, demo.buyer.kpp);
    assert.equal(counterparty.Партнер_Key, demo.buyer.partnerRef);
  });

  test('the reserve register names its order the way real register records name an order (ДокументОтгрузки + _Type)', async () => {
    // Prepare: a real register record that names an order: ЗаказыКлиентов.ЗаказКлиента, a composite
    const realSet = atomEntries(readRecording('msg003_zakaz_klienta.xml')).find((e) => e.type === 'StandardODATA.AccumulationRegister_ЗаказыКлиентов');
    const realRow = (realSet!.props.RecordSet as AtomRow[])[0]!;
    const realTypes = types.get('AccumulationRegister_ЗаказыКлиентов_Balance')!;
    // Act
    const records = await http.list('AccumulationRegister_ТоварыКОтгрузке_RecordType', { $filter: `Recorder eq cast(guid'${demo.integrationOrder.ref}', 'Document_ЗаказКлиента')` });
    const ours = (records.json.value as Json[]).find((r) => r.ДокументОтгрузки === demo.integrationOrder.ref);
    const metadata = await http.get('$metadata');
    // Assess: the value is the bare guid, the type a StandardODATA.Document_… name, as in the real record
    assert.match(realRow.ЗаказКлиента!, GUID);
    assert.equal(realRow.ЗаказКлиента_Type, 'StandardODATA.Document_ЗаказКлиента');
    assert.ok(ours, records.text);
    assert.match(ours.ДокументОтгрузки, GUID);
    assert.equal(ours.ДокументОтгрузки_Type, realRow.ЗаказКлиента_Type);
    // and $metadata types it as the real Balance types a composite: Edm.String for both halves
    assert.equal(realTypes.get('ЗаказКлиента'), 'Edm.String');
    assert.equal(realTypes.get('ЗаказКлиента_Type'), 'Edm.String');
    const balance = /<ComplexType Name="AccumulationRegister_ТоварыКОтгрузке_Balance">([\s\S]*?)<\/ComplexType>/u.exec(metadata.text)?.[1] ?? '';
    assert.match(balance, /<Property Name="ДокументОтгрузки"\s+Type="Edm\.String"/u);
    assert.match(balance, /<Property Name="ДокументОтгрузки_Type"\s+Type="Edm\.String"/u);
  });

  test('register balances carry the values in the formats of the real Balance types (numbers as doubles, refs as guids)', async () => {
    // Prepare: the recorded $metadata's ТоварыНаСкладах_Balance and the real composite (ЗаказыКлиентов_Balance.ЗаказКлиента)
    const realStock = types.get('AccumulationRegister_ТоварыНаСкладах_Balance')!;
    // Act
    const stock = await http.get(`AccumulationRegister_ТоварыНаСкладах/Balance(Condition='Номенклатура_Key eq guid''${demo.bosch.ref}''')?$format=json`);
    const reserves = await http.get(`AccumulationRegister_ТоварыКОтгрузке/Balance(Condition='Номенклатура_Key eq guid''${demo.bosch.ref}''')?$format=json`);
    // Assess
    assert.ok(stock.json.value.length > 0 && reserves.json.value.length > 0);
    for (const row of stock.json.value as Json[]) {
      assert.deepEqual(Object.keys(row), [...realStock.keys()], 'every property of the real Balance type, in its order');
      for (const [name, edm] of realStock) assertFormat(`ТоварыНаСкладах_Balance.${name}`, edm, row[name], undefined);
    }
    // A composite's `_Type` comes right after its value, as in the real records (Recorder,
    // Recorder_Type, …, ЗаказКлиента, ЗаказКлиента_Type), though $metadata lists the `_Type`s last.
    const realSet = atomEntries(readRecording('msg003_zakaz_klienta.xml')).find((e) => e.type === 'StandardODATA.AccumulationRegister_ЗаказыКлиентов');
    const realKeys = Object.keys((realSet!.props.RecordSet as AtomRow[])[0]!);
    assert.equal(realKeys.indexOf('ЗаказКлиента_Type'), realKeys.indexOf('ЗаказКлиента') + 1);
    const ours = parseCsdlTypes(await http.get('$metadata')).get('AccumulationRegister_ТоварыКОтгрузке_Balance')!;
    const wireOrder = [...ours.keys()].filter((k) => !k.endsWith('_Type')).flatMap((k) => (ours.has(`${k}_Type`) ? [k, `${k}_Type`] : [k]));
    for (const row of reserves.json.value as Json[]) {
      assert.deepEqual(Object.keys(row), wireOrder);
      for (const [name, edm] of ours) assertFormat(`ТоварыКОтгрузке_Balance.${name}`, edm, row[name], undefined);
      assert.equal(typeof row.ВРезервеBalance, 'number');
      assert.match(row.ДокументОтгрузки, GUID);
    }
  });

  test('register records use the real Recorder / RecordType shapes', async () => {
    // Prepare
    const realSet = atomEntries(readRecording('msg006_realizatsiya.xml')).find((e) => e.type === 'StandardODATA.AccumulationRegister_ЗаказыКлиентов');
    const realRow = (realSet!.props.RecordSet as AtomRow[])[0]!;
    // Act
    const a = await http.list('AccumulationRegister_ТоварыНаСкладах_RecordType', { $top: 1 });
    const ours = a.json.value[0] as Json;
    // Assess
    assert.match(realRow.Recorder!, GUID);
    assert.match(realRow.Recorder_Type!, /^StandardODATA\.Document_/u);
    assert.match(realRow.RecordType!, /^(Receipt|Expense)$/u);
    assert.match(ours.Recorder, GUID);
    assert.match(ours.RecordType, /^(Receipt|Expense)$/u);
    assertFormat('RecordType.LineNumber', 'Edm.Int64', ours.LineNumber, realRow.LineNumber);
    assertFormat('RecordType.Period', 'Edm.DateTime', ours.Period, realRow.Period);
    assertFormat('RecordType.Active', 'Edm.Boolean', ours.Active, realRow.Active);
  });
});
