/** Configuration of the worker function (environment variables, parsed at module load). */
import * as z from '#platform/zod';
import { accessEnv, commonEnv, envInt, envUrl, parseConfig, secretsCacheEnv } from '#platform/env';
import { orderQueueDefinition } from '#aws/order-queue';

export const workerConfigSchema = z.object({
  ...commonEnv,
  /** The order queue, for the back-off of failed messages (ChangeMessageVisibility) */
  ORDER_QUEUE_URL: envUrl(),
  SECRETS_CACHE_SECONDS: secretsCacheEnv(),
  ...accessEnv,
  /** The queue's maxReceiveCount; on the last delivery an order is parked instead of thrown back */
  MAX_RECEIVE_COUNT: envInt(orderQueueDefinition.maxReceiveCount, 1, 1000),
  /** First back-off of a failed message, doubled on each delivery (capped at 10 min) */
  RETRY_BASE_SECONDS: envInt(10, 0, 300),
});

export type WorkerConfig = z.output<typeof workerConfigSchema>;

export function loadWorkerConfig(env: Readonly<Record<string, string | undefined>>): WorkerConfig {
  return parseConfig('worker', workerConfigSchema, env);
}
