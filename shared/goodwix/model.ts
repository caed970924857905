/**
 * The Goodwix client's own model: what the rest of the exchange sees of Goodwix. Wire names
 * (paths, JSON fields, status spellings) stay in wire.ts and client.ts; money, quantities and
 * percents are decimal strings of fixed scale (#core/decimal); instants are ISO strings.
 */
import { ORDER_STATUSES } from '#core/canonical';
import type { Decimal } from '#core/decimal';

export const goodwixOrderStatuses = ['new', ...ORDER_STATUSES] as const;
/**
 * Spelled as the canonical order's statuses (#core/canonical) plus `new`, so the exchange passes
 * them through; the Goodwix wire spelling is mapped in wire.ts.
 * new: waiting for the supplier; confirmed: "Подтвержден"; in_progress: being worked on in the ERP;
 * ready_to_ship: "Готов к отгрузке"; partially_shipped / shipped: "Отгружен"; closed: closed in
 * the ERP; rejected: by the supplier;
 * cancelled: by the buyer.
 */
export type GoodwixOrderStatus = (typeof goodwixOrderStatuses)[number];

/** The ERP's order as Goodwix knows it (1C: ЗаказКлиента Ref_Key, Number, Date without zone). */
export interface GoodwixErpOrderRef {
  orderId: string | null;
  number: string | null;
  date: string | null;
}

export interface GoodwixCatalog {
  id: number;
  name: string;
  supplierId: number;
  currency: string;
  pricesIncludeVat: boolean;
}

export interface GoodwixProduct {
  id: number;
  name: string;
  sku: string;
  unit: string;
  vatRate: Decimal;
  price: Decimal;
  /** For a variant: the product it is a variant of. */
  parentId: number | null;
  variantName: string | null;
  nomenclatureId: string;
  characteristicId: string | null;
}

export interface GoodwixBuyer {
  id: number;
  name: string;
  legalName: string;
  email: string;
  inn: string;
  kpp: string | null;
  priceListId: number;
  /** The matched ERP counterparty; null when the supplier has not matched the buyer. */
  counterpartyId: string | null;
  partnerId: string | null;
  contractId: string | null;
}

export interface GoodwixPriceList {
  id: number;
  name: string;
  autoConfirm: boolean;
  currency: string;
}

export interface GoodwixOrderLine {
  /** Stable line id, unique within the order. */
  id: string;
  productId: number;
  productName: string;
  sku: string;
  unit: string;
  nomenclatureId: string;
  characteristicId: string | null;
  quantity: Decimal;
  /** The buyer's "Отменено" column. */
  cancelledQuantity: Decimal;
  cancelReason: string | null;
  shippedQuantity: Decimal;
  price: Decimal;
  discountPercent: Decimal;
  discountAmount: Decimal;
  vatRate: Decimal;
  vatAmount: Decimal;
  /** Line total, VAT included. */
  amount: Decimal;
  /** The ERP's line key as the ERP last set it. */
  erpLineId: string | null;
}

export interface GoodwixOrderBuyer {
  id: number;
  name: string;
  legalName: string;
  inn: string;
  kpp: string | null;
  counterpartyId: string | null;
  partnerId: string | null;
  contractId: string | null;
}

/** A Goodwix order id as the exchange carries it (a queue message, a resync, an API path): a whole number from 1, at most 18 digits. */
export const GOODWIX_ORDER_ID = /^[1-9][0-9]{0,17}$/;

export interface GoodwixOrder {
  id: number;
  number: string;
  status: GoodwixOrderStatus;
  statusReason: string | null;
  /** Rises on every change; send it back as `expectedVersion`. */
  version: number;
  buyer: GoodwixOrderBuyer;
  priceListId: number;
  currency: string;
  pricesIncludeVat: boolean;
  comment: string | null;
  createdAt: string;
  confirmedAt: string | null;
  changedAt: string;
  erp: GoodwixErpOrderRef;
  totals: { amount: Decimal; vatAmount: Decimal; discountAmount: Decimal };
  lines: GoodwixOrderLine[];
}

export interface GoodwixOrderQuery {
  /** Default: every status the feed lists (all but `new`). */
  statuses?: readonly Exclude<GoodwixOrderStatus, 'new'>[];
  /** Only orders changed at or after this instant; ignored when resuming from `cursor`. */
  changedSince?: Date | string;
  /** A cursor persisted from an earlier feed (its `cursor` or a page's `cursor`). */
  cursor?: string;
  /** Orders per request, 1..500; the client's `pageSize` by default. */
  pageSize?: number;
}

export interface GoodwixOrderPage {
  orders: GoodwixOrder[];
  /** Resume here to continue after this page; after the last page, to get later changes. */
  cursor: string;
  /** More pages now; false: this pass reached the head of the feed. */
  hasMore: boolean;
}

export interface GoodwixLineFields {
  quantity?: Decimal;
  cancelledQuantity?: Decimal;
  cancelReason?: string | null;
  shippedQuantity?: Decimal;
  price?: Decimal;
  discountPercent?: Decimal;
  /** Sent when the ERP's own rounding must be kept; otherwise Goodwix computes it. */
  discountAmount?: Decimal;
  vatRate?: Decimal;
  vatAmount?: Decimal;
  amount?: Decimal;
  erpLineId?: string | null;
}

export interface GoodwixLineChange extends GoodwixLineFields {
  id: string;
}

export interface GoodwixNewLine extends GoodwixLineFields {
  productId: number;
  quantity: Decimal;
  price: Decimal;
}

export interface GoodwixOrderUpdate {
  /** The version the change was computed from. */
  expectedVersion: number;
  status?: Exclude<GoodwixOrderStatus, 'new'>;
  statusReason?: string | null;
  erp?: Partial<GoodwixErpOrderRef>;
  changeLines?: readonly GoodwixLineChange[];
  addLines?: readonly GoodwixNewLine[];
  removeLineIds?: readonly string[];
}

export type GoodwixReserveSource = 'manual' | 'integration';

export interface GoodwixReserve {
  id: string;
  source: GoodwixReserveSource;
  quantity: Decimal;
  orderId: number | null;
  orderNumber: string | null;
  buyerId: number | null;
  erp: GoodwixErpOrderRef | null;
  updatedAt: string;
}

export interface GoodwixProductReserves {
  productId: number;
  totalQuantity: Decimal;
  reserves: GoodwixReserve[];
}

/** One reserve the ERP holds for a product: for a Goodwix order, or for an ERP order Goodwix does not know. */
export interface GoodwixIntegrationReserve {
  quantity: Decimal;
  orderId?: number | null;
  erp?: Partial<GoodwixErpOrderRef> | null;
}
