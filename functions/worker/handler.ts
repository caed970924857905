/** Lambda entry of the worker function (SQS FIFO order queue, partial batch responses). */
import { logger, metrics } from '#platform/observability';
import { createWorkerHandler, workerFromConfig } from './app.ts';
import { loadWorkerConfig } from './config.ts';

const config = loadWorkerConfig(process.env);

export const handler = createWorkerHandler(workerFromConfig(config), { logger, metrics });
