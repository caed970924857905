/**
 * The demo base: the supplier of local/demo/supplier.ts as a UT 11 base — organization,
 * warehouses, users, partners and counterparties (with the branch as a separate subdivision),
 * both agreements and buyer 3003's contract, products with variants and opening stock, cancel
 * reasons, and one order entered directly in 1C (posted, reserving the Bosch drill).
 */
import { bulkProducts, demoBuyers, demoOneC, demoOneCOrders, demoProducts } from '#local/demo/supplier';
import { EMPTY_REF, NS, ORDER_SET, registerByName, type EntityDef } from './model.ts';
import type { OneCBase } from './base.ts';
import { STOCK, type Engine } from './engine.ts';
import { round, type Rec, type Row } from './values.ts';

const ORG = demoOneC.organization;
const W = demoOneC.warehouses;

/** Fixed ids of seeded objects that supplier.ts does not name. */
export const seedIds = {
  exchangeUser: '5a1f0e2c-1c7b-11ef-9a30-0800270bc622',
  contract3003: demoBuyers.find((b) => b.contractRef)!.contractRef!,
  units: {
    шт: 'bd72d8fb-55bc-11d9-848a-00112f43529a',
    уп: 'bd72d8fc-55bc-11d9-848a-00112f43529a',
    пар: 'bd72d8fd-55bc-11d9-848a-00112f43529a',
  } as Record<string, string>,
  /** Recorder of the opening stock: a document type the publication does not expose */
  openingStock: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc6ff', type: 'UnavailableEntities.UnavailableEntity_8f1d3b2a-6c44-4b8e-9a7e-2f51c0a9d001', date: '2025-01-09T09:00:00' },
} as const;

const vatByRate = (rate: number): string =>
  rate === 20 ? demoOneC.vatRates.vat20.ref : rate === 10 ? demoOneC.vatRates.vat10.ref : demoOneC.vatRates.none.ref;

/** `stockScale` multiplies every opening stock quantity (default 1; benchmarks that export thousands of orders raise it). */
export function seedDemo(base: OneCBase, engine: Engine, options: { stockScale?: number; extraProducts?: number } = {}): void {
  const stockScale = options.stockScale ?? 1;
  const def = (set: string): EntityDef => base.def(set)!;
  const put = (set: string, values: Rec): Rec => base.insert(def(set), values);

  put('Catalog_Организации', {
    Ref_Key: ORG.ref, Description: ORG.name, Code: '000000001', НаименованиеПолное: 'Общество с ограниченной ответственностью "Торговый дом Альфа"',
    НаименованиеСокращенное: ORG.name, ИНН: ORG.inn, КПП: ORG.kpp, ОГРН: '1157746123456', Префикс: 'ТД', ЮридическоеФизическоеЛицо: 'ЮридическоеЛицо',
  });
  for (const [i, w] of [W.main, W.north].entries()) {
    put('Catalog_Склады', { Ref_Key: w.ref, Description: w.name, Code: `0000000000${i + 1}`, ТипСклада: 'ОптовыйСклад', КонтролироватьОперативныеОстатки: true });
  }
  put('Catalog_Пользователи', { Ref_Key: demoOneC.manager.ref, Description: demoOneC.manager.name });
  put('Catalog_Пользователи', { Ref_Key: seedIds.exchangeUser, Description: demoOneC.login, Служебный: true, Комментарий: 'Пользователь для обмена по OData' });
  put('Catalog_Валюты', {
    Ref_Key: demoOneC.currency.ref, Description: demoOneC.currency.name, Code: demoOneC.currency.code, НаименованиеПолное: 'Российский рубль',
    ПараметрыПрописи: 'рубль, рубля, рублей, м, копейка, копейки, копеек, ж, 2', СпособУстановкиКурса: 'РучнойВвод',
  });
  for (const pt of [demoOneC.priceTypes.wholesale, demoOneC.priceTypes.retail]) {
    put('Catalog_ВидыЦен', {
      Ref_Key: pt.ref, Description: pt.name, ВалютаЦены_Key: demoOneC.currency.ref, ЦенаВключаетНДС: true, Статус: 'Действует',
      ИспользоватьПриПродаже: true, СпособЗаданияЦены: 'Вручную', Идентификатор: pt === demoOneC.priceTypes.wholesale ? 'Оптовая' : 'Розничная',
    });
  }
  for (const [name, v] of Object.entries({ НДС20: demoOneC.vatRates.vat20, НДС10: demoOneC.vatRates.vat10, БезНДС: demoOneC.vatRates.none })) {
    put('Catalog_СтавкиНДС', {
      Ref_Key: v.ref, Predefined: true, PredefinedDataName: name, Description: v.name, Ставка: v.rate,
      ПеречислениеСтавкаНДС: name, НеОблагается: v.rate === 0,
    });
  }
  for (const [i, r] of Object.values(demoOneC.cancelReasons).entries()) {
    put('Catalog_ПричиныОтменыЗаказовКлиентов', { Ref_Key: r.ref, Description: r.name, Code: String(i + 1).padStart(9, '0') });
  }
  base.setCounter('Catalog_ПричиныОтменыЗаказовКлиентов#code', Object.keys(demoOneC.cancelReasons).length);

  // Partners, counterparties (the 3002 branch is a subdivision of 3001's counterparty), contract.
  const head = demoBuyers[0]!;
  for (const [i, b] of demoBuyers.entries()) {
    put('Catalog_Партнеры', {
      Ref_Key: b.partnerRef, Description: b.name, Code: `ТД-${String(i + 1).padStart(8, '0')}`, НаименованиеПолное: b.legalName, Клиент: true,
      ЮрФизЛицо: b.kpp ? 'Компания' : 'ЧастноеЛицо', ОсновнойМенеджер_Key: demoOneC.manager.ref, ДатаРегистрации: '2024-03-01T00:00:00',
    });
    const branch = b.inn === head.inn && b !== head;
    const entrepreneur = b.inn.length === 12;
    put('Catalog_Контрагенты', {
      Ref_Key: b.counterpartyRef, Description: b.legalName, НаименованиеПолное: b.legalName, ИНН: b.inn, КПП: b.kpp, Партнер_Key: b.partnerRef,
      ОбособленноеПодразделение: branch, ГоловнойКонтрагент_Key: branch ? head.counterpartyRef : b.counterpartyRef,
      ЮридическоеФизическоеЛицо: entrepreneur ? 'ИндивидуальныйПредприниматель' : branch ? 'ОбособленноеПодразделение' : 'ЮридическоеЛицо',
      ЮрФизЛицо: entrepreneur ? 'ИндивидуальныйПредприниматель' : 'ЮрЛицо', СтранаРегистрации_Key: '26093578-c180-11e4-a7a9-000d884fd00d',
    });
  }
  const b3003 = demoBuyers.find((b) => b.contractRef)!;
  put('Catalog_ДоговорыКонтрагентов', {
    Ref_Key: seedIds.contract3003, Description: 'Договор поставки № 15/24 от 10.01.2024', Номер: '15/24', Дата: '2024-01-10T00:00:00',
    НаименованиеДляПечати: 'Договор поставки № 15/24 от 10.01.2024', Организация_Key: ORG.ref, Контрагент_Key: b3003.counterpartyRef,
    Партнер_Key: b3003.partnerRef, ВалютаВзаиморасчетов_Key: demoOneC.currency.ref, ТипДоговора: 'СПокупателем',
    ХозяйственнаяОперация: 'РеализацияКлиенту', ПорядокРасчетов: 'ПоДоговорамКонтрагентов', НалогообложениеНДС: 'ПродажаОблагаетсяНДС',
    Статус: 'Действует', Согласован: true, ДатаНачалаДействия: '2024-01-10T00:00:00', ДатаОкончанияДействия: '2026-12-31T00:00:00',
    ЦенаВключаетНДС: true, Менеджер_Key: demoOneC.manager.ref,
  });
  const agreementCommon = {
    Организация_Key: ORG.ref, Валюта_Key: demoOneC.currency.ref, ВидЦен_Key: demoOneC.priceTypes.wholesale.ref, ЦенаВключаетНДС: true,
    НалогообложениеНДС: 'ПродажаОблагаетсяНДС', Статус: 'Действует', Согласован: true, ХозяйственнаяОперация: 'РеализацияКлиенту',
    ДатаНачалаДействия: '2024-01-01T00:00:00', Склад_Key: W.main.ref, Менеджер_Key: demoOneC.manager.ref,
  };
  put('Catalog_СоглашенияСКлиентами', {
    ...agreementCommon, Ref_Key: demoOneC.agreements.standard.ref, Description: demoOneC.agreements.standard.name, Code: '00000000001',
    Номер: 'ТД00-000001', Дата: '2024-01-01T00:00:00', ПорядокРасчетов: 'ПоЗаказам', ИспользуютсяДоговорыКонтрагентов: false, Типовое: true,
  });
  put('Catalog_СоглашенияСКлиентами', {
    ...agreementCommon, Ref_Key: demoOneC.agreements.contract.ref, Description: demoOneC.agreements.contract.name, Code: '00000000002',
    Номер: 'ТД00-000002', Дата: '2024-01-10T00:00:00', Партнер_Key: b3003.partnerRef, Контрагент_Key: b3003.counterpartyRef,
    ПорядокРасчетов: 'ПоДоговорамКонтрагентов', ИспользуютсяДоговорыКонтрагентов: true, Типовое: false,
  });

  // Products, variants and opening stock.
  for (const [unit, ref] of Object.entries(seedIds.units)) base.unitNames.set(ref, unit);
  const stockReg = registerByName.get(STOCK)!;
  const opening: Rec[] = [];
  const addStock = (product: string, variant: string, perWarehouse: Readonly<Record<string, number>>): void => {
    for (const [warehouse, qty] of Object.entries(perWarehouse)) {
      const m: Rec = {
        Recorder: seedIds.openingStock.ref, Recorder_Type: seedIds.openingStock.type, Period: seedIds.openingStock.date,
        LineNumber: opening.length + 1, Active: true, RecordType: 'Receipt',
      };
      for (const f of [...stockReg.dimensions, ...stockReg.resources, ...stockReg.attributes]) m[f.name] = f.kind === 'Guid' ? EMPTY_REF : f.kind === 'Boolean' ? false : 0;
      Object.assign(m, { Номенклатура_Key: product, Характеристика_Key: variant, Склад_Key: warehouse, ВНаличии: qty * stockScale, КонтролироватьОстатки: true });
      opening.push(m);
    }
  };
  for (const [i, p] of [...demoProducts, ...bulkProducts(options.extraProducts ?? 0)].entries()) {
    put('Catalog_Номенклатура', {
      Ref_Key: p.ref, Description: p.name, Code: `ТД-${String(i + 1).padStart(8, '0')}`, Артикул: p.sku, НаименованиеПолное: p.name,
      ЕдиницаИзмерения_Key: seedIds.units[p.unit] ?? seedIds.units.шт!, ИспользованиеХарактеристик: p.variants ? 'ИндивидуальныеДляНоменклатуры' : 'НеИспользовать',
      СтавкаНДС_Key: vatByRate(p.vatRate), ТипНоменклатуры: 'Товар', Качество: 'Новый', КодДляПоиска: p.sku, ВариантОформленияПродажи: 'РеализацияТоваровУслуг',
      ВладелецХарактеристик_Key: p.variants ? p.ref : EMPTY_REF, КоэффициентЕдиницыДляОтчетов: 1, Принципал_Type: `${NS}.Undefined`, Контрагент_Type: `${NS}.Undefined`,
    });
    for (const v of p.variants ?? []) {
      put('Catalog_ХарактеристикиНоменклатуры', {
        Ref_Key: v.ref, Description: v.name, Owner: p.ref, Owner_Type: `${NS}.Catalog_Номенклатура`, НаименованиеПолное: `${p.name}, ${v.name}`,
      });
      addStock(p.ref, v.ref, v.stock);
    }
    if (p.stock) addStock(p.ref, EMPTY_REF, p.stock);
  }
  engine.registers.set(seedIds.openingStock.ref, seedIds.openingStock.type, STOCK, opening);

  // Orders entered in 1C by a manager, posted with their reserves.
  const orderDef = def(ORDER_SET);
  for (const o of demoOneCOrders) {
    const buyer = demoBuyers.find((b) => b.goodwixId === o.buyerGoodwixId)!;
    const rows: Row[] = o.lines.map((l, i) => {
      const product = demoProducts.find((p) => p.ref === l.productRef)!;
      const price = Number(l.price);
      const sum = round(price * l.quantity, 2);
      const rate = product.vatRate;
      return {
        ...(base.emptyRow(orderDef, 'Товары', i + 1)),
        Номенклатура_Key: l.productRef, Характеристика_Key: l.variantRef ?? EMPTY_REF, КоличествоУпаковок: l.quantity, Количество: l.quantity,
        ВидЦены_Key: demoOneC.priceTypes.wholesale.ref, Цена: price, Сумма: sum, СтавкаНДС_Key: vatByRate(rate),
        СуммаНДС: round((sum * rate) / (100 + rate), 2), СуммаСНДС: sum, КодСтроки: i + 1, КлючСвязи: i + 1, Склад_Key: l.warehouseRef,
        ВариантОбеспечения: l.provision, ИдентификаторСтроки: `0c0e8a56-1c7b-11ef-9a30-0800270bd${String(i + 1).padStart(3, '0')}`,
      };
    });
    const rec = base.insert(orderDef, {
      Ref_Key: o.ref, Number: o.number, Date: o.date, Партнер_Key: buyer.partnerRef, Контрагент_Key: buyer.counterpartyRef, Организация_Key: ORG.ref,
      Соглашение_Key: demoOneC.agreements.standard.ref, Валюта_Key: demoOneC.currency.ref, Склад_Key: W.main.ref, ЦенаВключаетНДС: true,
      Менеджер_Key: demoOneC.manager.ref, Статус: o.status, Согласован: true, ДатаСогласования: `${o.date.slice(0, 10)}T00:00:00`,
      НалогообложениеНДС: 'ПродажаОблагаетсяНДС', ХозяйственнаяОперация: 'РеализацияКлиенту', ПорядокРасчетов: 'ПоЗаказам',
      СкидкиРассчитаны: true, СпособДоставки: 'Самовывоз', Автор: demoOneC.manager.ref, Автор_Type: `${NS}.Catalog_Пользователи`,
      Комментарий: 'Заказ принят по телефону', МаксимальныйКодСтроки: rows.length, Товары: rows,
      СуммаДокумента: round(rows.reduce((s, r) => s + Number(r.Сумма), 0), 2),
    });
    engine.post(orderDef, String(rec.Ref_Key), false);
  }
  base.setCounter(`${ORDER_SET}#number`, 117);
  base.setCounter('Document_РеализацияТоваровУслуг#number', 41);
}
