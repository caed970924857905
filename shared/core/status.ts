/**
 * Statuses only move forward. Peers' trackers are full of orders whose status jumped back after
 * a late update ("Отгружен" → "Подтвержден"); here a proposed status that is behind the current
 * one, or any move out of a terminal status, is refused and the current status kept.
 */
import type { OrderStatus } from './canonical.ts';

const RANK: Readonly<Record<OrderStatus, number>> = {
  confirmed: 1,
  in_progress: 2,
  ready_to_ship: 3,
  partially_shipped: 4,
  shipped: 9,
  closed: 9,
  rejected: 9,
  cancelled: 9,
};

export function isTerminal(status: OrderStatus): boolean {
  return RANK[status] === 9;
}

export function statusRank(status: OrderStatus): number {
  return RANK[status];
}

/** The status to show next: `proposed` unless that would move the order backwards or out of a terminal status. */
export function advanceStatus(current: OrderStatus | null, proposed: OrderStatus): OrderStatus {
  if (current === null) return proposed;
  if (isTerminal(current)) return current;
  return RANK[proposed] >= RANK[current] ? proposed : current;
}
