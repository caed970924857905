/**
 * The heartbeat of each plan: an enabled plan is overdue when `OVERDUE_AFTER_SLOTS` slots of
 * its own schedule have begun since a run of it last went through (ended in any state but
 * `failed`), or since the plan was last saved if that is later (a new or re-enabled plan is not
 * overdue for slots it was not asked to run). Counted in the plan's schedule, so nights,
 * weekends and windows are not gaps. The tick asks every minute and puts the count as a metric
 * (`PlansOverdue`), which one alarm watches for the whole deployment.
 *
 * Why the tick: it already reads every plan each minute, so a per-plan heartbeat costs one
 * small query of the plan's latest runs, one datapoint a minute, and no metric per plan.
 */
import { nextSlot } from '#plans/schedule';
import type { StoredPlan } from '#store/plans';
import type { RunRecord } from '#store/runs';
import { log } from '#platform/logger';
import { mapLimited } from '#platform/concurrency';
import type { RunPorts } from './ports.ts';

/** Slots begun without a run going through before a plan counts as overdue. */
export const OVERDUE_AFTER_SLOTS = 3;

/** How many of a plan's latest runs are looked at for one that went through. */
const RECENT_RUNS = 5;

const CONCURRENCY = 8;

export interface OverduePlan {
  readonly planId: string;
  /** Since when no run went through: the last one's end, or the plan's last save. */
  readonly since: string;
}

/** A run that went through: ended, and not `failed` (`completed`, or one that needs attention). */
function wentThrough(run: RunRecord): boolean {
  return run.status !== 'running' && run.status !== 'failed';
}

/** Slots of the schedule strictly after `since` and at or before `now`, counted up to `limit`. */
export function slotsBegunSince(schedule: StoredPlan['plan']['schedule'], since: Date, now: Date, limit: number): number {
  let count = 0;
  for (let slot = nextSlot(schedule, since); slot && Date.parse(slot.slot) <= now.getTime() && count < limit; slot = nextSlot(schedule, new Date(slot.slot))) count += 1;
  return count;
}

/**
 * The enabled plans among `plans` that are overdue at `now`. A plan whose runs cannot be read
 * is left out with a warning: the heartbeat must not stop the tick.
 */
export async function overduePlans(ports: RunPorts, plans: readonly StoredPlan[], now: Date, afterSlots = OVERDUE_AFTER_SLOTS): Promise<OverduePlan[]> {
  const enabled = plans.filter((p) => p.plan.schedule.enabled !== false);
  const results = await mapLimited(enabled, CONCURRENCY, async (stored): Promise<OverduePlan | null> => {
    const saved = new Date(stored.updatedAt);
    // A plan saved fewer slots ago than the limit cannot be overdue: no query.
    if (slotsBegunSince(stored.plan.schedule, saved, now, afterSlots) < afterSlots) return null;
    try {
      const { items } = await ports.runs.list(stored.plan.id, { limit: RECENT_RUNS });
      const last = items.find(wentThrough);
      const ended = last ? new Date(last.endedAt ?? last.startedAt) : undefined;
      const since = ended && ended > saved ? ended : saved;
      return slotsBegunSince(stored.plan.schedule, since, now, afterSlots) >= afterSlots ? { planId: stored.plan.id, since: since.toISOString() } : null;
    } catch (error) {
      log(ports).warn('heartbeat: the plan\'s runs could not be read', { planId: stored.plan.id, error });
      return null;
    }
  });
  return results.filter((r): r is OverduePlan => r !== null);
}
