/**
 * The canonical order: what Goodwix and 1C must agree on, in neither system's vocabulary.
 *
 * Both sides are mapped into this shape (`#sync/goodwix-mapper`, `#sync/onec-mapper`), merged three-way
 * against the last agreed snapshot (`#core/merge`), and the result is mapped back out. The
 * binding stores the agreed snapshot as the base of the next merge.
 *
 * A line is one Goodwix order line. In 1C it is one row, or two when only part of it is
 * cancelled: UT cancels whole rows (`Отменено`), so a partial cancellation is an active row
 * with the remaining quantity plus a cancelled row with the rest.
 */
import type { Decimal } from './decimal.ts';

/** Line fields a person edits on either side; these are merged field by field. */
export const LINE_INPUT_FIELDS = ['quantity', 'cancelledQuantity', 'cancelReason', 'price', 'discountPercent', 'vatRate'] as const;
export type LineInputField = (typeof LINE_INPUT_FIELDS)[number];

export interface ProductRef {
  /** Catalog_Номенклатура.Ref_Key */
  readonly nomenclature: string;
  /** Catalog_ХарактеристикиНоменклатуры.Ref_Key, null when the product has no variants */
  readonly characteristic: string | null;
}

/**
 * One product (a nomenclature and its variant) as a string: how lines, rows and reserves of the
 * same product are matched on both sides.
 */
export function productKey(nomenclature: string | null, characteristic: string | null | undefined): string {
  return `${nomenclature ?? ''}/${characteristic ?? ''}`;
}

/** A product whose reserves may have moved: Goodwix shows reserves per product. */
export interface AffectedProduct {
  readonly nomenclature: string;
  readonly characteristic: string | null;
  readonly goodwixProductId: string | null;
}

export interface OneCRows {
  /** КодСтроки of the row holding the quantity still to deliver */
  readonly active?: number;
  /** КодСтроки of the row holding the cancelled quantity */
  readonly cancelled?: number;
}

export interface CanonicalLine {
  /**
   * Stable identity within the order: the Goodwix line id, or `1c:<КодСтроки>` for a line
   * added in 1C that Goodwix has not numbered yet.
   */
  readonly key: string;
  readonly goodwixLineId: string | null;
  /** Goodwix product id, when known (lines added in 1C get it from the product mapping) */
  readonly goodwixProductId: string | null;
  readonly product: ProductRef;
  /** Ordered quantity, cancelled part included */
  readonly quantity: Decimal;
  readonly cancelledQuantity: Decimal;
  /** The cancellation reason as people read it (1C's Catalog_ПричиныОтменыЗаказовКлиентов name) */
  readonly cancelReason: string | null;
  /** Unit price as the order states it (VAT included when the order's prices include VAT) */
  readonly price: Decimal;
  readonly discountPercent: Decimal;
  /** VAT rate in percent ("0.00" also for "без НДС") */
  readonly vatRate: Decimal;
  /** Derived amounts: 1C's figures when 1C holds the line as merged, otherwise computed */
  readonly discountAmount: Decimal;
  readonly vatAmount: Decimal;
  /** Line total including VAT, after discount; zero for the cancelled part */
  readonly amount: Decimal;
  /** Shipped by posted РеализацияТоваровУслуг; 1C is the only source */
  readonly shippedQuantity: Decimal;
  /** Where this line lives in 1C; absent until it has been written there */
  readonly onecRows?: OneCRows;
}

/**
 * Order statuses in Goodwix terms, ordered by how far the order has gone. Terminal statuses are
 * never left: late or replayed data cannot move an order back (`#core/status`).
 */
export const ORDER_STATUSES = [
  'confirmed',
  'in_progress',
  'ready_to_ship',
  'partially_shipped',
  'shipped',
  'closed',
  'rejected',
  'cancelled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface CanonicalOrder {
  readonly status: OrderStatus;
  /** Prices include VAT (1C's ЦенаВключаетНДС); fixed by the agreement when the order is created */
  readonly pricesIncludeVat: boolean;
  readonly lines: readonly CanonicalLine[];
}
