/** Lambda entry of the tick function (EventBridge schedule, every minute). */
import { logger, metrics } from '#platform/observability';
import { createTickHandler, tickPortsFromConfig } from './app.ts';
import { loadTickConfig } from './config.ts';

const config = loadTickConfig(process.env);

export const handler = createTickHandler(tickPortsFromConfig(config, { logger }), { logger, metrics });
