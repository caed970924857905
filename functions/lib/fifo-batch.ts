/**
 * The SQS FIFO event source's side of a consumer, shared by the collector and the worker:
 * records one by one, a failed record reported in `batchItemFailures` together with the rest of
 * its message group (FIFO order must hold), wrapped with the Lambda context for the logger and,
 * in AWS, metrics flushed at the end of the invocation.
 */
import middy from '@middy/core';
import { SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export function fifoBatchHandler(handleRecord: (record: SQSRecord) => Promise<void>, options: { logger: Logger; metrics?: Metrics | undefined }) {
  async function handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const processor = new SqsFifoPartialProcessorAsync();
    const response = await processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false, skipGroupOnError: true });
    return { batchItemFailures: response.batchItemFailures.map((f) => ({ itemIdentifier: f.itemIdentifier })) };
  }
  const wrapped = middy(handle).use(injectLambdaContext(options.logger, { resetKeys: true }));
  return options.metrics ? wrapped.use(logMetrics(options.metrics)) : wrapped;
}
