/**
 * Configuration of the api function (environment variables, parsed at module load).
 * docs/api.md lists them; the CDK stack sets them.
 */
import * as z from '#platform/zod';
import { accessEnv, commonEnv, envUrl, parseConfig, secretsCacheEnv } from '#platform/env';

export const apiConfigSchema = z.object({
  ...commonEnv,
  RUN_QUEUE_URL: envUrl(),
  SECRETS_CACHE_SECONDS: secretsCacheEnv(),
  ...accessEnv,
});

export type ApiConfig = z.output<typeof apiConfigSchema>;

export function loadApiConfig(env: Readonly<Record<string, string | undefined>>): ApiConfig {
  return parseConfig('api', apiConfigSchema, env);
}
