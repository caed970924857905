/**
 * Resyncs asked while a run held their plan (`requestResync` records them on the plan item):
 * the tick starts them once the plan is free, one run per order, so a resync is never refused
 * and is done right after the run that held the plan. A plan still running keeps its requests
 * for the next tick.
 */
import type { StoredPlan } from '#store/plans';
import { RunInProgressError } from './errors.ts';
import { startRun } from '#exchange/start-run';
import { log } from '#platform/logger';
import type { StartPorts } from './ports.ts';

export interface ResyncStart {
  readonly planId: string;
  readonly orderId: string;
  readonly runId: string;
}

/** Starts the first requested resync of the plan if the plan is free; null when none started. */
export async function startRequestedResync(ports: StartPorts, stored: StoredPlan): Promise<ResyncStart | null> {
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
