/** Configuration of the tick function (environment variables, parsed at module load). */
import * as z from '#platform/zod';
import { commonEnv, envUrl, parseConfig } from '#platform/env';

export const tickConfigSchema = z.object({
  ...commonEnv,
  RUN_QUEUE_URL: envUrl(),
});

export type TickConfig = z.output<typeof tickConfigSchema>;

export function loadTickConfig(env: Readonly<Record<string, string | undefined>>): TickConfig {
  return parseConfig('tick', tickConfigSchema, env);
}
