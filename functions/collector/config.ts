/** Configuration of the collector function (environment variables, parsed at module load). */
import * as z from '#platform/zod';
import { envInt, envString, envUrl, parseConfig } from '#runs/config';

export const collectorConfigSchema = z.object({
  TABLE_NAME: envString(),
  EVENT_BUS_NAME: envString(),
  /** The order queue the collection sends one message per order to */
  ORDER_QUEUE_URL: envUrl(),
  LOCK_TTL_SECONDS: envInt(900, 60, 86_400),
  RUN_RETENTION_DAYS: envInt(90, 1, 3650),
  SECRETS_CACHE_SECONDS: envInt(300, 300, 86_400),
  DYNAMODB_ENDPOINT: z.optional(envUrl()),
  SQS_ENDPOINT: z.optional(envUrl()),
  AWS_REGION: z.optional(envString()),
});

export type CollectorConfig = z.output<typeof collectorConfigSchema>;

export function loadCollectorConfig(env: Readonly<Record<string, string | undefined>>): CollectorConfig {
  return parseConfig('collector', collectorConfigSchema, env);
}
