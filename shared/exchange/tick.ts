// Stage 1 of 6, tick: takes EventBridge's minute and the plans' schedules, hands each due plan (and each waiting resync) to start run.
/**
 * The tick (EventBridge, every minute): starts a run of every enabled plan whose schedule is
 * due now, in the plan's time zone. Each due slot is claimed on the plan item with a condition
 * before the run starts, so a replayed or concurrent tick cannot start a second run for it; a
 * plan that is still running is skipped, not an error. If starting fails for another reason,
 * the claim is given back so a retried tick can start the slot.
 *
 * A plan whose check never passed is not run (`unchecked`), enabled or not: enabling a plan
 * nobody checked must not reach either system on its own. Its slot is not claimed, so once
 * the check passes the slot in progress is due.
 *
 * Then it starts the resyncs asked while a run held their plan (`requestResync` records them on
 * the plan item), one run per order, so a resync is never refused and is done right after the
 * run that held the plan; a plan still running keeps its requests for the next tick. Last, it
 * takes each enabled plan's heartbeat (`#runs/heartbeat`): the plans overdue are in the result.
 */
import { AppError, isRetryable } from '#platform/errors';
import { PlanNotFoundError } from '#plans/errors';
import { isDue } from '#plans/schedule';
import type { StoredPlan } from '#store/plans';
import { RunInProgressError } from '#runs/errors';
import { overduePlans, type OverduePlan } from '#runs/heartbeat';
import { startRun } from './start-run.ts';
import { clock } from '#platform/clock';
import { log } from '#platform/logger';
import { mapLimited } from '#platform/concurrency';
import type { StartPorts } from '#runs/ports';

export interface ResyncStart {
  readonly planId: string;
  readonly orderId: string;
  readonly runId: string;
}

export interface TickResult {
  readonly at: string;
  /** Plans looked at */
  readonly evaluated: number;
  readonly started: { planId: string; runId: string; slot: string }[];
  /** Due plans that did not start, and why: slot-taken, running, deleted, unchecked (no plan check passed yet) */
  readonly skipped: { planId: string; slot: string; reason: 'slot-taken' | 'running' | 'deleted' | 'unchecked' }[];
  readonly failed: { planId: string; code: string; message: string; retryable: boolean }[];
  /** Resyncs asked while a run held their plan, started now that it is free */
  readonly resyncs?: ResyncStart[];
  /** Enabled plans without a run gone through for `OVERDUE_AFTER_SLOTS` of their slots */
  readonly overdue: OverduePlan[];
}

const TICK_CONCURRENCY = 8;

export async function tick(ports: StartPorts, now: Date = clock(ports)): Promise<TickResult> {
  const result: { -readonly [K in keyof TickResult]: TickResult[K] } = { at: now.toISOString(), evaluated: 0, started: [], skipped: [], failed: [], overdue: [] };
  const due: { stored: StoredPlan; slot: string }[] = [];
  const resyncsWaiting: StoredPlan[] = [];
  const readable: StoredPlan[] = [];
  for await (const entry of ports.plans.all()) {
    result.evaluated += 1;
    if (!('plan' in entry)) {
      result.failed.push({ planId: entry.planId, code: 'STORE_CORRUPT_ITEM', message: entry.issues.join('; '), retryable: false });
      continue;
    }
    if (entry.resyncRequests?.length) resyncsWaiting.push(entry);
    readable.push(entry);
    const decision = isDue(entry.plan.schedule, now, entry.lastSlot);
    if (decision.due && entry.checkPassedAt === undefined) result.skipped.push({ planId: entry.plan.id, slot: decision.slot, reason: 'unchecked' });
    else if (decision.due) due.push({ stored: entry, slot: decision.slot });
    else if (decision.reason === 'slot-taken' && decision.slot) result.skipped.push({ planId: entry.plan.id, slot: decision.slot, reason: 'slot-taken' });
  }

  await mapLimited(due, TICK_CONCURRENCY, async ({ stored, slot }) => {
    const planId = stored.plan.id;
    if (!(await ports.plans.claimSlot(planId, slot, now))) {
      result.skipped.push({ planId, slot, reason: 'slot-taken' });
      return;
    }
    try {
      const run = await startRun(ports, { planId, trigger: 'schedule', slot });
      result.started.push({ planId, runId: run.runId, slot });
    } catch (error) {
      if (error instanceof RunInProgressError) {
        result.skipped.push({ planId, slot, reason: 'running' });
        return;
      }
      if (error instanceof PlanNotFoundError) {
        result.skipped.push({ planId, slot, reason: 'deleted' });
        return;
      }
      await ports.plans.releaseSlot(planId, slot, stored.lastSlot ?? null).catch(() => false);
      log(ports).error('scheduled run did not start', { planId, slot, error });
      result.failed.push({
        planId,
        code: error instanceof AppError ? error.code : 'START_FAILED',
        message: (error as Error).message,
        retryable: isRetryable(error),
      });
    }
  });
  // After the scheduled runs: a plan whose slot just started keeps its resyncs for the next tick.
  const resyncs = (await mapLimited(resyncsWaiting, TICK_CONCURRENCY, (stored) => startRequestedResync(ports, stored))).filter((r) => r !== null);
  if (resyncs.length) result.resyncs = resyncs;
  result.overdue = await overduePlans(ports, readable, now);
  return result;
}

/** Starts the first requested resync of the plan if the plan is free; null when none started. */
async function startRequestedResync(ports: StartPorts, stored: StoredPlan): Promise<ResyncStart | null> {
  const orderId = stored.resyncRequests?.[0];
  if (!orderId) return null;
  const planId = stored.plan.id;
  try {
    const run = await startRun(ports, { planId, trigger: 'resync', orderId });
    await ports.plans.clearResync(planId, orderId);
    return { planId, orderId, runId: run.runId };
  } catch (error) {
    if (error instanceof RunInProgressError) return null;
    log(ports).warn('requested resync did not start; the next tick tries again', { planId, orderId, error });
    return null;
  }
}
