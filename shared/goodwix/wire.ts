/**
 * Goodwix's wire format (docs/goodwix-api.md): paths, JSON field names and status spellings,
 * the zod/mini schemas that check every answer, and the mapping to and from our model.
 * Adapting to the real Goodwix API is a change here and in client.ts, nowhere else.
 */
import { money, percent, Precisions, quantity, type Precision } from '#core/decimal';
import * as z from '#platform/zod';
import type {
  GoodwixBuyer,
  GoodwixCatalog,
  GoodwixErpOrderRef,
  GoodwixLineFields,
  GoodwixOrder,
  GoodwixOrderLine,
  GoodwixOrderStatus,
  GoodwixOrderUpdate,
  GoodwixPriceList,
  GoodwixProduct,
  GoodwixProductReserves,
  GoodwixReserve,
  GoodwixIntegrationReserve,
} from './model.ts';

export const paths = {
  login: '/api/v1/auth/login',
  catalog: (c: number) => `/api/v1/catalogs/${c}`,
  products: (c: number) => `/api/v1/catalogs/${c}/products`,
  product: (c: number, id: number) => `/api/v1/catalogs/${c}/products/${id}`,
  buyers: (c: number) => `/api/v1/catalogs/${c}/buyers`,
  buyer: (c: number, id: number) => `/api/v1/catalogs/${c}/buyers/${id}`,
  priceLists: (c: number) => `/api/v1/catalogs/${c}/price-lists`,
  orders: (c: number) => `/api/v1/catalogs/${c}/orders`,
  order: (c: number, id: number) => `/api/v1/catalogs/${c}/orders/${id}`,
  reserves: (c: number) => `/api/v1/catalogs/${c}/reserves`,
  productReserves: (c: number, productId: number) => `/api/v1/catalogs/${c}/reserves/${productId}`,
} as const;

/** Largest page Goodwix serves, and most product ids one reserves request takes. */
export const MAX_PAGE_SIZE = 500;
export const MAX_RESERVE_PRODUCTS = 100;
/** Most entries in each of `lines.update`, `lines.add` and `lines.remove` of one order update. */
export const MAX_LINES_PER_UPDATE = 1000;

// ------------------------------------------------------------------ statuses

const wireStatuses = ['new', 'confirmed', 'in_progress', 'ready_to_ship', 'partially_shipped', 'shipped', 'closed', 'rejected', 'cancelled'] as const;
type WireStatus = (typeof wireStatuses)[number];

const statusFromWire: Record<WireStatus, GoodwixOrderStatus> = {
  new: 'new',
  confirmed: 'confirmed',
  in_progress: 'in_progress',
  ready_to_ship: 'ready_to_ship',
  partially_shipped: 'partially_shipped',
  shipped: 'shipped',
  closed: 'closed',
  rejected: 'rejected',
  cancelled: 'cancelled',
};
const statusToWire = Object.fromEntries(Object.entries(statusFromWire).map(([w, m]) => [m, w])) as Record<GoodwixOrderStatus, WireStatus>;

export const toWireStatus = (s: GoodwixOrderStatus): string => statusToWire[s];

// ------------------------------------------------------------------ schemas

/**
 * A decimal string no wider than the 1C field it goes to (`Precisions`): an amount past 13
 * digits, or a quantity finer than thousandths, is refused here, naming the field, rather than
 * rounded on the way to 1C.
 */
const decimalOf = (p: Precision) =>
  z.string().check(z.regex(new RegExp(`^-?\\d{1,${p.digits - p.scale}}(\\.\\d{1,${p.scale}})?$`), `Expected a decimal string of at most ${p.digits - p.scale} digits before the point and ${p.scale} after`));
const moneyText = decimalOf(Precisions.money);
const quantityText = decimalOf(Precisions.quantity);
const percentText = decimalOf(Precisions.percent);
const nullableString = z.nullable(z.string());
const instant = z.string().check(z.minLength(10));

export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.optional(z.record(z.string(), z.unknown())),
  }),
});

export const loginAnswer = z.object({
  accessToken: z.string().check(z.minLength(1)),
  tokenType: z.string(),
  expiresAt: instant,
});

export const catalogAnswer = z.object({
  id: z.int(),
  name: z.string(),
  supplierId: z.int(),
  currency: z.string(),
  pricesIncludeVat: z.boolean(),
});

const erpProduct = z.object({ nomenclatureId: z.string(), characteristicId: nullableString });

const productWire = z.object({
  id: z.int(),
  name: z.string(),
  sku: z.string(),
  unit: z.string(),
  vatRate: percentText,
  price: moneyText,
  parentId: z.nullable(z.int()),
  variantName: nullableString,
  erp: erpProduct,
});

const erpCounterparty = z.nullable(z.object({ counterpartyId: z.string(), partnerId: z.string(), contractId: nullableString }));

const buyerWire = z.object({
  id: z.int(),
  name: z.string(),
  legalName: z.string(),
  email: z.string(),
  inn: z.string(),
  kpp: nullableString,
  priceListId: z.int(),
  erp: erpCounterparty,
});

const priceListWire = z.object({ id: z.int(), name: z.string(), autoConfirm: z.boolean(), currency: z.string() });

const erpOrderRef = z.object({ orderId: nullableString, number: nullableString, date: nullableString });

const lineWire = z.object({
  id: z.string(),
  productId: z.int(),
  product: z.object({ name: z.string(), sku: z.string(), unit: z.string(), erp: erpProduct }),
  quantity: quantityText,
  cancelledQuantity: quantityText,
  cancelReason: nullableString,
  shippedQuantity: quantityText,
  price: moneyText,
  discountPercent: percentText,
  discountAmount: moneyText,
  vatRate: percentText,
  vatAmount: moneyText,
  amount: moneyText,
  erp: z.object({ lineId: nullableString }),
});

const orderWire = z.object({
  id: z.int(),
  number: z.string(),
  status: z.enum(wireStatuses),
  statusReason: nullableString,
  version: z.int().check(z.minimum(1)),
  buyer: z.object({ id: z.int(), name: z.string(), legalName: z.string(), inn: z.string(), kpp: nullableString, erp: erpCounterparty }),
  priceListId: z.int(),
  currency: z.string(),
  pricesIncludeVat: z.boolean(),
  comment: nullableString,
  createdAt: instant,
  confirmedAt: z.nullable(instant),
  changedAt: instant,
  erp: erpOrderRef,
  totals: z.object({ amount: moneyText, vatAmount: moneyText, discountAmount: moneyText }),
  lines: z.array(lineWire),
});

const listPage = <T extends z.core.SomeType>(item: T) => z.object({ items: z.array(item), hasMore: z.boolean(), nextCursor: z.nullable(z.string()) });

export const productAnswer = productWire;
export const productPageAnswer = listPage(productWire);
export const buyerAnswer = buyerWire;
export const buyerPageAnswer = listPage(buyerWire);
export const priceListPageAnswer = listPage(priceListWire);
export const orderAnswer = orderWire;
export const orderPageAnswer = z.object({ items: z.array(orderWire), hasMore: z.boolean(), nextCursor: z.string() });

const reserveWire = z.object({
  id: z.string(),
  source: z.enum(['manual', 'integration']),
  quantity: quantityText,
  order: z.nullable(z.object({ id: z.int(), number: z.string(), buyerId: z.int() })),
  erp: z.nullable(erpOrderRef),
  updatedAt: instant,
});
const productReservesWire = z.object({ productId: z.int(), totalQuantity: quantityText, reserves: z.array(reserveWire) });
export const productReservesAnswer = productReservesWire;
export const reservesListAnswer = z.object({ items: z.array(productReservesWire) });

// ------------------------------------------------------------------ wire → model

export function catalogFromWire(w: z.infer<typeof catalogAnswer>): GoodwixCatalog {
  return { id: w.id, name: w.name, supplierId: w.supplierId, currency: w.currency, pricesIncludeVat: w.pricesIncludeVat };
}

export function productFromWire(w: z.infer<typeof productWire>): GoodwixProduct {
  return {
    id: w.id,
    name: w.name,
    sku: w.sku,
    unit: w.unit,
    vatRate: percent(w.vatRate),
    price: money(w.price),
    parentId: w.parentId,
    variantName: w.variantName,
    nomenclatureId: w.erp.nomenclatureId,
    characteristicId: w.erp.characteristicId,
  };
}

export function buyerFromWire(w: z.infer<typeof buyerWire>): GoodwixBuyer {
  return {
    id: w.id,
    name: w.name,
    legalName: w.legalName,
    email: w.email,
    inn: w.inn,
    kpp: w.kpp === '' ? null : w.kpp,
    priceListId: w.priceListId,
    counterpartyId: w.erp?.counterpartyId ?? null,
    partnerId: w.erp?.partnerId ?? null,
    contractId: w.erp?.contractId ?? null,
  };
}

export function priceListFromWire(w: z.infer<typeof priceListWire>): GoodwixPriceList {
  return { id: w.id, name: w.name, autoConfirm: w.autoConfirm, currency: w.currency };
}

function lineFromWire(w: z.infer<typeof lineWire>): GoodwixOrderLine {
  return {
    id: w.id,
    productId: w.productId,
    productName: w.product.name,
    sku: w.product.sku,
    unit: w.product.unit,
    nomenclatureId: w.product.erp.nomenclatureId,
    characteristicId: w.product.erp.characteristicId,
    quantity: quantity(w.quantity),
    cancelledQuantity: quantity(w.cancelledQuantity),
    cancelReason: w.cancelReason,
    shippedQuantity: quantity(w.shippedQuantity),
    price: money(w.price),
    discountPercent: percent(w.discountPercent),
    discountAmount: money(w.discountAmount),
    vatRate: percent(w.vatRate),
    vatAmount: money(w.vatAmount),
    amount: money(w.amount),
    erpLineId: w.erp.lineId,
  };
}

export function orderFromWire(w: z.infer<typeof orderWire>): GoodwixOrder {
  return {
    id: w.id,
    number: w.number,
    status: statusFromWire[w.status],
    statusReason: w.statusReason,
    version: w.version,
    buyer: {
      id: w.buyer.id,
      name: w.buyer.name,
      legalName: w.buyer.legalName,
      inn: w.buyer.inn,
      kpp: w.buyer.kpp === '' ? null : w.buyer.kpp,
      counterpartyId: w.buyer.erp?.counterpartyId ?? null,
      partnerId: w.buyer.erp?.partnerId ?? null,
      contractId: w.buyer.erp?.contractId ?? null,
    },
    priceListId: w.priceListId,
    currency: w.currency,
    pricesIncludeVat: w.pricesIncludeVat,
    comment: w.comment,
    createdAt: w.createdAt,
    confirmedAt: w.confirmedAt,
    changedAt: w.changedAt,
    erp: { orderId: w.erp.orderId, number: w.erp.number, date: w.erp.date },
    totals: { amount: money(w.totals.amount), vatAmount: money(w.totals.vatAmount), discountAmount: money(w.totals.discountAmount) },
    lines: w.lines.map(lineFromWire),
  };
}

function reserveFromWire(w: z.infer<typeof reserveWire>): GoodwixReserve {
  return {
    id: w.id,
    source: w.source,
    quantity: quantity(w.quantity),
    orderId: w.order?.id ?? null,
    orderNumber: w.order?.number ?? null,
    buyerId: w.order?.buyerId ?? null,
    erp: w.erp ? { orderId: w.erp.orderId, number: w.erp.number, date: w.erp.date } : null,
    updatedAt: w.updatedAt,
  };
}

export function productReservesFromWire(w: z.infer<typeof productReservesWire>): GoodwixProductReserves {
  return { productId: w.productId, totalQuantity: quantity(w.totalQuantity), reserves: w.reserves.map(reserveFromWire) };
}

// ------------------------------------------------------------------ model → wire

function lineFieldsToWire(f: GoodwixLineFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const copy = <K extends keyof GoodwixLineFields>(key: K, wireKey: string = key): void => {
    if (f[key] !== undefined) out[wireKey] = f[key];
  };
  copy('quantity');
  copy('cancelledQuantity');
  copy('cancelReason');
  copy('shippedQuantity');
  copy('price');
  copy('discountPercent');
  copy('discountAmount');
  copy('vatRate');
  copy('vatAmount');
  copy('amount');
  copy('erpLineId');
  return out;
}

function erpRefToWire(ref: Partial<GoodwixErpOrderRef>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (ref.orderId !== undefined) out.orderId = ref.orderId;
  if (ref.number !== undefined) out.number = ref.number;
  if (ref.date !== undefined) out.date = ref.date;
  return out;
}

export function orderUpdateToWire(u: GoodwixOrderUpdate): Record<string, unknown> {
  const body: Record<string, unknown> = { expectedVersion: u.expectedVersion };
  if (u.status !== undefined) body.status = statusToWire[u.status];
  if (u.statusReason !== undefined) body.statusReason = u.statusReason;
  if (u.erp !== undefined) body.erp = erpRefToWire(u.erp);
  const lines: Record<string, unknown> = {};
  if (u.changeLines?.length) lines.update = u.changeLines.map((l) => ({ id: l.id, ...lineFieldsToWire(l) }));
  if (u.addLines?.length) lines.add = u.addLines.map((l) => ({ productId: l.productId, ...lineFieldsToWire(l) }));
  if (u.removeLineIds?.length) lines.remove = [...u.removeLineIds];
  if (Object.keys(lines).length > 0) body.lines = lines;
  return body;
}

export function integrationReservesToWire(reserves: readonly GoodwixIntegrationReserve[]): Record<string, unknown> {
  return {
    reserves: reserves.map((r) => ({
      quantity: r.quantity,
      ...(r.orderId != null ? { orderId: r.orderId } : {}),
      ...(r.erp ? { erp: erpRefToWire(r.erp) } : {}),
    })),
  };
}
