/**
 * IAM coverage: every AWS call the functions make on every path of the exchange — driven through
 * the local runtime against the sandboxes, DynamoDB Local and the SQS emulator, which check no
 * IAM — is evaluated against that function's role in the synthesized stack. A missing grant, a
 * Deny that catches a call it should not, or a call to a resource the stack does not grant fails
 * here, naming function, action and resource, instead of in the first run in AWS.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { demoOneC, demoProducts } from '#local/demo/supplier';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { OneCManager } from '#local/onec/manager';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { AwsCallRecorder, updatedAttributes, type AwsCall } from '#local/runtime/aws-calls';
import { demoPlan, demoSecrets, demoSecretRefs } from '#local/runtime/demo-plan';
import { LOCAL_EVENT_BUS, startLocalRuntime, type LocalRuntime } from '#local/runtime/runtime';
import { OneCTrade } from '#onec/trade';
import { newRunId } from '#runs/run-id';
import { stableKey } from '#sync/order-keys';
import type { FunctionName } from '../../infra/bundling.ts';
import { decide, permissionTable, policyModel, withoutGrant, type PolicyModel } from './iam.ts';
import { buildForTest } from './support.ts';
import { adapterModules } from '#test/adapters';
import { checkedApi } from '#test/control-api-contract';

const PLAN_ID = 'iam-coverage';
/** The dev stage's secret prefix (infra/config.ts): plans in AWS name their secrets below it. */
const SECRET_PREFIX = `goodwix-1c-exchange/dev/${PLAN_ID}/`;

let onecSandbox: OneCSandbox;
let goodwix: GoodwixSandbox;
let onec: OneCTrade;
let runtime: LocalRuntime;
const recorder = new AwsCallRecorder();

async function ok(method: string, path: string, body?: unknown): Promise<Record<string, any>> {
  const answer = await checkedApi(runtime)(method, path, body);
  assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body ?? {};
}

async function exchange(): Promise<Record<string, any>> {
  const started = await ok('POST', `/plans/${PLAN_ID}/runs`);
  await runtime.drain({ timeoutMs: 90_000 });
  return ok('GET', `/plans/${PLAN_ID}/runs/${started['runId']}?limit=100`);
}

/** Every path of the exchange, once, as an operator and the two systems' users would drive it. */
async function driveEveryPath(): Promise<void> {
  const base = demoPlan({ onecBaseUrl: onecSandbox.baseUrl, goodwixBaseUrl: goodwix.baseUrl });
  const plan = {
    ...base,
    id: PLAN_ID,
    goodwix: { ...base.goodwix, passwordSecret: `${SECRET_PREFIX}goodwix` },
    onec: { ...base.onec, credentialsSecret: `${SECRET_PREFIX}onec` },
    // The sandbox's orders were placed before this plan exists: without a date PUT would take its creation time.
    orders: { ...base.orders, exportFrom: '2020-01-01' },
  };
  // Plan CRUD and the check (api).
  await ok('PUT', `/plans/${PLAN_ID}`, plan);
  await ok('GET', '/plans');
  await ok('GET', `/plans/${PLAN_ID}`);
  await ok('POST', `/plans/${PLAN_ID}/check`);
  // A plan names only its own secrets (below <prefix><planId>/): the scratch plan has its names.
  const scratch = 'goodwix-1c-exchange/dev/iam-scratch/';
  await ok('PUT', '/plans/iam-scratch', {
    ...plan,
    id: 'iam-scratch',
    schedule: { enabled: false },
    goodwix: { ...plan.goodwix, passwordSecret: `${scratch}goodwix` },
    onec: { ...plan.onec, credentialsSecret: `${scratch}onec` },
  });
  // A run of the scratch plan abandoned by a crash (its lock expired an hour ago): the delete closes it.
  const anHourAgo = new Date(Date.now() - 3_600_000);
  const abandoned = newRunId(anHourAgo);
  await runtime.ports.locks.acquire('iam-scratch', abandoned, { ttlMs: 1, now: anHourAgo });
  await runtime.ports.runs.create({ planId: 'iam-scratch', runId: abandoned, trigger: 'manual', startedAt: anHourAgo });
  assert.equal((await checkedApi(runtime)('DELETE', '/plans/iam-scratch')).status, 204);
  assert.equal((await runtime.ports.runs.get('iam-scratch', abandoned))?.status, 'failed', 'the delete closed the abandoned run');

  // Round 1 — export: one order confirmed by the supplier, one that 1C cannot post (no stock: parked).
  goodwix.actions.confirmOrder(100002);
  const drill = demoProducts[0]!;
  const unpostable = goodwix.actions.placeOrder({ buyerId: goodwix.actions.order(100001).buyer.id, priceListId: 501, lines: [{ productId: drill.goodwixId, quantity: 100_000 }] });
  const first = await exchange();
  assert.equal(first['status'], 'attention', JSON.stringify(first['errors']));
  assert.ok(first['counters'].exported >= 2, `exported ${first['counters'].exported}`);
  assert.ok((first['orders']?.items ?? []).some((o: { orderId: string; error?: unknown }) => o.orderId === String(unpostable.id) && o.error), 'the unpostable order parked');

  // Round 2 — back-sync and shipment, with a Goodwix failure on the way (a redelivery with back-off).
  const manager = new OneCManager(onec);
  const [firstDoc] = await onec.findOrdersByClientNumber(stableKey('100001'));
  const [secondDoc] = await onec.findOrdersByClientNumber(stableKey('100002'));
  const screwsRow = firstDoc!.items.find((r) => r.product === demoProducts[2]!.ref)!;
  await manager.rejectRow(firstDoc!.ref, screwsRow.lineCode, demoOneC.cancelReasons.outOfStock.ref);
  await manager.ship(secondDoc!.ref);
  goodwix.faults.set({ failNext: 1, match: { method: 'PATCH' } });
  const second = await exchange();
  assert.equal(second['status'], 'attention', `the unpostable order is still parked: ${JSON.stringify(second['errors'])}`);
  assert.ok(second['counters'].updatedInGoodwix >= 2, `updated in Goodwix ${second['counters'].updatedInGoodwix}`);

  // Stuck orders: the parked one listed, dismissed (the api writes the binding, never its
  // snapshot), listed as dismissed and among all orders.
  await ok('GET', `/plans/${PLAN_ID}/orders?state=parked`);
  await ok('GET', `/plans/${PLAN_ID}/orders?state=open`);
  await ok('POST', `/plans/${PLAN_ID}/orders/${unpostable.id}/dismiss`);
  await ok('GET', `/plans/${PLAN_ID}/orders?state=dismissed`);
  await ok('GET', `/plans/${PLAN_ID}/orders?state=all`);

  // A resync of one order, its record, the run journal, and the tick; a resync asked while a
  // run holds the plan (recorded on the plan, started by the tick), which brings the dismissed
  // order back.
  await ok('POST', `/plans/${PLAN_ID}/orders/100001/resync`);
  await runtime.drain({ timeoutMs: 60_000 });
  // The plan held as a run would hold it (the lock, taken with the api's own ports).
  const holder = newRunId(new Date());
  await runtime.ports.locks.acquire(PLAN_ID, holder, { ttlMs: 60_000 });
  const requested = await ok('POST', `/plans/${PLAN_ID}/orders/${unpostable.id}/resync`);
  assert.equal(requested['status'], 'requested');
  await runtime.ports.locks.release(PLAN_ID, holder);
  // A scheduled run the tick starts first keeps the resync waiting for the next tick.
  for (let ticks = 0; ticks < 3 && !(await runtime.tickNow()).resyncs; ticks += 1) await runtime.drain({ timeoutMs: 60_000 });
  await runtime.drain({ timeoutMs: 60_000 });
  await ok('GET', `/plans/${PLAN_ID}/orders/100001`);
  await ok('GET', `/plans/${PLAN_ID}/runs`);
  await runtime.tickNow();
  await runtime.drain({ timeoutMs: 60_000 });
}

let model: PolicyModel;

before(async () => {
  [onecSandbox, goodwix] = await Promise.all([startOneCSandbox({ seed: 'demo' }), startGoodwixSandbox({ seed: 'demo' })]);
  onec = OneCTrade.connect({ baseUrl: onecSandbox.baseUrl, login: onecSandbox.login, password: onecSandbox.password });
  const local = demoSecrets();
  runtime = await startLocalRuntime({
    tick: false,
    logLevel: 'SILENT',
    print: () => undefined,
    awsCalls: recorder,
    retryBaseSeconds: 1,
    tuning: { goodwixMaxAttempts: 1, goodwixBackoff: { baseMs: 1, maxMs: 5 }, onecRetry: { baseDelayMs: 10, maxDelayMs: 50 } },
    secretsPrefix: 'goodwix-1c-exchange/dev/',
    secrets: { [`${SECRET_PREFIX}goodwix`]: local[demoSecretRefs.goodwixPassword]!, [`${SECRET_PREFIX}onec`]: local[demoSecretRefs.oneCCredentials]! },
  });
  await driveEveryPath();
  model = policyModel(buildForTest({ stage: 'dev' }), {
    tableName: runtime.tableName,
    runQueueUrl: runtime.runQueueUrl,
    orderQueueUrl: runtime.orderQueueUrl,
    busName: LOCAL_EVENT_BUS,
  });
});

after(async () => {
  onec?.close();
  await runtime?.close();
  await Promise.all([onecSandbox?.close(), goodwix?.close()]);
});

const has = (fn: FunctionName, action: string, where?: (call: AwsCall) => boolean) =>
  recorder.calls.some((c) => c.function === fn && c.action === action && (where ? where(c) : true));

describe('IAM coverage of every path, against the synthesized roles', () => {
  test('the paths were all driven: each function made the calls its part of the exchange needs', () => {
    const expected: [FunctionName, string, ((c: AwsCall) => boolean)?][] = [
      ['api', 'dynamodb:PutItem'],
      ['api', 'dynamodb:DeleteItem'],
      ['api', 'dynamodb:Query'],
      ['api', 'dynamodb:Query', (c) => c.resource.kind === 'table' && c.resource.index === 'stuck-orders'],
      ['api', 'dynamodb:UpdateItem', (c) => (c.attributes ?? []).includes('dismissed')],
      ['api', 'dynamodb:UpdateItem', (c) => (c.attributes ?? []).includes('endedAt')],
      ['tick', 'dynamodb:UpdateItem', (c) => (c.attributes ?? []).includes('resyncRequests')],
      ['collector', 'dynamodb:Query', (c) => c.resource.kind === 'table' && c.resource.index === 'stuck-orders'],
      ['api', 'secretsmanager:GetSecretValue'],
      ['api', 'sqs:SendMessage'],
      ['tick', 'dynamodb:Query', (c) => c.resource.kind === 'table' && c.resource.index === 'plans'],
      ['collector', 'sqs:ReceiveMessage'],
      ['collector', 'sqs:DeleteMessage'],
      ['collector', 'sqs:SendMessage'],
      ['collector', 'dynamodb:Query', (c) => c.resource.kind === 'table' && c.resource.index === 'open-bindings'],
      ['collector', 'secretsmanager:GetSecretValue'],
      ['worker', 'sqs:ReceiveMessage'],
      ['worker', 'sqs:ChangeMessageVisibility'],
      ['worker', 'dynamodb:PutItem', (c) => (c.attributes ?? []).includes('base')],
      ['worker', 'secretsmanager:GetSecretValue'],
      ['events', 'dynamodb:GetRecords'],
      ['events', 'events:PutEvents'],
    ];
    const missing = expected.filter(([fn, action, where]) => !has(fn, action, where)).map(([fn, action]) => `${fn} ${action}`);
    assert.deepEqual(missing, [], 'paths not driven: the coverage would be partial');
  });

  test('every recorded call is allowed by its function\'s role and denied by none of its Deny statements', () => {
    const refused = recorder
      .distinct()
      .map((call) => decide(model, call))
      .filter((d) => !d.allowed)
      .map((d) => d.reason!);
    assert.deepEqual([...new Set(refused)], [], `calls AWS would refuse:\n${refused.join('\n')}`);
  });

  test('every call a function made is one an AWS adapter declares, or one Lambda makes for it', async () => {
    // Lambda's event sources read and settle the queues' messages and read the stream with the
    // function's role; everything else is a call of our code and must be in an adapter's list.
    const lambdaMakes = new Set(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ChangeMessageVisibility']);
    const declared = new Set((await adapterModules()).flatMap((a) => a.actions));
    const undeclared = [...new Set(recorder.calls.map((c) => c.action))].filter((action) => !declared.has(action) && !lambdaMakes.has(action));
    assert.deepEqual(undeclared, [], 'actions no adapter declares (add them to its IAM_ACTIONS)');
  });

  test('taking any one needed grant away is caught, naming function, action and resource', () => {
    const needed = new Map<string, AwsCall>();
    for (const call of recorder.distinct()) needed.set(`${call.function} ${call.action}`, call);
    const uncaught: string[] = [];
    for (const [key, call] of needed) {
      const weaker = withoutGrant(model, call.function, call.action);
      const refused = recorder.distinct().filter((c) => c.function === call.function && c.action === call.action).map((c) => decide(weaker, c));
      if (!refused.some((d) => !d.allowed && d.reason!.includes(call.function) && d.reason!.includes(call.action) && d.reason!.includes(d.arn))) uncaught.push(key);
    }
    assert.deepEqual(uncaught, []);
    assert.ok(needed.size >= 20, `only ${needed.size} distinct function/action pairs recorded`);
  });

  test("docs/deploy.md's permission table is the one the synthesized roles grant", () => {
    const docs = readFileSync(fileURLToPath(new URL('../../docs/deploy.md', import.meta.url)), 'utf8');
    const between = /<!-- permissions:start[^>]*-->\n([\s\S]*?)<!-- permissions:end -->/.exec(docs);
    const expected = permissionTable(model);
    assert.ok(between, 'docs/deploy.md has no <!-- permissions:start --> … <!-- permissions:end --> block');
    assert.equal(between[1], expected, `docs/deploy.md's table differs from the stack; paste:\n${expected}`);
  });
});

describe('the IAM model itself', () => {
  test("a binding write by a function under the binding-writes deny is refused, naming the deny", () => {
    const call: AwsCall = {
      function: 'collector',
      action: 'dynamodb:UpdateItem',
      operation: 'UpdateItem',
      resource: { kind: 'table', tableName: runtime.tableName },
      attributes: updatedAttributes({ Key: { pk: {}, sk: {} }, UpdateExpression: 'SET #b = :b, updatedAt = :now REMOVE parked', ExpressionAttributeNames: { '#b': 'base' } }),
    };
    const decision = decide(model, call);
    assert.equal(decision.allowed, false);
    assert.match(decision.reason!, /collector: dynamodb:UpdateItem on .*table\/.* is denied by NoBindingWrites \(attributes pk, sk, base, updatedAt, parked\)/);
  });

  test('a call to a resource the stack does not know is refused', () => {
    const decision = decide(model, { function: 'worker', action: 'dynamodb:GetItem', operation: 'GetItem', resource: { kind: 'table', tableName: 'someone-elses' } });
    assert.equal(decision.allowed, false);
    assert.match(decision.reason!, /unknown-table-someone-elses/);
  });
});
