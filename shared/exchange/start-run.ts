// Stage 2 of 6, start run: takes a due plan, a manual run or a resync, hands one collect message to collect (a run that cannot be queued, to finalize's close).
/**
 * A run's start: `startRun` takes the plan's lock (closing as abandoned a run whose lock
 * expired), writes the run and sends the "collect" message. The tick starts scheduled runs and
 * requested resyncs, the control API manual ones; a run that cannot be queued is closed at once
 * (`finishRun`, `#exchange/finalize`). A run's events
 * (`run.started`, `run.completed`, `run.attention`, `run.failed`) are not put from here: they are derived from
 * the run item's changes on the table's stream (`#exchange/run-events`), so none is lost.
 */
import { PlanNotFoundError } from '#plans/errors';
import { LockHeldError, PlanMissingError, RunMissingError, RunNotRunningError } from '#store/errors';
import type { RunProblem, RunRecord, RunTrigger } from '#store/runs';
import { RunInProgressError } from '#runs/errors';
import { clock } from '#platform/clock';
import { log } from '#platform/logger';
import type { RunPorts, StartPorts } from '#runs/ports';
import { newRunId } from '#runs/run-id';
import { finishRun } from './finalize.ts';

/** At most this many of an abandoned run's products go to the next run (the rest: when next touched). */
const INHERITED_PRODUCTS = 1_000;

export interface StartRunRequest {
  readonly planId: string;
  readonly trigger: RunTrigger;
  /** The schedule slot (trigger `schedule`) */
  readonly slot?: string;
  /** The order to resync (trigger `resync`) */
  readonly orderId?: string;
  /** The run's id when the caller chose it (the tick names it in the slot's claim); a new one otherwise */
  readonly runId?: string;
}

/**
 * Starts a run of the plan: RunInProgressError while another run holds the plan,
 * PlanNotFoundError without the plan. A run abandoned by a crash (its lock expired) is closed
 * as failed when its lock is taken over.
 */
export async function startRun(ports: StartPorts, request: StartRunRequest): Promise<RunRecord> {
  const { planId, trigger } = request;
  const now = clock(ports);
  const runId = request.runId ?? newRunId(now);
  const previous = await ports.locks.get(planId);
  try {
    await ports.locks.acquire(planId, runId, { ttlMs: ports.lockTtlMs, now });
  } catch (error) {
    if (error instanceof LockHeldError) throw new RunInProgressError(planId, error.holderRunId);
    if (error instanceof PlanMissingError) throw new PlanNotFoundError(planId);
    throw error;
  }
  // The abandoned run's work is this run's: its Goodwix changes come again (the cursor did not
  // move), and the reserves it was to refresh are refreshed when this run closes.
  const inherited = previous && previous.runId !== runId ? await closeAbandoned(ports, planId, previous.runId, previous.expiresAt) : [];

  let run: RunRecord;
  try {
    run = await ports.runs.create({
      planId,
      runId,
      trigger,
      startedAt: now,
      ...(request.slot ? { slot: request.slot } : {}),
      ...(request.orderId ? { orderId: request.orderId } : {}),
      ...(inherited.length ? { products: inherited } : {}),
    });
  } catch (error) {
    // The write may have landed although its answer was lost. A run item left `running` would
    // have announced run.started (the table's stream) and never end, so it is closed if it is
    // there. The lock goes only once no running item can be left behind; otherwise it stays,
    // and the next start, taking the expired lock over, closes the run as abandoned.
    const settled = await ports.runs.close(planId, runId, { status: 'failed', endedAt: clock(ports), summary: 'not started' }).then(
      () => true,
      (closeError: unknown) => closeError instanceof RunMissingError || closeError instanceof RunNotRunningError,
    );
    if (settled) await ports.locks.release(planId, runId).catch(() => false);
    throw error;
  }
  log(ports).info('run started', { planId, runId, trigger });
  try {
    await ports.queue.sendCollect({ kind: 'collect', planId, runId, trigger, ...(request.orderId ? { orderId: request.orderId } : {}) });
  } catch (error) {
    const problem: RunProblem = { code: 'RUN_QUEUE_FAILED', subject: 'run queue', message: 'run queue: the run could not be queued' };
    await finishRun(ports, { planId, runId, problems: [problem], status: 'failed' }).catch(() => null);
    throw error;
  }
  return run;
}

/** Closes a run whose lock expired as failed; answers the products whose reserves it was to refresh. */
async function closeAbandoned(ports: RunPorts, planId: string, runId: string, expiredAt: string): Promise<string[]> {
  try {
    if (!(await closeAbandonedRun(ports, planId, runId, { expiredAt, fate: 'was taken over' }))) return [];
    // Kept on the new run's item (a set read like an older run's): bounded, so the item stays small.
    return await ports.runs.products(planId, runId, INHERITED_PRODUCTS);
  } catch (error) {
    // The start goes on: the lock is this run's, and the next start cannot close the old run anyway.
    log(ports).warn('could not close abandoned run', { planId, runId, error });
    return [];
  }
}

/**
 * Closes as failed (`RUN_ABANDONED`) a run whose lock expired: false when it was not running
 * (closed meanwhile, or gone with its TTL); any other failure of the close is thrown. `fate`
 * says what became of the lock: taken over by a new run, or deleted with its plan (the control
 * API's `deletePlan`, for which the lock was the last pointer to the run).
 */
export async function closeAbandonedRun(ports: RunPorts, planId: string, runId: string, lock: { expiredAt: string; fate: string }): Promise<boolean> {
  try {
    // In the close's own write: the lock may have outlived a run that closed (its finalizer
    // killed before the release, the release between the caller's read of the lock and this
    // close), or the run's finalizer may complete it right now; a completed run must not show an
    // "abandoned" problem nor hand on its products.
    await ports.runs.close(planId, runId, {
      status: 'failed', endedAt: clock(ports), summary: 'abandoned',
      problems: [{ code: 'RUN_ABANDONED', subject: 'run', message: `run: abandoned; its lock expired at ${lock.expiredAt} and ${lock.fate}` }],
    });
    log(ports).warn('abandoned run closed', { planId, runId });
    return true;
  } catch (error) {
    // Closed already (it released its lock late), or gone with its TTL: nothing to do.
    if (error instanceof RunNotRunningError || error instanceof RunMissingError) return false;
    throw error;
  }
}
