import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { demoOneC } from '#local/demo/supplier';
import { EMPTY_REF, type Http, ORDERS, SALES, demo, orderBody, shipmentBody, startSandbox, type Json } from './helpers.ts';

/** A fresh demo base per test: reserves and stock never leak between tests. */
async function fresh(t: TestContext): Promise<Http> {
  const { sandbox, http } = await startSandbox();
  t.after(() => sandbox.close());
  return http;
}

async function postedOrder(http: Http, body: Json): Promise<Json> {
  const o = await http.create(ORDERS, body);
  const p = await http.postDoc(ORDERS, o.Ref_Key);
  assert.equal(p.status, 200, p.text);
  return http.read(ORDERS, o.Ref_Key);
}

const messageOf = (a: { json: Json }): string => a.json['odata.error'].message.value as string;

describe('1C sandbox posting', () => {
  describe('Post and Unpost', () => {
    test('answer 200 with an empty body; the document is then posted, with a higher DataVersion', async (t) => {
      // Prepare
      const http = await fresh(t);
      const o = await http.create(ORDERS, orderBody());
      // Act
      const post = await http.postDoc(ORDERS, o.Ref_Key);
      const posted = await http.read(ORDERS, o.Ref_Key);
      const unpost = await http.unpostDoc(ORDERS, o.Ref_Key);
      const unposted = await http.read(ORDERS, o.Ref_Key);
      // Assess
      assert.equal(post.status, 200);
      assert.equal(post.text, '');
      assert.equal(posted.Posted, true);
      assert.notEqual(posted.DataVersion, o.DataVersion);
      assert.equal(unpost.status, 200);
      assert.equal(unpost.text, '');
      assert.equal(unposted.Posted, false);
    });

    test('refuse operational posting of an order with 500 -1 and 1C\'s message', async (t) => {
      // Prepare
      const http = await fresh(t);
      const o = await http.create(ORDERS, orderBody());
      // Act
      const a = await http.post(`${ORDERS}(guid'${o.Ref_Key}')/Post?PostingModeOperational=true`);
      // Assess
      assert.deepEqual([a.status, a.json['odata.error'].code], [500, '-1']);
      assert.match(messageOf(a), /оперативном режиме/u);
      assert.equal((await http.read(ORDERS, o.Ref_Key)).Posted, false);
    });

    test('answer 404 code 9 for a document that does not exist', async (t) => {
      // Prepare
      const http = await fresh(t);
      // Act
      const a = await http.postDoc(ORDERS, '12345678-1234-1234-1234-123456789012');
      // Assess
      assert.deepEqual([a.status, a.json['odata.error'].code], [404, '9']);
    });

    test('run the fill checks: an order under the contract agreement needs its Договор', async (t) => {
      // Prepare
      const http = await fresh(t);
      const b = demo.contractBuyer;
      const body = orderBody([{}], { Партнер_Key: b.partnerRef, Контрагент_Key: b.counterpartyRef, Соглашение_Key: demoOneC.agreements.contract.ref, ПорядокРасчетов: 'ПоДоговорамКонтрагентов' });
      const without = await http.create(ORDERS, body);
      const withContract = await http.create(ORDERS, { ...body, Договор_Key: b.contractRef });
      // Act
      const refused = await http.postDoc(ORDERS, without.Ref_Key);
      const accepted = await http.postDoc(ORDERS, withContract.Ref_Key);
      // Assess
      assert.deepEqual([refused.status, refused.json['odata.error'].code], [500, '-1']);
      assert.match(messageOf(refused), /Поле "Договор" не заполнено/u);
      assert.match(messageOf(refused), /Не удалось провести "Заказ клиента ТД00-\d{6} от \d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d"/u);
      assert.equal(accepted.status, 200);
    });

    test('run the fill checks on rows: a row to reserve needs its ВариантОбеспечения and a warehouse', async (t) => {
      // Prepare
      const http = await fresh(t);
      const body = orderBody([{ product: demo.makita }, { product: demo.screws }], { Склад_Key: undefined });
      body.Товары[0].ВариантОбеспечения = '';
      const o = await http.create(ORDERS, body);
      // Act
      const a = await http.postDoc(ORDERS, o.Ref_Key);
      // Assess
      assert.equal(a.status, 500);
      assert.match(messageOf(a), /Не заполнена колонка "Вариант обеспечения" в строке 1 списка "Товары"/u);
      assert.match(messageOf(a), /Не заполнена колонка "Склад" в строке 2 списка "Товары"/u);
    });

    test('refuse to post an order marked for deletion', async (t) => {
      // Prepare
      const http = await fresh(t);
      const o = await http.create(ORDERS, orderBody([{}], { DeletionMark: true }));
      // Act
      const a = await http.postDoc(ORDERS, o.Ref_Key);
      // Assess
      assert.equal(a.status, 500);
      assert.match(messageOf(a), /Помеченный на удаление/u);
    });
  });

  describe('reserves', () => {
    test('the order entered in 1C holds its reserve from the start (Goodwix shows it as Integration)', async (t) => {
      // Prepare
      const http = await fresh(t);
      const o = demo.integrationOrder;
      // Act
      const rows = await http.reserves(demo.bosch.ref);
      const order = await http.read(ORDERS, o.ref);
      // Assess
      assert.equal(order.Posted, true);
      assert.equal(order.Статус, 'КОбеспечению');
      assert.equal(order.Партнер_Key, demo.buyer.partnerRef);
      assert.deepEqual(rows.map((r) => ({ ...r })), [{
        Склад_Key: demo.main, Номенклатура_Key: demo.bosch.ref, Характеристика_Key: EMPTY_REF,
        ДокументОтгрузки: o.ref, Получатель: demo.buyer.partnerRef, Назначение_Key: EMPTY_REF, Серия_Key: EMPTY_REF,
        ВРезервеBalance: o.lines[0]!.quantity, КОтгрузкеBalance: 0,
        ДокументОтгрузки_Type: 'StandardODATA.Document_ЗаказКлиента', Получатель_Type: 'StandardODATA.Catalog_Партнеры',
      }]);
    });

    test('posting reserves СоСклада rows in ВРезерве and Отгрузить rows in КОтгрузке, at the row warehouse or the header one', async (t) => {
      // Prepare
      const http = await fresh(t);
      // Act
      const o = await postedOrder(http, orderBody([
        { product: demo.screws, qty: 10 },
        { product: demo.screws, qty: 4, provision: 'Отгрузить' },
        { product: demo.screws, qty: 7, warehouse: demo.north },
        { product: demo.screws, qty: 2, provision: 'НеТребуется' },
      ]));
      const rows = (await http.reserves(demo.screws.ref)).filter((r) => r.ДокументОтгрузки === o.Ref_Key);
      // Assess
      const at = (w: string): Json | undefined => rows.find((r) => r.Склад_Key === w);
      assert.equal(rows.length, 2);
      assert.deepEqual([at(demo.main)!.ВРезервеBalance, at(demo.main)!.КОтгрузкеBalance], [10, 4]);
      assert.deepEqual([at(demo.north)!.ВРезервеBalance, at(demo.north)!.КОтгрузкеBalance], [7, 0]);
    });

    test('an order with status НеСогласован is posted but reserves nothing', async (t) => {
      // Prepare
      const http = await fresh(t);
      // Act
      const o = await postedOrder(http, orderBody([{ product: demo.makita, qty: 3 }], { Статус: 'НеСогласован' }));
      // Assess
      assert.equal(o.Posted, true);
      assert.equal(await http.reservedBy(o.Ref_Key, demo.makita.ref), 0);
    });

    test('fails when the free stock is short, naming product, warehouse, required and available, and reserves nothing', async (t) => {
      // Prepare: the level has 3 on hand at the main warehouse
      const http = await fresh(t);
      const o = await http.create(ORDERS, orderBody([{ product: demo.makita, qty: 1 }, { product: demo.level, qty: 5 }]));
      // Act
      const a = await http.postDoc(ORDERS, o.Ref_Key);
      // Assess
      assert.deepEqual([a.status, a.json['odata.error'].code], [500, '-1']);
      assert.match(messageOf(a), /Недостаточно свободного остатка товара "Уровень строительный 600 мм" на складе "Основной склад": требуется 5 шт, доступно 3 шт/u);
      assert.equal((await http.read(ORDERS, o.Ref_Key)).Posted, false);
      assert.equal(await http.reservedBy(o.Ref_Key, demo.makita.ref), 0);
      assert.equal(await http.reservedBy(o.Ref_Key, demo.level.ref), 0);
    });

    test('counts other orders\' reserves against the free stock', async (t) => {
      // Prepare: 40 drills on hand at the main warehouse, 4 reserved by the order entered in 1C
      const http = await fresh(t);
      const tooMany = await http.create(ORDERS, orderBody([{ product: demo.bosch, qty: 37 }]));
      const exact = await http.create(ORDERS, orderBody([{ product: demo.bosch, qty: 36 }]));
      // Act
      const refused = await http.postDoc(ORDERS, tooMany.Ref_Key);
      const accepted = await http.postDoc(ORDERS, exact.Ref_Key);
      // Assess
      assert.match(messageOf(refused), /требуется 37 шт, доступно 36 шт/u);
      assert.equal(accepted.status, 200);
      assert.equal(await http.reservedBy(exact.Ref_Key, demo.bosch.ref), 36);
    });

    test('names the variant of a product with characteristics', async (t) => {
      // Prepare: 6 jackets of size 56
      const http = await fresh(t);
      const size56 = demo.jacket.variants![2]!;
      const o = await http.create(ORDERS, orderBody([{ product: demo.jacket, variant: size56.ref, qty: 7 }]));
      // Act
      const a = await http.postDoc(ORDERS, o.Ref_Key);
      // Assess
      assert.match(messageOf(a), /"Куртка рабочая утепленная, Размер 56" на складе "Основной склад": требуется 7 шт, доступно 6 шт/u);
    });

    test('a PATCH does not touch the reserve of a posted order until it is posted again; re-posting recomputes', async (t) => {
      // Prepare
      const http = await fresh(t);
      const o = await postedOrder(http, orderBody([{ product: demo.makita, qty: 2 }]));
      const rows = o.Товары as Json[];
      // Act
      await http.update(ORDERS, o.Ref_Key, { Товары: [{ ...rows[0], Количество: 5 }] });
      const beforeRepost = await http.reservedBy(o.Ref_Key, demo.makita.ref);
      await http.postDoc(ORDERS, o.Ref_Key);
      const afterRepost = await http.reservedBy(o.Ref_Key, demo.makita.ref);
      // Assess
      assert.equal(beforeRepost, 2);
      assert.equal(afterRepost, 5);
    });

    test('Unpost releases the reserve', async (t) => {
      // Prepare
      const http = await fresh(t);
      const o = await postedOrder(http, orderBody([{ product: demo.makita, qty: 2 }]));
      // Act
      await http.unpostDoc(ORDERS, o.Ref_Key);
      // Assess
      assert.equal(await http.reservedBy(o.Ref_Key, demo.makita.ref), 0);
    });

    test('a cancelled row reserves nothing and cancelling a row of a posted order releases it on re-post', async (t) => {
      // Prepare
      const http = await fresh(t);
      const o = await postedOrder(http, orderBody([{ product: demo.makita, qty: 2 }, { product: demo.screws, qty: 3, cancelled: true }]));
      const rows = o.Товары as Json[];
      // Act
      const screwsReserved = await http.reservedBy(o.Ref_Key, demo.screws.ref);
      await http.update(ORDERS, o.Ref_Key, { Товары: [{ ...rows[0], Отменено: true, ПричинаОтмены_Key: demoOneC.cancelReasons.buyerRefused.ref }, rows[1]] });
      await http.postDoc(ORDERS, o.Ref_Key);
      // Assess
      assert.equal(screwsReserved, 0);
      assert.equal(await http.reservedBy(o.Ref_Key, demo.makita.ref), 0);
      const reread = await http.read(ORDERS, o.Ref_Key);
      assert.equal(reread.Товары[0].Отменено, true);
      assert.equal(reread.Товары[0].ПричинаОтмены_Key, demoOneC.cancelReasons.buyerRefused.ref);
      assert.equal(reread.СуммаДокумента, 0);
    });

    test('status Закрыт releases the reserve', async (t) => {
      // Prepare
      const http = await fresh(t);
      const o = await postedOrder(http, orderBody([{ product: demo.makita, qty: 2 }]));
      // Act
      await http.update(ORDERS, o.Ref_Key, { Статус: 'Закрыт' });
      await http.postDoc(ORDERS, o.Ref_Key);
      // Assess
      assert.equal(await http.reservedBy(o.Ref_Key, demo.makita.ref), 0);
    });
  });

  describe('1C_OData_DataLoadMode', () => {
    test('skips UT\'s handlers: the order is written without row codes or sum and posting reserves nothing', async (t) => {
      // Prepare
      const http = await fresh(t);
      const load = { '1C_OData_DataLoadMode': 'true' };
      // Act
      const created = await http.post(`${ORDERS}?$format=json`, orderBody([{ product: demo.makita, qty: 2 }]), load);
      const post = await http.post(`${ORDERS}(guid'${created.json.Ref_Key}')/Post?PostingModeOperational=false`, undefined, load);
      const o = await http.read(ORDERS, created.json.Ref_Key);
      // Assess
      assert.equal(created.status, 201);
      assert.equal(created.json.Товары[0].КодСтроки, '0');
      assert.equal(created.json.СуммаДокумента, 0);
      assert.equal(post.status, 200);
      assert.equal(o.Posted, true);
      assert.equal(await http.reservedBy(o.Ref_Key, demo.makita.ref), 0);
    });
  });

  describe('shipments', () => {
    test('a posted shipment reduces the stock on hand and the order\'s open reserve', async (t) => {
      // Prepare: 25 Makita on hand
      const http = await fresh(t);
      const o = await postedOrder(http, orderBody([{ product: demo.makita, qty: 5 }]));
      const s = await http.create(SALES, shipmentBody(o.Ref_Key, [{ product: demo.makita, qty: 2 }]));
      // Act
      const post = await http.postDoc(SALES, s.Ref_Key);
      // Assess
      assert.equal(post.status, 200);
      assert.equal(post.text, '');
      assert.equal((await http.read(SALES, s.Ref_Key)).Posted, true);
      assert.equal(await http.onHand(demo.makita.ref, demo.main), 23);
      assert.equal(await http.reservedBy(o.Ref_Key, demo.makita.ref), 3);
    });

    test('shipping the rest closes the reserve, and re-posting the order does not bring it back', async (t) => {
      // Prepare
      const http = await fresh(t);
      const o = await postedOrder(http, orderBody([{ product: demo.makita, qty: 5 }]));
      for (const qty of [2, 3]) {
        const s = await http.create(SALES, shipmentBody(o.Ref_Key, [{ product: demo.makita, qty }]));
        await http.postDoc(SALES, s.Ref_Key);
      }
      // Act
      const afterShipments = await http.reservedBy(o.Ref_Key, demo.makita.ref);
      await http.postDoc(ORDERS, o.Ref_Key);
      const afterRepost = await http.reservedBy(o.Ref_Key, demo.makita.ref);
      // Assess
      assert.equal(afterShipments, 0);
      assert.equal(afterRepost, 0);
      assert.equal(await http.onHand(demo.makita.ref, demo.main), 20);
    });

    test('unposting or deleting a shipment restores stock and reserve', async (t) => {
      // Prepare
      const http = await fresh(t);
      const o = await postedOrder(http, orderBody([{ product: demo.makita, qty: 5 }]));
      const s1 = await http.create(SALES, shipmentBody(o.Ref_Key, [{ product: demo.makita, qty: 2 }]));
      const s2 = await http.create(SALES, shipmentBody(o.Ref_Key, [{ product: demo.makita, qty: 1 }]));
      await http.postDoc(SALES, s1.Ref_Key);
      await http.postDoc(SALES, s2.Ref_Key);
      // Act
      await http.unpostDoc(SALES, s1.Ref_Key);
      const afterUnpost = [await http.onHand(demo.makita.ref, demo.main), await http.reservedBy(o.Ref_Key, demo.makita.ref)];
      await http.call('DELETE', `${SALES}(guid'${s2.Ref_Key}')`);
      const afterDelete = [await http.onHand(demo.makita.ref, demo.main), await http.reservedBy(o.Ref_Key, demo.makita.ref)];
      // Assess
      assert.deepEqual(afterUnpost, [24, 4]);
      assert.deepEqual(afterDelete, [25, 5]);
    });

    test('posts only when the fields UT requires are filled, naming each empty one as UT does; nothing is written', async (t) => {
      // Prepare: the order is under the standard agreement, so the shipment needs its Соглашение too
      const http = await fresh(t);
      const o = await postedOrder(http, orderBody([{ product: demo.makita, qty: 5 }]));
      const empty = { Партнер_Key: EMPTY_REF, Контрагент_Key: EMPTY_REF, Соглашение_Key: EMPTY_REF, Валюта_Key: EMPTY_REF, Склад_Key: EMPTY_REF };
      const s = await http.create(SALES, shipmentBody(o.Ref_Key, [{ product: demo.makita, qty: 2 }], empty));
      // Act
      const a = await http.postDoc(SALES, s.Ref_Key);
      // Assess
      assert.deepEqual([a.status, a.json['odata.error']?.code], [500, '-1'], a.text);
      const lines = messageOf(a).split('\n');
      assert.match(lines[0]!, /^Ошибка при вызове метода контекста \(Провести\): Не удалось провести "Реализация товаров и услуг ТД00-\d{6} от /u);
      assert.deepEqual(lines.slice(1), [
        'Поле "Клиент" не заполнено',
        'Поле "Контрагент" не заполнено',
        'Поле "Соглашение" не заполнено',
        'Поле "Валюта" не заполнено',
        'Поле "Склад" не заполнено',
      ]);
      assert.equal((await http.read(SALES, s.Ref_Key)).Posted, false);
      assert.equal(await http.onHand(demo.makita.ref, demo.main), 25);
      assert.equal(await http.reservedBy(o.Ref_Key, demo.makita.ref), 5);
    });

    test('does not need Соглашение when its order has none, and takes the warehouse from the rows', async (t) => {
      // Prepare: an order entered without an agreement
      const http = await fresh(t);
      const o = await postedOrder(http, orderBody([{ product: demo.makita, qty: 5 }], { Соглашение_Key: EMPTY_REF }));
      const s = await http.create(SALES, shipmentBody(o.Ref_Key, [{ product: demo.makita, qty: 2, warehouse: demo.main }], { Соглашение_Key: EMPTY_REF, Склад_Key: EMPTY_REF }));
      // Act
      const a = await http.postDoc(SALES, s.Ref_Key);
      // Assess
      assert.equal(a.status, 200, a.text);
      assert.equal(await http.reservedBy(o.Ref_Key, demo.makita.ref), 3);
    });

    test('does not post a shipment of an order that is not posted, naming the order', async (t) => {
      // Prepare
      const http = await fresh(t);
      const o = await http.create(ORDERS, orderBody([{ product: demo.makita, qty: 5 }]));
      const s = await http.create(SALES, shipmentBody(o.Ref_Key, [{ product: demo.makita, qty: 2 }]));
      // Act
      const a = await http.postDoc(SALES, s.Ref_Key);
      // Assess
      assert.deepEqual([a.status, a.json['odata.error']?.code], [500, '-1'], a.text);
      assert.match(messageOf(a), new RegExp(`\nДокумент "Заказ клиента ${o.Number} от 27\\.11\\.2025 10:00:00" не проведен`, 'u'));
      assert.equal(await http.onHand(demo.makita.ref, demo.main), 25);
    });

    test('a shipment of more than is free plus its order\'s reserve fails and changes nothing', async (t) => {
      // Prepare: 3 levels on hand; another order reserves 2, ours reserves 1
      const http = await fresh(t);
      await postedOrder(http, orderBody([{ product: demo.level, qty: 2 }]));
      const ours = await postedOrder(http, orderBody([{ product: demo.level, qty: 1 }]));
      const s = await http.create(SALES, shipmentBody(ours.Ref_Key, [{ product: demo.level, qty: 2 }]));
      // Act
      const a = await http.postDoc(SALES, s.Ref_Key);
      // Assess
      assert.deepEqual([a.status, a.json['odata.error'].code], [500, '-1']);
      assert.match(messageOf(a), /Недостаточно товара "Уровень строительный 600 мм" на складе "Основной склад": требуется 2 шт, доступно 1 шт/u);
      assert.equal(await http.onHand(demo.level.ref, demo.main), 3);
      assert.equal(await http.reservedBy(ours.Ref_Key, demo.level.ref), 1);
    });
  });

  describe('register balances', () => {
    test('Balance takes a Condition on the composite ДокументОтгрузки with cast()', async (t) => {
      // Prepare
      const http = await fresh(t);
      const o = await postedOrder(http, orderBody([{ product: demo.makita, qty: 2 }, { product: demo.screws, qty: 6 }]));
      const cond = `ДокументОтгрузки eq cast(guid''${o.Ref_Key}'', ''Document_ЗаказКлиента'')`;
      // Act
      const a = await http.get(`AccumulationRegister_ТоварыКОтгрузке/Balance(Condition='${cond}')?$format=json`);
      // Assess
      assert.equal(a.status, 200, a.text);
      assert.deepEqual(a.json.value.map((r: Json) => [r.Номенклатура_Key, r.ВРезервеBalance]).sort(), [[demo.makita.ref, 2], [demo.screws.ref, 6]].sort());
    });

    test('answers the read live connectors make: Condition, Period, Dimensions with ДокументОтгрузки and Получатель, $filter on ВРезервеBalance', async (t) => {
      // Prepare: a second order for the drill beside the one entered in 1C
      const http = await fresh(t);
      const o = await postedOrder(http, orderBody([{ product: demo.bosch, qty: 3 }, { product: demo.bosch, qty: 1, provision: 'Отгрузить' }]));
      const cond = `Номенклатура_Key eq guid''${demo.bosch.ref}''`;
      // Act
      const a = await http.get(`AccumulationRegister_ТоварыКОтгрузке/Balance(Condition='${cond}',Period=datetime'2099-01-01T00:00:00',`
        + `Dimensions='Склад,Номенклатура,Характеристика,ДокументОтгрузки,Получатель')?$format=json&$filter=${encodeURIComponent('ВРезервеBalance gt 0')}`
        + `&$select=${encodeURIComponent('Склад_Key,Характеристика_Key,ДокументОтгрузки,ДокументОтгрузки_Type,Получатель,ВРезервеBalance')}`);
      // Assess
      assert.equal(a.status, 200, a.text);
      const byOrder = new Map((a.json.value as Json[]).map((r) => [r.ДокументОтгрузки, r]));
      assert.deepEqual(byOrder.get(o.Ref_Key), {
        Склад_Key: demo.main, Характеристика_Key: EMPTY_REF, ДокументОтгрузки: o.Ref_Key, ДокументОтгрузки_Type: 'StandardODATA.Document_ЗаказКлиента',
        Получатель: demo.buyer.partnerRef, Получатель_Type: 'StandardODATA.Catalog_Партнеры', ВРезервеBalance: 3,
      });
      assert.equal(byOrder.get(demo.integrationOrder.ref)?.ВРезервеBalance, demo.integrationOrder.lines[0]!.quantity);
      assert.equal(byOrder.size, 2);
    });

    test('СвободныеОстатки gives free stock per product and warehouse: ВНаличии, ВРезервеСоСклада (what orders hold), ВРезервеПодЗаказ', async (t) => {
      // Prepare: 500 screws at the main warehouse; an order reserves 10 and holds 4 to ship, then 6 are shipped
      const http = await fresh(t);
      const free = async (): Promise<Json[]> => {
        const a = await http.get(`AccumulationRegister_СвободныеОстатки/Balance(Condition='Номенклатура_Key eq guid''${demo.screws.ref}''',Dimensions='Номенклатура,Склад')?$format=json`);
        assert.equal(a.status, 200, a.text);
        return a.json.value as Json[];
      };
      const before1 = await free();
      const o = await postedOrder(http, orderBody([{ product: demo.screws, qty: 10 }, { product: demo.screws, qty: 4, provision: 'Отгрузить' }]));
      const reserved = await free();
      const sale = await http.create(SALES, shipmentBody(o.Ref_Key, [{ product: demo.screws, qty: 6 }]));
      assert.equal((await http.postDoc(SALES, sale.Ref_Key)).status, 200);
      // Act
      const shipped = await free();
      // Assess
      const main = (rows: Json[]): Json | undefined => rows.find((r) => r.Склад_Key === demo.main);
      assert.deepEqual(main(before1), { Номенклатура_Key: demo.screws.ref, Склад_Key: demo.main, ВНаличииBalance: 500, ВРезервеСоСкладаBalance: 0, ВРезервеПодЗаказBalance: 0 });
      assert.deepEqual(main(reserved), { Номенклатура_Key: demo.screws.ref, Склад_Key: demo.main, ВНаличииBalance: 500, ВРезервеСоСкладаBalance: 14, ВРезервеПодЗаказBalance: 0 });
      assert.deepEqual(main(shipped), { Номенклатура_Key: demo.screws.ref, Склад_Key: demo.main, ВНаличииBalance: 494, ВРезервеСоСкладаBalance: 8, ВРезервеПодЗаказBalance: 0 });
    });

    test('pages an unconditioned Balance the way 1C pages any collection: $orderby, $top, $skip, $inlinecount; no server page size', async (t) => {
      // Prepare: a few more reserves beside the demo order's
      const http = await fresh(t);
      await postedOrder(http, orderBody([{ product: demo.makita, qty: 2 }, { product: demo.screws, qty: 5 }, { product: demo.screws, qty: 3, warehouse: demo.north }]));
      await postedOrder(http, orderBody([{ product: demo.level, qty: 1 }]));
      const set = 'AccumulationRegister_ТоварыКОтгрузке/Balance';
      const dims = "Dimensions='Склад,Номенклатура,Характеристика,ДокументОтгрузки,Получатель'";
      const orderby = 'Склад_Key,Номенклатура_Key,Характеристика_Key,ДокументОтгрузки,Получатель';
      // Act
      const whole = await http.get(`${set}(${dims})?$format=json&$orderby=${encodeURIComponent(orderby)}`);
      const pages: Json[] = [];
      let count: string | undefined;
      for (let skip = 0; ; skip += 2) {
        const page = await http.get(`${set}(${dims})?$format=json&$orderby=${encodeURIComponent(orderby)}&$top=2&$skip=${skip}&$inlinecount=allpages`);
        assert.equal(page.status, 200, page.text);
        count = page.json['odata.count'];
        pages.push(...(page.json.value as Json[]));
        if ((page.json.value as Json[]).length < 2) break;
      }
      // Assess: every row once, in the same order; the count a string, as 1C sends Int64
      assert.equal(whole.status, 200, whole.text);
      assert.equal((whole.json.value as Json[]).length, 5);
      assert.deepEqual(pages, whole.json.value);
      assert.equal(count, '5');
      assert.equal(whole.json['odata.metadata'], `${http.sandbox.baseUrl}$metadata#Collection(StandardODATA.AccumulationRegister_ТоварыКОтгрузке_Balance)`);
    });

    test('Balance sums over the Dimensions asked for, without `_Key` in their names', async (t) => {
      // Prepare
      const http = await fresh(t);
      // Act
      const a = await http.get(`AccumulationRegister_ТоварыНаСкладах/Balance(Condition='Номенклатура_Key eq guid''${demo.screws.ref}''',Dimensions='Номенклатура')?$format=json`);
      // Assess
      assert.deepEqual(a.json.value, [{ Номенклатура_Key: demo.screws.ref, ВНаличииBalance: 700, КОтгрузкеBalance: 0 }]);
    });

    test('Balance takes Period (balances before that moment) and parameters from the query string too', async (t) => {
      // Prepare
      const http = await fresh(t);
      // Act
      const before1 = await http.get(`AccumulationRegister_ТоварыНаСкладах/Balance(Period=datetime'2025-01-01T00:00:00',Condition='Номенклатура_Key eq guid''${demo.bosch.ref}''')?$format=json`);
      const viaQuery = await http.get(`AccumulationRegister_ТоварыНаСкладах/Balance?$format=json&Condition=${encodeURIComponent(`Номенклатура_Key eq guid'${demo.bosch.ref}'`)}&Dimensions=${encodeURIComponent('Номенклатура')}`);
      // Assess
      assert.deepEqual(before1.json.value, []);
      assert.deepEqual(viaQuery.json.value, [{ Номенклатура_Key: demo.bosch.ref, ВНаличииBalance: 52, КОтгрузкеBalance: 0 }]);
    });

    test('stockScale multiplies the opening stock, so many more orders can reserve', async (t) => {
      // Prepare
      const { sandbox, http } = await startSandbox({ stockScale: 100 });
      t.after(() => sandbox.close());
      // Act
      const level = await http.onHand(demo.level.ref, demo.main);
      const o = await http.create(ORDERS, orderBody([{ product: demo.level, qty: 250 }]));
      const post = await http.postDoc(ORDERS, o.Ref_Key);
      // Assess
      assert.equal(level, 300, 'the demo base has 3 levels at the main warehouse');
      assert.equal(post.status, 200, post.text);
      assert.equal(await http.reservedBy(o.Ref_Key, demo.level.ref), 250);
      await assert.rejects(startSandbox({ stockScale: 0.5 }), RangeError);
    });

    test('Balance without Condition answers (no extra delay) and is flagged in the stats', async (t) => {
      // Prepare
      const { sandbox, http } = await startSandbox();
      t.after(() => sandbox.close());
      // Act
      const a = await http.get('AccumulationRegister_ТоварыНаСкладах/Balance?$format=json');
      const withCondition = await http.get(`AccumulationRegister_ТоварыНаСкладах/Balance(Condition='Номенклатура_Key eq guid''${demo.bosch.ref}''')?$format=json`);
      // Assess
      assert.equal(a.status, 200);
      assert.ok(a.json.value.length > 10);
      assert.equal(withCondition.status, 200);
      const flagged = sandbox.stats.requests.filter((r) => r.warning === 'balance-without-condition');
      assert.equal(flagged.length, 1);
      assert.equal(flagged[0]!.entitySet, 'AccumulationRegister_ТоварыНаСкладах');
    });

    test('the balance timing model counts the records a Balance sums: those its Condition admits, all of them without one', async (t) => {
      // Prepare
      const { sandbox, http } = await startSandbox();
      t.after(() => sandbox.close());
      // Act
      await http.get('AccumulationRegister_ТоварыНаСкладах/Balance?$format=json');
      await http.get(`AccumulationRegister_ТоварыНаСкладах/Balance(Condition='Склад_Key eq guid''${demo.north}''')?$format=json`);
      await http.get(`AccumulationRegister_ТоварыНаСкладах/Balance(Condition='Склад_Key eq guid''${demo.main}''')?$format=json`);
      // Assess
      const [all, north, main] = sandbox.stats.requests.map((r) => r.balanceRecords ?? -1);
      assert.ok(north! > 0 && main! > 0, `${north} / ${main}`);
      assert.equal(north! + main!, all, 'the two warehouses share the register between them');
      assert.ok(north! < all!, 'a Condition on a warehouse sums fewer records than none');
    });

    test('Balance answers code 14 for a bad Condition and code 6 for an unknown dimension or parameter', async (t) => {
      // Prepare
      const http = await fresh(t);
      // Act
      const syntax = await http.get("AccumulationRegister_ТоварыНаСкладах/Balance(Condition='Номенклатура_Key eq')?$format=json");
      const field = await http.get("AccumulationRegister_ТоварыНаСкладах/Balance(Condition='Покупатель eq 1')?$format=json");
      const resource = await http.get("AccumulationRegister_ТоварыНаСкладах/Balance(Condition='ВНаличии gt 1')?$format=json");
      const dim = await http.get("AccumulationRegister_ТоварыНаСкладах/Balance(Dimensions='Покупатель')?$format=json");
      const param = await http.get("AccumulationRegister_ТоварыНаСкладах/Balance(Условие='x')?$format=json");
      const fn = await http.get('AccumulationRegister_ТоварыНаСкладах/Turnovers?$format=json');
      // Assess
      assert.deepEqual([syntax.status, syntax.json['odata.error'].code], [400, '14']);
      for (const a of [field, resource, dim, param, fn]) assert.deepEqual([a.status, a.json['odata.error'].code], [400, '6'], a.text);
    });
  });
});
