/** Configuration of the collector function (environment variables, parsed at module load). */
import * as z from '#platform/zod';
import { accessEnv, commonEnv, envUrl, parseConfig, secretsCacheEnv } from '#platform/env';

export const collectorConfigSchema = z.object({
  ...commonEnv,
  /** The order queue the collection sends one message per order to */
  ORDER_QUEUE_URL: envUrl(),
  SECRETS_CACHE_SECONDS: secretsCacheEnv(),
  ...accessEnv,
});

export type CollectorConfig = z.output<typeof collectorConfigSchema>;

export function loadCollectorConfig(env: Readonly<Record<string, string | undefined>>): CollectorConfig {
  return parseConfig('collector', collectorConfigSchema, env);
}
