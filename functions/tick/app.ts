/**
 * The tick function: invoked by an EventBridge schedule every minute; starts the runs of the
 * plans that are due (`#exchange/tick`). A failure to start one plan does not stop the others; the
 * result is logged and returned.
 */
import middy from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { MetricUnit } from '#platform/observability';
import * as z from '#platform/zod';
import { describeZodError } from '#platform/zod';
import type { StartPorts } from '#runs/ports';
import { tick, type TickResult } from '#exchange/tick';
import { commonPorts, createRunQueue, sqsTarget, type PortOverrides } from '#runs/wiring';
import type { TickConfig } from './config.ts';

/** An EventBridge scheduled event (only what the tick reads). */
const scheduledEventSchema = z.object({
  'detail-type': z.optional(z.string()),
  source: z.optional(z.string()),
  time: z.optional(z.iso.datetime()),
});

export function tickPortsFromConfig(config: TickConfig, overrides: PortOverrides = {}): StartPorts {
  const { run } = commonPorts(config, overrides);
  return { ...run, queue: createRunQueue({ runQueueUrl: config.RUN_QUEUE_URL, ...sqsTarget(config), instrument: overrides.instrument }) };
}

export interface TickHandlerOptions {
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

export function createTickHandler(ports: StartPorts, options: TickHandlerOptions) {
  const { logger, metrics } = options;

  async function handle(event: unknown, _context: Context): Promise<TickResult> {
    const parsed = scheduledEventSchema.safeParse(event ?? {});
    if (!parsed.success) logger.warn('unexpected tick event; ticking anyway', { issues: describeZodError(parsed.error) });
    // Evaluated at the current instant: a late or replayed event finds its slot taken.
    const result = await tick({ ...ports, logger });
    metrics?.addMetric('RunsStartedBySchedule', MetricUnit.Count, result.started.length);
    if (result.failed.length) metrics?.addMetric('ScheduledStartFailures', MetricUnit.Count, result.failed.length);
    // Every tick, 0 included: the PlansOverdue alarm reads the latest count.
    metrics?.addMetric('PlansOverdue', MetricUnit.Count, result.overdue.length);
    const level = result.failed.length ? 'error' : result.overdue.length ? 'warn' : 'info';
    logger[level]('tick', { evaluated: result.evaluated, started: result.started, skipped: result.skipped, failed: result.failed, overdue: result.overdue });
    return result;
  }

  const wrapped = middy(handle).use(injectLambdaContext(logger, { resetKeys: true }));
  return metrics ? wrapped.use(logMetrics(metrics)) : wrapped;
}
