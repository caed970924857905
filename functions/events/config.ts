/** Configuration of the events function (environment variables, parsed at module load). */
import * as z from '#platform/zod';
import { envString, parseConfig } from '#platform/env';

export const eventsConfigSchema = z.object({
  /** The bus the run events go to */
  EVENT_BUS_NAME: envString(),
  AWS_REGION: z.optional(envString()),
});

export type EventsConfig = z.output<typeof eventsConfigSchema>;

export function loadEventsConfig(env: Readonly<Record<string, string | undefined>>): EventsConfig {
  return parseConfig('events', eventsConfigSchema, env);
}
