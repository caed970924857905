/**
 * The collector function: consumes the run queue (SQS FIFO event source with
 * `reportBatchItemFailures`), one collect message per run → `processRunMessage`. Records are
 * validated one by one; a record that fails (retryable trouble, or a message that does not
 * parse) is reported in `batchItemFailures` and, FIFO, the rest of its group with it. A
 * collection that failed for now comes back after a back-off of seconds to minutes; on its last
 * delivery the run is closed `failed` with the reason (`processRunMessage`).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { fifoBatchHandler } from '#functions/lib/fifo-batch';
import { MetricUnit } from '#platform/observability';
import { orderCollector, processRunMessage, type CollectBody, type CollectorPorts } from '#exchange/collect';
import { parseCollectMessage, SqsRunQueue } from '#aws/run-queue';
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

/** The collector's ports, and how a collection that failed for now is retried. */
export interface CollectorFunctionPorts extends CollectorPorts {
  /** The run queue: a failed delivery's back-off */
  readonly runQueue: Pick<SqsRunQueue, 'retryLater'>;
  /** The run queue's maxReceiveCount: the last delivery closes a run that still fails */
  readonly maxReceiveCount: number;
  readonly retryBaseSeconds: number;
}

/**
 * The collector's ports. A run's work is the order collection (`#exchange/collect`: plan check,
 * Goodwix changes, 1C probes, one order message each); `overrides.collect` replaces it in tests.
 */
export function collectorPortsFromConfig(config: CollectorConfig, overrides: PortOverrides & { collect?: CollectBody; tuning?: ClientTuning } = {}): CollectorFunctionPorts {
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
    runQueue: new SqsRunQueue(sqs, config.RUN_QUEUE_URL),
    maxReceiveCount: config.MAX_RECEIVE_COUNT,
    retryBaseSeconds: config.RETRY_BASE_SECONDS,
  };
}

export interface CollectorHandlerOptions {
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

export function createCollectorHandler(ports: CollectorFunctionPorts, options: CollectorHandlerOptions) {
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
    const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
    let outcome;
    try {
      outcome = await processRunMessage({ ...ports, logger }, message, { receiveCount, maxReceiveCount: ports.maxReceiveCount });
    } catch (error) {
      await ports.runQueue.retryLater(record.receiptHandle, receiveCount, ports.retryBaseSeconds).catch((e: unknown) => logger.warn('back-off not set', { error: String(e) }));
      throw error;
    }
    metrics?.addMetric(outcome === 'finished' ? 'RunsFinished' : outcome === 'continuing' ? 'RunsContinuing' : 'RunMessagesIgnored', MetricUnit.Count, 1);
    logger.info('run message processed', { outcome });
  }

  return fifoBatchHandler(handleRecord, { logger, metrics });
}
