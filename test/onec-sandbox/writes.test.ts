import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_DATE, EMPTY_REF, type Http, ORDERS, demo, orderBody, startSandbox, type Json } from './helpers.ts';
import type { OneCSandbox } from '#local/onec/sandbox';

const version = (dv: string): bigint => Buffer.from(dv, 'base64').readBigUInt64BE();

describe('1C sandbox writes', () => {
  let sandbox: OneCSandbox;
  let http: Http;

  before(async () => {
    ({ sandbox, http } = await startSandbox());
  });
  after(async () => {
    await sandbox.close();
  });

  describe('POST', () => {
    test('answers 201 with the full object: assigned Ref_Key, 1C-style Number, DataVersion and every property', async () => {
      // Act
      const a = await http.post(`${ORDERS}?$format=json`, orderBody([{ product: demo.makita, qty: 2 }]));
      // Assess
      assert.equal(a.status, 201);
      const o = a.json;
      assert.equal(o['odata.metadata'], `${sandbox.baseUrl}$metadata#${ORDERS}/@Element`);
      assert.match(o.Ref_Key, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/u);
      assert.match(o.Number, /^ТД00-\d{6}$/u);
      assert.equal(version(o.DataVersion), 1n);
      assert.equal(o.Posted, false);
      assert.equal(o.DeletionMark, false);
      // properties not sent are present with their empty values
      assert.equal(o.Сделка_Key, EMPTY_REF);
      assert.equal(o.ДатаОтгрузки, EMPTY_DATE);
      assert.equal(o.Комментарий, '');
      assert.equal(o.ДокументОснование_Type, 'StandardODATA.Undefined');
      assert.deepEqual(o.СкидкиНаценки, []);
      // Int64 as strings, numbers as numbers
      assert.equal(o.МаксимальныйКодСтроки, '1');
      assert.equal(o.Товары[0].LineNumber, '1');
      assert.equal(o.Товары[0].КодСтроки, '1');
      assert.equal(o.Товары[0].Ref_Key, o.Ref_Key);
      assert.equal(o.Товары[0].Количество, 2);
      assert.equal(o.СуммаДокумента, 2 * Number(demo.makita.price));
    });

    test('makes the logged-in user the Автор of a new order, as UT does', async () => {
      // Act
      const o = await http.create(ORDERS, orderBody());
      const users = await http.list('Catalog_Пользователи', { $filter: `Description eq '${sandbox.login}'` });
      // Assess
      assert.equal(o.Автор_Type, 'StandardODATA.Catalog_Пользователи');
      assert.equal(o.Автор, users.json.value[0].Ref_Key);
    });

    test('numbers documents one after another', async () => {
      // Act
      const a = await http.create(ORDERS, orderBody());
      const b = await http.create(ORDERS, orderBody());
      // Assess
      assert.equal(Number(b.Number.slice(-6)), Number(a.Number.slice(-6)) + 1);
    });

    test('fills the date with the current 1C time, without a time zone, when none is sent', async () => {
      // Act
      const o = await http.create(ORDERS, orderBody([{}], { Date: undefined }));
      // Assess
      assert.match(o.Date, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/u);
      assert.notEqual(o.Date, EMPTY_DATE);
    });

    test('ignores unknown fields, cuts long strings, stores references to missing objects', async () => {
      // Prepare
      const missing = '99999999-9999-9999-9999-999999999999';
      // Act
      const o = await http.create(ORDERS, orderBody([{}], {
        НесуществующееПоле: 'x',
        НомерПоДаннымКлиента: 'GW-'.padEnd(50, '7'),
        Комментарий: 'К'.repeat(5000),
        Контрагент_Key: missing,
      }));
      // Assess
      assert.equal(Object.hasOwn(o, 'НесуществующееПоле'), false);
      assert.equal(o.НомерПоДаннымКлиента.length, 30);
      assert.equal(o.Комментарий.length, 5000);
      assert.equal(o.Контрагент_Key, missing);
    });

    test('does not check filling on write: an order without a partner is created', async () => {
      // Act
      const a = await http.post(`${ORDERS}?$format=json`, { Комментарий: 'пусто' });
      // Assess
      assert.equal(a.status, 201);
      assert.equal(a.json.Партнер_Key, EMPTY_REF);
    });

    test('answers code 1 for a value it cannot convert: bad guid, number, date, boolean, enum', async () => {
      // Act
      const answers = await Promise.all([
        { Контрагент_Key: 'abc' },
        { СуммаДокумента: 'много' },
        { Date: '27.11.2025' },
        { Date: '2025-11-27T10:00:00Z' },
        { Согласован: 'да' },
        { Статус: 'КВыполнению' },
        { Товары: [{ LineNumber: 1, ВариантОбеспечения: 'Резерв' }] },
      ].map((body) => http.post(`${ORDERS}?$format=json`, body)));
      // Assess
      for (const a of answers) {
        assert.equal(a.status, 400, a.text);
        assert.equal(a.json['odata.error'].code, '1');
      }
    });

    test('creates a catalog item with an assigned code', async () => {
      // Act
      const r = await http.create('Catalog_ПричиныОтменыЗаказовКлиентов', { Description: 'Дубль заказа' });
      // Assess
      assert.equal(r.Description, 'Дубль заказа');
      assert.match(r.Code, /^\d{9}$/u);
    });
  });

  describe('PATCH', () => {
    let order: Json;
    before(async () => {
      order = await http.create(ORDERS, orderBody([{ product: demo.makita, qty: 1 }, { product: demo.screws, qty: 10 }]));
    });

    test('answers 200 with the full object; only the fields sent change', async () => {
      // Act
      const a = await http.patch(`${ORDERS}(guid'${order.Ref_Key}')?$format=json`, { Комментарий: 'Позвонить перед доставкой' });
      // Assess
      assert.equal(a.status, 200);
      assert.equal(a.json.Комментарий, 'Позвонить перед доставкой');
      assert.equal(a.json.НомерПоДаннымКлиента, order.НомерПоДаннымКлиента);
      assert.equal(a.json.Товары.length, 2);
      assert.equal(a.json.Number, order.Number);
    });

    test('raises DataVersion on every write, even one that changes nothing', async () => {
      // Prepare
      const before1 = await http.read(ORDERS, order.Ref_Key);
      // Act
      const same = await http.update(ORDERS, order.Ref_Key, {});
      const again = await http.update(ORDERS, order.Ref_Key, { Комментарий: same.Комментарий });
      // Assess
      assert.equal(version(same.DataVersion), version(before1.DataVersion) + 1n);
      assert.equal(version(again.DataVersion), version(before1.DataVersion) + 2n);
    });

    test('applies a PATCH with a stale If-Match and returns no ETag: there is no optimistic locking', async () => {
      // Prepare
      const stale = (await http.read(ORDERS, order.Ref_Key)).DataVersion as string;
      await http.update(ORDERS, order.Ref_Key, { Комментарий: 'менеджер' });
      // Act
      const a = await http.patch(`${ORDERS}(guid'${order.Ref_Key}')?$format=json`, { Комментарий: 'обмен', DataVersion: stale }, { 'if-match': `W/"${stale}"` });
      // Assess
      assert.equal(a.status, 200);
      assert.equal(a.json.Комментарий, 'обмен');
      assert.equal(a.headers.get('etag'), null);
    });

    test('replaces the whole tabular section: rows not sent are gone', async () => {
      // Prepare
      const current = await http.read(ORDERS, order.Ref_Key);
      // Act
      const o = await http.update(ORDERS, order.Ref_Key, { Товары: [{ ...current.Товары[1], LineNumber: 1 }] });
      // Assess
      assert.equal(o.Товары.length, 1);
      assert.equal(o.Товары[0].Номенклатура_Key, demo.screws.ref);
      assert.equal(o.Товары[0].КодСтроки, current.Товары[1].КодСтроки);
    });

    test('keeps КодСтроки of rows that carry it and gives new rows ++МаксимальныйКодСтроки', async () => {
      // Prepare
      const o1 = await http.create(ORDERS, orderBody([{ product: demo.makita }, { product: demo.screws }]));
      // Act: drop row 1, keep row 2 (code 2), add a new row
      const o2 = await http.update(ORDERS, o1.Ref_Key, {
        Товары: [
          { ...o1.Товары[1], LineNumber: 1 },
          { LineNumber: 2, Номенклатура_Key: demo.level.ref, Количество: 1 },
        ],
      });
      // Assess
      assert.equal(o1.МаксимальныйКодСтроки, '2');
      assert.deepEqual(o2.Товары.map((r: Json) => r.КодСтроки), ['2', '3']);
      assert.equal(o2.МаксимальныйКодСтроки, '3');
    });

    test('answers 500 code -1 for a row without LineNumber, and changes nothing', async () => {
      // Prepare
      const before1 = await http.read(ORDERS, order.Ref_Key);
      // Act
      const a = await http.patch(`${ORDERS}(guid'${order.Ref_Key}')?$format=json`, { Комментарий: 'x', Товары: [{ Номенклатура_Key: demo.makita.ref, Количество: 1 }] });
      // Assess
      assert.equal(a.status, 500);
      assert.equal(a.json['odata.error'].code, '-1');
      const after1 = await http.read(ORDERS, order.Ref_Key);
      assert.equal(after1.DataVersion, before1.DataVersion);
      assert.equal(after1.Комментарий, before1.Комментарий);
    });

    test('answers a malformed JSON body as real 1C does: 500, code -1, "Непредвиденный символ при чтении JSON"; nothing changes', async () => {
      // Prepare
      const before1 = await http.read(ORDERS, order.Ref_Key);
      // Act
      const patch = await http.patch(`${ORDERS}(guid'${order.Ref_Key}')?$format=json`, '{"Комментарий": "x",');
      const post = await http.post(`${ORDERS}?$format=json`, '{Комментарий: x}');
      // Assess
      for (const a of [patch, post]) {
        assert.equal(a.status, 500, a.text);
        assert.equal(a.json['odata.error'].code, '-1');
        assert.match(a.json['odata.error'].message.value, /^Непредвиденный символ при чтении JSON/u);
      }
      const after1 = await http.read(ORDERS, order.Ref_Key);
      assert.equal(after1.DataVersion, before1.DataVersion);
    });

    test('answers 400 when LineNumber does not start at 1 or skips a number', async () => {
      // Act
      const from2 = await http.patch(`${ORDERS}(guid'${order.Ref_Key}')?$format=json`, { Товары: [{ LineNumber: 2, Количество: 1 }] });
      const gap = await http.patch(`${ORDERS}(guid'${order.Ref_Key}')?$format=json`, { Товары: [{ LineNumber: 1, Количество: 1 }, { LineNumber: 3, Количество: 1 }] });
      const asString = await http.patch(`${ORDERS}(guid'${order.Ref_Key}')?$format=json`, { Товары: [{ LineNumber: '1', Количество: 1 }] });
      // Assess
      assert.equal(from2.status, 400);
      assert.equal(gap.status, 400);
      assert.equal(asString.status, 200);
    });

    test('answers 404 code 9 for an order that does not exist', async () => {
      // Act
      const a = await http.patch(`${ORDERS}(guid'12345678-1234-1234-1234-123456789012')?$format=json`, { Комментарий: 'x' });
      // Assess
      assert.deepEqual([a.status, a.json['odata.error'].code], [404, '9']);
    });

    test('accepts MERGE as PATCH (OData v3 clients)', async () => {
      // Act
      const a = await http.call('MERGE', `${ORDERS}(guid'${order.Ref_Key}')?$format=json`, { Комментарий: 'merge' });
      // Assess
      assert.equal(a.status, 200);
      assert.equal(a.json.Комментарий, 'merge');
    });
  });

  describe('DeletionMark and DELETE', () => {
    test('refuses to mark a posted document for deletion with a 1C message, and allows it after Unpost', async () => {
      // Prepare
      const o = await http.create(ORDERS, orderBody());
      assert.equal((await http.postDoc(ORDERS, o.Ref_Key)).status, 200);
      // Act
      const refused = await http.patch(`${ORDERS}(guid'${o.Ref_Key}')?$format=json`, { DeletionMark: true });
      await http.unpostDoc(ORDERS, o.Ref_Key);
      const allowed = await http.patch(`${ORDERS}(guid'${o.Ref_Key}')?$format=json`, { DeletionMark: true });
      // Assess
      assert.equal(refused.status, 500);
      assert.equal(refused.json['odata.error'].code, '-1');
      assert.match(refused.json['odata.error'].message.value, /проведенный документ не может быть помечен на удаление/u);
      assert.equal(allowed.status, 200);
      assert.equal(allowed.json.DeletionMark, true);
    });

    test('deletes an object with DELETE', async () => {
      // Prepare
      const o = await http.create(ORDERS, orderBody());
      // Act
      const del = await http.call('DELETE', `${ORDERS}(guid'${o.Ref_Key}')`);
      const read = await http.get(`${ORDERS}(guid'${o.Ref_Key}')?$format=json`);
      // Assess
      assert.equal(del.status, 204);
      assert.equal(read.status, 404);
    });
  });
});
