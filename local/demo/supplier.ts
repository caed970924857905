/**
 * The demo supplier both sandboxes are seeded with: one wholesale supplier of tools and
 * fasteners running UT 11, selling on Goodwix from catalog 2369.
 *
 * The 1C sandbox turns this into catalogs and stock; the Goodwix sandbox into its catalog,
 * buyers and price lists carrying the same 1C ids, as if the supplier had already uploaded
 * nomenclature and matched counterparties (the seed's precondition for exchanging orders).
 * Ids are fixed so tests, the demo plan and a human reading logs all see the same values.
 */

export interface DemoRef {
  readonly ref: string;
  readonly name: string;
}

export interface DemoProduct {
  /** Catalog_Номенклатура.Ref_Key */
  readonly ref: string;
  readonly name: string;
  readonly sku: string;
  readonly unit: string;
  /** VAT rate in percent; resolved to Catalog_СтавкиНДС by the exchange */
  readonly vatRate: 20 | 10 | 0;
  /** Wholesale price per unit, VAT included, in roubles */
  readonly price: string;
  /** Characteristics (variants); a product with variants has stock per variant */
  readonly variants?: readonly DemoVariant[];
  /** Free stock per warehouse ref when the product has no variants */
  readonly stock?: Readonly<Record<string, number>>;
  /** Goodwix product id */
  readonly goodwixId: number;
}

export interface DemoVariant {
  /** Catalog_ХарактеристикиНоменклатуры.Ref_Key */
  readonly ref: string;
  readonly name: string;
  readonly stock: Readonly<Record<string, number>>;
  /** Goodwix product id of this variant (Goodwix lists each variant as its own product) */
  readonly goodwixId: number;
}

export interface DemoBuyer {
  /** Goodwix buyer id */
  readonly goodwixId: number;
  readonly name: string;
  readonly email: string;
  /** Catalog_Партнеры.Ref_Key */
  readonly partnerRef: string;
  /** Catalog_Контрагенты.Ref_Key */
  readonly counterpartyRef: string;
  readonly inn: string;
  readonly kpp: string;
  readonly legalName: string;
  /** Catalog_ДоговорыКонтрагентов.Ref_Key when the buyer works under a contract */
  readonly contractRef?: string;
  /** Goodwix price list id the buyer orders from */
  readonly priceListId: number;
}

export const demoOneC = {
  publication: 'trade',
  login: 'Обмен',
  password: 'exchange-demo',
  organization: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc601', name: 'ООО "Торговый дом Альфа"', inn: '7701234567', kpp: '770101001' },
  warehouses: {
    main: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc611', name: 'Основной склад' },
    north: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc612', name: 'Склад Север' },
  },
  manager: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc621', name: 'Иванова Мария Сергеевна' },
  currency: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc631', name: 'руб.', code: '643' },
  priceTypes: {
    wholesale: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc641', name: 'Оптовая' },
    retail: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc642', name: 'Розничная' },
  },
  vatRates: {
    vat20: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc651', name: '20%', rate: 20 },
    vat10: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc652', name: '10%', rate: 10 },
    none: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc653', name: 'Без НДС', rate: 0 },
  },
  agreements: {
    /** The standard agreement for wholesale buyers: prices with VAT, settlement by orders */
    standard: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc661', name: 'Оптовые продажи (типовое)' },
    /** An individual agreement that settles under counterparty contracts, so orders need Договор */
    contract: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc662', name: 'Продажи по договорам' },
  },
  cancelReasons: {
    outOfStock: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc671', name: 'Нет в наличии' },
    buyerRefused: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc672', name: 'Отказ клиента' },
    reserveExpired: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc673', name: 'Истек срок резерва' },
    /** What the exchange writes when Goodwix reports a cancellation without a reason */
    fromSite: { ref: '5a1f0e2c-1c7b-11ef-9a30-0800270bc674', name: 'Отменен на сайте' },
  },
} as const;

const W = demoOneC.warehouses;

export const demoProducts: readonly DemoProduct[] = [
  { ref: '6b2a1d3e-1c7b-11ef-9a30-0800270bc701', goodwixId: 10101, name: 'Дрель ударная Bosch GSB 13 RE', sku: 'BSH-GSB13', unit: 'шт', vatRate: 20, price: '5490.00', stock: { [W.main.ref]: 40, [W.north.ref]: 12 } },
  { ref: '6b2a1d3e-1c7b-11ef-9a30-0800270bc702', goodwixId: 10102, name: 'Шуруповерт аккумуляторный Makita DF333DWYE', sku: 'MKT-DF333', unit: 'шт', vatRate: 20, price: '8990.00', stock: { [W.main.ref]: 25 } },
  { ref: '6b2a1d3e-1c7b-11ef-9a30-0800270bc703', goodwixId: 10103, name: 'Саморез по дереву 3,5×35, 1000 шт', sku: 'SMR-3535', unit: 'уп', vatRate: 20, price: '420.50', stock: { [W.main.ref]: 500, [W.north.ref]: 200 } },
  { ref: '6b2a1d3e-1c7b-11ef-9a30-0800270bc704', goodwixId: 10104, name: 'Дюбель распорный 6×40, 100 шт', sku: 'DBL-0640', unit: 'уп', vatRate: 20, price: '189.90', stock: { [W.main.ref]: 300 } },
  { ref: '6b2a1d3e-1c7b-11ef-9a30-0800270bc705', goodwixId: 10105, name: 'Перчатки рабочие х/б', sku: 'PRC-HB', unit: 'пар', vatRate: 20, price: '35.00', stock: { [W.main.ref]: 2000 } },
  {
    ref: '6b2a1d3e-1c7b-11ef-9a30-0800270bc706', goodwixId: 10106, name: 'Куртка рабочая утепленная', sku: 'KRT-UT', unit: 'шт', vatRate: 20, price: '2750.00',
    variants: [
      { ref: '7c3b2e4f-1c7b-11ef-9a30-0800270bc801', goodwixId: 10161, name: 'Размер 48', stock: { [W.main.ref]: 15 } },
      { ref: '7c3b2e4f-1c7b-11ef-9a30-0800270bc802', goodwixId: 10162, name: 'Размер 52', stock: { [W.main.ref]: 20 } },
      { ref: '7c3b2e4f-1c7b-11ef-9a30-0800270bc803', goodwixId: 10163, name: 'Размер 56', stock: { [W.main.ref]: 6 } },
    ],
  },
  { ref: '6b2a1d3e-1c7b-11ef-9a30-0800270bc707', goodwixId: 10107, name: 'Аптечка первой помощи производственная', sku: 'APT-PRV', unit: 'шт', vatRate: 10, price: '1290.00', stock: { [W.main.ref]: 30 } },
  { ref: '6b2a1d3e-1c7b-11ef-9a30-0800270bc708', goodwixId: 10108, name: 'Лента малярная 48 мм × 50 м', sku: 'LNT-4850', unit: 'шт', vatRate: 20, price: '149.00', stock: { [W.main.ref]: 120, [W.north.ref]: 60 } },
  { ref: '6b2a1d3e-1c7b-11ef-9a30-0800270bc709', goodwixId: 10109, name: 'Уровень строительный 600 мм', sku: 'URV-600', unit: 'шт', vatRate: 20, price: '990.00', stock: { [W.main.ref]: 3 } },
  { ref: '6b2a1d3e-1c7b-11ef-9a30-0800270bc710', goodwixId: 10110, name: 'Брошюра "Техника безопасности"', sku: 'BRS-TB', unit: 'шт', vatRate: 0, price: '120.00', stock: { [W.main.ref]: 80 } },
];

/**
 * Many more products, the same on both sides, for tests and benchmarks of big orders and big
 * runs (`extraProducts` of both sandboxes): product n (from 1) is 1C nomenclature
 * `6b2a1d3e-0000-4000-8000-<n in hex>` and Goodwix product 200000 + n, 100.00 with 20 % VAT,
 * 1,000 in stock on the main warehouse.
 */
export function bulkProducts(count: number): DemoProduct[] {
  if (!(Number.isInteger(count) && count >= 0 && count <= 100_000)) throw new RangeError(`extraProducts must be a whole number from 0 to 100000, not ${count}`);
  return Array.from({ length: count }, (_, i) => {
    const n = i + 1;
    return {
      ref: `6b2a1d3e-0000-4000-8000-${n.toString(16).padStart(12, '0')}`, goodwixId: 200_000 + n, name: `Товар массовый № ${n}`, sku: `BLK-${n}`,
      unit: 'шт', vatRate: 20, price: '100.00', stock: { [W.main.ref]: 1000 },
    };
  });
}

export const demoPriceLists = [
  { id: 501, name: 'Опт — постоянные клиенты', autoConfirm: true },
  { id: 502, name: 'Опт — новые клиенты', autoConfirm: false },
] as const;

export const demoBuyers: readonly DemoBuyer[] = [
  {
    goodwixId: 3001, name: 'СтройМаркет', email: 'zakupki@stroymarket.example', legalName: 'ООО "СтройМаркет"',
    partnerRef: '8d4c3f50-1c7b-11ef-9a30-0800270bc901', counterpartyRef: '8d4c3f50-1c7b-11ef-9a30-0800270bca01',
    inn: '7712345678', kpp: '771201001', priceListId: 501,
  },
  {
    // Same INN as the head office above, another KPP: a branch. Matching by INN alone picks the wrong one.
    goodwixId: 3002, name: 'СтройМаркет (филиал Север)', email: 'sever@stroymarket.example', legalName: 'ООО "СтройМаркет" Северный филиал',
    partnerRef: '8d4c3f50-1c7b-11ef-9a30-0800270bc902', counterpartyRef: '8d4c3f50-1c7b-11ef-9a30-0800270bca02',
    inn: '7712345678', kpp: '771245001', priceListId: 501,
  },
  {
    goodwixId: 3003, name: 'Ремонт-Сервис', email: 'office@remservice.example', legalName: 'АО "Ремонт-Сервис"',
    partnerRef: '8d4c3f50-1c7b-11ef-9a30-0800270bc903', counterpartyRef: '8d4c3f50-1c7b-11ef-9a30-0800270bca03',
    inn: '5009876543', kpp: '500901001', contractRef: '9e5d4061-1c7b-11ef-9a30-0800270bcb03', priceListId: 502,
  },
  {
    goodwixId: 3004, name: 'ИП Петров А. В.', email: 'petrov@mail.example', legalName: 'ИП Петров Алексей Викторович',
    partnerRef: '8d4c3f50-1c7b-11ef-9a30-0800270bc904', counterpartyRef: '8d4c3f50-1c7b-11ef-9a30-0800270bca04',
    inn: '770312345678', kpp: '', priceListId: 502,
  },
];

export const demoGoodwix = {
  catalogId: 2369,
  supplier: { id: 77, name: 'Торговый дом Альфа', email: 'supplier@alfa-td.example', password: 'goodwix-demo' },
} as const;

export interface DemoOneCOrderLine {
  readonly productRef: string;
  readonly variantRef?: string;
  readonly quantity: number;
  /** Price per unit, VAT included, in roubles */
  readonly price: string;
  readonly warehouseRef: string;
  readonly provision: 'СоСклада' | 'Отгрузить';
}

export interface DemoOneCOrder {
  /** Document_ЗаказКлиента.Ref_Key */
  readonly ref: string;
  readonly number: string;
  /** 1C local time, no time zone */
  readonly date: string;
  readonly buyerGoodwixId: number;
  readonly status: 'КОбеспечению';
  readonly lines: readonly DemoOneCOrderLine[];
}

/**
 * Orders a manager entered directly in 1C (never in Goodwix). They are posted and hold stock:
 * these are the reserves Goodwix must show as `Integration`.
 */
export const demoOneCOrders: readonly DemoOneCOrder[] = [
  {
    ref: 'a1e6f7b2-1c7b-11ef-9a30-0800270bcc01', number: 'ТД00-000117', date: '2025-11-20T10:30:00', buyerGoodwixId: 3001, status: 'КОбеспечению',
    lines: [{ productRef: '6b2a1d3e-1c7b-11ef-9a30-0800270bc701', quantity: 4, price: '5490.00', warehouseRef: W.main.ref, provision: 'СоСклада' }],
  },
];
