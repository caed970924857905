/**
 * The collector function: consumes the run queue (SQS FIFO event source with
 * `reportBatchItemFailures`), one collect message per run → `processRunMessage`. Records are
 * validated one by one; a record that fails (retryable trouble, or a message that does not
 * parse) is reported in `batchItemFailures` and, FIFO, the rest of its group with it.
 */
import middy from '@middy/core';
import { SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { MetricUnit } from '#platform/observability';
import { processRunMessage, type CollectorPorts } from '#runs/collector';
import { parseCollectMessage } from '#runs/queue';
import { clientConnectors } from '#runs/connectors';
import { createEventPublisher, createRepositories, runPorts, type PortOverrides } from '#runs/wiring';
import { AwsSecretsProvider } from '#secrets/aws';
import type { CollectBody } from '#runs/collector';
import type { CollectorConfig } from './config.ts';

export function collectorPortsFromConfig(config: CollectorConfig, overrides: PortOverrides & { collect?: CollectBody } = {}): CollectorPorts {
  const storeConfig = { tableName: config.TABLE_NAME, lockTtlSeconds: config.LOCK_TTL_SECONDS, runRetentionDays: config.RUN_RETENTION_DAYS };
  const repositories = createRepositories({
    ...storeConfig,
    ...(config.DYNAMODB_ENDPOINT ? { dynamodbEndpoint: config.DYNAMODB_ENDPOINT } : {}),
    ...(config.AWS_REGION ? { region: config.AWS_REGION } : {}),
  });
  const events = overrides.events ?? createEventPublisher({ eventBusName: config.EVENT_BUS_NAME });
  return {
    ...runPorts(repositories, events, storeConfig, overrides),
    secrets: overrides.secrets ?? new AwsSecretsProvider({ maxAgeSeconds: config.SECRETS_CACHE_SECONDS }),
    connectors: overrides.connectors ?? clientConnectors,
    ...(overrides.collect ? { collect: overrides.collect } : {}),
  };
}

export interface CollectorHandlerOptions {
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

export function createCollectorHandler(ports: CollectorPorts, options: CollectorHandlerOptions) {
  const { logger, metrics } = options;

  async function handleRecord(record: SQSRecord): Promise<void> {
    let message;
    try {
      message = parseCollectMessage(record.body);
    } catch (error) {
      logger.error('run message does not parse; it will go to the DLQ', { messageId: record.messageId, error });
      throw error;
    }
    logger.appendKeys({ planId: message.planId, runId: message.runId });
    const outcome = await processRunMessage({ ...ports, logger }, message);
    metrics?.addMetric(outcome === 'finished' ? 'RunsFinished' : outcome === 'continuing' ? 'RunsContinuing' : 'RunMessagesIgnored', MetricUnit.Count, 1);
    logger.info('run message processed', { outcome });
  }

  async function handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const processor = new SqsFifoPartialProcessorAsync();
    const response = await processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false, skipGroupOnError: true });
    return { batchItemFailures: response.batchItemFailures.map((f) => ({ itemIdentifier: f.itemIdentifier })) };
  }

  const wrapped = middy(handle).use(injectLambdaContext(logger, { resetKeys: true }));
  return metrics ? wrapped.use(logMetrics(metrics)) : wrapped;
}
