/**
 * What "Goodwix and 1C agree" means, checked independently of the exchange's own mappers: a
 * Goodwix order against its 1C document and the posted shipments, and a product's integration
 * reserves in Goodwix against 1C's `ТоварыКОтгрузке` balance.
 *
 * Lines are compared per product (the chaos suite never puts a product twice in an order):
 * UT holds a partly cancelled line as two rows, so quantities are summed over the product's
 * rows. Status is derived from 1C the way the plan's default map says (deletion mark, every row
 * cancelled, shipments, then `Статус`).
 */
import { Big, money, quantity } from '#core/decimal';
import type { WireOrder, WireProductReserves } from '#local/goodwix/model';
import type { OneCOrder, OneCShipment } from '#onec/documents';
import type { OneCReserve } from '#onec/trade';

export interface OneCCatalogs {
  /** Catalog_СтавкиНДС ref → rate ("20.00") */
  readonly vatRates: ReadonlyMap<string, string>;
  /** Catalog_ПричиныОтменыЗаказовКлиентов ref → name */
  readonly cancelReasons: ReadonlyMap<string, string>;
}

export const productKey = (nomenclature: string, characteristic: string | null | undefined): string => `${nomenclature}/${characteristic ?? ''}`;

const BY_ONEC_STATUS: Readonly<Record<string, string>> = { НеСогласован: 'confirmed', КОбеспечению: 'in_progress', КОтгрузке: 'ready_to_ship', Закрыт: 'closed' };

/** Shipped quantity per product of this 1C order, from posted shipments. */
export function shippedByProduct(doc: OneCOrder, shipments: readonly OneCShipment[]): Map<string, Big> {
  const out = new Map<string, Big>();
  for (const s of shipments) {
    if (!s.posted || s.deletionMark) continue;
    for (const r of s.items) {
      if ((r.order?.ref ?? s.order?.ref) !== doc.ref) continue;
      const k = productKey(r.product ?? '', r.characteristic);
      out.set(k, (out.get(k) ?? new Big(0)).plus(r.quantity));
    }
  }
  return out;
}

/** The Goodwix status the 1C document stands for (the default status map, `#core/derive-status`). */
export function derivedStatus(doc: OneCOrder, shipments: readonly OneCShipment[]): string {
  if (doc.deletionMark) return 'rejected';
  if (doc.items.length > 0 && doc.items.every((r) => r.cancelled)) return 'rejected';
  if (doc.status === 'Закрыт') return 'closed';
  const shipped = shippedByProduct(doc, shipments);
  const total = [...shipped.values()].reduce((s, q) => s.plus(q), new Big(0));
  if (total.gt(0)) {
    const open = new Map<string, Big>();
    for (const r of doc.items) if (!r.cancelled) open.set(productKey(r.product ?? '', r.characteristic), (open.get(productKey(r.product ?? '', r.characteristic)) ?? new Big(0)).plus(r.quantity));
    const fully = [...open].every(([k, q]) => (shipped.get(k) ?? new Big(0)).gte(q));
    return fully ? 'shipped' : 'partially_shipped';
  }
  return BY_ONEC_STATUS[doc.status ?? ''] ?? 'in_progress';
}

/** Every way the Goodwix order and its 1C document disagree (empty: they agree). */
export function compareOrder(gw: WireOrder, doc: OneCOrder, shipments: readonly OneCShipment[], catalogs: OneCCatalogs): string[] {
  const out: string[] = [];
  if (gw.erp.orderId !== doc.ref) out.push(`Goodwix erp.orderId ${gw.erp.orderId} is not the 1C document ${doc.ref}`);
  if (gw.erp.number !== doc.number) out.push(`Goodwix erp.number ${gw.erp.number} is not 1C's ${doc.number}`);

  const rowsBy = new Map<string, OneCOrder['items']>();
  for (const r of doc.items) {
    const k = productKey(r.product ?? '', r.characteristic);
    rowsBy.set(k, [...(rowsBy.get(k) ?? []), r]);
  }
  const linesBy = new Map<string, WireOrder['lines']>();
  for (const l of gw.lines) {
    const k = productKey(l.product.erp.nomenclatureId, l.product.erp.characteristicId);
    linesBy.set(k, [...(linesBy.get(k) ?? []), l]);
  }
  const shipped = shippedByProduct(doc, shipments);
  const sum = (values: readonly string[]) => values.reduce((s, v) => s.plus(v), new Big(0));

  for (const k of new Set([...rowsBy.keys(), ...linesBy.keys()])) {
    const rows = rowsBy.get(k) ?? [];
    const lines = linesBy.get(k) ?? [];
    const what = lines[0] ? `line ${lines[0].id} (${lines[0].product.sku})` : `product ${k}`;
    if (rows.length === 0) {
      out.push(`${what}: in Goodwix, not in 1C`);
      continue;
    }
    if (lines.length === 0) {
      out.push(`${what}: in 1C (rows ${rows.map((r) => r.lineCode).join(', ')}), not in Goodwix`);
      continue;
    }
    if (lines.length > 1) out.push(`${what}: ${lines.length} Goodwix lines of one product`);
    const cancelledRows = rows.filter((r) => r.cancelled);
    const activeRows = rows.filter((r) => !r.cancelled);
    const pairs: [string, Big, Big][] = [
      ['quantity', sum(lines.map((l) => l.quantity)), sum(rows.map((r) => r.quantity))],
      ['cancelled', sum(lines.map((l) => l.cancelledQuantity)), sum(cancelledRows.map((r) => r.quantity))],
      ['shipped', sum(lines.map((l) => l.shippedQuantity)), shipped.get(k) ?? new Big(0)],
      ['amount', sum(lines.map((l) => l.amount)), sum(activeRows.map((r) => r.amountWithVat))],
    ];
    for (const [field, g, c] of pairs) {
      if (!g.eq(c)) out.push(`${what}: ${field} ${field === 'amount' ? money(g) : quantity(g)} in Goodwix, ${field === 'amount' ? money(c) : quantity(c)} in 1C`);
    }
    for (const l of lines) {
      for (const r of rows) {
        if (!new Big(l.price).eq(r.price)) out.push(`${what}: price ${l.price} in Goodwix, ${r.price} in 1C row ${r.lineCode}`);
        if (!new Big(l.discountPercent).eq(r.manualDiscountPercent)) out.push(`${what}: discount ${l.discountPercent}% in Goodwix, ${r.manualDiscountPercent}% in 1C row ${r.lineCode}`);
        const rate = catalogs.vatRates.get(r.vatRate ?? '') ?? null;
        if (rate === null || !new Big(l.vatRate).eq(rate)) out.push(`${what}: VAT ${l.vatRate}% in Goodwix, ${rate ?? r.vatRate}% in 1C row ${r.lineCode}`);
      }
      if (!rows.some((r) => String(r.lineCode) === l.erp.lineId)) out.push(`${what}: ERP line id ${l.erp.lineId} is none of the 1C rows ${rows.map((r) => r.lineCode).join(', ')}`);
      if (new Big(l.cancelledQuantity).gt(0)) {
        const reasons = new Set(cancelledRows.map((r) => catalogs.cancelReasons.get(r.cancelReason ?? '') ?? r.cancelReason));
        if (!reasons.has(l.cancelReason ?? '')) out.push(`${what}: cancel reason «${l.cancelReason}» in Goodwix, ${[...reasons].map((x) => `«${x}»`).join(', ')} in 1C`);
      }
    }
  }

  const derived = derivedStatus(doc, shipments);
  const statusOk = gw.status === derived || (gw.status === 'cancelled' && derived === 'rejected');
  if (!statusOk) out.push(`status ${gw.status} in Goodwix, 1C stands for ${derived}`);
  return out;
}

/** Integration reserves of one Goodwix product against 1C's balance for its nomenclature/characteristic. */
export function compareReserves(
  gw: WireProductReserves,
  erp: { nomenclatureId: string; characteristicId: string | null },
  onecRows: readonly OneCReserve[],
  exchangeOrderOf: (onecRef: string) => number | null,
): string[] {
  const out: string[] = [];
  const expected = new Map<string, Big>();
  for (const r of onecRows) {
    if (r.product !== erp.nomenclatureId || (r.characteristic ?? null) !== erp.characteristicId || !r.order) continue;
    expected.set(r.order.ref, (expected.get(r.order.ref) ?? new Big(0)).plus(r.reserved).plus(r.toShip));
  }
  for (const [ref, q] of expected) if (q.lte(0)) expected.delete(ref);
  const shown = new Map<string, { quantity: Big; orderId: number | null }>();
  for (const r of gw.reserves) {
    if (r.source !== 'integration') continue;
    const ref = r.erp?.orderId ?? '';
    if (shown.has(ref)) out.push(`product ${gw.productId}: two integration reserves for 1C order ${ref}`);
    shown.set(ref, { quantity: new Big(r.quantity), orderId: r.order?.id ?? null });
  }
  for (const [ref, q] of expected) {
    const s = shown.get(ref);
    if (!s) out.push(`product ${gw.productId}: 1C order ${ref} holds ${quantity(q)}, Goodwix shows no integration reserve for it`);
    else if (!s.quantity.eq(q)) out.push(`product ${gw.productId}: 1C order ${ref} holds ${quantity(q)}, Goodwix shows ${quantity(s.quantity)}`);
    else if (s.orderId !== exchangeOrderOf(ref)) out.push(`product ${gw.productId}: the reserve of 1C order ${ref} names Goodwix order ${s.orderId}, expected ${exchangeOrderOf(ref)}`);
  }
  for (const [ref, s] of shown) if (!expected.has(ref)) out.push(`product ${gw.productId}: Goodwix shows ${quantity(s.quantity)} reserved for 1C order ${ref}, 1C holds nothing for it`);
  return out;
}
