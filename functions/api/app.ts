/**
 * The api function: API Gateway REST proxy events → the control API's routes. IAM
 * authorisation is API Gateway's; the handler also refuses an event that carries no caller
 * identity, so a misconfigured route fails closed. `createApiHandler` is what both the Lambda
 * entry (`handler.ts`) and the local runtime wrap.
 */
import middy from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { MetricUnit } from '#platform/observability';
import * as z from '#platform/zod';
import type { ControlPorts } from '#runs/control';
import { clientConnectors } from '#runs/connectors';
import { planAccessOf } from '#plans/access';
import { commonPorts, createRunQueue, sqsTarget, type PortOverrides } from '#runs/wiring';
import { AwsSecretsProvider } from '#aws/secrets-manager';
import type { ApiConfig } from './config.ts';
import { BadRequestError, errorResponse, problem } from './http.ts';
import { dispatch, routeLabel, type ApiRequest } from './routes.ts';

const MAX_BODY_BYTES = 256 * 1024;

/** The part of the proxy event the API reads; anything else is ignored. */
const proxyEventSchema = z.object({
  httpMethod: z.string().check(z.minLength(1)),
  path: z.string(),
  headers: z.nullish(z.record(z.string(), z.optional(z.string()))),
  queryStringParameters: z.nullish(z.record(z.string(), z.optional(z.string()))),
  body: z.nullish(z.string()),
  isBase64Encoded: z.optional(z.boolean()),
  requestContext: z.object({
    requestId: z.optional(z.string()),
    identity: z.optional(z.object({ userArn: z.nullish(z.string()), caller: z.nullish(z.string()), accountId: z.nullish(z.string()) })),
  }),
});

export function apiPortsFromConfig(config: ApiConfig, overrides: PortOverrides = {}): ControlPorts {
  const { repositories, run } = commonPorts(config, overrides);
  return {
    ...run,
    queue: createRunQueue({ runQueueUrl: config.RUN_QUEUE_URL, ...sqsTarget(config), instrument: overrides.instrument }),
    secrets: overrides.secrets ?? new AwsSecretsProvider({ maxAgeSeconds: config.SECRETS_CACHE_SECONDS }),
    access: planAccessOf(config),
    connectors: overrides.connectors ?? clientConnectors,
    orderRecords: repositories.orderRecords,
    cursors: repositories.cursors,
  };
}

function lowerCaseHeaders(headers: Record<string, string | undefined> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

/** The path's segments, decoded one by one (so an encoded `/` stays inside its segment). */
function segmentsOf(path: string): string[] {
  const parts = path.split('/').filter((s, i, all) => !(s === '' && (i === 0 || i === all.length - 1)));
  try {
    return parts.map((s) => decodeURIComponent(s));
  } catch {
    throw new BadRequestError('INVALID_PATH', ['path: malformed percent-encoding']);
  }
}

function toRequest(event: z.output<typeof proxyEventSchema>): ApiRequest {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw new BadRequestError('BODY_TOO_LARGE', [`body: larger than ${MAX_BODY_BYTES} bytes`]);
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined) query[k] = v;
  return {
    method: event.httpMethod.toUpperCase(),
    segments: segmentsOf(event.path),
    query,
    headers: lowerCaseHeaders(event.headers),
    hasBody: text.length > 0,
    body: () => {
      if (text.trim() === '') throw new BadRequestError('INVALID_JSON', ['body: expected a JSON document']);
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new BadRequestError('INVALID_JSON', ['body: not valid JSON']);
      }
    },
  };
}

export interface ApiHandlerOptions {
  readonly logger: Logger;
  /** Absent locally: no EMF output */
  readonly metrics?: Metrics;
}

export function createApiHandler(ports: ControlPorts, options: ApiHandlerOptions) {
  const { logger, metrics } = options;

  async function handle(event: APIGatewayProxyEvent, _context: Context): Promise<APIGatewayProxyResult> {
    const parsed = proxyEventSchema.safeParse(event);
    if (!parsed.success) return problem(400, 'INVALID_EVENT', 'Not an API Gateway proxy event');
    // HEAD answers what GET would, headers and all, without the body.
    const answer = (response: APIGatewayProxyResult) => (parsed.data.httpMethod.toUpperCase() === 'HEAD' ? { ...response, body: '' } : response);
    const identity = parsed.data.requestContext.identity;
    if (!identity?.userArn && !identity?.caller) {
      return answer(problem(401, 'UNAUTHENTICATED', 'Requests must be signed (IAM) or carry the local bearer token'));
    }
    try {
      const request = { ...toRequest(parsed.data), caller: identity.userArn ?? identity.caller ?? 'unknown' };
      logger.appendKeys({ route: routeLabel(request) });
      if (request.segments[1]) logger.appendKeys({ planId: request.segments[1].slice(0, 128) });
      const response = await dispatch({ ...ports, logger }, request);
      metrics?.addMetric('ApiResponses', MetricUnit.Count, 1);
      return answer(response);
    } catch (error) {
      const { response, unexpected } = errorResponse(error);
      if (unexpected) logger.error('request failed', { error });
      else logger.info('request refused', { statusCode: response.statusCode, code: (error as { code?: string }).code });
      if (response.statusCode >= 500) metrics?.addMetric('ApiErrors', MetricUnit.Count, 1);
      return answer(response);
    }
  }

  const wrapped = middy(handle).use(injectLambdaContext(logger, { resetKeys: true }));
  return metrics ? wrapped.use(logMetrics(metrics)) : wrapped;
}
