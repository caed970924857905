import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEntity, decodeOrder, decodeShipment, encodeEntity, encodeRows, selectFor } from '#onec/documents';
import { OneCInvalidArgumentError, OneCUnexpectedDataError } from '#onec/errors';
import { catalogSpecs, orderSpec, orderVersionFields } from '#onec/fields';
import { EMPTY_DATE, EMPTY_REF, readComposite, readers, toOneCDate, writeComposite, writeValue } from '#onec/values';

const ORDER = '8d1d7287-6240-11f1-9296-08002761f3c5';
const PRODUCT = '6b2a1d3e-1c7b-11ef-9a30-0800270bc701';
const VAT20 = '5a1f0e2c-1c7b-11ef-9a30-0800270bc651';

/** A row as 1C sends it: Int64 as strings, doubles, empty refs and dates, extra fields. */
function rawRow(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Ref_Key: ORDER, LineNumber: '1', КодСтроки: '1', ДатаОтгрузки: EMPTY_DATE,
    Номенклатура_Key: PRODUCT, Характеристика_Key: EMPTY_REF, Упаковка_Key: EMPTY_REF,
    КоличествоУпаковок: 3, Количество: 3, ВидЦены_Key: EMPTY_REF, Цена: 420.5, Сумма: 1261.5,
    УдалитьСтавкаНДС: '', СтавкаНДС_Key: VAT20, СуммаНДС: 210.25, СуммаСНДС: 1261.5,
    ПроцентРучнойСкидки: 0, СуммаРучнойСкидки: 0, ПроцентАвтоматическойСкидки: 0, СуммаАвтоматическойСкидки: 0,
    ПричинаОтмены_Key: EMPTY_REF, Отменено: false, КлючСвязи: '0', Склад_Key: EMPTY_REF, СрокПоставки: '0',
    ВариантОбеспечения: 'СоСклада', Обособленно: false, Серия_Key: EMPTY_REF, ИдентификаторСтроки: 'abc',
    ...over,
  };
}

function rawOrder(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'odata.metadata': 'http://x/trade/odata/standard.odata/$metadata#Document_ЗаказКлиента/@Element',
    Ref_Key: ORDER, DataVersion: 'AAAAAAAAAAI=', Number: 'ТД00-000001', Date: '2024-05-31T10:00:00',
    DeletionMark: false, Posted: false, Партнер_Key: '8d4c3f50-1c7b-11ef-9a30-0800270bc901',
    Контрагент_Key: '8d4c3f50-1c7b-11ef-9a30-0800270bca01', Организация_Key: '5a1f0e2c-1c7b-11ef-9a30-0800270bc601',
    Соглашение_Key: EMPTY_REF, Валюта_Key: '5a1f0e2c-1c7b-11ef-9a30-0800270bc631', СуммаДокумента: 1261.5,
    Склад_Key: EMPTY_REF, ЦенаВключаетНДС: true, Менеджер_Key: EMPTY_REF, Статус: 'КОбеспечению',
    Согласован: true, ДатаОтгрузки: EMPTY_DATE, АдресДоставки: '', НалогообложениеНДС: 'ПродажаОблагаетсяНДС',
    ХозяйственнаяОперация: 'РеализацияКлиенту', Комментарий: '', НомерПоДаннымКлиента: 'GW-100', ДатаПоДаннымКлиента: EMPTY_DATE,
    Договор_Key: EMPTY_REF, ПорядокРасчетов: 'ПоЗаказам', Автор: '', Автор_Type: 'StandardODATA.Undefined',
    Товары: [rawRow({ LineNumber: '2', КодСтроки: '5', Отменено: true }), rawRow()],
    ...over,
  };
}

describe('1C values into ours', () => {
  test('converts Int64 strings, doubles, empty refs and dates, enums', () => {
    // Act
    const order = decodeOrder(rawOrder());
    // Assess
    assert.equal(order.ref, ORDER);
    assert.equal(order.amount, '1261.50');
    assert.equal(order.agreement, null);
    assert.equal(order.shipmentDate, null);
    assert.equal(order.date, '2024-05-31T10:00:00');
    assert.equal(order.status, 'КОбеспечению');
    assert.equal(order.clientNumber, 'GW-100');
    assert.equal(order.items.length, 2);
    const [first, second] = order.items;
    assert.deepEqual([first!.lineNumber, first!.lineCode, second!.lineNumber, second!.lineCode], [1, 1, 2, 5]);
    assert.equal(first!.quantity, '3.000');
    assert.equal(first!.price, '420.50');
    assert.equal(first!.vatAmount, '210.25');
    assert.equal(first!.manualDiscountPercent, '0.00');
    assert.equal(first!.characteristic, null);
    assert.equal(first!.vatRate, VAT20);
    assert.equal(first!.provision, 'СоСклада');
    assert.equal(second!.cancelled, true);
    assert.equal('ИдентификаторСтроки' in first!, false, 'unmapped fields are not carried into our objects');
  });

  test('rounds 1C doubles to the scale of money, quantity and percent', () => {
    assert.equal(readers.money.parse(0.1 + 0.2), '0.30');
    assert.equal(readers.quantity.parse(1.0005), '1.001');
    assert.equal(readers.percent.parse(12.345), '12.35');
    assert.equal(readers.int64.parse('42'), 42);
    assert.equal(readers.int64.parse(42), 42);
  });

  test('reads composite fields as a link or null', () => {
    assert.deepEqual(readComposite(ORDER, 'StandardODATA.Document_ЗаказКлиента'), { ref: ORDER, type: 'Document_ЗаказКлиента' });
    assert.equal(readComposite('', 'StandardODATA.Undefined'), null);
    assert.equal(readComposite(EMPTY_REF, 'StandardODATA.Document_ЗаказКлиента'), null);
    assert.equal(readComposite('x', 'StandardODATA.Document_ЗаказКлиента'), undefined);
  });

  test('decodes a shipment with its order link in the header and rows', () => {
    // Prepare
    const raw = {
      Ref_Key: 'fd3520a4-ac4e-11ed-9461-90004ef3f886', DataVersion: 'AAAAAAAAAAM=', DeletionMark: false, Number: 'ТД00-000007',
      Date: '2024-06-01T12:00:00', Posted: true, Статус: 'Отгружено', ЗаказКлиента: ORDER, ЗаказКлиента_Type: 'StandardODATA.Document_ЗаказКлиента',
      Организация_Key: EMPTY_REF, Партнер_Key: EMPTY_REF, Контрагент_Key: EMPTY_REF, Соглашение_Key: EMPTY_REF, Склад_Key: EMPTY_REF, Валюта_Key: EMPTY_REF,
      ХозяйственнаяОперация: 'РеализацияКлиенту', СуммаДокумента: 840,
      Товары: [{ ...rawRow({ Количество: 2 }), ЗаказКлиента: ORDER, ЗаказКлиента_Type: 'StandardODATA.Document_ЗаказКлиента' }],
    };
    // Act
    const shipment = decodeShipment(raw);
    // Assess
    assert.deepEqual(shipment.order, { ref: ORDER, type: 'Document_ЗаказКлиента' });
    assert.equal(shipment.items[0]!.quantity, '2.000');
    assert.deepEqual(shipment.items[0]!.order, { ref: ORDER, type: 'Document_ЗаказКлиента' });
  });

  test('names the entity set and OData field when 1C sends an unexpected shape', () => {
    // Prepare
    const bad = rawOrder({ Статус: 'КВыполнению', СуммаДокумента: '12', Товары: [rawRow({ КодСтроки: 'x' })] });
    // Act / Assess
    assert.throws(() => decodeOrder(bad), (error: unknown) => {
      assert.ok(error instanceof OneCUnexpectedDataError);
      assert.match(error.message, /Document_ЗаказКлиента\.Статус/);
      assert.match(error.message, /Document_ЗаказКлиента\.СуммаДокумента/);
      assert.match(error.message, /Товары\.0\.КодСтроки/);
      return true;
    });
  });

  test('decodes a projection when only some fields were selected', () => {
    // Act
    const version = decodeEntity(orderSpec, { Ref_Key: ORDER, DataVersion: 'AAAAAAAAAAk=', Posted: true, DeletionMark: false, Статус: 'КОтгрузке' }, orderVersionFields);
    // Assess
    assert.deepEqual(version, { ref: ORDER, dataVersion: 'AAAAAAAAAAk=', posted: true, deletionMark: false, status: 'КОтгрузке' });
    assert.deepEqual(selectFor(orderSpec, orderVersionFields), ['Ref_Key', 'DataVersion', 'Posted', 'DeletionMark', 'Статус']);
  });

  test('decodes catalog items with their few fields', () => {
    const item = decodeEntity(catalogSpecs.vatRates, { Ref_Key: VAT20, Description: '20%', DeletionMark: false, Ставка: 20, НеОблагается: false, Extra: 1 });
    assert.deepEqual(item, { ref: VAT20, description: '20%', deletionMark: false, rate: '20.00', notTaxed: false });
  });
});

describe('our values into 1C', () => {
  test('writes null as the empty ref and date, decimals as numbers, Int64 as strings', () => {
    assert.equal(writeValue('ref', null, 'f'), EMPTY_REF);
    assert.equal(writeValue('date', null, 'f'), EMPTY_DATE);
    assert.equal(toOneCDate('2024-05-31'), '2024-05-31T00:00:00');
    assert.equal(writeValue('money', '5490.50', 'f'), 5490.5);
    assert.equal(writeValue('quantity', '1.500', 'f'), 1.5);
    assert.equal(writeValue('int64', 7, 'f'), '7');
    assert.equal(writeValue('enum', null, 'f'), '');
    assert.deepEqual(writeComposite({ ref: ORDER, type: 'Document_ЗаказКлиента' }, 'ЗаказКлиента', 'f'), {
      ЗаказКлиента: ORDER, ЗаказКлиента_Type: 'StandardODATA.Document_ЗаказКлиента',
    });
    assert.deepEqual(writeComposite(null, 'ЗаказКлиента', 'f'), { ЗаказКлиента: '', ЗаказКлиента_Type: 'StandardODATA.Undefined' });
  });

  test('refuses values 1C would store wrongly, naming the field', () => {
    assert.throws(() => writeValue('money', '1,5', 'Document_ЗаказКлиента_Товары.Цена'), /Товары\.Цена/);
    assert.throws(() => writeValue('ref', 'nope', 'f'), OneCInvalidArgumentError);
    assert.throws(() => writeValue('date', '31.05.2024', 'f'), OneCInvalidArgumentError);
    assert.throws(() => encodeEntity(orderSpec, { status: 'КВыполнению' }), /not one of/);
    assert.throws(() => encodeEntity(orderSpec, { number: 'X' }), /set by 1C/);
    assert.throws(() => encodeEntity(orderSpec, { unknownField: 1 }), /no field "unknownField"/);
  });

  test('refuses decimals a field of 1C cannot hold exactly, naming the field and the value', () => {
    // 1C UT 11: amounts and prices Число(15,2), quantities Число(15,3), percents Число(5,2)
    const price = 'Document_ЗаказКлиента.Товары.Цена';
    for (const [kind, value] of [
      ['money', '12345678901234567.89'], // today 12345678901234568: the kopecks and the units lost
      ['money', '9'.repeat(400)], // today Infinity, which JSON sends as null
      ['money', '10000000000000.00'], // 14 digits before the point: 1C's field has 13
      ['money', '0.001'], // a tenth of a kopeck 1C would drop
      ['quantity', '1.0005'],
      ['quantity', '1000000000000.000'],
      ['percent', '1000.00'],
      ['percent', '12.345'],
    ] as const) {
      assert.throws(() => writeValue(kind, value, price), (e: Error) => {
        assert.ok(e instanceof OneCInvalidArgumentError, `${kind} ${value}: ${e.message}`);
        assert.match(e.message, /Товары\.Цена/);
        assert.ok(e.message.includes(value.length > 40 ? value.slice(0, 20) : value), e.message);
        assert.match(e.message, /Число\(\d+,\d\)/);
        return true;
      }, `${kind} ${value.slice(0, 30)} must be refused`);
    }
    for (const value of [Number.POSITIVE_INFINITY, Number.NaN, 1e300, 0.1 + 0.2]) {
      assert.throws(() => writeValue('money', value, price), OneCInvalidArgumentError, `money ${value} must be refused`);
    }
  });

  test('writes the largest and smallest decimals a field holds exactly', () => {
    assert.equal(writeValue('money', '9999999999999.99', 'f'), 9999999999999.99);
    assert.equal(writeValue('money', '-9999999999999.99', 'f'), -9999999999999.99);
    assert.equal(writeValue('money', '0.01', 'f'), 0.01);
    assert.equal(writeValue('money', '5490.500', 'f'), 5490.5, 'zeros past the scale change nothing');
    assert.equal(writeValue('quantity', '999999999999.999', 'f'), 999999999999.999);
    assert.equal(writeValue('percent', '999.99', 'f'), 999.99);
    assert.equal(writeValue('money', 420.5, 'f'), 420.5);
  });

  test('an amount too large for its row is refused by the encoder, naming the row and the field', () => {
    const row = {
      product: PRODUCT, characteristic: null, packaging: null, packageQuantity: '1000000000.000', quantity: '1000000000.000', priceType: null,
      price: '99999999.00', amount: '99999999000000000.00', vatRate: VAT20, vatAmount: '0.00', amountWithVat: '99999999000000000.00',
      manualDiscountPercent: '0.00', manualDiscountAmount: '0.00', autoDiscountPercent: '0.00', autoDiscountAmount: '0.00',
      cancelled: false, cancelReason: null, provision: 'СоСклада' as const, warehouse: null, shipmentDate: null, separate: false,
    };
    assert.throws(() => encodeRows('Document_ЗаказКлиента', orderSpec.sections.items, [row]), /Товары\.Сумма: 99999999000000000\.00 does not fit/);
  });

  test('numbers rows 1..n, keeps given line codes and carries unmapped fields of existing rows', () => {
    // Prepare
    const row = {
      product: PRODUCT, characteristic: null, packaging: null, packageQuantity: '2.000', quantity: '2.000', priceType: null,
      price: '100.00', amount: '200.00', vatRate: VAT20, vatAmount: '33.33', amountWithVat: '200.00',
      manualDiscountPercent: '0.00', manualDiscountAmount: '0.00', autoDiscountPercent: '0.00', autoDiscountAmount: '0.00',
      cancelled: false, cancelReason: null, provision: 'СоСклада' as const, warehouse: null, shipmentDate: null, separate: false,
    };
    const base = new Map([[5, rawRow({ КодСтроки: '5', ИдентификаторСтроки: 'keep-me', 'Номенклатура@navigationLinkUrl': 'x' })]]);
    // Act
    const rows = encodeRows('Document_ЗаказКлиента', orderSpec.sections.items, [{ ...row, lineCode: 5 }, { ...row }], base);
    // Assess
    assert.equal(rows[0]!.LineNumber, '1');
    assert.equal(rows[0]!.КодСтроки, '5');
    assert.equal(rows[0]!.ИдентификаторСтроки, 'keep-me');
    assert.equal(rows[0]!.Цена, 100);
    assert.equal('Ref_Key' in rows[0]!, false);
    assert.equal('Номенклатура@navigationLinkUrl' in rows[0]!, false);
    assert.equal(rows[1]!.LineNumber, '2');
    assert.equal('КодСтроки' in rows[1]!, false);
    assert.throws(() => encodeRows('D', orderSpec.sections.items, [{ ...row, lineCode: 5 }, { ...row, lineCode: 5 }]), /appears twice/);
  });
});
