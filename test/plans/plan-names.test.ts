/**
 * Plans written by people: 1C references by name, resolved by the plan check against the 1C
 * sandbox and stored with their Ref_Key; the choice list of a reference field; the check's
 * result kept on the plan. Through the API's Lambda handler with the real clients, over HTTP
 * to both sandboxes, on DynamoDB Local.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { apiPortsFromConfig, createApiHandler } from '#functions/api/app';
import { loadApiConfig } from '#functions/api/config';
import { demoOneC } from '#local/demo/supplier';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { OneCTrade } from '#onec/trade';
import { parsePlan } from '#plans/plan';
import { checkPlan } from '#runs/check-plan';
import { clientConnectors } from '#runs/connectors';
import { controlApiContract } from '#test/control-api-contract';
import { useDynamoDb } from '#test/dynamodb';
import { aLambdaContext } from '#test/lambda';
import { DemoSecretsOfAnyPlan, localAccess, planInput } from '#test/plans';
import { useSqs } from '#test/sqs';

const dynamo = useDynamoDb();
const sqs = useSqs();
const silent = new Logger({ logLevel: 'SILENT' });
const context = aLambdaContext({ functionName: 'api' });

let onec: OneCSandbox;
let goodwix: GoodwixSandbox;

before(async () => {
  [onec, goodwix] = await Promise.all([startOneCSandbox({ seed: 'demo' }), startGoodwixSandbox({ seed: 'demo' })]);
  // A second warehouse called like the main one: a name that does not say which.
  const trade = OneCTrade.connect({ baseUrl: onec.baseUrl, login: onec.login, password: onec.password });
  try {
    await trade.client.create('Catalog_Склады', { Description: 'Склад Север', Code: '00-000099' });
  } finally {
    trade.close();
  }
});
after(async () => {
  await Promise.all([onec?.close(), goodwix?.close()]);
});

async function setup() {
  const store = await dynamo.newStore();
  const { queueUrl } = await sqs.newRunQueue();
  const config = loadApiConfig({
    TABLE_NAME: store.tableName,
    RUN_QUEUE_URL: queueUrl,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    SQS_ENDPOINT: sqs.endpoint,
    AWS_REGION: 'us-east-1',
    SECRETS_PREFIX: 'local/',
  });
  const ports = apiPortsFromConfig(config, { secrets: new DemoSecretsOfAnyPlan(), connectors: clientConnectors, logger: silent });
  const handler = createApiHandler(ports, { logger: silent });
  const call = async (method: string, path: string, body?: unknown, query: Record<string, string> = {}) => {
    const event = {
      httpMethod: method,
      path,
      resource: '/{proxy+}',
      headers: { 'content-type': 'application/json' },
      multiValueHeaders: {},
      queryStringParameters: Object.keys(query).length ? query : null,
      multiValueQueryStringParameters: null,
      pathParameters: { proxy: path.slice(1) },
      stageVariables: null,
      body: body === undefined ? null : JSON.stringify(body),
      isBase64Encoded: false,
      requestContext: { requestId: 'r1', identity: { userArn: 'arn:aws:iam::123456789012:user/operator', caller: 'AIDAEXAMPLE' } },
    } as unknown as APIGatewayProxyEvent;
    const response = (await handler(event, context)) as APIGatewayProxyResult;
    const qs = new URLSearchParams(query).toString();
    controlApiContract().assertAnswer({
      method,
      path: `${path}${qs ? `?${qs}` : ''}`,
      status: response.statusCode,
      headers: response.headers ?? {},
      body: response.body,
      ...(event.body === null ? {} : { requestBody: event.body }),
    });
    return { status: response.statusCode, body: response.body ? (JSON.parse(response.body) as Record<string, any>) : null };
  };
  return { call, ports };
}

/** The demo plan at the sandboxes, with some references changed. */
function sandboxPlan(orders: Record<string, unknown> = {}) {
  const input = planInput({ schedule: { enabled: false } });
  return {
    ...input,
    goodwix: { ...input.goodwix, baseUrl: goodwix.baseUrl },
    onec: { ...input.onec, baseUrl: onec.baseUrl },
    orders: { ...input.orders, ...orders },
  };
}

describe('1C references by name', () => {
  test('the check resolves a name, the stored plan keeps the name and its Ref_Key, and the check is kept on the plan', async () => {
    const { call } = await setup();
    const plan = sandboxPlan({ organization: { name: demoOneC.organization.name }, manager: { name: 'Иванова Мария Сергеевна' } });

    assert.equal((await call('PUT', `/plans/${plan.id}`, plan)).status, 201);
    const check = await call('POST', `/plans/${plan.id}/check`);
    const shown = await call('GET', `/plans/${plan.id}`);

    assert.equal(check.body?.ok, true, JSON.stringify(check.body?.problems));
    assert.ok(check.body?.items.some((i: { subject: string; message: string }) => i.subject === 'Организация «ООО "Торговый дом Альфа"»' && i.message === `ok (${demoOneC.organization.ref})`), JSON.stringify(check.body?.items));
    assert.deepEqual(shown.body?.orders.organization, { name: demoOneC.organization.name, ref: demoOneC.organization.ref });
    assert.deepEqual(shown.body?.orders.manager, { name: demoOneC.manager.name, ref: demoOneC.manager.ref });
    assert.equal(shown.body?.orders.warehouse, demoOneC.warehouses.main.ref, 'a reference given by Ref_Key stays as written');
    assert.deepEqual([shown.body?.check?.ok, shown.body?.check?.checkedAt, shown.body?.check?.problems], [true, check.body?.checkedAt, []]);
  });

  test('answers "not found" and "ambiguous" with the candidates, and keeps the failed check on the plan', async () => {
    const { call } = await setup();
    const plan = sandboxPlan({ warehouse: { name: 'Склад Север' }, cancelReason: { name: 'Отменён покупателем' } });
    await call('PUT', `/plans/${plan.id}`, plan);

    const check = await call('POST', `/plans/${plan.id}/check`);
    const shown = await call('GET', `/plans/${plan.id}`);

    assert.equal(check.body?.ok, false);
    const problems = check.body?.problems.map((p: { code: string; message: string }) => `${p.code} ${p.message}`);
    assert.equal(problems.length, 2, JSON.stringify(problems));
    // Both candidates named, whichever order 1C lists them in (the added one has a random Ref_Key).
    assert.match(problems[0], /^ONEC_REF_AMBIGUOUS Склад «Склад Север»: 2 items in 1C have this name: /);
    assert.match(problems[0], /5a1f0e2c-1c7b-11ef-9a30-0800270bc612/);
    assert.match(problems[0], /code 00-000099/);
    assert.match(problems[1], /^ONEC_REF_NOT_FOUND Причина отмены «Отменён покупателем»: not found in 1C/);
    assert.deepEqual(shown.body?.orders.warehouse, { name: 'Склад Север' }, 'nothing is guessed');
    assert.deepEqual([shown.body?.check?.ok, shown.body?.check?.problems.length], [false, 2]);
  });

  test('a run never resolves a name: the run\'s check names the reference still unresolved', async () => {
    const plan = parsePlan({ ...sandboxPlan({ warehouse: { name: 'Основной склад' } }) });

    const result = await checkPlan({ secrets: new DemoSecretsOfAnyPlan(), connectors: clientConnectors, access: localAccess }, plan, { fieldMapping: false });

    assert.deepEqual(result.problems.map((p) => [p.code, p.message]), [
      ['ONEC_REF_UNRESOLVED', 'Склад «Основной склад»: not resolved to a Ref_Key yet: run the plan check (POST /plans/{id}/check)'],
    ]);
  });

  test('a stored name and Ref_Key that no longer agree are a problem, not a guess', async () => {
    const plan = parsePlan({ ...sandboxPlan({ warehouse: { name: 'Склад Север', ref: demoOneC.warehouses.main.ref }, manager: { name: 'иванова мария сергеевна', ref: demoOneC.manager.ref } }) });

    const result = await checkPlan({ secrets: new DemoSecretsOfAnyPlan(), connectors: clientConnectors, access: localAccess }, plan, { fieldMapping: false });

    assert.deepEqual(result.problems.map((p) => [p.code, p.message]), [
      ['ONEC_REF_NAME_MISMATCH', `Склад «Склад Север»: its Ref_Key ${demoOneC.warehouses.main.ref} is «Основной склад» in 1C: correct the name, or leave out "ref" to resolve the name again`],
    ], 'a name differing in case only is the same name, as 1C compares them');
  });
});

describe('the choice list of a 1C reference', () => {
  test('lists the candidates from 1C with name, Ref_Key and code; an unknown field is 400 naming it', async () => {
    const { call } = await setup();
    const plan = sandboxPlan();
    await call('PUT', `/plans/${plan.id}`, plan);

    const choices = await call('GET', `/plans/${plan.id}/onec/choices`, undefined, { field: 'warehouse', q: 'север' });
    const all = await call('GET', `/plans/${plan.id}/onec/choices`, undefined, { field: 'warehouse', limit: '1' });
    const bad = await call('GET', `/plans/${plan.id}/onec/choices`, undefined, { field: 'склад' });

    assert.equal(choices.status, 200, JSON.stringify(choices.body));
    assert.deepEqual(
      choices.body?.items.map((i: { name: string; ref: string }) => i.name).sort(),
      ['Склад Север', 'Склад Север'],
    );
    assert.ok(choices.body?.items.some((i: { ref: string; code: string }) => i.ref === demoOneC.warehouses.north.ref));
    assert.ok(choices.body?.items.some((i: { code: string }) => i.code === '00-000099'));
    assert.deepEqual([all.body?.items.length, all.body?.truncated], [1, true]);
    assert.deepEqual([bad.status, bad.body?.error.code], [400, 'INVALID_QUERY']);
    assert.match(bad.body?.error.details.issues[0], /^query\.field: expected one of organization, warehouse, manager, agreement, cancelReason/);
  });
});
