/**
 * A 1C manager at work, through the same OData interface the exchange uses: rejecting a row
 * with a reason, correcting prices and discounts, adding and removing rows, changing the
 * status, shipping. Tests and the demo use it to play the supplier's side in 1C. Like the UI,
 * it recalculates row amounts and re-posts a posted order after an edit.
 */
import { computeAmounts } from '#core/amounts';
import { decAdd, money, percent, quantity, type Decimal } from '#core/decimal';
import type { OneCOrder, OneCOrderItem, OneCOrderItemInput, OneCShipment } from '#onec/documents';
import type { OrderStatus } from '#onec/fields';
import type { OneCTrade } from '#onec/trade';

export interface NewRow {
  readonly product: string;
  readonly characteristic?: string | null;
  readonly quantity: Decimal | number;
  readonly price: Decimal | number;
  /** Catalog_СтавкиНДС ref */
  readonly vatRate: string;
  /** ВариантОбеспечения; default: the first row's */
  readonly provision?: OneCOrderItemInput['provision'];
}

export class OneCManager {
  private rates?: Promise<Map<string, Decimal>>;

  constructor(private readonly onec: OneCTrade) {}

  private vatRates(): Promise<Map<string, Decimal>> {
    this.rates ??= (async () => {
      const out = new Map<string, Decimal>();
      for await (const item of this.onec.listCatalog('vatRates')) out.set(item.ref, item.rate);
      return out;
    })();
    return this.rates;
  }

  /** Rewrites the rows (the UI's amounts recalculated for rows the edit touched) and re-posts a posted order. */
  async editRows(ref: string, edit: (rows: OneCOrderItemInput[], order: OneCOrder) => OneCOrderItemInput[]): Promise<OneCOrder> {
    const order = await this.onec.readOrder(ref);
    const rows = edit(order.items.map(({ lineNumber: _n, ...row }) => ({ ...row })), order);
    const rates = await this.vatRates();
    const items = rows.map((row) => recalc(row, rates.get(row.vatRate ?? '') ?? '0', order.priceIncludesVat));
    const amount = money(decAdd(...items.filter((r) => !r.cancelled).map((r) => r.amountWithVat)));
    const updated = await this.onec.updateOrder(ref, { items, amount });
    return order.posted ? this.onec.postOrder(ref) : updated;
  }

  /** "Отклонен" on a row: the row stays, cancelled, with the reason. */
  rejectRow(ref: string, lineCode: number, reasonRef: string): Promise<OneCOrder> {
    return this.editRows(ref, (rows) => rows.map((r) => (r.lineCode === lineCode ? { ...r, cancelled: true, cancelReason: reasonRef } : r)));
  }

  /** Cancels part of a row the UT way: the row is split and the cancelled half marked. */
  rejectPartOfRow(ref: string, lineCode: number, cancelQuantity: number, reasonRef: string): Promise<OneCOrder> {
    return this.editRows(ref, (rows) =>
      rows.flatMap((r) => {
        if (r.lineCode !== lineCode) return [r];
        const keep = quantity(Number(r.quantity) - cancelQuantity);
        const { lineCode: _c, ...copy } = r;
        return [
          { ...r, quantity: keep, packageQuantity: keep },
          { ...copy, quantity: quantity(cancelQuantity), packageQuantity: quantity(cancelQuantity), cancelled: true, cancelReason: reasonRef },
        ];
      }),
    );
  }

  setPrice(ref: string, lineCode: number, price: Decimal | number, discountPercent?: Decimal | number): Promise<OneCOrder> {
    return this.editRows(ref, (rows) =>
      rows.map((r) => (r.lineCode === lineCode ? { ...r, price: money(price), ...(discountPercent !== undefined ? { manualDiscountPercent: percent(discountPercent) } : {}) } : r)),
    );
  }

  setQuantity(ref: string, lineCode: number, value: Decimal | number): Promise<OneCOrder> {
    return this.editRows(ref, (rows) => rows.map((r) => (r.lineCode === lineCode ? { ...r, quantity: quantity(value), packageQuantity: quantity(value) } : r)));
  }

  setVatRate(ref: string, lineCode: number, vatRate: string): Promise<OneCOrder> {
    return this.editRows(ref, (rows) => rows.map((r) => (r.lineCode === lineCode ? { ...r, vatRate } : r)));
  }

  addRow(ref: string, row: NewRow): Promise<OneCOrder> {
    return this.editRows(ref, (rows, order) => [
      ...rows,
      {
        product: row.product,
        characteristic: row.characteristic ?? null,
        packaging: null,
        packageQuantity: quantity(row.quantity),
        quantity: quantity(row.quantity),
        priceType: rows[0]?.priceType ?? null,
        price: money(row.price),
        amount: money(0),
        vatRate: row.vatRate,
        vatAmount: money(0),
        amountWithVat: money(0),
        manualDiscountPercent: percent(0),
        manualDiscountAmount: money(0),
        autoDiscountPercent: percent(0),
        autoDiscountAmount: money(0),
        cancelled: false,
        cancelReason: null,
        provision: row.provision ?? rows[0]?.provision ?? 'СоСклада',
        warehouse: rows[0]?.warehouse ?? order.warehouse,
        shipmentDate: null,
        separate: false,
      },
    ]);
  }

  removeRow(ref: string, lineCode: number): Promise<OneCOrder> {
    return this.editRows(ref, (rows) => rows.filter((r) => r.lineCode !== lineCode));
  }

  /** Every row cancelled: how a whole order is cancelled in UT. */
  cancelOrder(ref: string, reasonRef: string): Promise<OneCOrder> {
    return this.editRows(ref, (rows) => rows.map((r) => ({ ...r, cancelled: true, cancelReason: reasonRef })));
  }

  async setStatus(ref: string, status: OrderStatus): Promise<OneCOrder> {
    const order = await this.onec.updateOrder(ref, { status, agreed: status !== 'НеСогласован' });
    return order.posted ? this.onec.postOrder(ref) : order;
  }

  /** A write that changes nothing (a manager opening and saving the form): DataVersion still moves. */
  touch(ref: string): Promise<OneCOrder> {
    return this.onec.updateOrder(ref, {});
  }

  /**
   * Ships the order (all open quantities, or the given ones per row) with a posted
   * РеализацияТоваровУслуг whose rows carry the order's КодСтроки, filled from the order as UT
   * fills it (client, counterparty, agreement, currency, warehouse): UT posts it only then, and
   * only while the order is posted. `date`: the shipment's document date (default: the order's).
   */
  async ship(ref: string, quantities?: Readonly<Record<number, number>>, options: { date?: string } = {}): Promise<OneCShipment> {
    const order = await this.onec.readOrder(ref);
    const rows = order.items.filter((r) => !r.cancelled && (quantities === undefined || quantities[r.lineCode] !== undefined));
    const shipment = await this.onec.createShipment({
      date: options.date ?? order.date,
      order: { ref, type: 'Document_ЗаказКлиента' },
      organization: order.organization,
      partner: order.partner,
      counterparty: order.counterparty,
      agreement: order.agreement,
      warehouse: order.warehouse,
      currency: order.currency,
      operation: 'РеализацияКлиенту',
      items: rows.map((r) => shipmentRow(r, quantities?.[r.lineCode], ref, order.priceIncludesVat)),
    });
    return this.onec.postShipment(shipment.ref);
  }
}

function shipmentRow(r: OneCOrderItem, shipQuantity: number | undefined, orderRef: string, pricesIncludeVat: boolean) {
  const q = quantity(shipQuantity ?? r.quantity);
  const share = Number(q) / Number(r.quantity);
  const amount = money(Number(r.amount) * share);
  const vat = money(Number(r.vatAmount) * share);
  return {
    lineCode: r.lineCode,
    product: r.product,
    characteristic: r.characteristic,
    packaging: r.packaging,
    packageQuantity: q,
    quantity: q,
    price: r.price,
    amount,
    vatRate: r.vatRate,
    vatAmount: vat,
    amountWithVat: pricesIncludeVat ? amount : money(Number(amount) + Number(vat)),
    warehouse: r.warehouse,
    order: { ref: orderRef, type: 'Document_ЗаказКлиента' },
  };
}

/** The UI's row arithmetic: amounts from quantity, price, manual discount and the VAT rate. */
function recalc(row: OneCOrderItemInput, vatRate: Decimal, pricesIncludeVat: boolean): OneCOrderItemInput {
  const a = computeAmounts({ quantity: row.quantity, price: row.price, discountPercent: row.manualDiscountPercent, vatRate }, pricesIncludeVat);
  return { ...row, amount: a.net, manualDiscountAmount: a.discountAmount, vatAmount: a.vatAmount, amountWithVat: a.total };
}
