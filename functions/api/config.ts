/**
 * Configuration of the api function (environment variables, parsed at module load).
 * docs/api.md lists them; the CDK stack sets them.
 */
import * as z from '#platform/zod';
import { envInt, envString, envUrl, parseConfig } from '#runs/config';

export const apiConfigSchema = z.object({
  TABLE_NAME: envString(),
  RUN_QUEUE_URL: envUrl(),
  EVENT_BUS_NAME: envString(),
  /** Lease of a run's lock, seconds */
  LOCK_TTL_SECONDS: envInt(900, 60, 86_400),
  /** How long runs and their entries are kept, days */
  RUN_RETENTION_DAYS: envInt(90, 1, 3650),
  /** How long a secret read from Secrets Manager is cached, seconds */
  SECRETS_CACHE_SECONDS: envInt(300, 300, 86_400),
  /** Local development only: DynamoDB Local / SQS emulator endpoints */
  DYNAMODB_ENDPOINT: z.optional(envUrl()),
  SQS_ENDPOINT: z.optional(envUrl()),
  AWS_REGION: z.optional(envString()),
});

export type ApiConfig = z.output<typeof apiConfigSchema>;

export function loadApiConfig(env: Readonly<Record<string, string | undefined>>): ApiConfig {
  return parseConfig('api', apiConfigSchema, env);
}
