// Stage 1 of 6, tick: takes EventBridge's minute and the plans' schedules, hands each due plan (and each waiting resync) to start run.
/**
 * The tick (EventBridge, every minute): starts a run of every enabled plan whose schedule is
 * due now, in the plan's time zone. Each due slot is claimed on the plan item with a condition
 * before the run starts, so a replayed or concurrent tick cannot start a second run for it. A
 * plan's failure is that plan's: a store error on its claim is a failed entry (retryable), the
 * other plans, the resyncs and the heartbeat go on. A plan that another run holds (a manual
 * run, a resync, a run longer than its slot) is skipped as `running`, and its slot given back,
 * so the slot in progress starts at the first tick that finds the plan free, still within the
 * slot, rather than being lost (a once-a-day window would wait a day). If starting fails for
 * another reason, the claim is given back too so a retried tick can start the slot.
 *
 * A tick can die between the claim and the run's start (killed, timed out on a hung request).
 * The claim names the run it is for (`lastSlotRunId`); once it is older than the tick's timeout
 * the tick that made it has ended for sure, and if that run was never written nobody will write
 * it: a later tick within the slot claims the slot again, over that claim, and starts it. Why
 * not take the claim in the lock's transaction in `startRun` instead: a tick dying after that
 * transaction but before the run's write would still lose the slot (and hold the plan until the
 * lock's lease ran out), and a busy plan would have to be told from a taken slot by the
 * transaction's cancellation reasons; a claim that names its run, looked up once its tick is
 * certainly over, covers every point a tick can die at, for one read of the run by a later
 * tick (a plan whose slot in progress was claimed more than a minute ago).
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
import { newRunId } from '#runs/run-id';
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

/** The tick function's timeout: the stack gives the function this one (infra imports it from here). */
export const TICK_TIMEOUT_SECONDS = 60;

/**
 * The run a claim of the slot in progress was made for, when the tick that made it has ended
 * for sure: claimed longer ago than a tick may last. Undefined otherwise, and for a slot taken
 * without a run (a plan's first store), which is never taken over.
 */
function claimOutlivingItsTick(stored: StoredPlan, slot: string, now: Date): string | undefined {
  if (stored.lastSlot !== slot || stored.lastSlotRunId === undefined || stored.lastSlotClaimedAt === undefined) return undefined;
  return now.getTime() - Date.parse(stored.lastSlotClaimedAt) > TICK_TIMEOUT_SECONDS * 1000 ? stored.lastSlotRunId : undefined;
}

export async function tick(ports: StartPorts, now: Date = clock(ports)): Promise<TickResult> {
  const result: { -readonly [K in keyof TickResult]: TickResult[K] } = { at: now.toISOString(), evaluated: 0, started: [], skipped: [], failed: [], overdue: [] };
  /** `replacing`: the run of an earlier claim of the slot, to be taken over if that run never started */
  const due: { stored: StoredPlan; slot: string; replacing?: string }[] = [];
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
    else if (decision.reason === 'slot-taken' && decision.slot) {
      const replacing = claimOutlivingItsTick(entry, decision.slot, now);
      if (replacing !== undefined && entry.checkPassedAt !== undefined) due.push({ stored: entry, slot: decision.slot, replacing });
      else result.skipped.push({ planId: entry.plan.id, slot: decision.slot, reason: 'slot-taken' });
    }
  }

  await mapLimited(due, TICK_CONCURRENCY, async ({ stored, slot, replacing }) => {
    const planId = stored.plan.id;
    const runId = newRunId(clock(ports));
    // Given back to what came before it. Over a dead tick's claim that is the same slot, so
    // nothing is restored: the slot in progress is then due again, which is the point.
    const previous = replacing === undefined ? (stored.lastSlot ?? null) : null;
    // Only this tick's claim (it names `runId`) is given back: after a store error on the claim
    // itself that is the claim if it landed unanswered, and never another tick's.
    const giveBack = () => ports.plans.releaseSlot(planId, slot, previous, runId).catch(() => false);
    try {
      if (replacing !== undefined && (await ports.runs.get(planId, replacing))) {
        result.skipped.push({ planId, slot, reason: 'slot-taken' });
        return;
      }
      if (!(await ports.plans.claimSlot(planId, slot, now, { runId, ...(replacing === undefined ? {} : { replacing }) }))) {
        result.skipped.push({ planId, slot, reason: 'slot-taken' });
        return;
      }
      if (replacing !== undefined) log(ports).warn('slot claimed again: the tick that claimed it ended before its run started', { planId, slot, runId: replacing });
      const run = await startRun(ports, { planId, trigger: 'schedule', slot, runId });
      result.started.push({ planId, runId: run.runId, slot });
    } catch (error) {
      if (error instanceof RunInProgressError) {
        await giveBack();
        log(ports).info('plan running at its slot: slot given back, it starts once the plan is free', { planId, slot, heldBy: error.runningRunId });
        result.skipped.push({ planId, slot, reason: 'running' });
        return;
      }
      if (error instanceof PlanNotFoundError) {
        result.skipped.push({ planId, slot, reason: 'deleted' });
        return;
      }
      await giveBack();
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
