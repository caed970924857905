/**
 * Logger and metrics shared by every function and by the local runtime: one instance each, so
 * that keys appended once (plan id, run id, order id) appear on every line of an invocation.
 * Service name, log level and metrics namespace come from the Powertools environment variables
 * (POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_NAMESPACE) set by the stack.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

// Options given here would override the environment, so the defaults apply only without it
// (the local runtime, tests): a stage's own service name and namespace come from the stack.
const env = process.env;

export const logger = new Logger(env.POWERTOOLS_SERVICE_NAME ? {} : { serviceName: 'goodwix-1c-exchange' });

export const metrics = new Metrics({
  ...(env.POWERTOOLS_METRICS_NAMESPACE ? {} : { namespace: 'Goodwix1CExchange' }),
  ...(env.POWERTOOLS_SERVICE_NAME ? {} : { serviceName: 'goodwix-1c-exchange' }),
});

export { MetricUnit };

/**
 * A metric with the plan as its dimension, so the dashboard can show each supplier's exchange;
 * emitted on its own (a batch may hold messages of several plans).
 */
export function planMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number, planId: string): void {
  const single = metrics.singleMetric();
  single.addDimension('planId', planId);
  single.addMetric(name, unit, value);
}

/** A metric of the whole deployment (dimension `service` only): what a per-deployment alarm reads. */
export function serviceMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): void {
  const single = metrics.singleMetric();
  single.addMetric(name, unit, value);
}
