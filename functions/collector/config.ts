/** Configuration of the collector function (environment variables, parsed at module load). */
import * as z from '#platform/zod';
import { accessEnv, commonEnv, envInt, envUrl, parseConfig, secretsCacheEnv } from '#platform/env';
import { runQueueDefinition } from '#aws/run-queue';

export const collectorConfigSchema = z.object({
  ...commonEnv,
  /** The run queue, for the back-off of a collection that failed for now (ChangeMessageVisibility) */
  RUN_QUEUE_URL: envUrl(),
  /** The order queue the collection sends one message per order to */
  ORDER_QUEUE_URL: envUrl(),
  /** The run queue's maxReceiveCount; on the last delivery a run that still fails is closed `failed` instead of thrown to the DLQ */
  MAX_RECEIVE_COUNT: envInt(runQueueDefinition.maxReceiveCount, 1, 1000),
  /** First back-off of a failed collection, doubled on each delivery (capped at 10 min) */
  RETRY_BASE_SECONDS: envInt(30, 0, 300),
  SECRETS_CACHE_SECONDS: secretsCacheEnv(),
  ...accessEnv,
});

export type CollectorConfig = z.output<typeof collectorConfigSchema>;

export function loadCollectorConfig(env: Readonly<Record<string, string | undefined>>): CollectorConfig {
  return parseConfig('collector', collectorConfigSchema, env);
}
