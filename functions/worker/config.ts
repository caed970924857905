/** Configuration of the worker function (environment variables, parsed at module load). */
import * as z from '#platform/zod';
import { envInt, envString, envUrl, parseConfig } from '#runs/config';
import { orderQueueDefinition } from '#sync/order-queue';

export const workerConfigSchema = z.object({
  TABLE_NAME: envString(),
  EVENT_BUS_NAME: envString(),
  /** The order queue, for the back-off of failed messages (ChangeMessageVisibility) */
  ORDER_QUEUE_URL: envString(),
  LOCK_TTL_SECONDS: envInt(900, 60, 86_400),
  RUN_RETENTION_DAYS: envInt(90, 1, 3650),
  SECRETS_CACHE_SECONDS: envInt(300, 0, 86_400),
  /** The queue's maxReceiveCount; on the last delivery an order is parked instead of thrown back */
  MAX_RECEIVE_COUNT: envInt(orderQueueDefinition.maxReceiveCount, 1, 1000),
  /** First back-off of a failed message, doubled on each delivery (capped at 10 min) */
  RETRY_BASE_SECONDS: envInt(10, 0, 300),
  DYNAMODB_ENDPOINT: z.optional(envUrl()),
  SQS_ENDPOINT: z.optional(envUrl()),
  AWS_REGION: z.optional(envString()),
});

export type WorkerConfig = z.output<typeof workerConfigSchema>;

export function loadWorkerConfig(env: Readonly<Record<string, string | undefined>>): WorkerConfig {
  return parseConfig('worker', workerConfigSchema, env);
}
