/**
 * Closing a run, once its last order is done (or at once when it had none): the reserves of
 * every product the run touched are read back from 1C and pushed to Goodwix, the Goodwix cursor
 * moves past what this run collected (every collected order reached its target or is parked,
 * and parked orders are retried from the open index, never from the cursor), and the run is
 * closed with its counters. Whoever finishes the last order closes the run; a claim on the run
 * item makes sure only one does.
 */
import { AppError } from '#platform/errors';
import type { Plan } from '#plans/plan';
import { finishRun } from '#runs/lifecycle';
import type { RunPorts } from '#runs/ports';
import type { CursorRepository } from '#store/cursors';
import type { RunProblem } from '#store/runs';
import type { PlanClientCache } from './plan-clients.ts';
import { decodeProduct, refreshReserves } from './reserves.ts';
import type { RunProgressRepository } from './run-progress.ts';

/** The Goodwix change feed's position of a plan (`CURSOR#goodwix-orders`). */
export const GOODWIX_CURSOR = 'goodwix-orders';

/** Metrics the sync emits, per plan (a port: Powertools EMF in Lambda, nothing in tests). */
export interface SyncMetrics {
  count(name: string, value: number, planId: string): void;
  seconds(name: string, value: number, planId: string): void;
}

export interface FinalizeDeps {
  readonly run: RunPorts;
  readonly metrics?: SyncMetrics;
  readonly progress: RunProgressRepository;
  readonly cursors: CursorRepository;
  readonly clients: PlanClientCache;
}

/** Closes the run if all of its orders are done and nobody else is closing it; true if this call closed it. */
export async function finalizeIfDone(deps: FinalizeDeps, planId: string, runId: string, claimant: string): Promise<boolean> {
  const progress = await deps.progress.get(planId, runId);
  if (progress && progress.status !== 'running') {
    // Closed already. A finalizer that died between closing the run and releasing its lock left
    // the plan locked until the lease ends; the run's next message (its redelivery) lets it go.
    // Conditional on this run holding it: another run's lock is never touched.
    await deps.run.locks.release(planId, runId).catch(() => false);
    return false;
  }
  if (!progress || !progress.collected || progress.done < progress.queued) return false;
  const now = deps.run.now?.() ?? new Date();
  if (!(await deps.progress.claimFinalize(planId, runId, claimant, now))) return false;

  const stored = await deps.run.plans.get(planId);
  const problems: RunProblem[] = [];
  let reservesFailed = false;
  let summary = `${progress.done} order(s) exchanged`;
  if (stored && progress.products.length > 0) {
    try {
      const result = await refreshReserves(await deps.clients.get(stored.plan as Plan), progress.products.map(decodeProduct));
      summary += `, reserves of ${result.products} product(s) refreshed`;
      for (const key of result.unlisted) {
        problems.push({ code: 'SYNC_RESERVE_UNLISTED', subject: `1C product ${key}`, message: `1C product ${key} holds reserves but Goodwix catalog ${stored.plan.goodwix.catalogId} does not list it` });
      }
    } catch (error) {
      // The orders are done; a reserve push that failed is retried by the next run that touches them.
      reservesFailed = true;
      problems.push({ code: error instanceof AppError ? error.code : 'SYNC_RESERVES_FAILED', subject: 'reserves', message: `reserves: not refreshed: ${(error as Error).message}` });
    }
  }
  if (progress.pendingCursor) {
    await deps.cursors.advance(planId, GOODWIX_CURSOR, { position: runId, value: progress.pendingCursor }, now);
  }
  // Unlisted products are worth reading but do not fail a run whose orders all went through.
  const closed = await finishRun(deps.run, { planId, runId, problems, summary, status: reservesFailed ? 'failed' : 'completed' });
  if (closed) {
    deps.metrics?.count(closed.status === 'completed' ? 'RunsCompleted' : 'RunsFailed', 1, planId);
    deps.metrics?.seconds('RunDuration', (Date.parse(closed.endedAt ?? now.toISOString()) - Date.parse(closed.startedAt)) / 1000, planId);
  }
  return true;
}
