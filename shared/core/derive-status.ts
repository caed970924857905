/**
 * The status Goodwix should show, derived from what 1C holds. UT 11 has no "shipped" status
 * (shipment is a separate document) and no header-level cancellation, so the status is read
 * from the whole picture: deletion mark, cancelled rows, `Закрыт` (a manager closed the order,
 * shipped or not), shipped quantities, then 1C's other Статус values.
 */
import { Big } from './decimal.ts';
import type { CanonicalLine, OrderStatus } from './canonical.ts';

export interface OneCOrderState {
  /** 1C's Статус value as 1C names it (`НеСогласован`, `КОбеспечению`, `КОтгрузке`, `Закрыт`) */
  readonly oneCStatus: string;
  readonly deleted: boolean;
  readonly lines: readonly Pick<CanonicalLine, 'quantity' | 'cancelledQuantity' | 'shippedQuantity'>[];
}

export interface StatusMap {
  /** 1C Статус → Goodwix status */
  readonly byOneCStatus: Readonly<Record<string, OrderStatus>>;
  /** every row cancelled in 1C */
  readonly allLinesCancelled: OrderStatus;
  /** the document marked for deletion in 1C */
  readonly deleted: OrderStatus;
  readonly partiallyShipped: OrderStatus;
  readonly shipped: OrderStatus;
}

export const DEFAULT_STATUS_MAP: StatusMap = {
  byOneCStatus: { НеСогласован: 'confirmed', КОбеспечению: 'in_progress', КОтгрузке: 'ready_to_ship', Закрыт: 'closed' },
  allLinesCancelled: 'rejected',
  deleted: 'rejected',
  partiallyShipped: 'partially_shipped',
  shipped: 'shipped',
};

export function deriveStatus(state: OneCOrderState, map: StatusMap = DEFAULT_STATUS_MAP): OrderStatus {
  if (state.deleted) return map.deleted;
  const deliverable = state.lines.map((l) => new Big(l.quantity).minus(l.cancelledQuantity));
  if (state.lines.length > 0 && deliverable.every((d) => d.lte(0))) return map.allLinesCancelled;
  if (state.oneCStatus === 'Закрыт' && map.byOneCStatus['Закрыт']) return map.byOneCStatus['Закрыт'];
  const shipped = state.lines.reduce((sum, l) => sum.plus(l.shippedQuantity), new Big(0));
  if (shipped.gt(0)) {
    const fully = state.lines.every((l, i) => new Big(l.shippedQuantity).gte(deliverable[i]!));
    return fully ? map.shipped : map.partiallyShipped;
  }
  return map.byOneCStatus[state.oneCStatus] ?? map.byOneCStatus['КОбеспечению'] ?? 'in_progress';
}
