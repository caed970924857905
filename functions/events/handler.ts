/** Lambda entry of the events function (the table's stream → run events on the bus). */
import { logger, metrics } from '#platform/observability';
import { createEventsHandler, eventPublisherFromConfig } from './app.ts';
import { loadEventsConfig } from './config.ts';

const config = loadEventsConfig(process.env);

export const handler = createEventsHandler(eventPublisherFromConfig(config), { logger, metrics });
