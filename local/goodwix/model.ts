/**
 * The Goodwix sandbox's wire model: the JSON shapes docs/goodwix-api.openapi.json describes.
 * Local-only; the client in shared/goodwix/ has its own schemas and never imports this.
 */

export const API_PREFIX = '/api/v1';
export const SANDBOX_PREFIX = '/_sandbox';

export const orderStatuses = [
  'new',
  'confirmed',
  'in_progress',
  'ready_to_ship',
  'partially_shipped',
  'shipped',
  'closed',
  'rejected',
  'cancelled',
] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/** What the buyer and the supplier read in Goodwix's interface. */
export const statusLabels: Record<OrderStatus, string> = {
  new: 'Новый',
  confirmed: 'Подтвержден',
  in_progress: 'В работе',
  ready_to_ship: 'Готов к отгрузке',
  partially_shipped: 'Отгружен частично',
  shipped: 'Отгружен',
  closed: 'Закрыт',
  rejected: 'Отклонен',
  cancelled: 'Отменен покупателем',
};

export interface ErpOrderRef {
  orderId: string | null;
  number: string | null;
  /** The ERP's document date as the ERP shows it, without a time zone: 2024-05-01T10:00:00 */
  date: string | null;
}

export interface WireProduct {
  id: number;
  catalogId: number;
  name: string;
  sku: string;
  unit: string;
  vatRate: string;
  price: string;
  parentId: number | null;
  variantName: string | null;
  erp: { nomenclatureId: string; characteristicId: string | null };
}

export interface WireBuyer {
  id: number;
  catalogId: number;
  name: string;
  legalName: string;
  email: string;
  inn: string;
  kpp: string | null;
  priceListId: number;
  erp: { counterpartyId: string; partnerId: string; contractId: string | null } | null;
}

export interface WirePriceList {
  id: number;
  catalogId: number;
  name: string;
  autoConfirm: boolean;
  currency: string;
}

export interface WireOrderLine {
  id: string;
  productId: number;
  product: { name: string; sku: string; unit: string; erp: { nomenclatureId: string; characteristicId: string | null } };
  quantity: string;
  cancelledQuantity: string;
  cancelReason: string | null;
  shippedQuantity: string;
  price: string;
  discountPercent: string;
  discountAmount: string;
  vatRate: string;
  vatAmount: string;
  amount: string;
  erp: { lineId: string | null };
}

export interface WireOrder {
  id: number;
  number: string;
  catalogId: number;
  status: OrderStatus;
  statusReason: string | null;
  version: number;
  buyer: { id: number; name: string; legalName: string; inn: string; kpp: string | null; erp: WireBuyer['erp'] };
  priceListId: number;
  currency: string;
  pricesIncludeVat: boolean;
  comment: string | null;
  createdAt: string;
  confirmedAt: string | null;
  changedAt: string;
  erp: ErpOrderRef;
  totals: { amount: string; vatAmount: string; discountAmount: string };
  lines: WireOrderLine[];
}

export type ReserveSource = 'manual' | 'integration';

export interface WireReserve {
  id: string;
  source: ReserveSource;
  quantity: string;
  order: { id: number; number: string; status: OrderStatus; buyerId: number; buyerName: string } | null;
  erp: ErpOrderRef | null;
  updatedAt: string;
}

export interface WireProductReserves {
  productId: number;
  totalQuantity: string;
  reserves: WireReserve[];
}
