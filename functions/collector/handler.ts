/** Lambda entry of the collector function (SQS FIFO run queue, partial batch responses). */
import { logger, metrics } from '#platform/observability';
import { collectorPortsFromConfig, createCollectorHandler } from './app.ts';
import { loadCollectorConfig } from './config.ts';

const config = loadCollectorConfig(process.env);

export const handler = createCollectorHandler(collectorPortsFromConfig(config, { logger }), { logger, metrics });
