import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { DEMO_PLAN_ID, demoPlan, demoSecrets } from '#local/runtime/demo-plan';
import { startLocalRuntime, type LocalRuntime } from '#local/runtime/runtime';
import { checkedApi } from '#test/control-api-contract';

let onec: OneCSandbox;
let goodwix: GoodwixSandbox;
let runtime: LocalRuntime;
const printed: string[] = [];

before(async () => {
  [onec, goodwix] = await Promise.all([startOneCSandbox(), startGoodwixSandbox()]);
  runtime = await startLocalRuntime({
    demo: { onecBaseUrl: onec.baseUrl, goodwixBaseUrl: goodwix.baseUrl },
    tick: false,
    logLevel: 'SILENT',
    print: (line) => printed.push(line),
  });
});

after(async () => {
  await runtime?.close();
  await Promise.all([onec?.close(), goodwix?.close()]);
});

/** `runtime.api`, every answer checked against docs/control-api.openapi.json */
const api = (method: string, path: string, options: { token?: string | null; body?: unknown } = {}) =>
  checkedApi(runtime)(method, path, options.body, options.token === undefined ? {} : { token: options.token });

async function waitForRun(planId: string, runId: string) {
  await runtime.drain({ timeoutMs: 60_000 });
  return (await api('GET', `/plans/${planId}/runs/${runId}`)).body!;
}

describe('local runtime: the API on 127.0.0.1, the run queue and the tick, against the sandboxes', () => {
  test('answers nothing without the bearer token', async () => {
    const missing = await api('GET', '/plans', { token: null });
    const wrong = await api('GET', '/plans', { token: 'not-the-token' });

    assert.deepEqual([missing.status, missing.body?.error.code], [401, 'UNAUTHENTICATED']);
    assert.equal(wrong.status, 401);
    assert.equal((await api('GET', '/nothing', { token: null })).status, 401, 'not even a 404');
  });

  test('serves the demo plan pointing at the sandboxes', async () => {
    const response = await api('GET', '/plans');

    assert.equal(response.status, 200);
    assert.deepEqual(response.body?.items.map((p: { id: string }) => p.id), [DEMO_PLAN_ID]);
    assert.equal(response.body?.items[0].onec.baseUrl, onec.baseUrl);
    assert.ok(runtime.apiUrl.startsWith('http://127.0.0.1:'));
  });

  test('runs a manual exchange through the run queue, the collector and the worker, ending in the journal and on the bus', async () => {
    const started = await api('POST', `/plans/${DEMO_PLAN_ID}/runs`);
    assert.equal(started.status, 202);

    const run = await waitForRun(DEMO_PLAN_ID, started.body!.runId);

    assert.deepEqual([run.status, run.trigger, run.errorCount], ['completed', 'manual', 0]);
    assert.equal(run.counters.exported, 1, 'the demo\'s one auto-confirmed order went to 1C; the two awaiting the supplier did not');
    assert.match(run.summary, /1 order\(s\) exchanged/);
    assert.deepEqual(runtime.events.filter((e) => e.runId === run.runId).map((e) => e.type), ['run.started', 'run.completed'], 'the table stream carried them');
    assert.ok(printed.some((line) => line.includes('run.completed') && line.includes(started.body!.runId)), 'events are printed');
    assert.ok(onec.stats.count({ entitySet: 'Catalog_Склады' }) >= 1, 'the check asked the 1C sandbox');
    // The run's plan check is kept on the plan, as the API's is: the tick runs a plan only once one passed.
    const plan = await api('GET', `/plans/${DEMO_PLAN_ID}`);
    assert.equal(plan.body?.check?.ok, true);
    assert.equal(typeof plan.body?.check?.passedOnceAt, 'string');
  });

  test('fails a run of a plan whose references 1C does not have, naming them', async () => {
    const bad = demoPlan({ onecBaseUrl: onec.baseUrl, goodwixBaseUrl: goodwix.baseUrl }, { id: 'demo-broken' });
    for (const [ref, value] of Object.entries(demoSecrets('demo-broken'))) runtime.secrets.set(ref, value);
    const plan = { ...bad, schedule: { enabled: false }, orders: { ...bad.orders, warehouse: '5f1c0e2c-1c7b-11ef-9a30-0800270bc699' } };
    assert.equal((await api('PUT', '/plans/demo-broken', { body: plan })).status, 201);

    const started = await api('POST', '/plans/demo-broken/runs');
    const run = await waitForRun('demo-broken', started.body!.runId);

    assert.equal(run.status, 'failed');
    assert.deepEqual(run.errors.map((e: { message: string }) => e.message), ['Склад 5f1c0e2c-1c7b-11ef-9a30-0800270bc699: not found in 1C']);
  });

  test('the demo plan\'s schedule starts from now: once checked, the tick starts no run the person did not ask for', async () => {
    const check = await api('POST', `/plans/${DEMO_PLAN_ID}/check`);
    assert.equal(check.body?.ok, true, JSON.stringify(check.body?.problems));

    const first = await runtime.tickNow();

    assert.deepEqual(first.started, []);
    assert.deepEqual(first.skipped.map((s) => [s.planId, s.reason]), [[DEMO_PLAN_ID, 'slot-taken']]);
  });

  test('each printed line says what it is', () => {
    const banner = printed.slice(0, 4);

    assert.equal(banner[0], 'Local runtime of goodwix-1c-exchange (all on this machine):');
    assert.match(banner[1]!, /^ {2}control API of the exchange: {2}http:\/\/127\.0\.0\.1:\d+ {2}\(send Authorization: Bearer \S+\)$/);
    assert.match(banner[2]!, /^ {2}DynamoDB Local, the exchange's state: {2}http:\/\/\S+ {2}\(table \S+\)$/);
    assert.match(banner[3]!, /^ {2}SQS emulator, the exchange's run and order queues: {2}http:\/\/\S+ {2}\(\S+, \S+\)$/);
  });
});

describe('local runtime shutdown', () => {
  test('stops DynamoDB Local by its process id and closes the API', async () => {
    const own = await startLocalRuntime({ tick: false, collector: false, logLevel: 'SILENT', print: () => undefined });
    const pid = own.dynamodbPid!;
    assert.doesNotThrow(() => process.kill(pid, 0), 'running');

    await own.close();

    assert.throws(() => process.kill(pid, 0), 'DynamoDB Local is gone');
    await assert.rejects(fetch(`${own.apiUrl}/plans`));
  });
});
