/** Latency and errors of every 1C and Goodwix request, per plan, as CloudWatch metrics (EMF). */
import { MetricUnit, planMetric, serviceMetric } from '#platform/observability';
import type { ClientObserver } from './plan-clients.ts';

/** Metrics the sync emits, per plan (a port: Powertools EMF in Lambda, nothing in tests). */
export interface SyncMetrics {
  count(name: string, value: number, planId: string): void;
  seconds(name: string, value: number, planId: string): void;
}


export const clientMetrics: ClientObserver = {
  onec(event, planId) {
    planMetric('OneCLatency', MetricUnit.Milliseconds, event.durationMs, planId);
    if (event.error !== undefined || (event.status ?? 0) >= 500) planMetric('OneCErrors', MetricUnit.Count, 1, planId);
  },
  goodwix(event, planId) {
    planMetric('GoodwixLatency', MetricUnit.Milliseconds, event.durationMs, planId);
    if (event.error !== undefined || (event.status ?? 0) >= 500 || event.status === 429) planMetric('GoodwixErrors', MetricUnit.Count, 1, planId);
  },
};

/** The sync's own metrics (orders, conflicts, runs), per plan. */
export const syncMetrics: SyncMetrics = {
  count: (name, value, planId) => planMetric(name, MetricUnit.Count, value, planId),
  seconds: (name, value, planId) => planMetric(name, MetricUnit.Seconds, value, planId),
};

/**
 * Parked orders of a plan, reported by the collector each run: `ParkedOrders` (how many) and
 * `OldestParkedAge` (seconds), per plan and for the deployment (the alarms read the latter's
 * maximum: some plan has parked orders, some order is parked longer than a day).
 */
export function stuckOrderMetrics(planId: string, parked: number, oldestAgeSeconds: number): void {
  planMetric('ParkedOrders', MetricUnit.Count, parked, planId);
  planMetric('OldestParkedAge', MetricUnit.Seconds, oldestAgeSeconds, planId);
  serviceMetric('ParkedOrders', MetricUnit.Count, parked);
  serviceMetric('OldestParkedAge', MetricUnit.Seconds, oldestAgeSeconds);
}
