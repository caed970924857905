/**
 * One plan's routes touch that plan only: an operator whose IAM policy allows
 * `execute-api:Invoke` on `…/plans/<id>/*` (docs/deploy.md) can neither read nor change
 * another plan through them, whatever run or order ids the path carries. Every route with a
 * plan in its path is driven with plan A, while DynamoDB's requests are recorded on the wire
 * (a proxy in front of DynamoDB Local): no request names another plan's partition, and plan B's
 * items are the same afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { apiPortsFromConfig, createApiHandler } from '#functions/api/app';
import { loadApiConfig } from '#functions/api/config';
import { routeTable } from '#functions/api/routes';
import type { PlanConnectors } from '#runs/check-plan';
import type { StoreContext } from '#store/client';
import { BindingRepository, newBinding } from '#store/bindings';
import { useDynamoDb } from '#test/dynamodb';
import { aLambdaContext } from '#test/lambda';
import { DemoSecretsOfAnyPlan, planInput } from '#test/plans';
import { useSqs } from '#test/sqs';

const dynamo = useDynamoDb();
const sqs = useSqs();
const silent = new Logger({ logLevel: 'SILENT' });
const context = aLambdaContext({ functionName: 'api' });
const connectors: PlanConnectors = {
  oneC: () => ({ getRef: async () => ({ name: 'ok', deletionMark: false }) }),
  goodwix: () => ({ login: async () => undefined, catalogExists: async () => true }),
};

/** A pass-through proxy to DynamoDB Local that keeps every request body. */
let proxy: Server;
let proxyUrl: string;
const bodies: string[] = [];
before(async () => {
  proxy = createServer((req, res) => {
    const target = new URL(dynamo.endpoint);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      bodies.push(body.toString('utf8'));
      const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
after(async () => {
  proxy.closeAllConnections();
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
});

/** The plans whose partitions (`PLAN#<id>`, the open index's `OPEN#<id>`) a DynamoDB request names. */
function plansNamed(body: string): Set<string> {
  const found = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      const m = /^(?:PLAN|OPEN)#([^#]+)/.exec(value);
      if (m) found.add(m[1]!);
    } else if (value && typeof value === 'object') for (const v of Object.values(value)) walk(v);
  };
  walk(JSON.parse(body || '{}'));
  return found;
}

function apiEvent(method: string, path: string, body?: unknown): APIGatewayProxyEvent {
  return {
    httpMethod: method, path, headers: { 'content-type': 'application/json' }, queryStringParameters: null,
    body: body === undefined ? null : JSON.stringify(body), isBase64Encoded: false,
    requestContext: { requestId: 'r1', identity: { userArn: 'arn:aws:iam::123456789012:user/operator-of-a', caller: 'AIDAEXAMPLE' } },
  } as unknown as APIGatewayProxyEvent;
}

async function itemsOf(store: StoreContext, planId: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const pk of [`PLAN#${planId}`]) {
    const { Items } = await store.client.send(new QueryCommand({ TableName: store.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true }));
    out.push(...(Items ?? []));
  }
  return out;
}

describe("a plan's routes touch no other plan", () => {
  test('every route with plan A in its path, with run and order ids of plan B too: DynamoDB is asked about plan A only, and B is unchanged', async () => {
    const store = await dynamo.newStore();
    const { queueUrl } = await sqs.newRunQueue();
    const config = loadApiConfig({ TABLE_NAME: store.tableName, RUN_QUEUE_URL: queueUrl, DYNAMODB_ENDPOINT: proxyUrl, SQS_ENDPOINT: sqs.endpoint, AWS_REGION: 'us-east-1', SECRETS_PREFIX: 'local/' });
    const handler = createApiHandler(apiPortsFromConfig(config, { secrets: new DemoSecretsOfAnyPlan(), connectors, logger: silent }), { logger: silent });
    const call = async (method: string, path: string, body?: unknown) => {
      const response = (await handler(apiEvent(method, path, body), context)) as APIGatewayProxyResult;
      return { status: response.statusCode, body: response.body ? (JSON.parse(response.body) as Record<string, any>) : null };
    };

    // Plans A and B, each with a run (holding its lock) and an order's sync record.
    const a = planInput({ id: 'plan-a' });
    const b = planInput({ id: 'plan-b' });
    for (const plan of [a, b]) assert.equal((await call('PUT', `/plans/${plan.id}`, plan)).status, 201);
    const runOf = async (planId: string) => (await call('POST', `/plans/${planId}/runs`)).body!['runId'] as string;
    const [runA, runB] = [await runOf(a.id), await runOf(b.id)];
    const bindings = new BindingRepository(store);
    await bindings.save(newBinding(a.id, '1001', new Date('2025-06-10T10:00:00Z')), null);
    await bindings.save(newBinding(b.id, '2002', new Date('2025-06-10T10:00:00Z')), null);
    const before = await itemsOf(store, b.id);

    // Every route with a plan in its path, every method, with A's and with B's run and order ids.
    const planRoutes = routeTable().filter((r) => r.path.includes('{planId}'));
    const notInPath = routeTable().filter((r) => !r.path.includes('{planId}')).map((r) => r.path);
    assert.deepEqual(notInPath, ['/plans'], 'the listing is the only route without a plan: it is not granted by a plan policy (docs/deploy.md)');
    const driven: string[] = [];
    for (const route of planRoutes) {
      for (const method of route.methods) {
        for (const [runId, orderId] of [[runA, '1001'], [runB, '2002']] as const) {
          const path = route.path.replace('{planId}', a.id).replace('{runId}', runId).replace('{orderId}', orderId);
          const body = method === 'PUT' ? { ...a, name: 'A, renamed' } : undefined;
          bodies.length = 0;
          const response = await call(method, path, body);
          assert.ok(response.status < 500, `${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
          assert.ok(bodies.length > 0, `${method} ${path} read the table`);
          const named = new Set(bodies.flatMap((b) => [...plansNamed(b)]));
          assert.deepEqual([...named], [a.id], `${method} ${path} asked DynamoDB about ${[...named].join(', ')}`);
          driven.push(`${method} ${route.path} → ${response.status}`);
        }
      }
    }
    // A PUT to A's path carrying B's id in its body is refused before the table is asked.
    bodies.length = 0;
    assert.equal((await call('PUT', `/plans/${a.id}`, b)).status, 400);
    assert.deepEqual(bodies, []);

    assert.deepEqual(await itemsOf(store, b.id), before, "plan B's items are as they were");
    assert.equal((await call('GET', `/plans/${b.id}`)).body?.['name'], b.name);
    assert.ok(driven.some((d) => d.startsWith('DELETE')) && driven.some((d) => d.includes('orders/{orderId}/resync')), driven.join('\n'));
  });
});
