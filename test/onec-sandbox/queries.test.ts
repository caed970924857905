import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter } from '#local/onec/filter';
import { type Http, ORDERS, SALES, demo, orderBody, shipmentBody, startSandbox, type Json } from './helpers.ts';
import type { OneCSandbox } from '#local/onec/sandbox';

describe('1C sandbox query options', () => {
  let sandbox: OneCSandbox;
  let http: Http;
  const orders: Json[] = [];
  let sale: Json;

  before(async () => {
    ({ sandbox, http } = await startSandbox());
    // Three orders with distinct, searchable values
    orders.push(await http.create(ORDERS, orderBody([{ product: demo.makita, qty: 1 }], { НомерПоДаннымКлиента: 'Q-1', Date: '2025-11-01T09:00:00', Комментарий: "O'Brien & Co" })));
    orders.push(await http.create(ORDERS, orderBody([{ product: demo.makita, qty: 2 }, { product: demo.screws, qty: 5 }], { НомерПоДаннымКлиента: 'Q-2', Date: '2025-11-02T09:00:00', Комментарий: 'срочно' })));
    orders.push(await http.create(ORDERS, orderBody([{ product: demo.screws, qty: 3 }], {
      НомерПоДаннымКлиента: 'Q-3', Date: '2025-11-03T09:00:00', Комментарий: 'Срочно, филиал',
      Партнер_Key: demo.branch.partnerRef, Контрагент_Key: demo.branch.counterpartyRef,
    })));
    await http.postDoc(ORDERS, orders[1]!.Ref_Key);
    sale = await http.create(SALES, shipmentBody(orders[1]!.Ref_Key, [{ product: demo.makita, qty: 1 }]));
  });
  after(async () => {
    await sandbox.close();
  });

  const numbers = (a: { json: Json }): string[] => (a.json.value as Json[]).map((o) => o.НомерПоДаннымКлиента as string);
  const qFilter = async (filter: string): Promise<string[]> => {
    const a = await http.list(ORDERS, { $filter: `(${filter}) and substringof('Q-', НомерПоДаннымКлиента)`, $select: 'НомерПоДаннымКлиента', $orderby: 'НомерПоДаннымКлиента' });
    assert.equal(a.status, 200, a.text);
    return numbers(a);
  };

  describe('$filter', () => {
    test('compares strings, numbers, booleans and dates with eq ne gt ge lt le', async () => {
      assert.deepEqual(await qFilter("НомерПоДаннымКлиента eq 'Q-2'"), ['Q-2']);
      assert.deepEqual(await qFilter("НомерПоДаннымКлиента ne 'Q-2'"), ['Q-1', 'Q-3']);
      // sums: Q-1 = 1 Makita, Q-2 = 2 Makita + 5 packs of screws, Q-3 = 3 packs of screws (< 2000)
      assert.deepEqual(await qFilter(`СуммаДокумента gt ${Number(demo.makita.price)}`), ['Q-2']);
      assert.deepEqual(await qFilter(`СуммаДокумента ge ${Number(demo.makita.price)}`), ['Q-1', 'Q-2']);
      assert.deepEqual(await qFilter('СуммаДокумента lt 2000'), ['Q-3']);
      assert.deepEqual(await qFilter("Date le datetime'2025-11-02T09:00:00'"), ['Q-1', 'Q-2']);
      assert.deepEqual(await qFilter("Date gt datetime'2025-11-02T09:00:00'"), ['Q-3']);
      assert.deepEqual(await qFilter('Posted eq true'), ['Q-2']);
      assert.deepEqual(await qFilter('Posted'), ['Q-2']);
    });

    test('combines with and, or, not and parentheses with OData precedence', async () => {
      assert.deepEqual(await qFilter("НомерПоДаннымКлиента eq 'Q-1' or НомерПоДаннымКлиента eq 'Q-3' and Posted eq true"), ['Q-1']);
      assert.deepEqual(await qFilter("(НомерПоДаннымКлиента eq 'Q-1' or НомерПоДаннымКлиента eq 'Q-3') and Posted eq false"), ['Q-1', 'Q-3']);
      assert.deepEqual(await qFilter('not Posted'), ['Q-1', 'Q-3']);
      assert.deepEqual(await qFilter("not (НомерПоДаннымКлиента eq 'Q-1')"), ['Q-2', 'Q-3']);
    });

    test("reads string literals with '' escaping, guid'…' and substringof ignoring case", async () => {
      assert.deepEqual(await qFilter("Комментарий eq 'O''Brien & Co'"), ['Q-1']);
      assert.deepEqual(await qFilter(`Контрагент_Key eq guid'${demo.branch.counterpartyRef}'`), ['Q-3']);
      assert.deepEqual(await qFilter("substringof('срочно', Комментарий)"), ['Q-2', 'Q-3']);
      assert.deepEqual(await qFilter("startswith(Комментарий, 'Срочно')"), ['Q-2', 'Q-3']);
      assert.deepEqual(await qFilter("endswith(Комментарий, 'филиал')"), ['Q-3']);
    });

    test('follows a navigation property: Контрагент/КПП; a broken reference matches nothing', async () => {
      // Prepare
      const broken = await http.create(ORDERS, orderBody([{}], { НомерПоДаннымКлиента: 'B-1', Контрагент_Key: '99999999-9999-9999-9999-999999999999' }));
      // Act
      const viaNav = await qFilter(`Контрагент/КПП eq '${demo.branch.kpp}'`);
      const nullText = await http.list(ORDERS, { $filter: "Контрагент/КПП eq 'null'", $select: 'НомерПоДаннымКлиента' });
      const notEqual = await http.list(ORDERS, { $filter: `Контрагент/КПП ne '${demo.buyer.kpp}' and Ref_Key eq guid'${broken.Ref_Key}'`, $select: 'НомерПоДаннымКлиента' });
      // Assess
      assert.deepEqual(viaNav, ['Q-3']);
      assert.deepEqual(nullText.json.value, []);
      assert.deepEqual(numbers(notEqual), ['B-1']);
    });

    test("matches a composite field with cast(guid'…', 'Document_ЗаказКлиента')", async () => {
      // Act
      const hit = await http.list(SALES, { $filter: `ЗаказКлиента eq cast(guid'${orders[1]!.Ref_Key}', 'Document_ЗаказКлиента')`, $select: 'Ref_Key' });
      const otherType = await http.list(SALES, { $filter: `ЗаказКлиента eq cast(guid'${orders[1]!.Ref_Key}', 'Catalog_Контрагенты')`, $select: 'Ref_Key' });
      const plainGuid = await http.list(SALES, { $filter: `ЗаказКлиента eq guid'${orders[1]!.Ref_Key}'` });
      // Assess
      assert.deepEqual(hit.json.value, [{ Ref_Key: sale.Ref_Key }]);
      assert.deepEqual(otherType.json.value, []);
      assert.equal(plainGuid.status, 400);
      assert.match(plainGuid.json['odata.error'].message.value, /cast/u);
    });

    test('answers code 14 for syntax errors', async () => {
      for (const bad of ["НомерПоДаннымКлиента eq 'Q-1", '(Posted eq true', 'Posted eq true)', 'Posted eq eq true', 'Posted true', "Ref_Key eq guid'123'", 'unknownfn(Posted)', 'Posted eq', "Date eq datetime'вчера'", '']) {
        const a = await http.list(ORDERS, { $filter: bad });
        assert.equal(a.status, 400, bad);
        assert.equal(a.json['odata.error'].code, '14', bad);
      }
    });

    test('answers code 14 for incompatible types', async () => {
      for (const bad of ["Posted eq 'true'", "СуммаДокумента gt 'много'", "Ref_Key eq 'abc'", 'Posted and 1', "substringof(1, Комментарий)"]) {
        const a = await http.list(ORDERS, { $filter: bad });
        assert.equal(a.status, 400, bad);
        assert.equal(a.json['odata.error'].code, '14', bad);
      }
    });

    test('answers code 6 for an unknown field, even on an empty collection', async () => {
      // Act
      const a = await http.list(ORDERS, { $filter: "Покупатель eq 'x'" });
      const empty = await http.list('Catalog_ПричиныОтменыЗаказовКлиентов', { $filter: "Нет eq 1 and Description eq 'x'" });
      // Assess
      assert.deepEqual([a.status, a.json['odata.error'].code], [400, '6']);
      assert.match(a.json['odata.error'].message.value, /Сегмент пути "Покупатель" не найден/u);
      assert.deepEqual([empty.status, empty.json['odata.error'].code], [400, '6']);
    });

    test('parses into the expected tree (precedence, literals)', () => {
      // Act
      const e = parseFilter("a eq 1 or b eq 'x''y' and not c");
      // Assess
      assert.deepEqual(e, {
        k: 'bin', op: 'or',
        l: { k: 'bin', op: 'eq', l: { k: 'field', path: 'a' }, r: { k: 'lit', type: 'number', v: 1 } },
        r: {
          k: 'bin', op: 'and',
          l: { k: 'bin', op: 'eq', l: { k: 'field', path: 'b' }, r: { k: 'lit', type: 'string', v: "x'y" } },
          r: { k: 'not', e: { k: 'field', path: 'c' } },
        },
      });
    });
  });

  describe('$select, $expand', () => {
    test('returns only the selected properties; a composite brings its _Type', async () => {
      // Act
      const a = await http.list(SALES, { $select: 'Number,ЗаказКлиента' });
      // Assess
      assert.deepEqual(Object.keys(a.json.value[0]).sort(), ['Number', 'ЗаказКлиента', 'ЗаказКлиента_Type'].sort());
    });

    test('selects tabular-section columns with Товары/<field>', async () => {
      // Act
      const a = await http.get(`${ORDERS}(guid'${orders[1]!.Ref_Key}')?$format=json&$select=Товары/Количество,Товары/Номенклатура_Key`);
      // Assess
      assert.equal(a.status, 200);
      assert.deepEqual(a.json.Товары, [
        { LineNumber: '1', Количество: 2, Номенклатура_Key: demo.makita.ref },
        { LineNumber: '2', Количество: 5, Номенклатура_Key: demo.screws.ref },
      ]);
    });

    test('answers code 6 for an unknown property in $select', async () => {
      // Act
      const a = await http.list(ORDERS, { $select: 'Number,Покупатель' });
      const sub = await http.list(ORDERS, { $select: 'Товары/Нет' });
      // Assess
      assert.deepEqual([a.status, a.json['odata.error'].code], [400, '6']);
      assert.deepEqual([sub.status, sub.json['odata.error'].code], [400, '6']);
    });

    test('expands a navigation property only when it is also in $select', async () => {
      // Act
      const both = await http.list(ORDERS, { $filter: "НомерПоДаннымКлиента eq 'Q-3'", $select: 'Number,Контрагент/ИНН,Контрагент/КПП', $expand: 'Контрагент' });
      const expandOnly = await http.list(ORDERS, { $filter: "НомерПоДаннымКлиента eq 'Q-3'", $expand: 'Контрагент' });
      const selectOnly = await http.list(ORDERS, { $filter: "НомерПоДаннымКлиента eq 'Q-3'", $select: 'Number,Контрагент' });
      // Assess
      assert.deepEqual(both.json.value[0].Контрагент, { ИНН: demo.branch.inn, КПП: demo.branch.kpp });
      assert.equal(Object.hasOwn(expandOnly.json.value[0], 'Контрагент'), false);
      assert.equal(expandOnly.json.value[0].Контрагент_Key, demo.branch.counterpartyRef);
      assert.equal(Object.hasOwn(selectOnly.json.value[0], 'Контрагент'), false);
      assert.match(selectOnly.json.value[0]['Контрагент@navigationLinkUrl'], /^Document_ЗаказКлиента\(guid'.+'\)\/Контрагент$/u);
    });

    test('reads a referenced object through its navigation property', async () => {
      // Act
      const a = await http.get(`${ORDERS}(guid'${orders[2]!.Ref_Key}')/Контрагент?$format=json`);
      // Assess
      assert.equal(a.status, 200);
      assert.equal(a.json.Ref_Key, demo.branch.counterpartyRef);
    });
  });

  describe('$orderby, $top, $skip, $inlinecount', () => {
    test('orders by several properties, asc and desc', async () => {
      // Act
      const a = await http.list(ORDERS, { $filter: "substringof('Q-', НомерПоДаннымКлиента)", $orderby: 'Posted desc,НомерПоДаннымКлиента desc', $select: 'НомерПоДаннымКлиента' });
      // Assess
      assert.deepEqual(numbers(a), ['Q-2', 'Q-3', 'Q-1']);
    });

    test('pages with $top and $skip and counts all pages as a string with $inlinecount=allpages', async () => {
      // Act
      const a = await http.list(ORDERS, { $filter: "substringof('Q-', НомерПоДаннымКлиента)", $orderby: 'НомерПоДаннымКлиента', $top: 1, $skip: 1, $inlinecount: 'allpages', $select: 'НомерПоДаннымКлиента' });
      // Assess
      assert.deepEqual(numbers(a), ['Q-2']);
      assert.equal(a.json['odata.count'], '3');
      assert.deepEqual(Object.keys(a.json), ['odata.metadata', 'odata.count', 'value']);
    });

    test('answers 400 for a bad $top and code 6 for ordering by an unknown field', async () => {
      // Act
      const top = await http.list(ORDERS, { $top: -1 });
      const order = await http.list(ORDERS, { $orderby: 'Нет desc' });
      // Assess
      assert.deepEqual([top.status, top.json['odata.error'].code], [400, '1']);
      assert.deepEqual([order.status, order.json['odata.error'].code], [400, '6']);
    });
  });

  describe('tabular sections and register records as entity sets', () => {
    test('reads Document_ЗаказКлиента_Товары filtered by Ref_Key, each row with its owner key', async () => {
      // Act
      const a = await http.list('Document_ЗаказКлиента_Товары', { $filter: `Ref_Key eq guid'${orders[1]!.Ref_Key}'` });
      const one = await http.get(`Document_ЗаказКлиента_Товары(Ref_Key=guid'${orders[1]!.Ref_Key}',LineNumber=2)?$format=json`);
      // Assess
      assert.equal(a.json.value.length, 2);
      assert.deepEqual(a.json.value.map((r: Json) => [r.Ref_Key, r.LineNumber]), [[orders[1]!.Ref_Key, '1'], [orders[1]!.Ref_Key, '2']]);
      assert.equal(one.json.Номенклатура_Key, demo.screws.ref);
    });

    test('reads the records a posted order wrote, by Recorder', async () => {
      // Act
      const a = await http.list('AccumulationRegister_ТоварыКОтгрузке_RecordType', { $filter: `Recorder eq cast(guid'${orders[1]!.Ref_Key}', 'Document_ЗаказКлиента')` });
      const sets = await http.list('AccumulationRegister_ТоварыКОтгрузке', { $filter: `Recorder eq cast(guid'${orders[1]!.Ref_Key}', 'Document_ЗаказКлиента')` });
      // Assess
      assert.equal(a.json.value.length, 2);
      assert.equal(a.json.value[0].RecordType, 'Receipt');
      assert.equal(a.json.value[0].ДокументОтгрузки_Type, 'StandardODATA.Document_ЗаказКлиента');
      assert.equal(sets.json.value.length, 1);
      assert.equal(sets.json.value[0].RecordSet.length, 2);
    });
  });
});
