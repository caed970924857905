/**
 * Bad input to the control API through the local runtime's HTTP front (which hands the api
 * handler API Gateway events): requests without or with a wrong bearer token, bodies that are
 * not a JSON object, too large, in another encoding, invalid plans of every kind, bad queries,
 * headers and paths. Each answer carries a stable code and names the field at fault; none is a
 * 500. (test/api/ covers the handler's own cases: no caller identity, 503 without DynamoDB.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startLocalRuntime, type LocalRuntime } from '#local/runtime/runtime';
import { checkedFetch } from '#test/control-api-contract';
import { planInput } from '#test/plans';

let runtime: LocalRuntime;
before(async () => {
  runtime = await startLocalRuntime({ tick: false, collector: false, logLevel: 'SILENT', print: () => undefined });
});
after(async () => {
  await runtime?.close();
});

async function call(method: string, path: string, options: { authorization?: string | null; body?: string | Buffer; headers?: Record<string, string> } = {}) {
  const authorization = options.authorization === undefined ? `Bearer ${runtime.token}` : options.authorization;
  // Every answer, errors included, must be what docs/control-api.openapi.json describes.
  const response = await checkedFetch()(`${runtime.apiUrl}${path}`, {
    method,
    headers: { ...(authorization === null ? {} : { authorization }), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, error: text ? (JSON.parse(text).error as { code: string; message: string; details?: { issues?: string[] } } | undefined) : undefined };
}

const cp1251 = (text: string) => Buffer.from([...text].map((ch) => {
  const c = ch.codePointAt(0)!;
  return c < 0x80 ? c : c >= 0x410 && c <= 0x44f ? c - 0x410 + 0xc0 : 0x3f;
}));

describe('requests without the right credentials', () => {
  for (const [name, authorization] of [
    ['no Authorization header', null],
    ['"Bearer" and no token', 'Bearer'],
    ['Basic credentials', `Basic ${Buffer.from('operator:secret').toString('base64')}`],
    ['a token of the right length but wrong', () => `Bearer ${'0'.repeat(runtime.token.length)}`],
    ['the token with something after it', () => `Bearer ${runtime.token} x`],
    ['the token in another header', null],
  ] as const) {
    test(`${name}: 401 UNAUTHENTICATED with the Bearer challenge, and nothing else is told (not even 404)`, async () => {
      const value = typeof authorization === 'function' ? authorization() : authorization;
      const answer = await call('GET', '/no-such-route', { authorization: value, headers: name === 'the token in another header' ? { 'x-api-key': runtime.token } : {} });

      assert.equal(answer.status, 401);
      assert.equal(answer.error?.code, 'UNAUTHENTICATED');
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
    });
  }
});

describe('bodies that are not a plan', () => {
  const plan = planInput({ id: 'bad-body' });
  const cases: [string, string | Buffer, number, string, RegExp][] = [
    ['not JSON', '{"id":', 400, 'INVALID_JSON', /body: not valid JSON/],
    ['JSON with a byte-order mark', `\uFEFF${JSON.stringify(plan)}`, 400, 'INVALID_JSON', /body: not valid JSON/],
    ['a JSON array', '[1,2]', 400, 'PLAN_INVALID', /plan: expected a JSON object/],
    ['a JSON string', '"plan"', 400, 'PLAN_INVALID', /plan: expected a JSON object/],
    ['an empty object', '{}', 400, 'PLAN_INVALID', /plan\.goodwix: Invalid input: expected object, received undefined/],
    ['windows-1251 bytes (the Cyrillic values no longer match)', cp1251(JSON.stringify(plan)), 400, 'PLAN_INVALID', /plan\.orders\.settlement: Invalid option/],
    ['over 256 KiB (the handler\'s limit)', 'x'.repeat(300_000), 413, 'BODY_TOO_LARGE', /body: larger than 262144 bytes/],
    ['over 1 MiB (the front\'s limit)', 'x'.repeat(1_100_000), 413, 'BODY_TOO_LARGE', /over 1 MiB/],
  ];
  for (const [name, body, status, code, message] of cases) {
    test(`${name}: ${status} ${code}`, async () => {
      const answer = await call('PUT', '/plans/bad-body', { body });

      assert.equal(answer.status, status);
      assert.equal(answer.error?.code, code);
      assert.match([answer.error?.message, ...(answer.error?.details?.issues ?? [])].join(' | '), message);
    });
  }

  test('none of them stored anything', async () => {
    assert.equal((await call('GET', '/plans/bad-body')).error?.code, 'PLAN_NOT_FOUND');
  });
});

describe('invalid plans: 400 PLAN_INVALID naming every field at fault', () => {
  const base = planInput({ id: 'bad-plan' });
  const cases: [string, unknown, string[]][] = [
    ['a 1C address that is not http(s) nor the OData root', { ...base, onec: { ...base.onec, baseUrl: 'ftp://1c.example/trade' } }, ['plan.onec.baseUrl: expected an http(s) URL', 'plan.onec.baseUrl: expected the OData root, ending in /odata/standard.odata/']],
    ['a 1C reference that is not a GUID', { ...base, orders: { ...base.orders, warehouse: 'Основной склад' } }, ['plan.orders.warehouse']],
    ['a 1C status UT does not have', { ...base, orders: { ...base.orders, newOrderStatus: 'Оплачен' } }, ['plan.orders.newOrderStatus: Invalid option']],
    ['too many requests to 1C at once', { ...base, onec: { ...base.onec, maxConcurrency: 100 } }, ['plan.onec.maxConcurrency: Too big: expected number to be <=32']],
    ['a schedule of every 0 minutes on a day that does not exist', { ...base, schedule: { ...base.schedule, everyMinutes: 0, daysOfWeek: ['funday'] } }, ['plan.schedule.everyMinutes: Too small: expected number to be >0', 'plan.schedule.daysOfWeek.0']],
    ['a time that is not a time, in a zone that does not exist', { ...base, schedule: { ...base.schedule, start: '25:00', timeZone: 'Mars/Olympus' } }, ['plan.schedule.start: expected a time as HH:MM', 'plan.schedule.timeZone: unknown time zone']],
    ['a negative Goodwix catalog', { ...base, goodwix: { ...base.goodwix, catalogId: -1 } }, ['plan.goodwix.catalogId']],
    ['an empty name', { ...base, name: '  ' }, ['plan.name: expected a name']],
    ['a field the plan does not have', { ...base, password: 'in clear' }, ['plan: Unrecognized key: "password"']],
    ['an id that differs from the path', { ...base, id: 'another' }, ['plan.id: must equal the id in the path (bad-plan)']],
  ];
  for (const [name, plan, expected] of cases) {
    test(name, async () => {
      const answer = await call('PUT', '/plans/bad-plan', { body: JSON.stringify(plan) });

      assert.equal(answer.status, 400);
      assert.equal(answer.error?.code, 'PLAN_INVALID');
      const issues = answer.error?.details?.issues ?? [];
      for (const e of expected) assert.ok(issues.some((i) => i.startsWith(e)), `expected an issue starting "${e}" in ${JSON.stringify(issues)}`);
    });
  }

  test('an id that is not a slug', async () => {
    const answer = await call('PUT', '/plans/Bad%20Id', { body: JSON.stringify({ ...base, id: 'Bad Id' }) });
    assert.deepEqual([answer.status, answer.error?.details?.issues], [400, ['plan.id: expected a slug: 1–64 lower-case latin letters, digits and inner hyphens']]);
  });
});

describe('bad queries, headers, paths and methods', () => {
  before(async () => {
    const put = await call('PUT', '/plans/known', { body: JSON.stringify(planInput({ id: 'known' })) });
    assert.equal(put.status, 201);
  });

  const cases: [string, string, string, number, string, Record<string, string>?][] = [
    ['a page size that is not a number', 'GET', '/plans?limit=abc', 400, 'INVALID_QUERY'],
    ['a page size of 0', 'GET', '/plans?limit=0', 400, 'INVALID_QUERY'],
    ['a cursor that was never issued', 'GET', '/plans/known/runs?cursor=garbage', 400, 'INVALID_PAGE_CURSOR'],
    ['an If-Match that is not a version', 'PUT', '/plans/known', 400, 'INVALID_HEADER', { 'if-match': 'abc' }],
    ['a plan that does not exist', 'POST', '/plans/nope/runs', 404, 'PLAN_NOT_FOUND'],
    ['a run that does not exist', 'GET', '/plans/known/runs/not-a-run', 404, 'RUN_NOT_FOUND'],
    ['an order the plan never exchanged', 'GET', '/plans/known/orders/999', 404, 'ORDER_NOT_FOUND'],
    ['a path nobody serves', 'GET', '/plans/known/secrets', 404, 'ROUTE_NOT_FOUND'],
    ['a method the path does not take', 'PATCH', '/plans/known', 405, 'METHOD_NOT_ALLOWED'],
  ];
  for (const [name, method, path, status, code, headers] of cases) {
    test(`${name}: ${status} ${code}`, async () => {
      const body = method === 'PUT' ? JSON.stringify(planInput({ id: 'known' })) : undefined;
      const answer = await call(method, path, { ...(body ? { body } : {}), ...(headers ? { headers } : {}) });

      assert.equal(answer.status, status, JSON.stringify(answer.error));
      assert.equal(answer.error?.code, code);
      if (status === 405) assert.equal(answer.headers.get('allow'), 'GET, HEAD, PUT, DELETE');
    });
  }

  test('a resync of an order id that is not a Goodwix order id is refused before a run starts', async () => {
    const answer = await call('POST', '/plans/known/orders/abc/resync');

    assert.equal(answer.status, 404);
    assert.equal(answer.error?.code, 'ORDER_NOT_FOUND');
    assert.equal(answer.error?.message, 'Order abc is not a Goodwix order id (a whole number from 1, at most 18 digits)');
    assert.equal((await call('POST', '/plans/known/runs')).status, 202, 'the plan is not left locked');
  });
});
