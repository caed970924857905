/**
 * The one in-code model of everything the 1C sandbox serves. `$metadata` is generated from it,
 * writes are validated against it and answers are serialised from it, so the three cannot drift.
 *
 * Property lists of Document_ЗаказКлиента, Document_РеализацияТоваровУслуг, Catalog_Контрагенты,
 * Catalog_Номенклатура (with all their tabular sections) and AccumulationRegister_ТоварыНаСкладах
 * are those of a real UT 11 publication (the recorded `$metadata`), in the same order.
 * The other catalogs and the registers ТоварыКОтгрузке and СвободныеОстатки are modelled after
 * live UT 11 bases (what public connectors that run against them read); they are not in the
 * recording, so their lists are ours (kept small but realistic).
 *
 * Field DSL: `Name:K` with K = G (Edm.Guid), S (Edm.String), D (Edm.Double), I (Edm.Int64),
 * i (Edm.Int16), B (Edm.Boolean), T (Edm.DateTime), C (composite: `Name` Edm.String plus
 * `Name_Type`); `/n` = string length (longer values are cut on write, 0 or absent = unlimited);
 * `=Enum` = the value must be a member of that enum (or empty).
 */

export type FieldKind = 'Guid' | 'String' | 'Double' | 'Int64' | 'Int16' | 'Boolean' | 'DateTime' | 'Composite';

export interface FieldDef {
  readonly name: string;
  readonly kind: FieldKind;
  /** String length; 0 = unlimited */
  readonly maxLength: number;
  /** Enum members the value must belong to (empty string always allowed) */
  readonly enumName?: string;
  /** Entity set a Guid field refers to; a navigation property is published for it */
  readonly ref?: string;
  /** Navigation property name for `ref` */
  readonly nav?: string;
}

export interface SectionDef {
  /** Tabular section name, e.g. Товары */
  readonly name: string;
  /** e.g. Document_ЗаказКлиента_Товары_RowType */
  readonly rowType: string;
  /** Row fields without Ref_Key and LineNumber */
  readonly fields: readonly FieldDef[];
  /** Register record sets: rows carry their own fields only (no owner Ref_Key / LineNumber added) */
  readonly plainRows?: boolean;
}

export type EntityKind = 'Catalog' | 'Document' | 'AccumulationRegister';

export interface EntityDef {
  /** Entity set and entity type name, e.g. Document_ЗаказКлиента */
  readonly set: string;
  readonly kind: EntityKind;
  /** For objects: every header field in `$metadata` order, Ref_Key first */
  readonly fields: readonly FieldDef[];
  readonly sections: readonly SectionDef[];
  /** Human name used in 1C messages, e.g. "Заказ клиента" */
  readonly title: string;
}

export interface RegisterDef {
  /** AccumulationRegister_ТоварыНаСкладах */
  readonly set: string;
  readonly name: string;
  readonly dimensions: readonly FieldDef[];
  readonly resources: readonly FieldDef[];
  /** Other record fields between the resources and Recorder_Type */
  readonly attributes: readonly FieldDef[];
}

export const NS = 'StandardODATA';
export const EMPTY_REF = '00000000-0000-0000-0000-000000000000';
export const EMPTY_DATE = '0001-01-01T00:00:00';
export const UNDEFINED_TYPE = `${NS}.Undefined`;

export const ENUMS: Readonly<Record<string, readonly string[]>> = {
  СтатусыЗаказовКлиентов: ['НеСогласован', 'КОбеспечению', 'КОтгрузке', 'Закрыт'],
  ВариантыОбеспечения: ['Отгрузить', 'СоСклада', 'РезервироватьПоМереПоступления', 'КОбеспечению', 'НеТребуется', 'ПереданРанее'],
  ПорядокРасчетов: ['ПоДоговорамКонтрагентов', 'ПоЗаказам', 'ПоДоговорамНакладным', 'ПоЗаказамНакладным', 'ПоНакладным'],
  СтатусыСоглашенийСКлиентами: ['НеСогласовано', 'Действует', 'Закрыто'],
  СтатусыДоговоровКонтрагентов: ['НеСогласован', 'Действует', 'Закрыт'],
  СтатусыРеализацийТоваровУслуг: ['Отгружено', 'ВПути', 'КПредоплате', 'КОтгрузке'],
  AccumulationRecordType: ['Receipt', 'Expense'],
};

/** Which catalog a `<Name>_Key` field points to, by field name (Parent_Key: the catalog itself). */
const REF_TARGETS: Readonly<Record<string, string>> = {
  Партнер_Key: 'Catalog_Партнеры',
  КлиентПартнер_Key: 'Catalog_Партнеры',
  Контрагент_Key: 'Catalog_Контрагенты',
  КлиентКонтрагент_Key: 'Catalog_Контрагенты',
  Грузоотправитель_Key: 'Catalog_Контрагенты',
  Грузополучатель_Key: 'Catalog_Контрагенты',
  ГоловнойКонтрагент_Key: 'Catalog_Контрагенты',
  ПроизводительИмпортерКонтрагент_Key: 'Catalog_Контрагенты',
  Организация_Key: 'Catalog_Организации',
  Соглашение_Key: 'Catalog_СоглашенияСКлиентами',
  Договор_Key: 'Catalog_ДоговорыКонтрагентов',
  КлиентДоговор_Key: 'Catalog_ДоговорыКонтрагентов',
  Валюта_Key: 'Catalog_Валюты',
  ВалютаВзаиморасчетов_Key: 'Catalog_Валюты',
  ВалютаЦены_Key: 'Catalog_Валюты',
  Склад_Key: 'Catalog_Склады',
  Менеджер_Key: 'Catalog_Пользователи',
  Автор_Key: 'Catalog_Пользователи',
  ОсновнойМенеджер_Key: 'Catalog_Пользователи',
  Номенклатура_Key: 'Catalog_Номенклатура',
  НоменклатураНабора_Key: 'Catalog_Номенклатура',
  НоменклатураМногооборотнаяТара_Key: 'Catalog_Номенклатура',
  ЧастичноеВыбытиеНоменклатура_Key: 'Catalog_Номенклатура',
  Характеристика_Key: 'Catalog_ХарактеристикиНоменклатуры',
  ВидЦены_Key: 'Catalog_ВидыЦен',
  ВидЦен_Key: 'Catalog_ВидыЦен',
  СтавкаНДС_Key: 'Catalog_СтавкиНДС',
  ПричинаОтмены_Key: 'Catalog_ПричиныОтменыЗаказовКлиентов',
};

const KIND_CODES: Readonly<Record<string, FieldKind>> = {
  G: 'Guid', S: 'String', D: 'Double', I: 'Int64', i: 'Int16', B: 'Boolean', T: 'DateTime', C: 'Composite',
};

/** Parses the field DSL. `self` resolves Parent_Key to the catalog itself. */
function fields(spec: string, self?: string): FieldDef[] {
  return spec.trim().split(/\s+/).map((token) => {
    const m = /^([^:]+):([GSDIiBTC])(?:\/(\d+))?(?:=(\S+))?$/u.exec(token);
    if (!m) throw new Error(`bad field spec ${token}`);
    const [, name, code, len, enumName] = m as unknown as [string, string, string, string | undefined, string | undefined];
    const kind = KIND_CODES[code]!;
    if (enumName && !ENUMS[enumName]) throw new Error(`unknown enum ${enumName}`);
    let ref: string | undefined;
    if (kind === 'Guid') ref = name === 'Parent_Key' ? self : REF_TARGETS[name];
    return {
      name,
      kind,
      maxLength: len ? Number(len) : 0,
      ...(enumName ? { enumName } : {}),
      ...(ref ? { ref, nav: name.slice(0, -'_Key'.length) } : {}),
    };
  });
}

function section(owner: string, name: string, spec: string): SectionDef {
  return { name, rowType: `${owner}_${name}_RowType`, fields: fields(spec) };
}

// ---------------------------------------------------------------------------------------------
// Document_ЗаказКлиента (real UT 11 property list)

const ORDER = 'Document_ЗаказКлиента';
const orderDef: EntityDef = {
  set: ORDER,
  kind: 'Document',
  title: 'Заказ клиента',
  fields: fields(`
    Ref_Key:G DataVersion:S Number:S/11 Date:T DeletionMark:B Posted:B Партнер_Key:G Контрагент_Key:G
    Организация_Key:G Соглашение_Key:G Сделка_Key:G Валюта_Key:G СуммаДокумента:D ГрафикОплаты_Key:G Склад_Key:G
    ЦенаВключаетНДС:B Менеджер_Key:G ДополнительнаяИнформация:S ДокументОснование:C НеОтгружатьЧастями:B
    Статус:S=СтатусыЗаказовКлиентов МаксимальныйКодСтроки:I ДатаСогласования:T Согласован:B ФормаОплаты:S
    БанковскийСчет_Key:G БанковскийСчетКонтрагента_Key:G Касса_Key:G СуммаАвансаДоОбеспечения:D
    СуммаПредоплатыДоОтгрузки:D ДатаОтгрузки:T АдресДоставки:S/1024 НалогообложениеНДС:S СкидкиРассчитаны:B
    ХозяйственнаяОперация:S Комментарий:S НомерПоДаннымКлиента:S/30 ДатаПоДаннымКлиента:T Грузоотправитель_Key:G
    Грузополучатель_Key:G БанковскийСчетГрузоотправителя_Key:G БанковскийСчетГрузополучателя_Key:G
    ГруппаФинансовогоУчета_Key:G КартаЛояльности_Key:G Договор_Key:G Подразделение_Key:G Автор:C
    ПорядокРасчетов:S=ПорядокРасчетов Назначение_Key:G СпособДоставки:S ПеревозчикПартнер_Key:G ЗонаДоставки_Key:G
    ВремяДоставкиС:T ВремяДоставкиПо:T АдресДоставкиПеревозчика:S/1024 АдресДоставкиЗначенияПолей:S
    АдресДоставкиПеревозчикаЗначенияПолей:S ДополнительнаяИнформацияПоДоставке:S КонтактноеЛицо_Key:G
    Руководитель_Key:G ГлавныйБухгалтер_Key:G ВернутьМногооборотнуюТару:B СрокВозвратаМногооборотнойТары:i
    СостояниеЗаполненияМногооборотнойТары:S СуммаВозвратнойТары:D НазначениеПлатежа:S/210 ТребуетсяЗалогЗаТару:B
    Приоритет_Key:G ИдентификаторПлатежа:S/20 ОсобыеУсловияПеревозки:B ОсобыеУсловияПеревозкиОписание:S
    НаправлениеДеятельности_Key:G УдалитьПорядокОплаты:S ОплатаВВалюте:B ОбъектРасчетов_Key:G Сборщик_Key:G
    Курьер_Key:G АдресДоставкиЗначение:S АдресДоставкиПеревозчикаЗначение:S ЭтапГосконтрактаЕИС:S ЭтоЗаказКакСчет:B
  `),
  sections: [
    section(ORDER, 'Товары', `
      ДатаОтгрузки:T Номенклатура_Key:G Характеристика_Key:G Упаковка_Key:G КоличествоУпаковок:D Количество:D
      ВидЦены_Key:G Цена:D Сумма:D УдалитьСтавкаНДС:S СтавкаНДС_Key:G СуммаНДС:D СуммаСНДС:D ПроцентРучнойСкидки:D
      СуммаРучнойСкидки:D ПроцентАвтоматическойСкидки:D СуммаАвтоматическойСкидки:D ПричинаОтмены_Key:G КодСтроки:I
      Отменено:B КлючСвязи:I Склад_Key:G СрокПоставки:I Содержание:S/1024 СтатусУказанияСерий:i
      ВариантОбеспечения:S=ВариантыОбеспечения Серия_Key:G НоменклатураНабора_Key:G Обособленно:B
      ХарактеристикаНабора_Key:G ИдентификаторСтроки:S/36 ВариантОбеспеченияДоИзмененияОбновлениемИБ:S
      Подразделение_Key:G НоменклатураПартнера_Key:G СуммаБонусныхБалловКСписанию:D
      СуммаБонусныхБалловКСписаниюВВалюте:D СуммаНачисленныхБонусныхБалловВВалюте:D
    `),
    section(ORDER, 'ЭтапыГрафикаОплаты', `
      ВариантОплаты:S ДатаПлатежа:T ПроцентПлатежа:D СуммаПлатежа:D ПроцентЗалогаЗаТару:D СуммаЗалогаЗаТару:D
      СуммаОтклоненияМерныхТоваров:D Сдвиг:I ВариантОтсчета:S
    `),
    section(ORDER, 'СкидкиНаценки', 'КлючСвязи:I СкидкаНаценка_Key:G Сумма:D НапомнитьПозже:B'),
    section(ORDER, 'НачислениеБонусныхБаллов', 'КлючСвязи:I БонуснаяПрограммаЛояльности_Key:G ДатаНачисления:T ДатаСписания:T СуммаБонусныхБаллов:D'),
    section(ORDER, 'ДополнительныеРеквизиты', 'Свойство_Key:G Значение:C ТекстоваяСтрока:S'),
  ],
};

// ---------------------------------------------------------------------------------------------
// Document_РеализацияТоваровУслуг (real UT 11 property list)

const SALE = 'Document_РеализацияТоваровУслуг';
const saleDef: EntityDef = {
  set: SALE,
  kind: 'Document',
  title: 'Реализация товаров и услуг',
  fields: fields(`
    Ref_Key:G DataVersion:S Number:S/11 Date:T DeletionMark:B Posted:B АдресДоставки:S/1024
    БанковскийСчетОрганизации_Key:G БанковскийСчетКонтрагента_Key:G БанковскийСчетГрузоотправителя_Key:G
    БанковскийСчетГрузополучателя_Key:G Валюта_Key:G ВалютаВзаиморасчетов_Key:G Грузоотправитель_Key:G
    Грузополучатель_Key:G УдалитьДатаРаспоряжения:T ДоверенностьВыдана:S/120 ДоверенностьДата:T ДоверенностьЛицо:S/100
    ДоверенностьНомер:S/30 ЗаказКлиента:C Организация_Key:G Контрагент_Key:G Менеджер_Key:G НалогообложениеНДС:S
    СуммаДокумента:D Партнер_Key:G Подразделение_Key:G Сделка_Key:G СкидкиРассчитаны:B Склад_Key:G Согласован:B
    Соглашение_Key:G СуммаВзаиморасчетов:D Комментарий:S ФормаОплаты:S ХозяйственнаяОперация:S ЦенаВключаетНДС:B
    Касса_Key:G Отпустил_Key:G ОтпустилДолжность:S/100 РеализацияПоЗаказам:B ГруппаФинансовогоУчета_Key:G
    КартаЛояльности_Key:G Договор_Key:G Основание:S/1024 Статус:S=СтатусыРеализацийТоваровУслуг Автор_Key:G
    СпособДоставки:S ЗонаДоставки_Key:G АдресДоставкиЗначенияПолей:S ПеревозчикПартнер_Key:G ВремяДоставкиС:T
    ВремяДоставкиПо:T АдресДоставкиПеревозчика:S/1024 АдресДоставкиПеревозчикаЗначенияПолей:S
    ДополнительнаяИнформацияПоДоставке:S КонтактноеЛицо_Key:G Руководитель_Key:G ГлавныйБухгалтер_Key:G
    ПорядокРасчетов:S=ПорядокРасчетов ВернутьМногооборотнуюТару:B ДатаВозвратаМногооборотнойТары:T
    СостояниеЗаполненияМногооборотнойТары:S ВидыЗапасовУказаныВручную:B ТребуетсяЗалогЗаТару:B ОснованиеДата:T
    ОснованиеНомер:S/40 ДопоставкаПоРеализации:C ДатаПереходаПраваСобственности:T ВариантОформленияПродажи:S
    ИдентификаторПлатежа:S/20 ОсобыеУсловияПеревозки:B ОсобыеУсловияПеревозкиОписание:S НаправлениеДеятельности_Key:G
    КурсЧислитель:D КурсЗнаменатель:D УдалитьПорядокОплаты:S ЕстьМаркируемаяПродукцияГИСМ:B
    УдалитьЕстьАлкогольнаяПродукцияДляРеализацииРозницаЕГАИС:B СуммаВзаиморасчетовПоТаре:D ОплатаВВалюте:B
    Курьер_Key:G Сборщик_Key:G АдресДоставкиЗначение:S АдресДоставкиПеревозчикаЗначение:S
    ВариантВыбытияМаркируемойПродукции:S КлиентКонтрагент_Key:G КлиентПартнер_Key:G КлиентДоговор_Key:G
    ЭтапГосконтрактаЕИС:S ОбъектРасчетовУпр_Key:G
  `),
  sections: [
    section(SALE, 'Товары', `
      Номенклатура_Key:G Характеристика_Key:G Назначение_Key:G Упаковка_Key:G КоличествоУпаковок:D Количество:D
      ВидЦены_Key:G Цена:D Сумма:D УдалитьСтавкаНДС:S СтавкаНДС_Key:G СуммаНДС:D СуммаСНДС:D КодСтроки:I
      СуммаРучнойСкидки:D СуммаАвтоматическойСкидки:D ПроцентРучнойСкидки:D ПроцентАвтоматическойСкидки:D
      КлючСвязи:I Склад_Key:G СтатусУказанияСерий:i СуммаВзаиморасчетов:D ЗаказКлиента:C СрокПоставки:I
      ИдентификаторСтроки:S/36 Серия_Key:G АналитикаУчетаНоменклатуры_Key:G НоменклатураНабора_Key:G
      ХарактеристикаНабора_Key:G АналитикаУчетаНаборов_Key:G КодТНВЭД_Key:G ОбъектРасчетов_Key:G Подразделение_Key:G
      НоменклатураПартнера_Key:G СуммаБонусныхБалловКСписанию:D СуммаБонусныхБалловКСписаниюВВалюте:D
      СуммаНачисленныхБонусныхБалловВВалюте:D
    `),
    section(SALE, 'СкидкиНаценки', 'КлючСвязи:I СкидкаНаценка_Key:G Сумма:D НапомнитьПозже:B'),
    section(SALE, 'ВидыЗапасов', `
      АналитикаУчетаНоменклатуры_Key:G ВидЗапасов_Key:G НомерГТД_Key:G Упаковка_Key:G КоличествоУпаковок:D
      Количество:D КоличествоПоРНПТ:D УдалитьСтавкаНДС:S СуммаСНДС:D СтавкаНДС_Key:G СуммаНДС:D ИдентификаторСтроки:S/36
      СуммаВзаиморасчетов:D ЗаказКлиента:C СуммаРучнойСкидки:D СуммаАвтоматическойСкидки:D АналитикаУчетаНаборов_Key:G
      Цена:D ВидЗапасовПолучателя_Key:G ОбъектРасчетов_Key:G КодТНВЭД_Key:G
    `),
    section(SALE, 'ДополнительныеРеквизиты', 'Свойство_Key:G Значение:C ТекстоваяСтрока:S'),
    section(SALE, 'РасшифровкаПлатежа', 'УдалитьЗаказ:C Сумма:D ВалютаВзаиморасчетов_Key:G СуммаВзаиморасчетов:D ОбъектРасчетов_Key:G'),
    section(SALE, 'Серии', 'Серия_Key:G Количество:D Номенклатура_Key:G Характеристика_Key:G Назначение_Key:G Склад_Key:G'),
    section(SALE, 'ЭтапыГрафикаОплаты', `
      Заказ:C СверхЗаказа:B ВариантОплаты:S ДатаПлатежа:T Сдвиг:I СуммаПлатежа:D ПроцентПлатежа:D
      СуммаЗалогаЗаТару:D ПроцентЗалогаЗаТару:D СуммаВзаиморасчетов:D СуммаВзаиморасчетовПоТаре:D
      ОбъектРасчетов_Key:G ВариантОтсчета:S
    `),
    section(SALE, 'ШтрихкодыУпаковок', `
      ШтрихкодУпаковки_Key:G ЧастичноеВыбытиеКоличество:D ЧастичноеВыбытиеВариантУчета:S
      ЧастичноеВыбытиеНоменклатура_Key:G ЧастичноеВыбытиеХарактеристика_Key:G
    `),
    section(SALE, 'НачислениеБонусныхБаллов', 'КлючСвязи:I БонуснаяПрограммаЛояльности_Key:G ДатаНачисления:T ДатаСписания:T СуммаБонусныхБаллов:D'),
  ],
};

// ---------------------------------------------------------------------------------------------
// Catalogs with real property lists

const COUNTERPARTIES = 'Catalog_Контрагенты';
const counterpartyDef: EntityDef = {
  set: COUNTERPARTIES,
  kind: 'Catalog',
  title: 'Контрагенты',
  fields: fields(`
    Ref_Key:G Predefined:B PredefinedDataName:S DataVersion:S Description:S/100 DeletionMark:B НаименованиеПолное:S
    ОбособленноеПодразделение:B ЮридическоеФизическоеЛицо:S СтранаРегистрации_Key:G ГоловнойКонтрагент_Key:G ИНН:S/12
    КПП:S/9 ДополнительнаяИнформация:S Партнер_Key:G ЮрФизЛицо:S НДСПоСтавкам4и2:B КодПоОКПО:S/10
    РегистрационныйНомер:S/50 НалоговыйНомер:S/50 НаименованиеМеждународное:S/100
  `),
  sections: [
    section(COUNTERPARTIES, 'КонтактнаяИнформация', `
      Тип:S Вид_Key:G Представление:S ЗначенияПолей:S Страна:S/100 Регион:S/50 Город:S/50 АдресЭП:S/100
      ДоменноеИмяСервера:S/100 НомерТелефона:S/20 НомерТелефонаБезКодов:S/20 ВидДляСписка_Key:G ДействуетС:T Значение:S
    `),
    section(COUNTERPARTIES, 'ДополнительныеРеквизиты', 'Свойство_Key:G Значение:C ТекстоваяСтрока:S'),
    section(COUNTERPARTIES, 'ИсторияКПП', 'Период:T КПП:S/9'),
    section(COUNTERPARTIES, 'ИсторияНаименований', 'Период:T НаименованиеПолное:S'),
  ],
};

const PRODUCTS = 'Catalog_Номенклатура';
const productDef: EntityDef = {
  set: PRODUCTS,
  kind: 'Catalog',
  title: 'Номенклатура',
  fields: fields(`
    Ref_Key:G Predefined:B PredefinedDataName:S DataVersion:S Description:S/100 Code:S/11 Parent_Key:G IsFolder:B
    DeletionMark:B ЕдиницаИзмерения_Key:G Артикул:S/25 ВариантОформленияПродажи:S ВесЕдиницаИзмерения_Key:G
    ВесЗнаменатель:D ВесИспользовать:B ВесМожноУказыватьВДокументах:B ВесЧислитель:D ВестиУчетПоГТД:B
    ВестиУчетСертификатовНоменклатуры:B ВидАлкогольнойПродукции_Key:G ВидНоменклатуры_Key:G ГруппаДоступа_Key:G
    АлкогольнаяПродукция:B НаименованиеПолное:S/1024 ЕдиницаИзмеренияСрокаГодности:S ЕстьТоварыДругогоКачества:B
    ИмпортнаяАлкогольнаяПродукция:B ДлинаЕдиницаИзмерения_Key:G ДлинаЗнаменатель:D ДлинаИспользовать:B
    ДлинаМожноУказыватьВДокументах:B ДлинаЧислитель:D ИспользованиеХарактеристик:S
    ИспользоватьИндивидуальныйШаблонЦенника:B ИспользоватьИндивидуальныйШаблонЭтикетки:B ИспользоватьУпаковки:B
    Качество:S КодДляПоиска:S/25 Марка_Key:G НаборУпаковок_Key:G ГруппаФинансовогоУчета_Key:G
    НоменклатураМногооборотнаяТара_Key:G ОбъемДАЛ:D Описание:S ПодакцизныйТовар:B ПоставляетсяВМногооборотнойТаре:B
    Производитель_Key:G ПроизводительИмпортерКонтрагент_Key:G СкладскаяГруппа_Key:G СрокГодности:I УдалитьСтавкаНДС:S
    СтавкаНДС_Key:G ТипНоменклатуры:S ТоварнаяКатегория_Key:G ФайлКартинки_Key:G ФайлОписанияДляСайта_Key:G
    ОбъемЕдиницаИзмерения_Key:G ОбъемЗнаменатель:D ОбъемИспользовать:B ОбъемМожноУказыватьВДокументах:B
    ОбъемЧислитель:D ХарактеристикаМногооборотнаяТара_Key:G ПлощадьЕдиницаИзмерения_Key:G ПлощадьЗнаменатель:D
    СхемаОбеспечения_Key:G СпособОбеспеченияПотребностей_Key:G ПлощадьИспользовать:B ПлощадьМожноУказыватьВДокументах:B
    ПлощадьЧислитель:D ЦеноваяГруппа_Key:G ШаблонЦенника_Key:G ЕдиницаДляОтчетов_Key:G КоэффициентЕдиницыДляОтчетов:D
    ШаблонЭтикетки_Key:G СезоннаяГруппа_Key:G КоллекцияНоменклатуры_Key:G Принципал:C Контрагент:C
    РейтингПродаж_Key:G ОбособленнаяЗакупкаПродажа:B ГруппаАналитическогоУчета_Key:G КодТНВЭД_Key:G КодОКВЭД_Key:G
    КодОКП_Key:G ОблагаетсяНДПИПоПроцентнойСтавке:B ВладелецСерий_Key:G ВладелецХарактеристик_Key:G
    ВладелецТоварныхКатегорий_Key:G Крепость:D ОсобенностьУчета:S ПродукцияМаркируемаяДляГИСМ:B КиЗГИСМ:B
    КиЗГИСМВид:S КиЗГИСМСпособВыпускаВОборот:S КиЗГИСМGTIN:S/14 КиЗГИСМРазмер:S ПодконтрольнаяПродукцияВЕТИС:B
    АлкогольнаяПродукцияВоВскрытойТаре:B КодРаздел7ДекларацииНДС:S ОблагаетсяНДСУПокупателя:B КодОКВЭД2_Key:G
    КодОКПД2_Key:G КодВидаНоменклатурнойКлассификации:S НаименованиеВидаНоменклатурнойКлассификации:S
    ЕдиницаИзмеренияТНВЭД_Key:G СтранаПроисхождения_Key:G ПрослеживаемыйТовар:B КодТРУ:S НаименованиеЯзык1:S
    НаименованиеЯзык2:S
  `, PRODUCTS),
  sections: [
    section(PRODUCTS, 'ДополнительныеРеквизиты', 'Свойство_Key:G Значение:C ТекстоваяСтрока:S'),
    section(PRODUCTS, 'ДрагоценныеМатериалы', 'ДрагоценныйМатериал:S Количество:D ЕдиницаИзмерения_Key:G Расположение:S Комментарий:S'),
    section(PRODUCTS, 'Представления', 'КодЯзыка:S/10 НаименованиеПолное:S Наименование:S/100'),
  ],
};

// ---------------------------------------------------------------------------------------------
// Catalogs modelled after UT 11.5 (not in the recording)

function catalog(set: string, title: string, spec: string): EntityDef {
  return { set, kind: 'Catalog', title, fields: fields(spec, set), sections: [] };
}

const STD = 'Ref_Key:G Predefined:B PredefinedDataName:S DataVersion:S';

const otherCatalogs: EntityDef[] = [
  catalog('Catalog_Организации', 'Организации', `${STD} Description:S/100 Code:S/9 DeletionMark:B
    НаименованиеПолное:S НаименованиеСокращенное:S/100 ИНН:S/12 КПП:S/9 ОГРН:S/15 Префикс:S/2
    ЮридическоеФизическоеЛицо:S ОбособленноеПодразделение:B ГоловнаяОрганизация_Key:G`),
  catalog('Catalog_Склады', 'Склады', `${STD} Description:S/100 Code:S/11 Parent_Key:G IsFolder:B DeletionMark:B
    ТипСклада:S Подразделение_Key:G ТекущийОтветственный_Key:G ИспользоватьОрдернуюСхемуПриОтгрузке:B
    КонтролироватьОперативныеОстатки:B Комментарий:S`),
  catalog('Catalog_Пользователи', 'Пользователи', `${STD} Description:S/100 DeletionMark:B Недействителен:B
    Служебный:B Подготовлен:B Подразделение_Key:G ФизическоеЛицо_Key:G ИдентификаторПользователяИБ:G Комментарий:S`),
  catalog('Catalog_Партнеры', 'Партнеры', `${STD} Description:S/100 Code:S/11 Parent_Key:G IsFolder:B DeletionMark:B
    НаименованиеПолное:S Клиент:B Поставщик:B Конкурент:B ПрочиеОтношения:B ЮрФизЛицо:S ОсновнойМенеджер_Key:G
    ДатаРегистрации:T Комментарий:S`),
  catalog('Catalog_СоглашенияСКлиентами', 'Соглашения с клиентами', `${STD} Description:S/100 Code:S/11 DeletionMark:B
    Номер:S/11 Дата:T Организация_Key:G Партнер_Key:G Контрагент_Key:G Валюта_Key:G ВидЦен_Key:G ЦенаВключаетНДС:B
    НалогообложениеНДС:S ПорядокРасчетов:S=ПорядокРасчетов ИспользуютсяДоговорыКонтрагентов:B Типовое:B
    Статус:S=СтатусыСоглашенийСКлиентами Согласован:B ХозяйственнаяОперация:S ДатаНачалаДействия:T
    ДатаОкончанияДействия:T Склад_Key:G Менеджер_Key:G ФормаОплаты:S СрокПоставки:I Комментарий:S`),
  catalog('Catalog_ДоговорыКонтрагентов', 'Договоры с контрагентами', `${STD} Description:S/150 DeletionMark:B
    Номер:S/30 Дата:T НаименованиеДляПечати:S Организация_Key:G Контрагент_Key:G Партнер_Key:G ВалютаВзаиморасчетов_Key:G
    ТипДоговора:S ХозяйственнаяОперация:S ПорядокРасчетов:S=ПорядокРасчетов НалогообложениеНДС:S
    Статус:S=СтатусыДоговоровКонтрагентов Согласован:B ДатаНачалаДействия:T ДатаОкончанияДействия:T ЦенаВключаетНДС:B
    Менеджер_Key:G Комментарий:S`),
  catalog('Catalog_ХарактеристикиНоменклатуры', 'Характеристики номенклатуры', `${STD} Description:S/150 Owner:C
    DeletionMark:B НаименованиеПолное:S/1024`),
  catalog('Catalog_ВидыЦен', 'Виды цен', `${STD} Description:S/50 DeletionMark:B ВалютаЦены_Key:G ЦенаВключаетНДС:B
    Статус:S ИспользоватьПриПродаже:B ИспользоватьПриПередачеМеждуОрганизациями:B СпособЗаданияЦены:S
    Идентификатор:S/50 Комментарий:S`),
  catalog('Catalog_Валюты', 'Валюты', `${STD} Description:S/10 Code:S/3 DeletionMark:B НаименованиеПолное:S/50
    ЗагружаетсяИзИнтернета:B Наценка:D ОсновнаяВалюта_Key:G ПараметрыПрописи:S/200 СпособУстановкиКурса:S`),
  catalog('Catalog_СтавкиНДС', 'Ставки НДС', `${STD} Description:S/50 DeletionMark:B Ставка:D Расчетная:B
    ПеречислениеСтавкаНДС:S НеОблагается:B`),
  catalog('Catalog_ПричиныОтменыЗаказовКлиентов', 'Причины отмены заказов клиентов', `${STD} Description:S/100
    Code:S/9 DeletionMark:B Комментарий:S`),
];

export const ENTITIES: readonly EntityDef[] = [
  ...otherCatalogs.slice(0, 4),
  counterpartyDef,
  ...otherCatalogs.slice(4),
  productDef,
  orderDef,
  saleDef,
];

// ---------------------------------------------------------------------------------------------
// Accumulation registers

export const REGISTERS: readonly RegisterDef[] = [
  {
    // Real UT 11 property list (recorded $metadata)
    set: 'AccumulationRegister_ТоварыНаСкладах',
    name: 'ТоварыНаСкладах',
    dimensions: fields('Номенклатура_Key:G Характеристика_Key:G Назначение_Key:G Склад_Key:G Помещение_Key:G Серия_Key:G'),
    resources: fields('ВНаличии:D КОтгрузке:D'),
    attributes: fields('КонтролироватьОстатки:B Сторно:B'),
  },
  {
    // Live UT 11 bases: reserves and goods to ship per order, the order being ДокументОтгрузки
    // (composite, `_Type` StandardODATA.Document_ЗаказКлиента) beside Получатель (composite: the
    // order's partner here); the dimension order is the one live connectors list them in
    // (`Dimensions='Склад,Номенклатура,Характеристика,ДокументОтгрузки,Получатель'`).
    set: 'AccumulationRegister_ТоварыКОтгрузке',
    name: 'ТоварыКОтгрузке',
    dimensions: fields('Склад_Key:G Номенклатура_Key:G Характеристика_Key:G ДокументОтгрузки:C Получатель:C Назначение_Key:G Серия_Key:G'),
    resources: fields('ВРезерве:D КОтгрузке:D'),
    attributes: fields('Сторно:B'),
  },
  {
    // Live UT 11 bases: free stock per product and warehouse. The sandbox derives its records
    // from the two registers above (engine.ts): free = ВНаличии − ВРезервеСоСклада − ВРезервеПодЗаказ.
    set: 'AccumulationRegister_СвободныеОстатки',
    name: 'СвободныеОстатки',
    dimensions: fields('Номенклатура_Key:G Характеристика_Key:G Склад_Key:G'),
    resources: fields('ВНаличии:D ВРезервеСоСклада:D ВРезервеПодЗаказ:D'),
    attributes: [],
  },
];

// ---------------------------------------------------------------------------------------------
// Derived views: the row types the query engine works on

/** A flat record type the query engine (filter, select, orderby, serialisation) works on. */
export interface RecordType {
  /** Name used in `odata.metadata` and messages */
  readonly name: string;
  readonly fields: readonly FieldDef[];
  readonly sections: readonly SectionDef[];
  /** Field index by name, including `X_Type` of composites */
  readonly byName: ReadonlyMap<string, FieldDef>;
  /** Navigation property name → field */
  readonly navs: ReadonlyMap<string, FieldDef>;
}

export function recordType(name: string, flds: readonly FieldDef[], sections: readonly SectionDef[] = []): RecordType {
  const byName = new Map<string, FieldDef>();
  const navs = new Map<string, FieldDef>();
  for (const f of flds) {
    byName.set(f.name, f);
    if (f.kind === 'Composite') byName.set(`${f.name}_Type`, { name: `${f.name}_Type`, kind: 'String', maxLength: 0 });
    if (f.nav) navs.set(f.nav, f);
  }
  return { name, fields: flds, sections, byName, navs };
}

const KEY_REF: FieldDef = { name: 'Ref_Key', kind: 'Guid', maxLength: 0 };
const LINE_NUMBER: FieldDef = { name: 'LineNumber', kind: 'Int64', maxLength: 0 };

/** Entity type of a tabular-section entity set: Ref_Key, LineNumber, then the row fields. */
export function sectionRecordType(owner: EntityDef, s: SectionDef): RecordType {
  return recordType(`${owner.set}_${s.name}`, [KEY_REF, LINE_NUMBER, ...s.fields]);
}

export function registerRecordFields(r: RegisterDef): FieldDef[] {
  return [
    { name: 'Recorder', kind: 'Composite', maxLength: 0 },
    { name: 'Period', kind: 'DateTime', maxLength: 0 },
    LINE_NUMBER,
    { name: 'Active', kind: 'Boolean', maxLength: 0 },
    { name: 'RecordType', kind: 'String', maxLength: 0, enumName: 'AccumulationRecordType' },
    ...r.dimensions,
    ...r.resources,
    ...r.attributes,
  ];
}

export function registerBalanceFields(r: RegisterDef): FieldDef[] {
  return [
    ...r.dimensions,
    ...r.resources.map((f) => ({ name: `${f.name}Balance`, kind: f.kind, maxLength: 0 })),
  ];
}

/**
 * Entity types 1C declares `OpenType="true"` (as in the real publication: the types of those
 * objects and tabular sections; all register types are open too).
 */
export const OPEN_TYPES: ReadonlySet<string> = new Set([
  'Catalog_Номенклатура',
  'Catalog_Номенклатура_ДополнительныеРеквизиты',
  'Catalog_Контрагенты_ДополнительныеРеквизиты',
  'Document_ЗаказКлиента_ДополнительныеРеквизиты',
  'Document_РеализацияТоваровУслуг',
  'Document_РеализацияТоваровУслуг_Товары',
  'Document_РеализацияТоваровУслуг_ВидыЗапасов',
  'Document_РеализацияТоваровУслуг_ДополнительныеРеквизиты',
  'Document_РеализацияТоваровУслуг_РасшифровкаПлатежа',
  'Document_РеализацияТоваровУслуг_ЭтапыГрафикаОплаты',
]);

export const entityByName: ReadonlyMap<string, EntityDef> = new Map(ENTITIES.map((e) => [e.set, e]));
export const registerByName: ReadonlyMap<string, RegisterDef> = new Map(REGISTERS.map((r) => [r.set, r]));

export const ORDER_SET = ORDER;
export const SALE_SET = SALE;
