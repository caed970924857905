/**
 * The SQS FIFO event source's side of a consumer, shared by the collector and the worker:
 * records one by one, a failed record reported in `batchItemFailures` together with the rest of
 * its message group (FIFO order must hold), wrapped with the Lambda context for the logger and,
 * in AWS, metrics flushed at the end of the invocation.
 *
 * Time: each record gets the invocation's `Deadline` (Lambda's remaining time), and no record is
 * started with less than `startMarginMs` left. Such records are returned in `batchItemFailures`
 * untouched (`onNotStarted` may make them visible again at once) instead of being cut off by the
 * function's timeout: a timeout would hand every record of the batch back only after the
 * visibility timeout, some of them half done, and one slow neighbour doing that on every
 * delivery would walk the whole batch to the DLQ. A record not started costs one receive; one
 * on its last receive (`mustStart`) is started anyway, since returning it would send it to
 * the DLQ.
 */
import middy from '@middy/core';
import { SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { AppError } from '#platform/errors';
import { deadlineOf, type Deadline } from '#platform/limits';

/** A record left for a later invocation: too little time was left to start it. */
export class RecordNotStartedError extends AppError {
  readonly code = 'RECORD_NOT_STARTED';
  readonly retryable = true;
}

export interface FifoBatchOptions {
  readonly logger: Logger;
  readonly metrics?: Metrics | undefined;
  /** Records are not started with less time than this left (default 0: always started) */
  readonly startMarginMs?: number;
  /** A record that must be started whatever the time (its last delivery) */
  readonly mustStart?: (record: SQSRecord) => boolean;
  /** Called for each record not started, before it is reported */
  readonly onNotStarted?: (record: SQSRecord) => Promise<void>;
}

export function fifoBatchHandler(handleRecord: (record: SQSRecord, deadline: Deadline) => Promise<void>, options: FifoBatchOptions) {
  const margin = options.startMarginMs ?? 0;
  async function handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const deadline = deadlineOf(context);
    let notStarted = 0;
    const guarded = async (record: SQSRecord): Promise<void> => {
      if (margin > 0 && deadline.remainingMs() < margin && !options.mustStart?.(record)) {
        notStarted += 1;
        await options.onNotStarted?.(record).catch((error: unknown) => options.logger.warn('record not started: visibility not reset', { messageId: record.messageId, error: String(error) }));
        throw new RecordNotStartedError(`record ${record.messageId} not started: ${deadline.remainingMs()} ms left`);
      }
      await handleRecord(record, deadline);
    };
    const processor = new SqsFifoPartialProcessorAsync();
    const response = await processPartialResponse(event, guarded, processor, { context, throwOnFullBatchFailure: false, skipGroupOnError: true });
    if (notStarted > 0) options.logger.info('records not started, time running out: returned for another invocation', { notStarted, records: event.Records.length });
    return { batchItemFailures: response.batchItemFailures.map((f) => ({ itemIdentifier: f.itemIdentifier })) };
  }
  const wrapped = middy(handle).use(injectLambdaContext(options.logger, { resetKeys: true }));
  return options.metrics ? wrapped.use(logMetrics(options.metrics)) : wrapped;
}
