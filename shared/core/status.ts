/**
 * Which status Goodwix shows. 1C is the system of record: whatever its state says (through
 * `deriveStatus`) reaches Goodwix, backwards too — a manager closes a shipped order, moves an
 * order back to НеСогласован, unposts a shipment. Goodwix decides only what its buyer and
 * supplier decide there: a cancellation (`cancelled`) or a rejection (`rejected`), which stand
 * until 1C's state moves.
 *
 * What the old forward-only guard protected — an older read of either side overwriting a newer
 * one — is held by the versions, not by a ranking of statuses: Goodwix takes an update only at
 * the version it was computed from, the binding only at the revision read, and every other
 * status Goodwix shows is the exchange's own, so one a stalled worker left there behind a newer
 * exchange is taken back by the next one (it is not a Goodwix decision).
 */
import type { OrderStatus } from './canonical.ts';

/** Statuses a buyer or supplier sets in Goodwix; every other one there is the exchange's. */
const GOODWIX_DECISIONS: ReadonlySet<OrderStatus> = new Set(['cancelled', 'rejected']);

/** The order is over: no run needs to look at it again unless one side changes it. */
const ENDED: ReadonlySet<OrderStatus> = new Set(['closed', 'rejected', 'cancelled']);

/**
 * The order ended (closed, rejected, cancelled) or was fully shipped: a cancellation made in
 * Goodwix afterwards is not carried into 1C.
 */
export function isTerminal(status: OrderStatus): boolean {
  return ENDED.has(status) || status === 'shipped';
}

/** Closed, rejected or cancelled: nothing left to watch (a shipped order is watched a while, see `watchOf` in `#sync/order-sync`). */
export function isEnded(status: OrderStatus): boolean {
  return ENDED.has(status);
}

export interface StatusSides {
  /** What Goodwix shows now; null while it is `new` */
  readonly goodwix: OrderStatus | null;
  /** What 1C's state says now */
  readonly onec: OrderStatus;
  /** What 1C's state said when both sides last agreed; null when unknown (a first exchange, an older binding) */
  readonly agreedOneC: OrderStatus | null;
}

/**
 * The status Goodwix should show: 1C's when 1C's state moved since both sides agreed (1C wins
 * over a Goodwix decision made meanwhile, except that both ending the order by cancellation keep
 * Goodwix's word for it); otherwise a buyer's or supplier's decision in Goodwix stands, and any
 * other status is put back to 1C's.
 */
export function statusToShow({ goodwix, onec, agreedOneC }: StatusSides): OrderStatus {
  if (goodwix === null) return onec;
  const decided = GOODWIX_DECISIONS.has(goodwix);
  if (decided && (agreedOneC === onec || GOODWIX_DECISIONS.has(onec))) return goodwix;
  return onec;
}
