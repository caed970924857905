/**
 * docs/control-api.openapi.json against the code: every route and method is documented (and
 * nothing else), the path parameters' patterns and the plan's vocabularies are the code's, and
 * the answer check (test/support/control-api-contract.ts) that the API tests run on every
 * answer refuses what the document does not describe.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { routeTable } from '#functions/api/routes';
import { DAYS_OF_WEEK, GOODWIX_ORDER_STATUSES, NEW_ORDER_STATUSES, PLAN_ID_PATTERN, RESERVATION_VARIANTS, SETTLEMENT_ORDERS } from '#plans/plan';
import { ORDER_ID_PATTERN } from '#runs/control';
import { RUN_ID_PATTERN } from '#runs/run-id';
import { RUN_COUNTERS, RUN_STATUSES, RUN_TRIGGERS } from '#store/runs';
import { ControlApiContract, type ControlAnswer } from '#test/control-api-contract';

const contract = new ControlApiContract();
const schema = (name: string) => contract.doc.components.schemas[name];

const planView = {
  id: 'demo',
  name: 'Demo',
  goodwix: { baseUrl: 'https://pub.goodwix.com', catalogId: 2369, email: 'a@b.ru', passwordSecret: 'goodwix-demo' },
  onec: { baseUrl: 'http://1c.local/ut/odata/standard.odata/', credentialsSecret: 'onec-demo', timeoutMs: 15000, coldStartTimeoutMs: 60000, maxConcurrency: 2 },
  schedule: { enabled: false, timeZone: 'Europe/Moscow', start: '00:00', end: '00:00', everyMinutes: 15, daysOfWeek: ['mon'] },
  orders: {
    organization: '5f1c0000-0000-0000-0000-000000000001',
    warehouse: { name: 'Основной склад', ref: '5f1c0000-0000-0000-0000-000000000002' },
    manager: '5f1c0000-0000-0000-0000-000000000003',
    agreement: '5f1c0000-0000-0000-0000-000000000004',
    cancelReason: '5f1c0000-0000-0000-0000-000000000005',
    settlement: 'ПоЗаказам',
    newOrderStatus: 'КОбеспечению',
    reservation: 'СоСклада',
    statusMap: {
      toGoodwix: { byOneCStatus: { НеСогласован: 'confirmed', КОбеспечению: 'in_progress', КОтгрузке: 'ready_to_ship', Закрыт: 'closed' }, allLinesCancelled: 'rejected', deleted: 'rejected', partiallyShipped: 'partially_shipped', shipped: 'shipped' },
      toOneC: { rejected: 'cancel', cancelled: 'cancel' },
    },
  },
  version: 1,
  createdAt: '2025-06-10T10:00:00.000Z',
  updatedAt: '2025-06-10T10:00:00.000Z',
  scheduleState: { lastSlot: null, nextSlot: null },
  check: null,
};
const json = { 'content-type': 'application/json; charset=utf-8' };
const answer = (a: Partial<Omit<ControlAnswer, 'body'>> & { body: unknown }): ControlAnswer => ({
  method: 'GET',
  path: '/plans/demo',
  status: 200,
  headers: { ...json, etag: '"1"' },
  ...a,
  body: typeof a.body === 'string' ? a.body : JSON.stringify(a.body),
});
const error = (code: string, message = 'm', details?: unknown) => ({ error: { code, message, ...(details === undefined ? {} : { details }) } });

describe('the control API document matches the code', () => {
  test('it is OpenAPI 3.1, and documents exactly the routes and methods the API serves', () => {
    assert.equal(contract.doc.openapi, '3.1.0');
    const documented = Object.entries(contract.doc.paths as Record<string, Record<string, unknown>>).map(([path, item]) => ({
      path,
      methods: Object.keys(item).filter((k) => k !== 'parameters').map((m) => m.toUpperCase()).sort(),
    }));
    const served = routeTable().map((r) => ({ path: r.path, methods: [...r.methods].sort() }));
    assert.deepEqual(documented, served);
  });

  test('its structure holds: every $ref resolves, operation ids are unique, every answer is described, every path parameter declared', () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === '$ref' && typeof v === 'string') refs.push(v);
          else walk(v);
        }
      }
    };
    walk(contract.doc);
    assert.deepEqual(refs.filter((r) => !r.startsWith('#/') || contract.at(r.slice(1)) === undefined), [], 'unresolved $ref');
    const ids: string[] = [];
    for (const [path, item] of Object.entries(contract.doc.paths as Record<string, Record<string, any>>)) {
      const declared = (item['parameters'] ?? []).map((p: { $ref: string }) => contract.deref(p).name).sort();
      assert.deepEqual(declared, [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort(), `${path}: path parameters`);
      for (const [method, op] of Object.entries(item)) {
        if (method === 'parameters') continue;
        ids.push(op.operationId);
        for (const [status, response] of Object.entries(op.responses as Record<string, any>)) assert.ok(contract.deref(response).description, `${op.operationId} ${status}: no description`);
      }
    }
    assert.equal(new Set(ids).size, ids.length, 'operation ids are unique');
  });

  test('path parameter patterns are the code\'s', () => {
    assert.deepEqual([schema('PlanId').pattern, schema('RunId').pattern, schema('OrderId').pattern], [PLAN_ID_PATTERN.source, RUN_ID_PATTERN.source, ORDER_ID_PATTERN.source]);
  });

  test('vocabularies are the code\'s', () => {
    const view = schema('PlanView').properties;
    const run = schema('RunFields').properties;
    assert.deepEqual(view.orders.properties.settlement.enum, SETTLEMENT_ORDERS);
    assert.deepEqual(view.orders.properties.newOrderStatus.enum, NEW_ORDER_STATUSES);
    assert.deepEqual(view.orders.properties.reservation.enum, RESERVATION_VARIANTS);
    assert.deepEqual(view.schedule.properties.daysOfWeek.items.enum, DAYS_OF_WEEK);
    assert.deepEqual(view.orders.properties.statusMap.properties.toGoodwix.properties.shipped.enum, GOODWIX_ORDER_STATUSES);
    assert.deepEqual([run.trigger.enum, run.status.enum, Object.keys(run.counters.properties)], [RUN_TRIGGERS, RUN_STATUSES, RUN_COUNTERS]);
  });
});

describe('the answer check bites', () => {
  test('a described answer passes', () => {
    assert.deepEqual(contract.check(answer({ body: planView })), []);
  });

  const cases: [string, ControlAnswer, RegExp][] = [
    ['a plan view with a field the document does not have', answer({ body: { ...planView, pk: 'PLAN#demo' } }), /additional properties|unevaluated properties/],
    ['a plan view without its ETag', answer({ headers: json, body: planView }), /header ETag missing/],
    ['a secret in place of its reference', answer({ body: { ...planView, goodwix: { ...planView.goodwix, passwordSecret: 'pass word!' } } }), /passwordSecret must match pattern/],
    ['a body that is not JSON', answer({ body: 'Internal Server Error' }), /body is not JSON/],
    ['JSON sent as text/html', answer({ headers: { 'content-type': 'text/html', etag: '"1"' }, body: planView }), /content-type "text\/html" is not application\/json/],
    ['a status the operation does not answer', answer({ status: 418, body: error('TEAPOT') }), /status 418 is not documented for getPlan/],
    ['an error code the status does not carry', answer({ status: 404, body: error('RUN_NOT_FOUND', 'm', { planId: 'demo', runId: 'x' }) }), /must be equal to constant/],
    ['an error with details its code has none of', answer({ status: 500, body: error('INTERNAL', 'm', { stack: 'at …' }) }), /must NOT be valid/],
    ['an error body of another shape', answer({ status: 404, body: { message: 'Not Found' } }), /must have required property 'error'/],
    ['a 503 without Retry-After', answer({ status: 503, headers: json, body: error('SERVICE_UNAVAILABLE', 'm', { cause: 'X' }) }), /header Retry-After missing/],
    ['a 200 for a path nobody serves', answer({ path: '/nothing', body: planView }), /status 200 is not documented for anyOtherPath/],
    ['a 405 whose Allow is not the documented methods', answer({ method: 'PATCH', status: 405, headers: { ...json, allow: 'GET, PUT' }, body: error('METHOD_NOT_ALLOWED') }), /Allow "GET, PUT" is not the documented methods GET, HEAD, PUT, DELETE/],
    ['a body on a HEAD answer', answer({ method: 'HEAD', body: planView }), /expected no body/],
    ['a body on a 204', answer({ method: 'DELETE', status: 204, headers: {}, body: '{}' }), /expected no body/],
    ['a 2xx for a plan id that breaks its pattern', answer({ path: '/plans/Demo', body: planView }), /path parameter planId breaks its documented pattern yet the answer is 200/],
    ['a 2xx for a body the document refuses', answer({ method: 'PUT', requestBody: JSON.stringify({ ...planView, password: 'x' }), body: planView }), /request body accepted by the API: \(root\) must NOT have additional properties/],
  ];
  for (const [name, given, expected] of cases) {
    test(name, () => {
      assert.match(contract.check(given).join('\n'), expected);
    });
  }
});
