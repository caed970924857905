/**
 * Logger and metrics shared by every function and by the local runtime: one instance each, so
 * that keys appended once (plan id, run id, order id) appear on every line of an invocation.
 * Service name, log level and metrics namespace come from the Powertools environment variables
 * (POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_NAMESPACE) set by the stack.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const logger = new Logger({ serviceName: 'goodwix-1c-exchange' });

export const metrics = new Metrics({ namespace: 'Goodwix1CExchange', serviceName: 'goodwix-1c-exchange' });

export { MetricUnit };
