/**
 * The collector: what happens to a run's "collect" message. `processRunMessage` owns the
 * run's life around the work (the run still running? the lock still ours? the plan still
 * there?); the work itself is the ports' `collect`, the order collection (`#sync/collect`:
 * the plan check, then one message per order that moved).
 */
import { AppError, isRetryable } from '#platform/errors';
import type { Plan } from '#plans/plan';
import { LockLostError } from '#store/errors';
import type { RunCounters, RunProblem, RunRecord } from '#store/runs';
import type { CheckPorts, PlanCheckResult } from './check-plan.ts';
import { finishRun } from './lifecycle.ts';
import { clock } from '#platform/clock';
import { log } from '#platform/logger';
import type { RunPorts } from './ports.ts';
import type { CollectMessage } from '#aws/run-queue';

export interface CollectContext {
  readonly ports: CollectorPorts;
  readonly plan: Plan;
  /** The stored plan's version (what a recorded check names) */
  readonly planVersion: number;
  readonly run: RunRecord;
  readonly message: CollectMessage;
  /** Extends the run's lock; throws LockLostError when the run lost it. Call between long steps. */
  readonly renewLock: () => Promise<void>;
}

export type CollectOutcome =
  /** The work is over: close the run now with these counters and problems */
  | { readonly status: 'done'; readonly problems: readonly RunProblem[]; readonly counters?: Partial<RunCounters>; readonly summary?: string }
  /** The work goes on elsewhere (per-order messages); whoever finishes it calls `finishRun` */
  | { readonly status: 'continuing' };

export type CollectBody = (ctx: CollectContext) => Promise<CollectOutcome>;

export interface CollectorPorts extends RunPorts, CheckPorts {
  /** The work of a run: the order collection (`orderCollector`) */
  readonly collect: CollectBody;
}

/**
 * Keeps a run's plan check on the plan, as the API's check does: a manual run whose check
 * passed lets the tick run the plan (the documented first run: check, manual run, enable), and
 * a check that timed out at API Gateway can be done by a run instead.
 */
export async function recordRunCheck(ctx: CollectContext, result: PlanCheckResult): Promise<void> {
  await ctx.ports.plans.recordCheck(ctx.plan.id, { checkedAt: result.checkedAt, ok: result.ok, version: ctx.planVersion, problems: result.problems });
}

export type ProcessOutcome = 'finished' | 'continuing' | 'ignored';

/**
 * Handles one collect message. Throws (so the queue redelivers) only for retryable failures;
 * anything permanent closes the run as failed with the reason.
 */
export async function processRunMessage(ports: CollectorPorts, message: CollectMessage): Promise<ProcessOutcome> {
  const { planId, runId } = message;
  const run = await ports.runs.get(planId, runId);
  if (!run) {
    log(ports).warn('collect message for an unknown run: ignored', { planId, runId });
    return 'ignored';
  }
  if (run.status !== 'running') {
    log(ports).info('collect message for a closed run: ignored', { planId, runId, status: run.status });
    // Closed by an invocation that died before releasing the lock: let it go (only if still this run's).
    await ports.locks.release(planId, runId).catch(() => false);
    return 'ignored';
  }
  const renewLock = async () => {
    await ports.locks.renew(planId, runId, { ttlMs: ports.lockTtlMs, now: clock(ports) });
  };
  try {
    await renewLock();
  } catch (error) {
    if (error instanceof LockLostError) {
      await finishRun(ports, {
        planId,
        runId,
        status: 'failed',
        problems: [{ code: error.code, subject: 'run', message: 'run: lost the plan lock before collecting (it expired and was taken over)' }],
      });
      return 'finished';
    }
    throw error;
  }
  const stored = await ports.plans.get(planId);
  if (!stored) {
    await finishRun(ports, { planId, runId, status: 'failed', problems: [{ code: 'PLAN_NOT_FOUND', subject: 'plan', message: `plan: ${planId} no longer exists` }] });
    return 'finished';
  }

  let outcome: CollectOutcome;
  try {
    outcome = await ports.collect({ ports, plan: stored.plan, planVersion: stored.version, run, message, renewLock });
  } catch (error) {
    if (isRetryable(error) && !(error instanceof LockLostError)) {
      log(ports).warn('collect failed, will be retried', { planId, runId, error });
      throw error;
    }
    const code = error instanceof AppError ? error.code : 'COLLECT_FAILED';
    await finishRun(ports, { planId, runId, status: 'failed', problems: [{ code, subject: 'run', message: `run: ${(error as Error).message}` }] });
    return 'finished';
  }
  if (outcome.status === 'continuing') return 'continuing';
  await finishRun(ports, {
    planId,
    runId,
    problems: outcome.problems,
    ...(outcome.counters ? { counters: outcome.counters } : {}),
    ...(outcome.summary ? { summary: outcome.summary } : {}),
  });
  return 'finished';
}
