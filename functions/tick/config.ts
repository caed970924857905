/** Configuration of the tick function (environment variables, parsed at module load). */
import * as z from '#platform/zod';
import { envInt, envString, envUrl, parseConfig } from '#runs/config';

export const tickConfigSchema = z.object({
  TABLE_NAME: envString(),
  RUN_QUEUE_URL: envUrl(),
  EVENT_BUS_NAME: envString(),
  LOCK_TTL_SECONDS: envInt(900, 60, 86_400),
  RUN_RETENTION_DAYS: envInt(90, 1, 3650),
  DYNAMODB_ENDPOINT: z.optional(envUrl()),
  SQS_ENDPOINT: z.optional(envUrl()),
  AWS_REGION: z.optional(envString()),
});

export type TickConfig = z.output<typeof tickConfigSchema>;

export function loadTickConfig(env: Readonly<Record<string, string | undefined>>): TickConfig {
  return parseConfig('tick', tickConfigSchema, env);
}
