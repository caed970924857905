/**
 * The events function: consumes the table's stream (filtered to the changes that are run
 * events, `RUN_EVENT_FILTER_PATTERNS`) and puts the events on the bus (`#exchange/run-events`).
 * A bus failure answers the first record to retry in `batchItemFailures`: Lambda resumes the
 * shard there, so nothing after it is lost and nothing before it is put twice.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { MetricUnit } from '#platform/observability';
import * as z from '#platform/zod';
import { describeZodError } from '#platform/zod';
import { eventBridgePublisher } from '#aws/event-bus';
import { forwardRunEvents, type EventPublisher, type StreamRecord } from '#exchange/run-events';
import type { EventsConfig } from './config.ts';

export function eventPublisherFromConfig(config: EventsConfig): EventPublisher {
  return eventBridgePublisher({ region: config.AWS_REGION, busName: config.EVENT_BUS_NAME });
}

/** A DynamoDB stream batch (only what the function reads; images stay as DynamoDB JSON). */
const streamEventSchema = z.object({
  Records: z.array(
    z.object({
      eventName: z.optional(z.string()),
      dynamodb: z.optional(
        z.object({
          Keys: z.optional(z.record(z.string(), z.unknown())),
          NewImage: z.optional(z.record(z.string(), z.unknown())),
          OldImage: z.optional(z.record(z.string(), z.unknown())),
          SequenceNumber: z.optional(z.string()),
        }),
      ),
    }),
  ),
});

export function createEventsHandler(publisher: EventPublisher, options: { logger: Logger; metrics?: Metrics }) {
  const { logger, metrics } = options;
  return async function handle(event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> {
    if (context) logger.addContext(context);
    try {
      const parsed = streamEventSchema.safeParse(event);
      // Not a stream batch at all: nothing to resume from, and retrying cannot make it one.
      if (!parsed.success) {
        logger.error('not a DynamoDB stream batch; ignored', { issues: describeZodError(parsed.error) });
        return { batchItemFailures: [] };
      }
      const records: readonly StreamRecord[] = parsed.data.Records;
      const result = await forwardRunEvents(records, publisher, { logger });
      metrics?.addMetric('RunEventsPublished', MetricUnit.Count, result.published);
      // The RunFailures alarm counts failed runs here, as they are put: no later hop (rule, log group) can lose one.
      if (result.failedRuns) metrics?.addMetric('RunFailedEvents', MetricUnit.Count, result.failedRuns);
      if (result.retryFrom) metrics?.addMetric('RunEventsRetried', MetricUnit.Count, 1);
      if (result.unreadable) metrics?.addMetric('RunEventRecordsUnreadable', MetricUnit.Count, result.unreadable);
      logger.info('stream batch', { records: records.length, published: result.published, ...(result.retryFrom ? { retryFrom: result.retryFrom } : {}) });
      return { batchItemFailures: result.retryFrom ? [{ itemIdentifier: result.retryFrom }] : [] };
    } finally {
      metrics?.publishStoredMetrics();
    }
  };
}
