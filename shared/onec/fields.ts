/**
 * Every OData name the exchange uses, in one place: our property names → 1C's entity sets,
 * fields, tabular sections, functions and registers. The typed mappers (`documents.ts`) and the
 * `$metadata` check (`metadata.ts`) both read this map, so a field renamed in a customised or
 * older UT (`СтавкаНДС` vs `СтавкаНДС_Key`, a prefixed custom field) is changed here once and
 * caught at setup by `checkFieldMapping`.
 *
 * Nothing outside `shared/onec/` should spell an OData name.
 */
import { Precisions, type Decimal, type Precision } from '#core/decimal';
import type { Kind, LocalDateTime, OneCLink } from './values.ts';

export interface Field<K extends Kind = Kind, V extends string = string> {
  /** The OData property name (for a composite, the value half; `<odata>_Type` is implied). */
  readonly odata: string;
  readonly kind: K;
  /** Allowed enum names; absent = any name. */
  readonly values?: readonly V[];
  /** Entity set a reference points to (documentation; the plan check resolves refs against it). */
  readonly target?: string;
  /**
   * Digits and scale of a money, quantity or percent field as UT declares it (1C's `$metadata`
   * says only Edm.Double): values that do not fit are refused before they are sent.
   */
  readonly precision?: Precision;
  /** Set by 1C, never written by us (Ref_Key, Number, DataVersion, Posted, LineNumber is ours though). */
  readonly readOnly?: boolean;
}

export interface SectionSpec {
  /** Tabular section property name, e.g. `Товары`. */
  readonly odata: string;
  readonly fields: Readonly<Record<string, Field>>;
}

export interface EntitySpec {
  /** Entity set, e.g. `Document_ЗаказКлиента`. */
  readonly entitySet: string;
  readonly fields: Readonly<Record<string, Field>>;
  readonly sections?: Readonly<Record<string, SectionSpec>>;
}

/**
 * An accumulation register read through a virtual table function (`Balance`): the dimensions
 * come back under their own names, each resource as `<resource><function>` (`ВРезервеBalance`).
 */
export interface RegisterSpec {
  readonly entitySet: string;
  readonly function: string;
  readonly dimensions: Readonly<Record<string, Field>>;
  readonly resources: Readonly<Record<string, Field>>;
}

// ---- constructors (keep literal kinds for the derived TypeScript types) ----------------------
const key = (odata: string): Field<'key'> => ({ odata, kind: 'key', readOnly: true });
const ref = (odata: string, target?: string): Field<'ref'> => ({ odata, kind: 'ref', ...(target ? { target } : {}) });
const str = (odata: string): Field<'string'> => ({ odata, kind: 'string' });
const enumOf = <V extends string>(odata: string, values?: readonly V[]): Field<'enum', V> => ({ odata, kind: 'enum', ...(values ? { values } : {}) });
const bool = (odata: string): Field<'boolean'> => ({ odata, kind: 'boolean' });
const int64 = (odata: string): Field<'int64'> => ({ odata, kind: 'int64' });
// UT 11's types: amounts and prices Число(15,2), quantities Число(15,3), percents Число(5,2).
const money = (odata: string, precision: Precision = Precisions.money): Field<'money'> => ({ odata, kind: 'money', precision });
const qty = (odata: string, precision: Precision = Precisions.quantity): Field<'quantity'> => ({ odata, kind: 'quantity', precision });
const pct = (odata: string, precision: Precision = Precisions.percent): Field<'percent'> => ({ odata, kind: 'percent', precision });
const date = (odata: string): Field<'date'> => ({ odata, kind: 'date' });
const version = (odata: string): Field<'version'> => ({ odata, kind: 'version', readOnly: true });
const composite = (odata: string, target?: string): Field<'composite'> => ({ odata, kind: 'composite', ...(target ? { target } : {}) });
const ro = <F extends Field>(field: F): F => ({ ...field, readOnly: true });

// ---- entity sets ------------------------------------------------------------------------------
export const EntitySets = {
  order: 'Document_ЗаказКлиента',
  shipment: 'Document_РеализацияТоваровУслуг',
  organizations: 'Catalog_Организации',
  warehouses: 'Catalog_Склады',
  users: 'Catalog_Пользователи',
  partners: 'Catalog_Партнеры',
  counterparties: 'Catalog_Контрагенты',
  contracts: 'Catalog_ДоговорыКонтрагентов',
  agreements: 'Catalog_СоглашенияСКлиентами',
  products: 'Catalog_Номенклатура',
  characteristics: 'Catalog_ХарактеристикиНоменклатуры',
  priceTypes: 'Catalog_ВидыЦен',
  currencies: 'Catalog_Валюты',
  vatRates: 'Catalog_СтавкиНДС',
  cancelReasons: 'Catalog_ПричиныОтменыЗаказовКлиентов',
} as const;

/** Bound functions and their parameters. */
export const Functions = {
  post: 'Post',
  unpost: 'Unpost',
  /** ЗаказКлиента forbids operational posting: always `PostingModeOperational=false`. */
  postingModeParameter: 'PostingModeOperational',
  balance: 'Balance',
  balanceCondition: 'Condition',
  balanceDimensions: 'Dimensions',
} as const;

// ---- enums --------------------------------------------------------------------------------------
export const OrderStatuses = ['НеСогласован', 'КОбеспечению', 'КОтгрузке', 'Закрыт'] as const;
export type OrderStatus = (typeof OrderStatuses)[number];

export const ProvisionVariants = ['Отгрузить', 'СоСклада', 'РезервироватьПоМереПоступления', 'КОбеспечению', 'НеТребуется', 'ПереданРанее'] as const;
export type ProvisionVariant = (typeof ProvisionVariants)[number];

export const SettlementProcedures = ['ПоДоговорамКонтрагентов', 'ПоЗаказам', 'ПоДоговорамНакладным', 'ПоЗаказамНакладным', 'ПоНакладным'] as const;
export type SettlementProcedure = (typeof SettlementProcedures)[number];

// ---- documents --------------------------------------------------------------------------------
export const orderItemFields = {
  lineNumber: int64('LineNumber'),
  lineCode: int64('КодСтроки'),
  product: ref('Номенклатура_Key', EntitySets.products),
  characteristic: ref('Характеристика_Key', EntitySets.characteristics),
  packaging: ref('Упаковка_Key'),
  packageQuantity: qty('КоличествоУпаковок'),
  quantity: qty('Количество'),
  priceType: ref('ВидЦены_Key', EntitySets.priceTypes),
  price: money('Цена'),
  amount: money('Сумма'),
  vatRate: ref('СтавкаНДС_Key', EntitySets.vatRates),
  vatAmount: money('СуммаНДС'),
  amountWithVat: money('СуммаСНДС'),
  manualDiscountPercent: pct('ПроцентРучнойСкидки'),
  manualDiscountAmount: money('СуммаРучнойСкидки'),
  autoDiscountPercent: pct('ПроцентАвтоматическойСкидки'),
  autoDiscountAmount: money('СуммаАвтоматическойСкидки'),
  cancelled: bool('Отменено'),
  cancelReason: ref('ПричинаОтмены_Key', EntitySets.cancelReasons),
  provision: enumOf('ВариантОбеспечения', ProvisionVariants),
  warehouse: ref('Склад_Key', EntitySets.warehouses),
  shipmentDate: date('ДатаОтгрузки'),
  separate: bool('Обособленно'),
} as const;

export const orderSpec = {
  entitySet: EntitySets.order,
  fields: {
    ref: key('Ref_Key'),
    dataVersion: version('DataVersion'),
    deletionMark: bool('DeletionMark'),
    number: ro(str('Number')),
    date: date('Date'),
    posted: ro(bool('Posted')),
    status: enumOf('Статус', OrderStatuses),
    organization: ref('Организация_Key', EntitySets.organizations),
    partner: ref('Партнер_Key', EntitySets.partners),
    counterparty: ref('Контрагент_Key', EntitySets.counterparties),
    agreement: ref('Соглашение_Key', EntitySets.agreements),
    contract: ref('Договор_Key', EntitySets.contracts),
    warehouse: ref('Склад_Key', EntitySets.warehouses),
    manager: ref('Менеджер_Key', EntitySets.users),
    currency: ref('Валюта_Key', EntitySets.currencies),
    priceIncludesVat: bool('ЦенаВключаетНДС'),
    vatTaxation: enumOf('НалогообложениеНДС'),
    operation: enumOf('ХозяйственнаяОперация'),
    settlement: enumOf('ПорядокРасчетов', SettlementProcedures),
    amount: money('СуммаДокумента'),
    shipmentDate: date('ДатаОтгрузки'),
    clientNumber: str('НомерПоДаннымКлиента'),
    clientDate: date('ДатаПоДаннымКлиента'),
    comment: str('Комментарий'),
    agreed: bool('Согласован'),
    deliveryAddress: str('АдресДоставки'),
  },
  sections: {
    items: { odata: 'Товары', fields: orderItemFields },
  },
} as const satisfies EntitySpec;

/** The cheap change probe: `$select` of these over many orders (`readDataVersions`). */
export const orderVersionFields = ['ref', 'dataVersion', 'posted', 'deletionMark', 'status'] as const;

/** The stable key the exchange writes into every order it creates (the Goodwix order id). */
export const orderStableKey = 'clientNumber' as const;

export const shipmentItemFields = {
  lineNumber: int64('LineNumber'),
  lineCode: int64('КодСтроки'),
  product: ref('Номенклатура_Key', EntitySets.products),
  characteristic: ref('Характеристика_Key', EntitySets.characteristics),
  packaging: ref('Упаковка_Key'),
  packageQuantity: qty('КоличествоУпаковок'),
  quantity: qty('Количество'),
  price: money('Цена'),
  amount: money('Сумма'),
  vatRate: ref('СтавкаНДС_Key', EntitySets.vatRates),
  vatAmount: money('СуммаНДС'),
  amountWithVat: money('СуммаСНДС'),
  warehouse: ref('Склад_Key', EntitySets.warehouses),
  /** The order this row ships (a shipment may cover several orders). */
  order: composite('ЗаказКлиента', EntitySets.order),
} as const;

export const shipmentSpec = {
  entitySet: EntitySets.shipment,
  fields: {
    ref: key('Ref_Key'),
    dataVersion: version('DataVersion'),
    deletionMark: bool('DeletionMark'),
    number: ro(str('Number')),
    date: date('Date'),
    posted: ro(bool('Posted')),
    status: enumOf('Статус'),
    /** The order the shipment was made for (Undefined when it covers several: see the rows). */
    order: composite('ЗаказКлиента', EntitySets.order),
    organization: ref('Организация_Key', EntitySets.organizations),
    partner: ref('Партнер_Key', EntitySets.partners),
    counterparty: ref('Контрагент_Key', EntitySets.counterparties),
    /** Required by UT's posting when the order is under an agreement. */
    agreement: ref('Соглашение_Key', EntitySets.agreements),
    warehouse: ref('Склад_Key', EntitySets.warehouses),
    currency: ref('Валюта_Key', EntitySets.currencies),
    operation: enumOf('ХозяйственнаяОперация'),
    amount: money('СуммаДокумента'),
  },
  sections: {
    items: { odata: 'Товары', fields: shipmentItemFields },
  },
} as const satisfies EntitySpec;

/**
 * The shipment rows as their own entity set (`Document_РеализацияТоваровУслуг_Товары`): how
 * shipments that cover several orders (header `ЗаказКлиента` Undefined) are found by order.
 */
export const shipmentRowSetSpec = {
  entitySet: `${EntitySets.shipment}_${shipmentSpec.sections.items.odata}`,
  fields: {
    ref: key('Ref_Key'),
    lineNumber: int64('LineNumber'),
    order: composite('ЗаказКлиента', EntitySets.order),
  },
} as const satisfies EntitySpec;

// ---- derived TypeScript types -----------------------------------------------------------------
export type ValueOf<F> =
  F extends Field<'key'> ? string
  : F extends Field<'ref'> ? string | null
  : F extends Field<'string'> ? string
  : F extends Field<'enum', infer V> ? V | null
  : F extends Field<'boolean'> ? boolean
  : F extends Field<'int64'> ? number
  : F extends Field<'money' | 'quantity' | 'percent'> ? Decimal
  : F extends Field<'date'> ? LocalDateTime | null
  : F extends Field<'version'> ? string
  : F extends Field<'composite'> ? OneCLink | null
  : never;

export type RowOf<S extends SectionSpec> = { -readonly [K in keyof S['fields']]: ValueOf<S['fields'][K]> };

export type EntityOf<E extends EntitySpec> = { -readonly [K in keyof E['fields']]: ValueOf<E['fields'][K]> } & (E['sections'] extends Readonly<Record<string, SectionSpec>>
  ? { -readonly [S in keyof E['sections']]: RowOf<E['sections'][S]>[] }
  : unknown);

// ---- catalogs (what the plan check and the mappers read) ---------------------------------------
const catalogBase = {
  ref: key('Ref_Key'),
  description: str('Description'),
  deletionMark: bool('DeletionMark'),
} as const;

export const catalogSpecs = {
  organizations: { entitySet: EntitySets.organizations, fields: { ...catalogBase, inn: str('ИНН'), kpp: str('КПП') } },
  warehouses: { entitySet: EntitySets.warehouses, fields: { ...catalogBase } },
  users: { entitySet: EntitySets.users, fields: { ...catalogBase, invalid: bool('Недействителен') } },
  partners: { entitySet: EntitySets.partners, fields: { ...catalogBase } },
  counterparties: {
    entitySet: EntitySets.counterparties,
    fields: { ...catalogBase, inn: str('ИНН'), kpp: str('КПП'), partner: ref('Партнер_Key', EntitySets.partners) },
  },
  agreements: {
    entitySet: EntitySets.agreements,
    fields: {
      ...catalogBase,
      organization: ref('Организация_Key', EntitySets.organizations),
      partner: ref('Партнер_Key', EntitySets.partners),
      counterparty: ref('Контрагент_Key', EntitySets.counterparties),
      currency: ref('Валюта_Key', EntitySets.currencies),
      priceType: ref('ВидЦен_Key', EntitySets.priceTypes),
      priceIncludesVat: bool('ЦенаВключаетНДС'),
      vatTaxation: enumOf('НалогообложениеНДС'),
      settlement: enumOf('ПорядокРасчетов', SettlementProcedures),
      usesContracts: bool('ИспользуютсяДоговорыКонтрагентов'),
      typical: bool('Типовое'),
      status: enumOf('Статус'),
      operation: enumOf('ХозяйственнаяОперация'),
    },
  },
  contracts: {
    entitySet: EntitySets.contracts,
    fields: {
      ...catalogBase,
      organization: ref('Организация_Key', EntitySets.organizations),
      counterparty: ref('Контрагент_Key', EntitySets.counterparties),
      partner: ref('Партнер_Key', EntitySets.partners),
      settlement: enumOf('ПорядокРасчетов', SettlementProcedures),
      status: enumOf('Статус'),
    },
  },
  products: {
    entitySet: EntitySets.products,
    fields: { ...catalogBase, sku: str('Артикул'), isFolder: bool('IsFolder'), vatRate: ref('СтавкаНДС_Key', EntitySets.vatRates) },
  },
  characteristics: {
    entitySet: EntitySets.characteristics,
    fields: { ...catalogBase, owner: composite('Owner') },
  },
  priceTypes: {
    entitySet: EntitySets.priceTypes,
    fields: { ...catalogBase, priceIncludesVat: bool('ЦенаВключаетНДС') },
  },
  currencies: { entitySet: EntitySets.currencies, fields: { ...catalogBase, code: str('Code') } },
  vatRates: { entitySet: EntitySets.vatRates, fields: { ...catalogBase, rate: pct('Ставка'), notTaxed: bool('НеОблагается') } },
  cancelReasons: { entitySet: EntitySets.cancelReasons, fields: { ...catalogBase } },
} as const satisfies Record<string, EntitySpec>;

export type CatalogName = keyof typeof catalogSpecs;
export type CatalogItem<C extends CatalogName> = EntityOf<(typeof catalogSpecs)[C]>;

// ---- registers --------------------------------------------------------------------------------

/**
 * Reserves per order and product: `ТоварыКОтгрузке`, whose `ВРезерве` (and `КОтгрузке`) balance
 * per `ДокументОтгрузки` (the order; composite with `ДокументОтгрузки_Type`
 * `StandardODATA.Document_ЗаказКлиента`) is what a posted order holds. Live UT 11 bases name the
 * order dimension `ДокументОтгрузки`, beside `Получатель`; connectors that run against them read
 * `Balance(Condition=…, Dimensions='Склад,Номенклатура,Характеристика,ДокументОтгрузки,Получатель')`.
 * The dimensions are listed in that order: `readReserves` asks for exactly these.
 */
export const reserveRegisterSpec = {
  entitySet: 'AccumulationRegister_ТоварыКОтгрузке',
  function: Functions.balance,
  dimensions: {
    warehouse: ref('Склад_Key', EntitySets.warehouses),
    product: ref('Номенклатура_Key', EntitySets.products),
    characteristic: ref('Характеристика_Key', EntitySets.characteristics),
    order: composite('ДокументОтгрузки', EntitySets.order),
    /** Who the goods go to (composite; for a customer order, its partner). */
    recipient: composite('Получатель'),
  },
  resources: {
    /** Reserved from stock (`ВариантОбеспечения = СоСклада`). */
    reserved: qty('ВРезерве'),
    /** Held to ship from stock (`ВариантОбеспечения = Отгрузить`). */
    toShip: qty('КОтгрузке'),
  },
} as const satisfies RegisterSpec;

/**
 * Free stock per product and warehouse (`СвободныеОстатки`), as live connectors read it:
 * free = `ВНаличии` − `ВРезервеСоСклада` − `ВРезервеПодЗаказ`. Not read by the exchange today, so
 * not in `exchangeRegisters`: add it there when something reads it, and the plan check confirms it.
 */
export const freeStockRegisterSpec = {
  entitySet: 'AccumulationRegister_СвободныеОстатки',
  function: Functions.balance,
  dimensions: {
    product: ref('Номенклатура_Key', EntitySets.products),
    characteristic: ref('Характеристика_Key', EntitySets.characteristics),
    warehouse: ref('Склад_Key', EntitySets.warehouses),
  },
  resources: {
    onHand: qty('ВНаличии'),
    reservedFromStock: qty('ВРезервеСоСклада'),
    reservedToOrder: qty('ВРезервеПодЗаказ'),
  },
} as const satisfies RegisterSpec;

/** Balance-function dimension names are given without `_Key` (`Dimensions='Номенклатура,Склад'`). */
export function dimensionName(field: Field): string {
  return field.odata.replace(/_Key$/, '');
}

// ---- what the exchange needs from a base --------------------------------------------------------

export const exchangeEntities: readonly EntitySpec[] = [orderSpec, shipmentSpec, shipmentRowSetSpec, ...Object.values(catalogSpecs)];
export const exchangeRegisters: readonly RegisterSpec[] = [reserveRegisterSpec];
export const exchangeFunctions = [
  { entitySet: EntitySets.order, name: Functions.post },
  { entitySet: EntitySets.order, name: Functions.unpost },
] as const;
