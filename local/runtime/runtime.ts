/**
 * The local runtime: the exchange's functions on this machine, as AWS would run them.
 * * the control API on 127.0.0.1: HTTP requests become API Gateway proxy events for the same
 *   api handler; every request needs `Authorization: Bearer <token>` (generated at start,
 *   printed), standing in for IAM;
 * * the tick, like the EventBridge schedule: at the start of every minute, or now (`tickNow`);
 * * the collector and the worker, like Lambda's SQS event sources: the run queue and the
 *   order queue are polled and batches are handed to the same handlers, failed records left
 *   to come back after their visibility timeout;
 * * DynamoDB Local and the SQS emulator (started here unless endpoints are given), the table
 *   and queues created from the stack's definitions; the table's stream read like Lambda's
 *   DynamoDB event source and handed to the events function, whose bus here is the console
 *   (and `events`); secrets come from a local map.
 * `npm start` (local/main.ts) assembles this with the sandboxes.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, DynamoDBBatchResponse, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { apiPortsFromConfig, createApiHandler } from '#functions/api/app';
import { loadApiConfig } from '#functions/api/config';
import { collectorPortsFromConfig, createCollectorHandler, type CollectorFunctionPorts } from '#functions/collector/app';
import { loadCollectorConfig } from '#functions/collector/config';
import { createEventsHandler } from '#functions/events/app';
import { createTickHandler, tickPortsFromConfig } from '#functions/tick/app';
import { loadTickConfig } from '#functions/tick/config';
import { createWorkerHandler, workerFromConfig, type WorkerFunctionPorts } from '#functions/worker/app';
import { loadWorkerConfig } from '#functions/worker/config';
import type { ClientTuning } from '#sync/plan-clients';
import { parsePlan, type PlanInput } from '#plans/plan';
import { isDue } from '#plans/schedule';
import type { PlanConnectors } from '#runs/check-plan';
import { clientConnectorsWith } from '#runs/connectors';
import type { CollectBody } from '#exchange/collect';
import { MemoryEventPublisher, type RunEvent } from '#exchange/run-events';
import type { ControlPorts } from '#runs/control';
import type { TickResult } from '#exchange/tick';
import { runQueueDefinition } from '#aws/run-queue';
import { LocalSecretsProvider, type ReadOptions } from '#secrets/secrets';
import { orderQueueDefinition } from '#aws/order-queue';
import type { AwsCallRecorder, RecordedFunction } from './aws-calls.ts';
import { LOCAL_SECRETS_PREFIX, demoPlan, demoSecrets, type DemoPlanTargets } from './demo-plan.ts';
import {
  LOCAL_REGION,
  createOrderQueue,
  createRunQueue,
  createTable,
  localDynamoDbClient,
  localSqsClient,
  startDynamoDbLocal,
  startSqsEmulator,
  type DynamoDbLocal,
  type SqsEmulator,
} from './services.ts';
import { tableStreamSource } from './table-stream.ts';

export interface LocalRuntimeOptions {
  /** API port on 127.0.0.1 (default 0: any free port) */
  readonly port?: number;
  /** Bearer token (default: 32 random bytes, hex) */
  readonly token?: string;
  /** Use running services instead of starting DynamoDB Local and fauxqs */
  readonly services?: { readonly dynamodbEndpoint: string; readonly sqsEndpoint: string };
  /** Table name (default `goodwix-1c-exchange-<random>` so runtimes can share a DynamoDB Local) */
  readonly tableName?: string;
  /** Tick every minute (default true); false: only `tickNow()` */
  readonly tick?: boolean;
  /** Poll the run queue and the order queue and run the collector and the worker (default true) */
  readonly collector?: boolean;
  /** Client retry pacing for the plan's 1C and Goodwix clients (tests make it quick) */
  readonly tuning?: ClientTuning;
  /** First back-off of a failed order message, seconds (default 1 locally) */
  readonly retryBaseSeconds?: number;
  /** Orders handed to the worker per invocation (default 10, as in AWS) */
  readonly workerBatchSize?: number;
  /**
   * Worker invocations at once (default 1): that many loops poll the order queue, each handing
   * its batch to the worker and waiting for it, as Lambda's SQS event source does with
   * `maxConcurrency` N. FIFO groups (one per order) keep an order on one loop at a time.
   */
  readonly workerConcurrency?: number;
  /**
   * The worker's timeout as its context counts it down, seconds (default the order queue's
   * `workerTimeoutSeconds`, 120, as in AWS): the worker stops starting orders and hands a long
   * finalize off by it. Nothing kills a local invocation that overruns it.
   */
  readonly workerTimeoutSeconds?: number;
  /** Visibility timeout of the local queues, seconds (default 10: a failed message comes back soon) */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * The run queue's own visibility timeout, seconds (default: `visibilityTimeoutSeconds`): the
   * chaos suite emulates the collector's longer Lambda timeout (600 s in AWS, five times the
   * worker's) and keeps the run queue's visibility above it, as AWS does.
   */
  readonly runQueueVisibilityTimeoutSeconds?: number;
  /**
   * The plans' secrets prefix (`SECRETS_PREFIX`, default `local/`): a plan's secrets lie below
   * `<prefix><planId>/`. Tests that mimic AWS pass the stage's, `goodwix-1c-exchange/<stage>/`.
   */
  readonly secretsPrefix?: string;
  /** Secrets by reference (default: the demo plan's, when `demo` is given) */
  readonly secrets?: LocalSecretsProvider | Readonly<Record<string, string | object>>;
  /** Plans stored at start (validated) */
  readonly plans?: readonly PlanInput[];
  /** Store the demo plan pointing at these sandboxes, and its secrets */
  readonly demo?: DemoPlanTargets;
  /** Replaces the real clients in the plan check (tests) */
  readonly connectors?: PlanConnectors;
  /** Replaces the collector's work (the order collection, `#exchange/collect`), for tests of the run's mechanics */
  readonly collect?: CollectBody;
  /** Handlers' log level (default WARN) */
  readonly logLevel?: LogLevel;
  /** Where event lines and the startup banner go (default console.log) */
  readonly print?: (line: string) => void;
  readonly now?: () => Date;
  /** Lock lease, seconds (default 900) */
  readonly lockTtlSeconds?: number;
  /**
   * Test-only seams (the chaos suite, test/chaos/): wrap what the collector and the worker run
   * with, and each queue invocation, to kill invocations at random points. Never set by
   * `npm start`; absent, the runtime is unchanged.
   */
  readonly testHooks?: LocalRuntimeTestHooks;
  /**
   * Records every AWS call each function makes (its SDK clients, and what Lambda's event
   * sources do with its role): the IAM coverage test checks them against the stack's policies.
   */
  readonly awsCalls?: AwsCallRecorder;
  /**
   * Handlers from elsewhere instead of the in-process ones (the bundled-handlers test: each
   * function's esbuild bundle in its own process), made once the table and queues exist from
   * the environment the runtime made up (TABLE_NAME, queue URLs, local endpoints, region). A
   * function not named keeps its in-process handler. The caller stops them after `close()`.
   */
  readonly handlers?: (env: Readonly<Record<string, string>>) => Promise<LocalHandlers> | LocalHandlers;
}

/** Handlers the runtime invokes as AWS would (API front, schedule, queues, table stream). */
export interface LocalHandlers {
  readonly api?: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
  readonly tick?: (event: { 'detail-type': string; source: string; time: string }, context: Context) => Promise<TickResult>;
  readonly collector?: QueueHandler;
  readonly worker?: QueueHandler;
  readonly events?: (event: DynamoDBStreamEvent, context?: Context) => Promise<DynamoDBBatchResponse>;
}

/** The local runtime's own route for writing a plan's secret (`PUT /local/secrets/<name>`, body `{ "value": … }`). */
export const LOCAL_SECRETS_PATH = '/local/secrets/';

function putLocalSecret(secrets: LocalSecretsProvider, prefix: string, method: string, rawName: string, body: string): { status: number; body: string } {
  const refuse = (status: number, code: string, message: string) => ({ status, body: JSON.stringify({ error: { code, message } }) });
  if (method !== 'PUT') return refuse(405, 'METHOD_NOT_ALLOWED', `${method.slice(0, 32)} is not allowed here; allowed: PUT`);
  let name: string;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    return refuse(400, 'INVALID_PATH', 'path: malformed percent-encoding');
  }
  // The same rule as for plans: a secret lies below `<prefix><planId>/`.
  if (!name.startsWith(prefix) || !/^[a-z0-9][a-z0-9-]*\/[\w./-]+$/.test(name.slice(prefix.length))) {
    return refuse(400, 'INVALID_SECRET_NAME', `secret name: expected ${prefix}<planId>/<name>`);
  }
  let value: unknown;
  try {
    value = (JSON.parse(body) as { value?: unknown }).value;
  } catch {
    return refuse(400, 'INVALID_JSON', 'body: not valid JSON');
  }
  if (!(typeof value === 'string' && value.length > 0) && !(typeof value === 'object' && value !== null && !Array.isArray(value))) {
    return refuse(400, 'INVALID_SECRET', 'body.value: expected a non-empty string or an object');
  }
  secrets.set(name, value as string | object);
  return { status: 200, body: JSON.stringify({ name, stored: true }) };
}

/** An SQS-triggered handler as the runtime's event sources invoke it. */
export type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

/** Test-only: see `LocalRuntimeOptions.testHooks`. */
export interface LocalRuntimeTestHooks {
  /** Replaces the collector's ports (after they are built from the configuration) */
  readonly collectorPorts?: (ports: CollectorFunctionPorts) => CollectorFunctionPorts;
  /** Replaces the worker's wiring (dependencies, SQS client) before its handler is made */
  readonly workerPorts?: (wiring: WorkerFunctionPorts) => WorkerFunctionPorts;
  /** Wraps each function's handler as its queue's event source invokes it */
  readonly invocation?: (name: 'collector' | 'worker', handler: QueueHandler) => QueueHandler;
}

/** The bus the local events function puts on (the stack's `RunEventsBus`; the console here). */
export const LOCAL_EVENT_BUS = 'local-run-events';

export interface ApiAnswer {
  readonly status: number;
  /** The JSON body, read by callers field by field */
  readonly body: Record<string, any> | null;
  readonly headers: Headers;
}

export interface LocalRuntime {
  /** http://127.0.0.1:<port> */
  readonly apiUrl: string;
  readonly token: string;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly tableName: string;
  readonly runQueueUrl: string;
  readonly orderQueueUrl: string;
  /** Process id of the DynamoDB Local this runtime started (absent when given `services`) */
  readonly dynamodbPid?: number;
  /** The API's ports (repositories, queue, secrets): for `npm start` and tests */
  readonly ports: ControlPorts;
  readonly secrets: LocalSecretsProvider;
  /** The run events the events function put on the local bus (also printed), oldest first */
  readonly events: readonly RunEvent[];
  /**
   * Calls the control API as an operator would (`Authorization: Bearer <token>`, JSON body);
   * answers the status and the parsed JSON body. `token: null` sends no token.
   */
  api(method: string, path: string, body?: unknown, options?: { token?: string | null }): Promise<ApiAnswer>;
  /** Runs the tick handler now, as the schedule would */
  tickNow(): Promise<TickResult>;
  /** Polls the run queue until it is empty and nothing is in flight; answers how many messages were handled */
  drainRunQueue(options?: { timeoutMs?: number }): Promise<number>;
  /** Waits until both queues are empty and nothing is in flight: a run has been collected and exchanged */
  drain(options?: { timeoutMs?: number }): Promise<number>;
  close(): Promise<void>;
}

/** A Lambda context whose remaining time counts down from `timeoutMs` from now, as in AWS. */
function lambdaContext(functionName: string, timeoutMs = 60_000): Context {
  const endsAt = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, endsAt - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!, 'utf8');
  const expected = Buffer.from(token, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function toProxyEvent(req: IncomingMessage, url: URL, body: string): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'authorization') continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values.join(', ');
    multiValueHeaders[name] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    multiQuery[k] ??= [];
    multiQuery[k].push(v);
  }
  const requestId = randomUUID();
  return {
    resource: '/{proxy+}',
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
    pathParameters: { proxy: url.pathname.replace(/^\//, '') },
    stageVariables: null,
    body: body === '' ? null : body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: req.method ?? 'GET',
      path: url.pathname,
      stage: 'local',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: '/{proxy+}',
      identity: {
        accessKey: null,
        accountId: '000000000000',
        apiKey: null,
        apiKeyId: null,
        caller: 'local-bearer-token',
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: 'local',
        userAgent: req.headers['user-agent'] ?? null,
        userArn: 'arn:aws:iam::000000000000:user/local',
      },
    },
  };
}

function toSqsRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? randomUUID(),
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes['ApproximateReceiveCount'] ?? '1',
      SentTimestamp: attributes['SentTimestamp'] ?? String(Date.now()),
      SenderId: attributes['SenderId'] ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes['ApproximateFirstReceiveTimestamp'] ?? String(Date.now()),
      ...(attributes['MessageGroupId'] ? { MessageGroupId: attributes['MessageGroupId'] } : {}),
      ...(attributes['MessageDeduplicationId'] ? { MessageDeduplicationId: attributes['MessageDeduplicationId'] } : {}),
      ...(attributes['SequenceNumber'] ? { SequenceNumber: attributes['SequenceNumber'] } : {}),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: LOCAL_REGION,
  };
}

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const workerConcurrency = options.workerConcurrency ?? 1;
  if (!Number.isInteger(workerConcurrency) || workerConcurrency < 1) throw new RangeError(`workerConcurrency must be a positive integer, not ${workerConcurrency}`);
  const print = options.print ?? ((line: string) => console.log(line));
  const token = options.token ?? randomBytes(32).toString('hex');
  const started: { dynamo?: DynamoDbLocal; sqs?: SqsEmulator } = {};
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };

  try {
    let dynamodbEndpoint: string;
    let sqsEndpoint: string;
    if (options.services) {
      ({ dynamodbEndpoint, sqsEndpoint } = options.services);
    } else {
      started.dynamo = await startDynamoDbLocal();
      cleanups.push(() => started.dynamo!.stop());
      started.sqs = await startSqsEmulator();
      cleanups.push(() => started.sqs!.stop());
      dynamodbEndpoint = started.dynamo.endpoint;
      sqsEndpoint = started.sqs.endpoint;
    }

    const suffix = randomBytes(4).toString('hex');
    const tableName = options.tableName ?? `goodwix-1c-exchange-${suffix}`;
    const dynamoAdmin = localDynamoDbClient(dynamodbEndpoint);
    await createTable(dynamoAdmin, tableName);
    cleanups.push(async () => dynamoAdmin.destroy());
    const sqs = localSqsClient(sqsEndpoint);
    cleanups.push(async () => sqs.destroy());
    const { queueUrl: runQueueUrl } = await createRunQueue(sqs, `run-queue-${suffix}`, {
      visibilityTimeoutSeconds: options.runQueueVisibilityTimeoutSeconds ?? options.visibilityTimeoutSeconds ?? 10,
    });
    const { queueUrl: orderQueueUrl } = await createOrderQueue(sqs, `order-queue-${suffix}`, {
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 10,
    });

    // The same configuration schemas as in AWS, from an environment the runtime makes up.
    const env: Record<string, string> = {
      TABLE_NAME: tableName,
      RUN_QUEUE_URL: runQueueUrl,
      ORDER_QUEUE_URL: orderQueueUrl,
      RETRY_BASE_SECONDS: String(options.retryBaseSeconds ?? 1),
      DYNAMODB_ENDPOINT: dynamodbEndpoint,
      SQS_ENDPOINT: sqsEndpoint,
      AWS_REGION: LOCAL_REGION,
      LOCK_TTL_SECONDS: String(options.lockTtlSeconds ?? 900),
      SECRETS_PREFIX: options.secretsPrefix ?? LOCAL_SECRETS_PREFIX,
      // A real 1C base on the office network is often plain http; AWS never sets this.
      ALLOW_PLAIN_HTTP: 'true',
    };
    const apiConfig = loadApiConfig(env);
    const tickConfig = loadTickConfig(env);
    const collectorConfig = loadCollectorConfig(env);
    const workerConfig = loadWorkerConfig(env);

    const localSecretsPrefix = env['SECRETS_PREFIX']!;
    const secrets =
      options.secrets instanceof LocalSecretsProvider
        ? options.secrets
        : new LocalSecretsProvider({ ...(options.demo ? demoSecrets() : {}), ...(options.secrets ?? {}) });
    const bus = new MemoryEventPublisher(print);
    const recorder = options.awsCalls;
    /** What a function is given: its SDK clients instrumented, its secret reads recorded. */
    const forFunction = (fn: RecordedFunction) =>
      recorder
        ? {
            instrument: recorder.instrument(fn),
            secrets: {
              getSecret: (ref: string, readOptions?: ReadOptions) => {
                recorder.record({ function: fn, action: 'secretsmanager:GetSecretValue', operation: 'GetSecretValue', resource: { kind: 'secret', name: ref } });
                return secrets.getSecret(ref, readOptions);
              },
            },
          }
        : {};
    const logLevel = options.logLevel ?? 'WARN';
    const loggerFor = (name: string) => new Logger({ serviceName: 'goodwix-1c-exchange', logLevel, persistentKeys: { function: name } });
    const overrides = {
      secrets,
      // The plan check's clients paced like the exchange's (tests shorten retries through `tuning`).
      connectors: options.connectors ?? clientConnectorsWith(options.tuning),
      ...(options.now ? { now: options.now } : {}),
    };

    const apiLogger = loggerFor('api');
    const apiPorts = apiPortsFromConfig(apiConfig, { ...overrides, ...forFunction('api'), logger: apiLogger });
    const api = createApiHandler(apiPorts, { logger: apiLogger });
    const tickLogger = loggerFor('tick');
    const tickHandler = createTickHandler(tickPortsFromConfig(tickConfig, { ...overrides, ...forFunction('tick'), logger: tickLogger }), { logger: tickLogger });
    const collectorLogger = loggerFor('collector');
    const hooks = options.testHooks ?? {};
    const collectorPorts = collectorPortsFromConfig(collectorConfig, {
      ...overrides,
      ...forFunction('collector'),
      logger: collectorLogger,
      ...(options.collect ? { collect: options.collect } : {}),
      ...(options.tuning ? { tuning: options.tuning } : {}),
    });
    const collector = createCollectorHandler(hooks.collectorPorts ? hooks.collectorPorts(collectorPorts) : collectorPorts, { logger: collectorLogger });
    const workerLogger = loggerFor('worker');
    const workerPorts = workerFromConfig(workerConfig, { ...overrides, ...forFunction('worker'), logger: workerLogger, ...(options.tuning ? { tuning: options.tuning } : {}) });
    const worker = createWorkerHandler(hooks.workerPorts ? hooks.workerPorts(workerPorts) : workerPorts, {
      logger: workerLogger,
    });

    const eventsLogger = loggerFor('events');
    const eventsBus = recorder
      ? {
          publish: (events: readonly RunEvent[]) => {
            recorder.record({ function: 'events', action: 'events:PutEvents', operation: 'PutEvents', resource: { kind: 'bus', busName: LOCAL_EVENT_BUS } });
            return bus.publish(events);
          },
        }
      : bus;
    const eventsHandler = createEventsHandler(eventsBus, { logger: eventsLogger });
    const outside = options.handlers ? await options.handlers(env) : {};
    const handlers = {
      api: outside.api ?? api,
      tick: outside.tick ?? tickHandler,
      collector: outside.collector ?? (collector as QueueHandler),
      worker: outside.worker ?? (worker as QueueHandler),
      events: outside.events ?? eventsHandler,
    };
    // Lambda's stream event source reads the stream with the events function's role.
    const tableStream = await tableStreamSource({
      endpoint: dynamodbEndpoint,
      tableName,
      dynamo: dynamoAdmin,
      handler: handlers.events,
      ...(recorder ? { instrument: recorder.instrument('events') } : {}),
    });
    cleanups.push(async () => tableStream.close());

    const storedAt = options.now?.() ?? new Date();
    for (const input of [...(options.demo ? [demoPlan(options.demo)] : []), ...(options.plans ?? [])]) {
      const plan = parsePlan(input);
      await apiPorts.plans.put(plan, { now: storedAt });
      // The schedule starts from now: the slot in progress was not asked for, the next one is.
      const slot = isDue(plan.schedule, storedAt, undefined);
      if (slot.due) await apiPorts.plans.claimSlot(plan.id, slot.slot, storedAt);
    }

    // ---- the API front ---------------------------------------------------------------------
    const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        const send = (status: number, body: string, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
          res.end(body);
        };
        if (!tokenMatches(req.headers.authorization, token)) {
          send(401, JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'Send Authorization: Bearer <token> (printed at start)' } }), {
            'www-authenticate': 'Bearer realm="goodwix-1c-exchange"',
          });
          return;
        }
        const body = await readBody(req, 1024 * 1024);
        if (body === null) {
          send(413, JSON.stringify({ error: { code: 'BODY_TOO_LARGE', message: 'Request body over 1 MiB' } }));
          return;
        }
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        // Local only (no such route in AWS, where secrets go to Secrets Manager): `goodwix-1c
        // secrets put --local` writes a plan's secret into this runtime's memory.
        if (url.pathname.startsWith(LOCAL_SECRETS_PATH)) {
          const answer = putLocalSecret(secrets, localSecretsPrefix, req.method ?? 'GET', url.pathname.slice(LOCAL_SECRETS_PATH.length), body);
          send(answer.status, answer.body);
          return;
        }
        const result = await handlers.api(toProxyEvent(req, url, body), lambdaContext('api'));
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
        res.writeHead(result.statusCode, headers);
        res.end(result.body);
      })().catch((error: unknown) => {
        apiLogger.error('local front failed', { error });
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'Internal error' } }));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const address = server.address();
    const apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    // ---- the tick --------------------------------------------------------------------------
    let ticking: Promise<TickResult> | null = null;
    const tickNow = async (): Promise<TickResult> => {
      while (ticking) await ticking.catch(() => undefined);
      const event = { 'detail-type': 'Scheduled Event', source: 'aws.events', time: (options.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z') };
      ticking = handlers.tick(event, lambdaContext('tick'));
      try {
        return await ticking;
      } finally {
        ticking = null;
      }
    };
    if (options.tick !== false) {
      let timer: NodeJS.Timeout | undefined;
      const schedule = () => {
        const delay = 60_000 - (Date.now() % 60_000) + 200;
        timer = setTimeout(() => {
          void tickNow().catch((error: unknown) => tickLogger.error('tick failed', { error }));
          schedule();
        }, delay);
        timer.unref();
      };
      schedule();
      cleanups.push(async () => clearTimeout(timer));
    }

    // ---- the queues' event sources ------------------------------------------------------------
    type SqsHandler = QueueHandler;
    const timeouts = {
      collector: runQueueDefinition.workerTimeoutSeconds * 1000,
      worker: (options.workerTimeoutSeconds ?? orderQueueDefinition.workerTimeoutSeconds) * 1000,
    };
    const eventSource = (name: 'collector' | 'worker', queueUrl: string, direct: SqsHandler, batchSize: number) => {
      const handler = hooks.invocation ? hooks.invocation(name, direct) : direct;
      const queueArn = `arn:aws:sqs:${LOCAL_REGION}:000000000000:${new URL(queueUrl).pathname.split('/').pop()}`;
      const source = { inFlight: 0, pollOnce: async (_waitSeconds: number): Promise<number> => 0 };
      // Lambda's SQS event source receives and deletes with the consuming function's role.
      const client = recorder ? localSqsClient(sqsEndpoint) : sqs;
      if (recorder) {
        recorder.instrument(name)(client);
        cleanups.push(async () => client.destroy());
      }
      source.pollOnce = async (waitSeconds: number): Promise<number> => {
        const received = await client.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: batchSize, WaitTimeSeconds: waitSeconds, MessageSystemAttributeNames: ['All'] }),
        );
        const messages = received.Messages ?? [];
        if (messages.length === 0) return 0;
        source.inFlight += messages.length;
        try {
          const event: SQSEvent = { Records: messages.map((m) => toSqsRecord(m, queueArn)) };
          const response = await handler(event, lambdaContext(name, timeouts[name]));
          const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
          for (const m of messages) {
            if (!failed.has(m.MessageId ?? '')) await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
          }
        } catch (error) {
          loggerFor(name).error(`${name} invocation failed; messages come back after the visibility timeout`, { error });
        } finally {
          source.inFlight -= messages.length;
        }
        return messages.length;
      };
      return source;
    };
    const runSource = eventSource('collector', runQueueUrl, handlers.collector, 10);
    const orderSource = eventSource('worker', orderQueueUrl, handlers.worker, options.workerBatchSize ?? 10);
    const sources = [runSource, orderSource];

    let polling = options.collector !== false;
    if (polling) {
      const pollers = [runSource, ...Array.from({ length: workerConcurrency }, () => orderSource)];
      const streamLoop = (async () => {
        while (polling) {
          const n = await tableStream.pollOnce().catch((error: unknown) => {
            if (polling) eventsLogger.warn('table stream poll failed', { error });
            return 0;
          });
          if (n === 0 && polling) await new Promise((resolve) => setTimeout(resolve, 250));
        }
      })();
      const loops = pollers.map((source) =>
        (async () => {
          while (polling) {
            try {
              await source.pollOnce(1);
            } catch (error) {
              if (polling) {
                collectorLogger.warn('queue poll failed', { error });
                await new Promise((resolve) => setTimeout(resolve, 500));
              }
            }
          }
        })(),
      );
      cleanups.push(async () => {
        polling = false;
        await Promise.all([...loops, streamLoop]);
      });
    }
    const pendingIn = async (queueUrl: string): Promise<number> => {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      return Number(Attributes?.['ApproximateNumberOfMessages'] ?? 0) + Number(Attributes?.['ApproximateNumberOfMessagesNotVisible'] ?? 0);
    };
    const drainQueues = async (watched: typeof sources, queueUrls: string[], timeoutMs: number): Promise<number> => {
      const deadline = Date.now() + timeoutMs;
      let handled = 0;
      let quiet = 0;
      while (Date.now() < deadline) {
        if (options.collector === false) for (const source of watched) handled += await source.pollOnce(0);
        let pending = 0;
        for (const url of queueUrls) pending += await pendingIn(url);
        if (pending === 0 && watched.every((source) => source.inFlight === 0)) {
          quiet += 1;
          if (quiet >= 2) return handled;
        } else quiet = 0;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`queues not drained within ${timeoutMs} ms`);
    };
    // A drained queue's last changes are on the table's stream: their events are put before answering.
    const drainRunQueue = async ({ timeoutMs = 30_000 } = {}) => {
      const handled = await drainQueues([runSource], [runQueueUrl], timeoutMs);
      await tableStream.drain();
      return handled;
    };
    const drain = async ({ timeoutMs = 120_000 } = {}) => {
      const handled = await drainQueues(sources, [runQueueUrl, orderQueueUrl], timeoutMs);
      await tableStream.drain();
      return handled;
    };

    // One line per thing, each naming what it is: the table's name alone reads like a Goodwix address.
    for (const line of [
      'Local runtime of goodwix-1c-exchange (all on this machine):',
      `  control API of the exchange:  ${apiUrl}  (send Authorization: Bearer ${token})`,
      `  DynamoDB Local, the exchange's state:  ${dynamodbEndpoint}  (table ${tableName})`,
      `  SQS emulator, the exchange's run and order queues:  ${sqsEndpoint}  (${runQueueUrl}, ${orderQueueUrl})`,
    ]) print(line);

    const callApi = async (method: string, path: string, body?: unknown, callOptions: { token?: string | null } = {}): Promise<ApiAnswer> => {
      const bearer = callOptions.token === undefined ? token : callOptions.token;
      const response = await fetch(`${apiUrl}${path}`, {
        method,
        headers: { ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null, headers: response.headers };
    };

    return {
      apiUrl,
      token,
      api: callApi,
      dynamodbEndpoint,
      sqsEndpoint,
      tableName,
      runQueueUrl,
      orderQueueUrl,
      ...(started.dynamo ? { dynamodbPid: started.dynamo.pid } : {}),
      ports: apiPorts,
      secrets,
      events: bus.events,
      tickNow,
      drainRunQueue,
      drain,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
