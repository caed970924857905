/**
 * The control API's routes: method + path pattern → use case. Unknown paths answer 404, known
 * paths with another method 405 (with `Allow`); HEAD is GET without the body (app.ts drops
 * it). A request that carries a body must say it is JSON (415 otherwise), on every route, so
 * nothing is read as JSON that the client sent as something else. The ids in the path are
 * checked by the use cases (`#runs/control`), which every caller goes through.
 * docs/control-api.openapi.json describes all of it.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from '#platform/zod';
import { describeZodError } from '#platform/zod';
import {
  checkPlanById,
  deletePlan,
  dismissOrder,
  getOrderRecord,
  getPlan,
  getRun,
  CHOICE_FIELDS,
  listOneCChoices,
  listOrders,
  listPlans,
  listRuns,
  requestResync,
  savePlan,
  startManualRun,
} from '#runs/control';
import type { ControlPorts } from '#runs/control';
import type { RunRecord } from '#store/runs';
import { BadRequestError, json, noContent, problem } from './http.ts';

export interface ApiRequest {
  readonly method: string;
  readonly segments: readonly string[];
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  /** Whether the request carries a body (of any length above 0) */
  readonly hasBody: boolean;
  /** The parsed JSON body (undefined when there was none) */
  readonly body: () => unknown;
  /** Who is asking: the request's caller identity (IAM user or role ARN; the local runtime's user) */
  readonly caller?: string;
}

type RouteHandler = (ports: ControlPorts, params: Record<string, string>, request: ApiRequest) => Promise<APIGatewayProxyResult>;

interface Route {
  readonly pattern: readonly string[];
  readonly methods: Readonly<Record<string, RouteHandler>>;
}

const pageQuerySchema = z.object({
  limit: z.optional(
    z.pipe(z.pipe(z.string().check(z.regex(/^\d+$/, 'expected a whole number')), z.transform(Number)), z.int().check(z.gte(1), z.lte(100))),
  ),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

function pageQuery(request: ApiRequest): { limit?: number; cursor?: string } {
  const result = pageQuerySchema.safeParse(request.query);
  if (!result.success) throw new BadRequestError('INVALID_QUERY', describeZodError(result.error, 'query'));
  return { ...(result.data.limit !== undefined ? { limit: result.data.limit } : {}), ...(result.data.cursor ? { cursor: result.data.cursor } : {}) };
}

const choicesQuerySchema = z.object({
  field: z.enum(CHOICE_FIELDS, { error: `expected one of ${CHOICE_FIELDS.join(', ')}` }),
  q: z.optional(z.string().check(z.maxLength(100, 'expected at most 100 characters'))),
  limit: z._default(
    z.pipe(z.pipe(z.string().check(z.regex(/^\d+$/, 'expected a whole number')), z.transform(Number)), z.int().check(z.gte(1), z.lte(100))),
    20,
  ),
});

/** `GET /plans/{id}/onec/choices?field=warehouse&q=осн&limit=20` */
function choicesQuery(request: ApiRequest): z.output<typeof choicesQuerySchema> {
  const result = choicesQuerySchema.safeParse(request.query);
  if (!result.success) throw new BadRequestError('INVALID_QUERY', describeZodError(result.error, 'query'));
  return result.data;
}

const ORDER_STATES_QUERY = ['parked', 'open', 'dismissed', 'all'] as const;

/** `?state=` of the orders list (default parked: what a person has to look at). */
function orderState(request: ApiRequest): (typeof ORDER_STATES_QUERY)[number] {
  const state = request.query['state'] ?? 'parked';
  if (!(ORDER_STATES_QUERY as readonly string[]).includes(state)) {
    throw new BadRequestError('INVALID_QUERY', [`query.state: expected one of ${ORDER_STATES_QUERY.join(', ')}`]);
  }
  return state as (typeof ORDER_STATES_QUERY)[number];
}

/** The orders list's query: its state and the page (the page check alone would refuse `state`). */
function orderListQuery(request: ApiRequest) {
  const { state: _state, ...rest } = request.query;
  return { state: orderState(request), page: pageQuery({ ...request, query: rest }) };
}

/** `If-Match: "3"` (or W/"3", or 3) → 3; `*` → '*'; absent → undefined. */
function ifMatch(request: ApiRequest): number | '*' | undefined {
  const raw = request.headers['if-match'];
  if (raw === undefined) return undefined;
  if (raw.trim() === '*') return '*';
  // 15 digits at most: a version is a safe integer, and DynamoDB refuses numbers past 38 digits.
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(raw);
  if (!match) throw new BadRequestError('INVALID_HEADER', ['If-Match: expected the plan version as an entity tag, e.g. "3"']);
  return Number(match[1]);
}

const etag = (version: number) => ({ etag: `"${version}"` });

function accepted(planId: string, run: RunRecord): APIGatewayProxyResult {
  const location = `/plans/${encodeURIComponent(planId)}/runs/${run.runId}`;
  return json(202, { runId: run.runId, planId, trigger: run.trigger, status: run.status, startedAt: run.startedAt, ...(run.orderId ? { orderId: run.orderId } : {}), location }, { location });
}

const routes: readonly Route[] = [
  {
    pattern: ['plans'],
    methods: {
      GET: async (ports, _params, request) => json(200, await listPlans(ports, pageQuery(request))),
    },
  },
  {
    pattern: ['plans', ':planId'],
    methods: {
      GET: async (ports, { planId }) => {
        const plan = await getPlan(ports, planId!);
        return json(200, plan, etag(plan.version));
      },
      PUT: async (ports, { planId }, request) => {
        const match = ifMatch(request);
        const createOnly = request.headers['if-none-match']?.trim() === '*';
        const { plan, created } = await savePlan(ports, planId!, request.body(), {
          ...(typeof match === 'number' ? { expectedVersion: match } : {}),
          ...(match === '*' ? { replaceOnly: true } : {}),
          ...(createOnly ? { createOnly } : {}),
        });
        return json(created ? 201 : 200, plan, { ...etag(plan.version), ...(created ? { location: `/plans/${encodeURIComponent(plan.id)}` } : {}) });
      },
      DELETE: async (ports, { planId }, request) => {
        // `If-Match: *` asks for what a DELETE does anyway: a missing plan is 404. `If-None-Match: *`
        // ("only if there is none") can delete nothing: 412 PLAN_EXISTS, as PUT answers it.
        const match = ifMatch(request);
        const onlyIfNone = request.headers['if-none-match']?.trim() === '*';
        await deletePlan(ports, planId!, { ...(typeof match === 'number' ? { expectedVersion: match } : {}), ...(onlyIfNone ? { onlyIfNone } : {}) });
        return noContent();
      },
    },
  },
  {
    pattern: ['plans', ':planId', 'check'],
    methods: {
      POST: async (ports, { planId }, request) => {
        const fieldMapping = request.query['fieldMap'] === 'true';
        return json(200, await checkPlanById(ports, planId!, { fieldMapping }));
      },
    },
  },
  {
    pattern: ['plans', ':planId', 'onec', 'choices'],
    methods: {
      GET: async (ports, { planId }, request) => json(200, await listOneCChoices(ports, planId!, () => choicesQuery(request))),
    },
  },
  {
    pattern: ['plans', ':planId', 'runs'],
    methods: {
      GET: async (ports, { planId }, request) => json(200, await listRuns(ports, planId!, pageQuery(request))),
      POST: async (ports, { planId }) => accepted(planId!, await startManualRun(ports, planId!)),
    },
  },
  {
    pattern: ['plans', ':planId', 'runs', ':runId'],
    methods: {
      GET: async (ports, { planId, runId }, request) => json(200, await getRun(ports, planId!, runId!, pageQuery(request))),
    },
  },
  {
    pattern: ['plans', ':planId', 'orders'],
    methods: {
      GET: async (ports, { planId }, request) => {
        const { state, page } = orderListQuery(request);
        return json(200, await listOrders(ports, planId!, state, page));
      },
    },
  },
  {
    pattern: ['plans', ':planId', 'orders', ':orderId'],
    methods: {
      GET: async (ports, { planId, orderId }) => json(200, await getOrderRecord(ports, planId!, orderId!)),
    },
  },
  {
    pattern: ['plans', ':planId', 'orders', ':orderId', 'resync'],
    methods: {
      POST: async (ports, { planId, orderId }) => {
        const outcome = await requestResync(ports, planId!, orderId!);
        if ('runId' in outcome) return accepted(planId!, outcome);
        // A run holds the plan: the resync waits for it (the tick starts it right after).
        const location = `/plans/${encodeURIComponent(planId!)}/orders/${encodeURIComponent(orderId!)}`;
        return json(202, { ...outcome, location }, { location });
      },
    },
  },
  {
    pattern: ['plans', ':planId', 'orders', ':orderId', 'dismiss'],
    methods: {
      POST: async (ports, { planId, orderId }, request) => json(200, await dismissOrder(ports, planId!, orderId!, request.caller ?? 'unknown')),
    },
  },
];

/** The routes as OpenAPI writes them (`/plans/{planId}`) with their methods, HEAD included: for the contract's tests. */
export function routeTable(): { path: string; methods: string[] }[] {
  return routes.map((route) => ({
    path: `/${route.pattern.map((p) => (p.startsWith(':') ? `{${p.slice(1)}}` : p)).join('/')}`,
    methods: allowed(route).split(', '),
  }));
}

function match(pattern: readonly string[], segments: readonly string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i += 1) {
    const p = pattern[i]!;
    const s = segments[i]!;
    if (p.startsWith(':')) {
      if (s === '') return null;
      params[p.slice(1)] = s;
    } else if (p !== s) return null;
  }
  return params;
}

/** The methods a route takes, HEAD with GET: "GET, HEAD, PUT, DELETE". */
function allowed(route: Route): string {
  return Object.keys(route.methods)
    .flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]))
    .join(', ');
}

/** `application/json`, any case, with no charset or UTF-8 (the only one the body is decoded as). */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const [type, ...params] = value.split(';');
  if (type!.trim().toLowerCase() !== 'application/json') return false;
  return params.every((p) => {
    const [name, v = ''] = p.split('=');
    return name!.trim().toLowerCase() !== 'charset' || /^"?utf-8"?$/i.test(v.trim());
  });
}

/**
 * The route a request names, as its pattern (`GET /plans/{planId}/runs`), for the logs: no id
 * of the caller's in it, and one label per route whatever the ids. Unknown paths: `unmatched`.
 */
export function routeLabel(request: Pick<ApiRequest, 'method' | 'segments'>): string {
  const route = routes.find((r) => match(r.pattern, request.segments));
  const method = request.method.slice(0, 16);
  return route ? `${method} /${route.pattern.map((p) => (p.startsWith(':') ? `{${p.slice(1)}}` : p)).join('/')}` : `${method} unmatched`;
}

export async function dispatch(ports: ControlPorts, request: ApiRequest): Promise<APIGatewayProxyResult> {
  for (const route of routes) {
    const params = match(route.pattern, request.segments);
    if (!params) continue;
    const handler = route.methods[request.method === 'HEAD' ? 'GET' : request.method];
    if (!handler) {
      const allow = allowed(route);
      return problem(405, 'METHOD_NOT_ALLOWED', `${request.method.slice(0, 32)} is not allowed here; allowed: ${allow}`, undefined, { allow });
    }
    if (request.hasBody && !isJsonContentType(request.headers['content-type'])) {
      return problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'The body must be JSON: Content-Type: application/json (UTF-8)');
    }
    return handler(ports, params, request);
  }
  const path = `/${request.segments.join('/')}`;
  return problem(404, 'ROUTE_NOT_FOUND', `No route for ${request.method.slice(0, 32)} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}`);
}
