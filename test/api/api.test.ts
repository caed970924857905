import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { apiPortsFromConfig, createApiHandler } from '#functions/api/app';
import { loadApiConfig } from '#functions/api/config';
import type { PlanConnectors } from '#runs/check-plan';
import { parsePlan } from '#plans/plan';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BindingRepository, newBinding } from '#store/bindings';
import { keys } from '#store/table';
import { controlApiContract } from '#test/control-api-contract';
import { useDynamoDb } from '#test/dynamodb';
import { aLambdaContext } from '#test/lambda';
import { DemoSecretsOfAnyPlan, planInput } from '#test/plans';
import { useSqs } from '#test/sqs';
import { createServer } from 'node:http';
import { demoOneC } from '#local/demo/supplier';
import { OneCBadRequestError, OneCCertificateError, OneCInvalidResponseError, OneCNotFoundError } from '#onec/errors';
import { clientConnectors } from '#runs/connectors';
import { SecretAccessDeniedError, type SecretsProvider } from '#secrets/secrets';

const dynamo = useDynamoDb();
const sqs = useSqs();
const silent = new Logger({ logLevel: 'SILENT' });
const context = aLambdaContext({ functionName: 'api' });

function fakeConnectors(missing: readonly string[] = []): PlanConnectors {
  return {
    oneC: () => ({ getRef: async (_c, ref) => (missing.includes(ref) ? null : { name: 'ok', deletionMark: false }) }),
    goodwix: () => ({ login: async () => undefined, catalogExists: async () => true }),
  };
}

interface Call {
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  signed?: boolean;
}

/** An API Gateway REST proxy event, IAM-signed unless told otherwise. */
function apiEvent(method: string, path: string, call: Call = {}): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: '/{proxy+}',
    headers: { 'content-type': 'application/json', ...call.headers },
    multiValueHeaders: {},
    queryStringParameters: call.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    body: call.rawBody ?? (call.body === undefined ? null : JSON.stringify(call.body)),
    isBase64Encoded: false,
    requestContext: {
      requestId: 'r1',
      identity: call.signed === false ? { userArn: null, caller: null } : { userArn: 'arn:aws:iam::123456789012:user/operator', caller: 'AIDAEXAMPLE' },
    },
  } as unknown as APIGatewayProxyEvent;
}

async function setup(options: { connectors?: PlanConnectors; secrets?: SecretsProvider; dynamodbEndpoint?: string; env?: Record<string, string> } = {}) {
  const store = await dynamo.newStore();
  const { queueUrl } = await sqs.newRunQueue();
  const config = loadApiConfig({
    TABLE_NAME: store.tableName,
    RUN_QUEUE_URL: queueUrl,
    DYNAMODB_ENDPOINT: options.dynamodbEndpoint ?? dynamo.endpoint,
    SQS_ENDPOINT: sqs.endpoint,
    AWS_REGION: 'us-east-1',
    SECRETS_PREFIX: 'local/',
    ...options.env,
  });
  const ports = apiPortsFromConfig(config, { secrets: options.secrets ?? new DemoSecretsOfAnyPlan(), connectors: options.connectors ?? fakeConnectors(), logger: silent });
  const handler = createApiHandler(ports, { logger: silent });
  const call = async (method: string, path: string, c: Call = {}) => {
    const event = apiEvent(method, path, c);
    const response = (await handler(event, context)) as APIGatewayProxyResult;
    // Every answer, errors included, must be what docs/control-api.openapi.json describes.
    const query = new URLSearchParams(c.query ?? {}).toString();
    controlApiContract().assertAnswer({
      method,
      path: `${path}${query ? `?${query}` : ''}`,
      status: response.statusCode,
      headers: response.headers ?? {},
      body: response.body,
      ...(event.body === null ? {} : { requestBody: event.body }),
    });
    return { status: response.statusCode, headers: response.headers ?? {}, body: response.body ? (JSON.parse(response.body) as Record<string, any>) : null };
  };
  return { call, ports, store, queueUrl };
}

describe('control API through the Lambda handler (API Gateway events, DynamoDB Local, fauxqs)', () => {
  test('refuses an event without a caller identity', async () => {
    const { call } = await setup();
    const response = await call('GET', '/plans', { signed: false });
    assert.equal(response.status, 401);
    assert.equal(response.body?.error.code, 'UNAUTHENTICATED');
  });

  test('creates a plan (201, version 1), replaces it (200, version 2) and shows it without secrets', async () => {
    const { call } = await setup();
    const input = planInput();

    const created = await call('PUT', `/plans/${input.id}`, { body: input });
    const replaced = await call('PUT', `/plans/${input.id}`, { body: { ...input, name: 'Renamed' } });
    const shown = await call('GET', `/plans/${input.id}`);

    assert.deepEqual([created.status, created.headers['etag'], created.headers['location']], [201, '"1"', `/plans/${input.id}`]);
    assert.deepEqual([replaced.status, replaced.body?.version], [200, 2]);
    assert.deepEqual([shown.status, shown.body?.name, shown.headers['etag']], [200, 'Renamed', '"2"']);
    assert.equal(shown.body?.goodwix.passwordSecret, input.goodwix.passwordSecret);
    assert.match(shown.body?.scheduleState.nextSlot, /^\d{4}-\d\d-\d\dT/);
    assert.ok(!JSON.stringify(shown.body).includes('goodwix-demo') && !JSON.stringify(shown.body).includes('exchange-demo'));
  });

  test('a plan without exportFrom takes its creation time, and keeps it when replaced without one', async () => {
    const { call } = await setup();
    const input = planInput();
    const { exportFrom: _none, ...orders } = input.orders as Record<string, unknown>;

    const created = await call('PUT', `/plans/${input.id}`, { body: { ...input, orders } });
    const replaced = await call('PUT', `/plans/${input.id}`, { body: { ...input, name: 'Renamed', orders } });
    const dated = await call('PUT', `/plans/${input.id}`, { body: { ...input, orders: { ...orders, exportFrom: '2024-01-01' } } });

    assert.equal(created.body?.orders.exportFrom, created.body?.createdAt);
    assert.equal(replaced.body?.orders.exportFrom, created.body?.createdAt);
    assert.equal(dated.body?.orders.exportFrom, '2024-01-01', 'a date given is kept');
  });

  test('keeps the last check on the plan: when, passed or not, the problems', async () => {
    const { call } = await setup({ connectors: fakeConnectors(['5a1f0e2c-1c7b-11ef-9a30-0800270bc611']) });
    const input = planInput();
    await call('PUT', `/plans/${input.id}`, { body: input });
    const before = await call('GET', `/plans/${input.id}`);

    const check = await call('POST', `/plans/${input.id}/check`);
    const after = await call('GET', `/plans/${input.id}`);

    assert.equal(before.body?.check, null, 'never checked');
    assert.deepEqual(after.body?.check, { checkedAt: check.body?.checkedAt, ok: false, version: 1, problems: check.body?.problems, passedOnceAt: null });
    assert.equal(after.body?.version, 1, 'recording the check is no new version of the plan');
  });

  test('replaces optimistically: a stale If-Match or body version is 412, If-None-Match * on an existing plan too', async () => {
    const { call } = await setup();
    const input = planInput();
    await call('PUT', `/plans/${input.id}`, { body: input });
    const current = await call('PUT', `/plans/${input.id}`, { body: input, headers: { 'If-Match': '"1"' } });

    const stale = await call('PUT', `/plans/${input.id}`, { body: input, headers: { 'If-Match': '"1"' } });
    const staleBody = await call('PUT', `/plans/${input.id}`, { body: { ...input, version: 1 } });
    const createOnly = await call('PUT', `/plans/${input.id}`, { body: input, headers: { 'If-None-Match': '*' } });
    const roundTrip = await call('PUT', `/plans/${input.id}`, { body: (await call('GET', `/plans/${input.id}`)).body });

    assert.equal(current.status, 200);
    assert.deepEqual([stale.status, stale.body?.error.code], [412, 'PLAN_VERSION_CONFLICT']);
    assert.deepEqual([staleBody.status, staleBody.body?.error.code], [412, 'PLAN_VERSION_CONFLICT']);
    assert.deepEqual([createOnly.status, createOnly.body?.error.code], [412, 'PLAN_EXISTS']);
    assert.deepEqual([roundTrip.status, roundTrip.body?.version], [200, 3], 'what GET answers can be PUT back');
  });

  test('If-Match * replaces only a plan that exists: 412 and nothing created for a missing one', async () => {
    // Prepare
    const { call } = await setup();
    const missing = planInput({ id: 'not-there' });
    const existing = planInput();
    await call('PUT', `/plans/${existing.id}`, { body: existing });
    // Act
    const onMissing = await call('PUT', `/plans/${missing.id}`, { body: missing, headers: { 'If-Match': '*' } });
    const afterwards = await call('GET', `/plans/${missing.id}`);
    const onExisting = await call('PUT', `/plans/${existing.id}`, { body: existing, headers: { 'If-Match': '*' } });
    // Assess
    assert.deepEqual([onMissing.status, onMissing.body?.error?.code], [412, 'PLAN_VERSION_CONFLICT']);
    assert.match(onMissing.body?.error?.message ?? '', /not-there does not exist/u);
    assert.equal(afterwards.status, 404, 'nothing was created');
    assert.deepEqual([onExisting.status, onExisting.body?.version], [200, 2]);
  });

  test('answers 400 with zod field paths for an invalid plan', async () => {
    const { call } = await setup();
    const input = planInput();

    const response = await call('PUT', `/plans/${input.id}`, { body: { ...input, schedule: { start: '25:00', timeZone: 'Mars/Olympus' }, goodwix: { ...input.goodwix, catalogId: 'x' } } });

    assert.equal(response.status, 400);
    assert.equal(response.body?.error.code, 'PLAN_INVALID');
    assert.deepEqual(response.body?.error.details.issues, [
      'plan.goodwix.catalogId: Invalid input: expected number, received string',
      'plan.schedule.timeZone: unknown time zone (expected an IANA name such as Europe/Moscow)',
      'plan.schedule.start: expected a time as HH:MM (00:00–23:59)',
    ]);
  });

  test('answers 400 naming the field for a base URL that carries credentials, without echoing them, and stores nothing', async () => {
    const { call } = await setup();
    const input = planInput();

    const response = await call('PUT', `/plans/${input.id}`, {
      body: { ...input, goodwix: { ...input.goodwix, baseUrl: 'https://supplier:Pa55-w0rd-gw@pub.goodwix.com' }, onec: { ...input.onec, baseUrl: 'https://onec-user-5e8a@erp.example/trade/odata/standard.odata/' } },
    });
    const shown = await call('GET', `/plans/${input.id}`);

    assert.deepEqual([response.status, response.body?.error?.code], [400, 'PLAN_INVALID']);
    assert.deepEqual(response.body?.error.details.issues, [
      "plan.goodwix.baseUrl: must not carry credentials: put them in the plan's secrets (docs/plans.md)",
      "plan.onec.baseUrl: must not carry credentials: put them in the plan's secrets (docs/plans.md)",
    ]);
    const answered = JSON.stringify(response);
    for (const secret of ['supplier:', 'Pa55-w0rd-gw', 'onec-user-5e8a']) assert.ok(!answered.includes(secret), `the answer repeats ${secret}: ${answered}`);
    assert.equal(shown.status, 404);
  });

  test('a stored plan that no longer reads (a rule added since it was saved) is answered 409 naming the field, and a PUT replaces it keeping its exportFrom', async () => {
    // Prepare: a plan saved before a rule it breaks, as a plan with credentials in its base URL is after the rule that refuses them
    const { call, store } = await setup();
    const input = planInput();
    const saved = await call('PUT', `/plans/${input.id}`, { body: input });
    const exportFrom = saved.body?.orders.exportFrom;
    await store.client.send(new UpdateCommand({ TableName: store.tableName, Key: { pk: keys.planPk(input.id), sk: keys.planSk }, UpdateExpression: 'SET #plan.#goodwix.#baseUrl = :url', ExpressionAttributeNames: { '#plan': 'plan', '#goodwix': 'goodwix', '#baseUrl': 'baseUrl' }, ExpressionAttributeValues: { ':url': 'https://supplier:Pa55-w0rd-gw@pub.goodwix.com' } }));

    // Act
    const shown = await call('GET', `/plans/${input.id}`);
    const { orders: { exportFrom: _left, ...orders }, ...rest } = input as typeof input & { orders: { exportFrom?: string } };
    const replaced = await call('PUT', `/plans/${input.id}`, { body: { ...rest, orders } });

    // Assess: not a 500 the operator cannot act on, and the password is not repeated
    assert.deepEqual([shown.status, shown.body?.error?.code], [409, 'STORE_CORRUPT_ITEM']);
    assert.match(shown.body?.error?.message ?? '', /plan\.goodwix\.baseUrl: must not carry credentials/);
    assert.ok(!JSON.stringify(shown.body).includes('Pa55-w0rd-gw'), 'the password is not repeated');
    assert.deepEqual([replaced.status, replaced.body?.orders.exportFrom], [200, exportFrom], 'replaced, its exportFrom kept: the order history is not copied');
    assert.equal((await call('GET', `/plans/${input.id}`)).status, 200);
  });

  test('a stored plan that no longer reads still shows its runs, orders and order records; a resync of it is 409 STORE_CORRUPT_ITEM, as documented', async () => {
    // Prepare: a plan with a run and an order record, then saved before a rule it breaks (credentials in its base URL)
    const { call, store, ports } = await setup();
    const input = planInput();
    await call('PUT', `/plans/${input.id}`, { body: input });
    const started = await call('POST', `/plans/${input.id}/runs`);
    await ports.locks.release(input.id, started.body?.runId);
    await new BindingRepository(store).save(newBinding(input.id, '1001', new Date('2025-06-10T10:00:00Z')), null);
    await store.client.send(new UpdateCommand({ TableName: store.tableName, Key: { pk: keys.planPk(input.id), sk: keys.planSk }, UpdateExpression: 'SET #plan.#goodwix.#baseUrl = :url', ExpressionAttributeNames: { '#plan': 'plan', '#goodwix': 'goodwix', '#baseUrl': 'baseUrl' }, ExpressionAttributeValues: { ':url': 'https://supplier:Pa55-w0rd-gw@pub.goodwix.com' } }));

    // Act (every answer is held to docs/control-api.openapi.json by `call`)
    const runs = await call('GET', `/plans/${input.id}/runs`);
    const orders = await call('GET', `/plans/${input.id}/orders`, { query: { state: 'all' } });
    const record = await call('GET', `/plans/${input.id}/orders/1001`);
    const resync = await call('POST', `/plans/${input.id}/orders/1001/resync`);

    // Assess: the operator sees what the plan did; a new run waits for the plan to be replaced
    assert.deepEqual([runs.status, runs.body?.items.map((r: { runId: string }) => r.runId)], [200, [started.body?.runId]]);
    assert.deepEqual([orders.status, orders.body?.items.map((o: { orderId: string }) => o.orderId)], [200, ['1001']]);
    assert.deepEqual([record.status, record.body?.orderId], [200, '1001']);
    assert.deepEqual([resync.status, resync.body?.error?.code], [409, 'STORE_CORRUPT_ITEM']);
    assert.ok(!JSON.stringify(resync.body).includes('Pa55-w0rd-gw'), 'the password is not repeated');
  });

  test('answers 400 for a body that is not JSON, an id that differs from the path, and a bad page query', async () => {
    const { call } = await setup();
    const input = planInput();

    const notJson = await call('PUT', `/plans/${input.id}`, { rawBody: '{"id":' });
    const otherId = await call('PUT', '/plans/another-id', { body: input });
    const badLimit = await call('GET', '/plans', { query: { limit: '0' } });
    const badCursor = await call('GET', '/plans', { query: { cursor: 'abc' } });

    assert.deepEqual([notJson.status, notJson.body?.error.code], [400, 'INVALID_JSON']);
    assert.deepEqual([otherId.status, otherId.body?.error.details.issues], [400, ['plan.id: must equal the id in the path (another-id)']]);
    assert.deepEqual([badLimit.status, badLimit.body?.error.details.issues], [400, ['query.limit: Too small: expected number to be >=1']]);
    assert.deepEqual([badCursor.status, badCursor.body?.error.code], [400, 'INVALID_PAGE_CURSOR']);
  });

  test('lists plans page by page', async () => {
    const { call } = await setup();
    const ids = [planInput(), planInput(), planInput()];
    for (const p of ids) await call('PUT', `/plans/${p.id}`, { body: p });

    const first = await call('GET', '/plans', { query: { limit: '2' } });
    const second = await call('GET', '/plans', { query: { limit: '2', cursor: first.body?.nextCursor } });

    assert.equal(first.body?.items.length, 2);
    assert.deepEqual([...first.body!.items, ...second.body!.items].map((p: { id: string }) => p.id).sort(), ids.map((p) => p.id).sort());
  });

  test('answers 404 for unknown plans, runs, orders and routes, and 405 with Allow for a wrong method', async () => {
    const { call } = await setup();
    const input = planInput();
    await call('PUT', `/plans/${input.id}`, { body: input });

    assert.deepEqual([(await call('GET', '/plans/ghost')).status, (await call('GET', '/plans/ghost')).body?.error.code], [404, 'PLAN_NOT_FOUND']);
    assert.equal((await call('GET', `/plans/${input.id}/runs/01J000000000000000000000XX`)).body?.error.code, 'RUN_NOT_FOUND');
    assert.equal((await call('GET', `/plans/${input.id}/orders/1001`)).body?.error.code, 'ORDER_NOT_FOUND');
    assert.equal((await call('GET', '/nothing/here')).body?.error.code, 'ROUTE_NOT_FOUND');
    const wrong = await call('PATCH', `/plans/${input.id}`);
    assert.deepEqual([wrong.status, wrong.headers['allow'], wrong.body?.error.code], [405, 'GET, HEAD, PUT, DELETE', 'METHOD_NOT_ALLOWED']);
  });

  test('checks a plan and names every problem', async () => {
    const input = planInput();
    const { call } = await setup({ connectors: fakeConnectors([input.orders.warehouse as string]) });
    await call('PUT', `/plans/${input.id}`, { body: input });

    const response = await call('POST', `/plans/${input.id}/check`);

    assert.equal(response.status, 200);
    assert.equal(response.body?.ok, false);
    assert.deepEqual(response.body?.problems.map((p: { message: string }) => p.message), [`Склад ${input.orders.warehouse}: not found in 1C`]);
  });

  test('starts a manual run (202 + run id), refuses a second while it runs (409), and shows it', async () => {
    const { call, queueUrl } = await setup();
    const input = planInput();
    await call('PUT', `/plans/${input.id}`, { body: input });

    const started = await call('POST', `/plans/${input.id}/runs`);
    const again = await call('POST', `/plans/${input.id}/runs`);
    const list = await call('GET', `/plans/${input.id}/runs`);
    const run = await call('GET', `/plans/${input.id}/runs/${started.body?.runId}`);

    assert.deepEqual([started.status, started.body?.status, started.headers['location']], [202, 'running', `/plans/${input.id}/runs/${started.body?.runId}`]);
    assert.deepEqual([again.status, again.body?.error.code, again.body?.error.details.runId], [409, 'RUN_IN_PROGRESS', started.body?.runId]);
    assert.deepEqual(list.body?.items.map((r: { runId: string }) => r.runId), [started.body?.runId]);
    assert.deepEqual(run.body?.counters, { exported: 0, updatedInOneC: 0, updatedInGoodwix: 0, conflicts: 0, failed: 0 });
    assert.deepEqual(run.body?.orders, { items: [] });
    assert.equal((await sqs.receiveAll(queueUrl)).length, 1);
  });

  test('refuses to delete a plan while it runs (409), deletes it otherwise (204)', async () => {
    const { call, ports } = await setup();
    const input = planInput();
    await call('PUT', `/plans/${input.id}`, { body: input });
    const started = await call('POST', `/plans/${input.id}/runs`);

    const refused = await call('DELETE', `/plans/${input.id}`);
    await ports.locks.release(input.id, started.body?.runId);
    const deleted = await call('DELETE', `/plans/${input.id}`);

    assert.deepEqual([refused.status, refused.body?.error.code], [409, 'PLAN_RUNNING']);
    assert.equal(deleted.status, 204);
    assert.equal((await call('GET', `/plans/${input.id}`)).status, 404);
    assert.equal((await call('DELETE', `/plans/${input.id}`)).status, 404);
  });

  test('DELETE with If-None-Match: * ("only if there is none") deletes nothing: 412 PLAN_EXISTS for an existing plan, 404 for a missing one', async () => {
    // Prepare
    const { call } = await setup();
    const input = planInput();
    await call('PUT', `/plans/${input.id}`, { body: input });

    // Act
    const onExisting = await call('DELETE', `/plans/${input.id}`, { headers: { 'If-None-Match': '*' } });
    const onMissing = await call('DELETE', '/plans/not-there', { headers: { 'If-None-Match': '*' } });
    const after = await call('GET', `/plans/${input.id}`);

    // Assess
    assert.deepEqual([onExisting.status, onExisting.body?.error?.code, onExisting.body?.error?.details?.version], [412, 'PLAN_EXISTS', 1]);
    assert.deepEqual([onMissing.status, onMissing.body?.error?.code], [404, 'PLAN_NOT_FOUND']);
    assert.deepEqual([after.status, after.body?.version], [200, 1], 'the plan is still there, unchanged');
  });

  test('shows an order\'s sync record once its binding exists, and starts a resync of one order', async () => {
    const { call, store } = await setup();
    const input = planInput();
    await call('PUT', `/plans/${input.id}`, { body: input });
    const binding = newBinding(input.id, '1001', new Date('2025-06-10T10:00:00Z'));
    await new BindingRepository(store).save({ ...binding, onec: { ref: '9f000000-0000-0000-0000-000000000001', number: 'ТД00-000001', date: '2025-06-10T10:00:00' }, onecDataVersion: 'AAAAAAAAAAE=' }, null);

    const record = await call('GET', `/plans/${input.id}/orders/1001`);
    const resync = await call('POST', `/plans/${input.id}/orders/1001/resync`);
    const badId = await call('POST', `/plans/${input.id}/orders/${encodeURIComponent('a b')}/resync`);

    assert.equal(record.status, 200);
    assert.deepEqual([record.body?.orderId, record.body?.onec.number, record.body?.onecDataVersion, record.body?.open], ['1001', 'ТД00-000001', 'AAAAAAAAAAE=', true]);
    assert.equal(record.body?.pk, undefined, 'no table keys');
    assert.deepEqual([resync.status, resync.body?.trigger, resync.body?.orderId], [202, 'resync', '1001']);
    assert.deepEqual([badId.status, badId.body?.error.code], [404, 'ORDER_NOT_FOUND']);
  });

  test('answers 503 when DynamoDB is unreachable, without details of the failure', async () => {
    const { call } = await setup({ dynamodbEndpoint: 'http://127.0.0.1:1' });
    const response = await call('GET', '/plans/any');
    assert.deepEqual([response.status, response.body?.error.code, response.headers['retry-after']], [503, 'SERVICE_UNAVAILABLE', '5']);
  });
});

describe("GET /plans/{planId}/onec/choices when the plan's 1C or its secret refuses for good", () => {
  test('a 1C publication that is not there (a web server\'s HTML 404) is 502 naming the error, not 500 INTERNAL', async () => {
    // Prepare: the plan's 1C base URL points at a web server without that publication
    const server = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html><body><h1>404 Not Found</h1></body></html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { call } = await setup({ connectors: clientConnectors });
      const input = planInput();
      const plan = { ...input, onec: { ...input.onec, baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/wrong/odata/standard.odata/` } };
      await call('PUT', `/plans/${input.id}`, { body: plan });

      // Act
      const choices = await call('GET', `/plans/${input.id}/onec/choices`, { query: { field: 'warehouse' } });

      // Assess
      assert.deepEqual([choices.status, choices.body?.error?.code], [502, 'ONEC_INVALID_RESPONSE']);
      assert.match(choices.body?.error?.message ?? '', /404/);
      assert.ok(!JSON.stringify(choices.body).includes(demoOneC.password), 'the 1C password is not answered');
    } finally {
      server.close();
    }
  });

  const refusals: [string, () => Error, number, string][] = [
    ['a certificate 1C\'s publication is not trusted with', () => new OneCCertificateError('1C\'s TLS certificate is not trusted'), 502, 'ONEC_CERTIFICATE'],
    ['a catalog 1C does not publish', () => new OneCNotFoundError('1C answered 404: Catalog_Склады', { status: 404 }), 502, 'ONEC_NOT_FOUND'],
    ['a request 1C refuses', () => new OneCBadRequestError('1C refused the request', { status: 400, oneCCode: '14' }), 502, 'ONEC_BAD_REQUEST'],
    ["a proxy's HTML 502 page (passing: try again)", () => new OneCInvalidResponseError('1C did not answer JSON: 502 text/html', { status: 502 }), 503, 'SERVICE_UNAVAILABLE'],
  ];
  for (const [name, error, status, code] of refusals) {
    test(`${name} is ${status} ${code}`, async () => {
      // Prepare
      const connectors: PlanConnectors = { ...fakeConnectors(), oneC: () => ({ getRef: async () => null, choices: async () => { throw error(); } }) };
      const { call } = await setup({ connectors });
      const input = planInput();
      await call('PUT', `/plans/${input.id}`, { body: input });

      // Act
      const choices = await call('GET', `/plans/${input.id}/onec/choices`, { query: { field: 'warehouse' } });

      // Assess
      assert.deepEqual([choices.status, choices.body?.error?.code], [status, code]);
    });
  }

  test("a 1C secret the function may not read is 502 SECRET_ACCESS_DENIED naming the secret, never its value", async () => {
    // Prepare
    const secrets: SecretsProvider = { getSecret: async (ref) => { throw new SecretAccessDeniedError(ref); } };
    const { call } = await setup({ secrets });
    const input = planInput();
    await call('PUT', `/plans/${input.id}`, { body: input });

    // Act
    const choices = await call('GET', `/plans/${input.id}/onec/choices`, { query: { field: 'warehouse' } });

    // Assess
    assert.deepEqual([choices.status, choices.body?.error?.code], [502, 'SECRET_ACCESS_DENIED']);
    assert.match(choices.body?.error?.message ?? '', new RegExp(input.onec.credentialsSecret));
  });
});

describe("one plan cannot use another's secrets or send them elsewhere", () => {
  test("refuses a plan naming another plan's secrets, or any outside its own, naming the field", async () => {
    const { call } = await setup();
    const alfa = planInput({ id: 'alfa' });
    const beta = planInput({ id: 'beta' });

    const response = await call('PUT', '/plans/alfa', {
      body: { ...alfa, goodwix: { ...alfa.goodwix, passwordSecret: beta.goodwix.passwordSecret }, onec: { ...alfa.onec, credentialsSecret: 'goodwix-1c-exchange/prod/beta/onec' } },
    });

    assert.equal(response.status, 400);
    assert.equal(response.body?.error.code, 'PLAN_INVALID');
    assert.deepEqual(response.body?.error.details.issues, [
      'plan.goodwix.passwordSecret: must name one of this plan\'s secrets, below local/alfa/ (not local/beta/goodwix-password)',
      'plan.onec.credentialsSecret: must name one of this plan\'s secrets, below local/alfa/ (not goodwix-1c-exchange/prod/beta/onec)',
    ]);
    assert.equal((await call('GET', '/plans/alfa')).status, 404, 'nothing saved');
    assert.equal((await call('PUT', '/plans/alfa', { body: alfa })).status, 201, 'its own secrets are fine');
  });

  test('refuses plain http to a host that is not a loopback address', async () => {
    const { call } = await setup();
    const input = planInput();

    const remote = await call('PUT', `/plans/${input.id}`, {
      body: { ...input, onec: { ...input.onec, baseUrl: 'http://erp.example.com/trade/odata/standard.odata/' }, goodwix: { ...input.goodwix, baseUrl: 'http://pub.goodwix.com' } },
    });
    const local = await call('PUT', `/plans/${input.id}`, { body: { ...input, goodwix: { ...input.goodwix, baseUrl: 'http://localhost:8702' } } });

    assert.equal(remote.status, 400);
    assert.deepEqual(remote.body?.error.details.issues, [
      'plan.goodwix.baseUrl: expected an https URL (plain http only to a loopback address), not http://pub.goodwix.com',
      'plan.onec.baseUrl: expected an https URL (plain http only to a loopback address), not http://erp.example.com',
    ]);
    assert.equal(local.status, 201);
  });

  test('refuses a host outside the deployment\'s allowed hosts', async () => {
    const { call } = await setup({ env: { ALLOWED_HOSTS: '127.0.0.1,*.goodwix.com' } });
    const input = planInput();

    const elsewhere = await call('PUT', `/plans/${input.id}`, {
      body: { ...input, goodwix: { ...input.goodwix, baseUrl: 'https://goodwix.com.evil.example' }, onec: { ...input.onec, baseUrl: 'https://erp.example.com/trade/odata/standard.odata/' } },
    });
    const allowed = await call('PUT', `/plans/${input.id}`, { body: { ...input, goodwix: { ...input.goodwix, baseUrl: 'https://pub.goodwix.com' } } });

    assert.deepEqual(elsewhere.body?.error.details.issues, [
      "plan.goodwix.baseUrl: host goodwix.com.evil.example is not among the deployment's allowed hosts (127.0.0.1, *.goodwix.com)",
      "plan.onec.baseUrl: host erp.example.com is not among the deployment's allowed hosts (127.0.0.1, *.goodwix.com)",
    ]);
    assert.equal(allowed.status, 201);
  });

  test('a stored plan breaking the rules (saved before them) is checked without reading or sending any secret', async () => {
    const reads: string[] = [];
    const secrets = new DemoSecretsOfAnyPlan();
    const { call, ports } = await setup();
    const getSecret = (ref: string) => {
      reads.push(ref);
      return secrets.getSecret(ref);
    };
    Object.assign(ports, { secrets: { getSecret } });
    const input = planInput();
    await ports.plans.put(parsePlan({ ...input, onec: { ...input.onec, credentialsSecret: 'local/beta/onec-credentials' } }));

    const check = await call('POST', `/plans/${input.id}/check`);

    assert.equal(check.status, 200);
    assert.equal(check.body?.ok, false);
    assert.deepEqual(check.body?.problems.map((p: { code: string; subject: string }) => [p.code, p.subject]), [['PLAN_ACCESS_DENIED', 'plan.onec.credentialsSecret']]);
    assert.deepEqual(reads, []);
  });
});

describe('function configuration', () => {
  test('names every missing or malformed variable at load', () => {
    assert.throws(() => loadApiConfig({ RUN_QUEUE_URL: 'not a url', LOCK_TTL_SECONDS: '5', SECRETS_PREFIX: 'no-slash', ALLOWED_HOSTS: 'erp.example.com,https://x' }), {
      message:
        'Invalid configuration of the api function: TABLE_NAME: Invalid input: expected string, received undefined; LOCK_TTL_SECONDS: Too small: expected number to be >=60; RUN_QUEUE_URL: expected an http(s) URL; ' +
        'SECRETS_PREFIX: expected a secret name prefix ending in /, e.g. goodwix-1c-exchange/prod/; ALLOWED_HOSTS: expected comma-separated host names, e.g. erp.example.com,*.goodwix.com',
    });
  });

  test('fills the defaults', () => {
    const config = loadApiConfig({ TABLE_NAME: 't', RUN_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/1/q.fifo', SECRETS_PREFIX: 'goodwix-1c-exchange/prod/' });
    assert.deepEqual([config.LOCK_TTL_SECONDS, config.RUN_RETENTION_DAYS, config.SECRETS_CACHE_SECONDS, config.ALLOW_PLAIN_HTTP, config.ALLOWED_HOSTS], [900, 90, 300, false, undefined]);
    assert.deepEqual(loadApiConfig({ TABLE_NAME: 't', RUN_QUEUE_URL: 'https://q.example/q.fifo', SECRETS_PREFIX: 'p/', ALLOWED_HOSTS: ' ERP.example.com, *.goodwix.com ' }).ALLOWED_HOSTS, ['erp.example.com', '*.goodwix.com']);
  });
});

