/** Latency and errors of every 1C and Goodwix request, per plan, as CloudWatch metrics (EMF). */
import { MetricUnit, planMetric } from '#platform/observability';
import type { SyncMetrics } from './finalize.ts';
import type { ClientObserver } from './plan-clients.ts';

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
