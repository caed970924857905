/** Lambda entry of the api function (API Gateway REST proxy, IAM-authorised). */
import { logger, metrics } from '#platform/observability';
import { apiPortsFromConfig, createApiHandler } from './app.ts';
import { loadApiConfig } from './config.ts';

const config = loadApiConfig(process.env);

export const handler = createApiHandler(apiPortsFromConfig(config, { logger }), { logger, metrics });
