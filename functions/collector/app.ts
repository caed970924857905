/**
 * The collector function: consumes the run queue (SQS FIFO event source with
 * `reportBatchItemFailures`), one collect message per run → `processRunMessage`. Records are
 * validated one by one; a record that fails (retryable trouble, or a message that does not
 * parse) is reported in `batchItemFailures` and, FIFO, the rest of its group with it.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { fifoBatchHandler } from '#functions/lib/fifo-batch';
import { MetricUnit } from '#platform/observability';
import { orderCollector, processRunMessage, type CollectBody, type CollectorPorts } from '#exchange/collect';
import { parseCollectMessage } from '#aws/run-queue';
import { clientConnectors } from '#runs/connectors';
import { planAccessOf } from '#plans/access';
import { createSqsClient } from '#aws/sqs';
import { commonPorts, sqsTarget, type PortOverrides } from '#runs/wiring';
import { AwsSecretsProvider } from '#aws/secrets-manager';
import { BindingRepository } from '#store/bindings';
import { SqsOrderQueue } from '#aws/order-queue';
import { clientMetrics, stuckOrderMetrics, syncMetrics } from '#sync/client-metrics';
import { PlanClientCache, type ClientTuning } from '#sync/plan-clients';
import type { CollectorConfig } from './config.ts';

/**
 * The collector's ports. A run's work is the order collection (`#exchange/collect`: plan check,
 * Goodwix changes, 1C probes, one order message each); `overrides.collect` replaces it in tests.
 */
export function collectorPortsFromConfig(config: CollectorConfig, overrides: PortOverrides & { collect?: CollectBody; tuning?: ClientTuning } = {}): CollectorPorts {
  const { repositories, run } = commonPorts(config, overrides);
  const secrets = overrides.secrets ?? new AwsSecretsProvider({ maxAgeSeconds: config.SECRETS_CACHE_SECONDS });
  const sqs = createSqsClient({ ...sqsTarget(config), instrument: overrides.instrument });
  const orderQueue = new SqsOrderQueue(sqs, config.ORDER_QUEUE_URL);
  const collect =
    overrides.collect ??
    orderCollector({
      run,
      cursors: repositories.cursors,
      clients: new PlanClientCache(secrets, {
      access: planAccessOf(config),
      secretsMaxAgeSeconds: config.SECRETS_CACHE_SECONDS,
      observer: clientMetrics,
      ...(overrides.tuning ? { tuning: overrides.tuning } : {}),
    }),
      bindings: new BindingRepository(repositories.store),
      reserveState: repositories.reserveState,
      orderQueue,
      finalizeQueue: orderQueue,
      metrics: syncMetrics,
      stuckMetrics: stuckOrderMetrics,
    });
  return {
    ...run,
    secrets,
    access: planAccessOf(config),
    connectors: overrides.connectors ?? clientConnectors,
    collect,
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

  return fifoBatchHandler(handleRecord, { logger, metrics });
}
