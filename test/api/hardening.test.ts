/**
 * Control API hardening (issue 12), through the local runtime's HTTP front: path parameters
 * that cannot name a plan, a run or an order answer 404 before anything reaches DynamoDB (a
 * 2,100-character plan id used to be a DynamoDB ValidationException, a 500 that trips the
 * `ApiServerErrors` alarm); only JSON bodies are read (415); HEAD answers like GET without a
 * body; malformed percent-encoding is 400; another method on a known route is 405 with Allow.
 * Every answer is checked against docs/control-api.openapi.json (`checkedFetch`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startLocalRuntime, type LocalRuntime } from '#local/runtime/runtime';
import { checkedFetch } from '#test/control-api-contract';
import { planInput } from '#test/plans';

let runtime: LocalRuntime;
before(async () => {
  runtime = await startLocalRuntime({ tick: false, collector: false, logLevel: 'SILENT', print: () => undefined });
  const put = await call('PUT', '/plans/known', { json: planInput({ id: 'known' }) });
  assert.equal(put.status, 201);
});
after(async () => {
  await runtime?.close();
});

async function call(method: string, path: string, options: { json?: unknown; body?: string; headers?: Record<string, string> } = {}) {
  const body = options.json === undefined ? options.body : JSON.stringify(options.json);
  const response = await checkedFetch()(`${runtime.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${runtime.token}`, ...(options.json === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text ? (JSON.parse(text) as Record<string, any>) : null };
}

const LONG = 'a'.repeat(2100);
const RUN_ID = '01JX0000000000000000000000';

describe('path parameters are validated before they reach DynamoDB', () => {
  test('a 2,100-character plan id is 404 PLAN_NOT_FOUND, not 500', async () => {
    const answer = await call('GET', `/plans/${LONG}`);
    assert.deepEqual([answer.status, answer.body?.error.code], [404, 'PLAN_NOT_FOUND']);
    assert.ok(answer.text.length < 1000, 'the id is not echoed in full');
  });

  for (const [name, id] of [
    ['2,100 characters', LONG],
    ['65 characters', 'a'.repeat(65)],
    ['upper case', 'Known'],
    ['a leading hyphen', '-known'],
    ['an underscore', 'kno_wn'],
    ['Cyrillic', encodeURIComponent('план')],
    ['an encoded slash', 'kno%2Fwn'],
  ] as const) {
    test(`a plan id with ${name} is 404 PLAN_NOT_FOUND on every plan route`, async () => {
      const answers = await Promise.all([
        call('GET', `/plans/${id}`),
        call('DELETE', `/plans/${id}`),
        call('POST', `/plans/${id}/check`),
        call('GET', `/plans/${id}/runs`),
        call('POST', `/plans/${id}/runs`),
        call('GET', `/plans/${id}/runs/${RUN_ID}`),
        call('GET', `/plans/${id}/orders/100001`),
        call('POST', `/plans/${id}/orders/100001/resync`),
      ]);
      assert.deepEqual(answers.map((a) => `${a.status} ${a.body?.error.code}`), Array(8).fill('404 PLAN_NOT_FOUND'));
    });
  }

  test('PUT with a plan id that is not a slug is 400 PLAN_INVALID naming plan.id', async () => {
    const answer = await call('PUT', `/plans/${LONG}`, { json: planInput({ id: 'known' }) });
    assert.deepEqual([answer.status, answer.body?.error.code, answer.body?.error.details.issues], [400, 'PLAN_INVALID', ['plan.id: expected a slug: 1–64 lower-case latin letters, digits and inner hyphens']]);
  });

  for (const [name, runId] of [
    ['2,100 characters', LONG],
    ['a word', 'not-a-run'],
    ['lower case', RUN_ID.toLowerCase().replace('0', 'x')],
    ['27 characters', `${RUN_ID}0`],
    ['a letter ULIDs leave out (U)', `${RUN_ID.slice(0, 25)}U`],
  ] as const) {
    test(`a run id with ${name} is 404 RUN_NOT_FOUND`, async () => {
      const answer = await call('GET', `/plans/known/runs/${runId}`);
      assert.deepEqual([answer.status, answer.body?.error.code], [404, 'RUN_NOT_FOUND']);
    });
  }

  for (const [name, orderId] of [
    ['2,100 characters', LONG],
    ['letters', 'abc'],
    ['a sign', '-1'],
    ['19 digits', '1'.repeat(19)],
  ] as const) {
    test(`an order id with ${name} is 404 ORDER_NOT_FOUND, for the record and the resync, and no run starts`, async () => {
      const record = await call('GET', `/plans/known/orders/${orderId}`);
      const resync = await call('POST', `/plans/known/orders/${orderId}/resync`);
      assert.deepEqual([record.status, record.body?.error.code], [404, 'ORDER_NOT_FOUND']);
      assert.deepEqual([resync.status, resync.body?.error.code], [404, 'ORDER_NOT_FOUND']);
      const runs = await call('GET', '/plans/known/runs');
      assert.ok(!runs.body?.items.some((r: { status: string }) => r.status === 'running'), 'no run holds the plan');
    });
  }

  for (const path of ['/plans/%E0%A4%A', '/plans/%zz', '/plans/known/runs/%', '/plans/known/orders/%C0%80']) {
    test(`malformed percent-encoding (${path}) is 400 INVALID_PATH`, async () => {
      const answer = await call('GET', path);
      assert.deepEqual([answer.status, answer.body?.error.code], [400, 'INVALID_PATH']);
    });
  }
});

describe('numbers that DynamoDB cannot hold are refused as the request\'s fault', () => {
  test('an If-Match of 400 digits is 400 INVALID_HEADER', async () => {
    const answer = await call('PUT', '/plans/known', { json: planInput({ id: 'known' }), headers: { 'if-match': `"${'9'.repeat(400)}"` } });
    assert.deepEqual([answer.status, answer.body?.error.code], [400, 'INVALID_HEADER']);
  });

  test('a body version of 1e300 is 400 PLAN_INVALID naming plan.version', async () => {
    const answer = await call('PUT', '/plans/known', { json: { ...planInput({ id: 'known' }), version: 1e300 } });
    assert.deepEqual([answer.status, answer.body?.error.code, answer.body?.error.details.issues], [400, 'PLAN_INVALID', ['plan.version: expected a positive integer']]);
  });
});

describe('only JSON bodies are read', () => {
  const plan = JSON.stringify(planInput({ id: 'known' }));
  for (const [name, contentType] of [
    ['text/plain', 'text/plain'],
    ['form data', 'application/x-www-form-urlencoded'],
    ['JSON in windows-1251', 'application/json; charset=windows-1251'],
    ['a JSON-looking type that is not JSON', 'application/jsonp'],
  ] as const) {
    test(`a body sent as ${name} is 415 UNSUPPORTED_MEDIA_TYPE`, async () => {
      const answer = await call('PUT', '/plans/known', { body: plan, headers: { 'content-type': contentType } });
      assert.deepEqual([answer.status, answer.body?.error.code], [415, 'UNSUPPORTED_MEDIA_TYPE']);
    });
  }

  test('a body without a content type is 415, on a route that reads no body too', async () => {
    const noType = await checkedFetch()(`${runtime.apiUrl}/plans/known`, { method: 'PUT', headers: { authorization: `Bearer ${runtime.token}` }, body: new Uint8Array(Buffer.from(plan)) });
    const runWithText = await call('POST', '/plans/known/runs', { body: 'go', headers: { 'content-type': 'text/plain' } });
    assert.deepEqual([noType.status, ((await noType.json()) as { error: { code: string } }).error.code], [415, 'UNSUPPORTED_MEDIA_TYPE']);
    assert.deepEqual([runWithText.status, runWithText.body?.error.code], [415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  test('application/json with any case and charset utf-8 is read', async () => {
    const answer = await call('PUT', '/plans/known', { body: plan, headers: { 'content-type': 'Application/JSON; Charset="UTF-8"' } });
    assert.equal(answer.status, 200);
  });
});

describe('methods', () => {
  for (const path of ['/plans', '/plans/known', '/plans/known/runs', '/plans/ghost', `/plans/known/runs/${RUN_ID}`]) {
    test(`HEAD ${path} answers GET's status and headers without a body`, async () => {
      const [head, get] = [await call('HEAD', path), await call('GET', path)];
      assert.deepEqual([head.status, head.text, head.headers.get('content-type'), head.headers.get('etag')], [get.status, '', get.headers.get('content-type'), get.headers.get('etag')]);
    });
  }

  test('HEAD on a route without GET is 405 with Allow', async () => {
    const answer = await call('HEAD', '/plans/known/check');
    assert.deepEqual([answer.status, answer.headers.get('allow'), answer.text], [405, 'POST', '']);
  });

  for (const method of ['OPTIONS', 'PATCH', 'POST']) {
    test(`${method} on /plans/known is 405 METHOD_NOT_ALLOWED with Allow`, async () => {
      const answer = await call(method, '/plans/known');
      assert.deepEqual([answer.status, answer.body?.error.code, answer.headers.get('allow')], [405, 'METHOD_NOT_ALLOWED', 'GET, HEAD, PUT, DELETE']);
    });
  }
});
