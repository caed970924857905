/**
 * The worker function: consumes the order queue (SQS FIFO event source with
 * `reportBatchItemFailures` and `maxConcurrency` toward 1C), one order per message →
 * `processOrderMessage`. A failed record is reported in `batchItemFailures` (FIFO: with the
 * rest of its group) and made invisible for longer on each delivery, so 1C or Goodwix in
 * trouble is retried with back-off instead of hammered. A `finalize` message carries on a run's
 * finalize that ran short of time (`processFinalizeMessage`). Lambda's remaining time reaches
 * the finalize as a `Deadline`; a record is not started with less than 30 s left, but returned
 * at once, visible again (`functions/lib/fifo-batch.ts`).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { fifoBatchHandler } from '#functions/lib/fifo-batch';
import { planAccessOf } from '#plans/access';
import { createSqsClient } from '#aws/sqs';
import { commonPorts, sqsTarget, type PortOverrides } from '#runs/wiring';
import { AwsSecretsProvider } from '#aws/secrets-manager';
import { BindingRepository } from '#store/bindings';
import type { Deadline } from '#platform/limits';
import { parseOrderMessage, SqsOrderQueue } from '#aws/order-queue';
import { clientMetrics, syncMetrics } from '#sync/client-metrics';
import { PlanClientCache, type ClientTuning } from '#sync/plan-clients';
import { processOrderMessage, type WorkerPorts } from '#exchange/sync-order';
import { processFinalizeMessage } from '#exchange/finalize';
import type { WorkerConfig } from './config.ts';

export interface WorkerFunctionPorts {
  readonly ports: WorkerPorts;
  /** The order queue the deliveries come from: failed ones are put back with back-off */
  readonly queue: SqsOrderQueue;
  readonly maxReceiveCount: number;
  readonly retryBaseSeconds: number;
  /** No record is started with less time left than this (its invocation would time out under it) */
  readonly startMarginMs: number;
}

/**
 * Time an order needs at most to be worth starting: one order's exchange, a few 1C and Goodwix
 * requests, even a big one with a slow 1C, and a finalize that stops for time at 60 s left.
 */
export const RECORD_START_MARGIN_MS = 30_000;

export function workerFromConfig(config: WorkerConfig, overrides: PortOverrides & { tuning?: ClientTuning } = {}): WorkerFunctionPorts {
  const { repositories, run } = commonPorts(config, overrides);
  const secrets = overrides.secrets ?? new AwsSecretsProvider({ maxAgeSeconds: config.SECRETS_CACHE_SECONDS });
  const queue = new SqsOrderQueue(createSqsClient({ ...sqsTarget(config), instrument: overrides.instrument }), config.ORDER_QUEUE_URL);
  const ports: WorkerPorts = {
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
    locks: repositories.locks,
    finalizeQueue: queue,
  };
  return { ports, queue, maxReceiveCount: config.MAX_RECEIVE_COUNT, retryBaseSeconds: config.RETRY_BASE_SECONDS, startMarginMs: RECORD_START_MARGIN_MS };
}

export function createWorkerHandler(wiring: WorkerFunctionPorts, options: { logger: Logger; metrics?: Metrics }) {
  const { logger, metrics } = options;
  const ports: WorkerPorts = {
    ...wiring.ports,
    logger,
    ...(metrics ? { metrics: syncMetrics } : {}),
  };

  const receiveCountOf = (record: SQSRecord) => Number(record.attributes.ApproximateReceiveCount ?? '1');

  async function handleRecord(record: SQSRecord, deadline: Deadline): Promise<void> {
    const receiveCount = receiveCountOf(record);
    let message;
    try {
      message = parseOrderMessage(record.body);
    } catch (error) {
      logger.error('order message does not parse; it will go to the DLQ', { messageId: record.messageId, error });
      throw error;
    }
    logger.appendKeys({ planId: message.planId, runId: message.runId, ...(message.kind === 'order' ? { orderId: message.orderId } : {}) });
    try {
      if (message.kind === 'finalize') {
        const closed = await processFinalizeMessage(ports, message, { deadline });
        logger.info('finalize continued', { after: message.after, closed });
        return;
      }
      const leftMs = deadline.remainingMs();
      const result = await processOrderMessage(
        ports,
        message,
        { receiveCount, maxReceiveCount: wiring.maxReceiveCount, ...(leftMs < wiring.startMarginMs ? { shortOfTime: { leftMs, marginMs: wiring.startMarginMs } } : {}) },
        { deadline },
      );
      logger.info('order processed', { outcome: result.outcome, toOneC: result.toOneC, toGoodwix: result.toGoodwix, conflicts: result.conflicts.length });
    } catch (error) {
      logger.warn('order failed, will be retried', { receiveCount, error });
      await wiring.queue.retryLater(record.receiptHandle, receiveCount, wiring.retryBaseSeconds).catch((e: unknown) => logger.warn('back-off not set', { error: String(e) }));
      throw error;
    } finally {
      logger.removeKeys(['planId', 'runId', 'orderId']);
    }
  }

  return fifoBatchHandler(handleRecord, {
    logger,
    metrics,
    startMarginMs: wiring.startMarginMs,
    mustStart: (record) => receiveCountOf(record) >= wiring.maxReceiveCount,
    // Back at once: it did nothing, and the invocation that takes it has its whole time.
    onNotStarted: (record) => wiring.queue.returnNow(record.receiptHandle),
  });
}
