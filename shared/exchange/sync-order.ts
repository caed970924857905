// Stage 4 of 6, sync one order: takes an order message (from collect), exchanges the order both ways, and hands the run to finalize once its last order is done.
/**
 * What the worker does with one order message: exchange the order (`syncOrder`), record its
 * outcome and counters on the run exactly once (with the fields of any conflict 1C won: the
 * entry turning `done` with conflicts is the `order.conflict` event, `#exchange/run-events`), and
 * close the run if this was its last order.
 *
 * Retryable failures are thrown so the queue redelivers with back-off; on the last delivery the
 * order is parked instead (visible on its sync record, retried by the next run) and counted as
 * done, so one stubborn order never keeps its run open. A permanent failure parks it at once,
 * one before the exchange starts included (the plan's clients that cannot be built).
 */
import { clock } from '#platform/clock';
import { isRetryable } from '#platform/errors';
import type { Deadline } from '#platform/limits';
import type { Plan } from '#plans/plan';
import type { RunCounters } from '#store/runs';
import type { LockRepository } from '#store/lock';
import type { BindingRepository } from '#store/bindings';
import { finalizeIfDone, type FinalizePorts } from './finalize.ts';
import type { OrderMessage } from '#aws/order-queue';
import type { Logger } from '#platform/logger';
import { parkOrder, syncOrder, type ParkPorts, type SyncRequest, type SyncResult } from '#sync/order-sync';
import { encodeProduct } from '#sync/reserves';
import { NoTimeLeftError } from '#sync/errors';

export interface WorkerPorts extends FinalizePorts {
  readonly bindings: BindingRepository;
  readonly locks: LockRepository;
  readonly logger?: Logger;
}

export interface Delivery {
  /** ApproximateReceiveCount of the message: 1 on the first delivery */
  readonly receiveCount: number;
  /** The queue's maxReceiveCount: after this many the message would go to the DLQ */
  readonly maxReceiveCount: number;
  /** The time left and the start margin, when the record was started with less than the margin left (its last delivery) */
  readonly shortOfTime?: { readonly leftMs: number; readonly marginMs: number };
}

function countersOf(result: SyncResult): Partial<RunCounters> {
  const updated = result.outcome === 'updated';
  return {
    exported: result.outcome === 'exported' || result.outcome === 'adopted' ? 1 : 0,
    updatedInOneC: updated && result.toOneC > 0 ? 1 : 0,
    updatedInGoodwix: updated && result.toGoodwix > 0 ? 1 : 0,
    conflicts: result.conflicts.length,
    failed: result.outcome === 'parked' || result.error ? 1 : 0,
  };
}

export async function processOrderMessage(ports: WorkerPorts, message: OrderMessage, delivery: Delivery, options: { deadline?: Deadline } = {}): Promise<SyncResult> {
  const { planId, runId, orderId } = message;
  const request: SyncRequest = { planId, runId, orderId, ...(message.force ? { force: true } : {}) };
  // Parking needs only the bindings: an order whose plan cannot be read or whose clients cannot be built is parked too.
  const parking = { bindings: ports.bindings, ...(ports.run.now ? { now: ports.run.now } : {}), ...(ports.logger ? { logger: ports.logger } : {}) };

  let result: SyncResult;
  try {
    // On its last delivery, short of time: parked at once rather than started and cut off.
    if (delivery.shortOfTime && delivery.receiveCount >= delivery.maxReceiveCount) throw new NoTimeLeftError(orderId, delivery.shortOfTime.leftMs, delivery.shortOfTime.marginMs);
    result = await exchange(ports, request, parking);
  } catch (error) {
    const retryable = isRetryable(error);
    if (retryable && delivery.receiveCount < delivery.maxReceiveCount) {
      ports.metrics?.count('OrderRetries', 1, planId);
      throw error;
    }
    if (retryable) ports.logger?.warn('order gave up after its last delivery: parked', { planId, runId, orderId, attempts: delivery.receiveCount });
    result = await parkOrder(parking, request, error);
  }

  const now = clock(ports.run);
  const counters = countersOf(result);
  const counted = await ports.run.runs.complete(planId, runId, {
    orderId,
    outcome: result.outcome,
    at: now.toISOString(),
    ...(result.error ? { error: result.error } : {}),
    detail: {
      onecNumber: result.onecNumber ?? null,
      toOneC: result.toOneC,
      toGoodwix: result.toGoodwix,
      conflicts: result.conflicts.length,
      ...(result.conflicts.length ? { conflictFields: result.conflicts.map((c) => `${c.lineKey}.${c.field}`).join(', ') } : {}),
      ...(result.message ? { message: result.message } : {}),
    },
    counters,
    products: result.products.map(encodeProduct),
  });

  if (counted) {
    for (const [name, value] of Object.entries(counters)) if (value) ports.metrics?.count(METRIC_NAMES[name as keyof RunCounters], value, planId);
    // The run is alive while its orders move: keep its lock from expiring under it.
    await ports.locks.renew(planId, runId, { ttlMs: ports.run.lockTtlMs, now }).catch(() => undefined);
  }
  await finalizeIfDone(ports, planId, runId, `worker:${orderId}`, options);
  return result;
}

/**
 * The order's exchange under its plan, as the plan stands now. Every step is inside the caller's
 * try: a plan that no longer reads, a secret gone or a host the plan may not reach fails every
 * order of the plan for good, and thrown to the queue each would go to the DLQ uncounted,
 * holding its run open until the lock lapsed.
 */
async function exchange(ports: WorkerPorts, request: SyncRequest, parking: ParkPorts): Promise<SyncResult> {
  const { planId, runId, orderId } = request;
  const stored = await ports.run.plans.get(planId);
  if (!stored) {
    // Deleted while its run waited for this order (the run's lease had lapsed): counted, so the
    // run still closes; nothing is written for a plan that is gone.
    ports.logger?.warn('order message of a deleted plan: counted, not exchanged', { planId, runId, orderId });
    return { orderId, outcome: 'skipped', toOneC: 0, toGoodwix: 0, conflicts: [], products: [], message: `plan ${planId} was deleted: the order was not exchanged` };
  }
  const plan = stored.plan as Plan;
  const clients = await ports.clients.get(plan);
  return syncOrder({ ...parking, plan, onec: clients.onec, goodwix: clients.goodwix, refs: clients.references() }, request);
}

const METRIC_NAMES: Record<keyof RunCounters, string> = {
  exported: 'OrdersExported',
  updatedInOneC: 'OrdersUpdatedInOneC',
  updatedInGoodwix: 'OrdersUpdatedInGoodwix',
  conflicts: 'ConflictsWonByOneC',
  failed: 'OrdersParked',
};
