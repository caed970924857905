import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demoOneC } from '#local/demo/supplier';
import { demoPlan } from '#local/runtime/demo-plan';
import { PlanValidationError } from '#plans/errors';
import { defaultReservation, parsePlan, safeParsePlan, type PlanInput } from '#plans/plan';
import { deriveStatus, type StatusMap } from '#core/derive-status';

const targets = { onecBaseUrl: 'http://127.0.0.1:8701/trade/odata/standard.odata/', goodwixBaseUrl: 'http://127.0.0.1:8702' };

/** The demo plan with the minimum of fields, so defaults show. */
function minimalPlan(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'alfa-2369',
    name: 'Альфа',
    goodwix: { catalogId: 2369, email: 'supplier@alfa-td.example', passwordSecret: 'goodwix/alfa' },
    onec: { baseUrl: targets.onecBaseUrl, credentialsSecret: 'onec/alfa' },
    orders: {
      organization: demoOneC.organization.ref,
      warehouse: demoOneC.warehouses.main.ref,
      manager: demoOneC.manager.ref,
      agreement: demoOneC.agreements.standard.ref,
      cancelReason: demoOneC.cancelReasons.fromSite.ref,
    },
    ...overrides,
  };
}

function issuesOf(input: unknown): string[] {
  const result = safeParsePlan(input);
  assert.equal(result.ok, false, 'expected the plan to be refused');
  return result.ok ? [] : result.issues;
}

describe('plan schema: good plans', () => {
  test('accepts the demo plan as documented', () => {
    const plan = parsePlan(demoPlan(targets));
    assert.equal(plan.id, 'demo');
    assert.equal(plan.orders.newOrderStatus, 'КОбеспечению');
    assert.equal(plan.schedule.timeZone, 'Europe/Moscow');
  });

  test('fills the defaults of a minimal plan', () => {
    const plan = parsePlan(minimalPlan());

    assert.equal(plan.goodwix.baseUrl, 'https://pub.goodwix.com');
    assert.deepEqual(
      { timeoutMs: plan.onec.timeoutMs, coldStartTimeoutMs: plan.onec.coldStartTimeoutMs, maxConcurrency: plan.onec.maxConcurrency },
      { timeoutMs: 15_000, coldStartTimeoutMs: 60_000, maxConcurrency: 2 },
    );
    assert.deepEqual(plan.schedule, {
      enabled: false,
      timeZone: 'Europe/Moscow',
      start: '00:00',
      end: '00:00',
      everyMinutes: 15,
      daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
    });
    assert.equal(plan.orders.settlement, 'ПоЗаказам');
    assert.equal(plan.orders.newOrderStatus, 'КОбеспечению');
    assert.equal(plan.orders.reservation, 'СоСклада');
    assert.deepEqual(plan.orders.statusMap.toOneC, { rejected: 'cancel', cancelled: 'cancel' });
  });

  test('derives row reservation from the status of new orders unless the plan names one', () => {
    const approval = parsePlan(minimalPlan({ orders: { ...(minimalPlan().orders as object), newOrderStatus: 'НеСогласован' } }));
    const explicit = parsePlan(minimalPlan({ orders: { ...(minimalPlan().orders as object), newOrderStatus: 'НеСогласован', reservation: 'СоСклада' } }));

    assert.equal(approval.orders.reservation, 'КОбеспечению');
    assert.equal(defaultReservation('КОбеспечению'), 'СоСклада');
    assert.equal(explicit.orders.reservation, 'СоСклада');
  });

  test('merges a partial status map with the defaults, in the shape the sync core reads', () => {
    const plan = parsePlan(minimalPlan({
      orders: { ...(minimalPlan().orders as object), statusMap: { toGoodwix: { byOneCStatus: { Закрыт: 'shipped' }, deleted: 'cancelled' } } },
    }));
    const map: StatusMap = plan.orders.statusMap.toGoodwix;

    assert.deepEqual(map.byOneCStatus, { НеСогласован: 'confirmed', КОбеспечению: 'in_progress', КОтгрузке: 'ready_to_ship', Закрыт: 'shipped' });
    assert.equal(map.deleted, 'cancelled');
    assert.equal(map.allLinesCancelled, 'rejected');
    assert.equal(deriveStatus({ oneCStatus: 'Закрыт', deleted: false, lines: [{ quantity: '1.000', cancelledQuantity: '0.000', shippedQuantity: '0.000' }] }, map), 'shipped');
  });

  test('normalises the OData root to end with a slash and the Goodwix address not to', () => {
    const plan = parsePlan(minimalPlan({
      goodwix: { ...(minimalPlan().goodwix as object), baseUrl: 'https://pub.goodwix.com/' },
      onec: { baseUrl: 'https://erp.example/trade/odata/standard.odata', credentialsSecret: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:onec/alfa-AbCdEf' },
    }));

    assert.equal(plan.goodwix.baseUrl, 'https://pub.goodwix.com');
    assert.equal(plan.onec.baseUrl, 'https://erp.example/trade/odata/standard.odata/');
  });

  test('accepts a window across midnight on chosen days with first and last dates', () => {
    const plan = parsePlan(minimalPlan({
      schedule: { enabled: true, timeZone: 'America/New_York', start: '22:00', end: '02:00', everyMinutes: 30, daysOfWeek: ['fri', 'sat'], firstDate: '2025-01-01', lastDate: '2025-12-31' },
    }));
    assert.equal(plan.schedule.end, '02:00');
  });
});

describe('plan schema: bad plans are refused naming every problem by its path', () => {
  const cases: { name: string; input: () => unknown; expected: string[] }[] = [
    {
      name: 'a missing section and a bad id',
      input: () => { const p = minimalPlan({ id: 'Alfa Plan' }); delete p['goodwix']; return p; },
      expected: ['plan.id: expected a slug: 1–64 lower-case latin letters, digits and inner hyphens', 'plan.goodwix: Invalid input: expected object, received undefined'],
    },
    {
      name: 'a password where a secret reference belongs, and the password field itself',
      input: () => minimalPlan({ goodwix: { catalogId: 2369, email: 'supplier@alfa-td.example', passwordSecret: 'my secret pass!', password: 'p' } }),
      expected: [
        'plan.goodwix.passwordSecret: expected a secret name or ARN (letters, digits and /_+=.@:-), not the secret itself',
        'plan.goodwix: Unrecognized key: "password"',
      ],
    },
    {
      name: 'a catalog that is not a positive number and an e-mail that is not one',
      input: () => minimalPlan({ goodwix: { catalogId: 0, email: 'supplier', passwordSecret: 'x' } }),
      expected: ['plan.goodwix.catalogId: Too small: expected number to be >0', 'plan.goodwix.email: expected an e-mail address'],
    },
    {
      name: 'a 1C address that is not the OData root, and a concurrency of zero',
      input: () => minimalPlan({ onec: { baseUrl: 'http://erp.example/trade/ru_RU/', credentialsSecret: 'onec/alfa', maxConcurrency: 0 } }),
      expected: ['plan.onec.baseUrl: expected the OData root, ending in /odata/standard.odata/', 'plan.onec.maxConcurrency: Too small: expected number to be >0'],
    },
    {
      name: 'an unknown time zone, a time that is not HH:MM, no days and dates in the wrong order',
      input: () => minimalPlan({ schedule: { timeZone: 'Europe/Atlantis', start: '24:00', end: '9:00', everyMinutes: 0, daysOfWeek: [], firstDate: '2025-02-01', lastDate: '2025-01-31' } }),
      expected: [
        'plan.schedule.timeZone: unknown time zone (expected an IANA name such as Europe/Moscow)',
        'plan.schedule.start: expected a time as HH:MM (00:00–23:59)',
        'plan.schedule.end: expected a time as HH:MM (00:00–23:59)',
        'plan.schedule.everyMinutes: Too small: expected number to be >0',
        'plan.schedule.daysOfWeek: expected at least one day',
        'plan.schedule.lastDate: must not be before firstDate',
      ],
    },
    {
      name: 'a day named twice and a frequency over a day',
      input: () => minimalPlan({ schedule: { daysOfWeek: ['mon', 'mon'], everyMinutes: 1441 } }),
      expected: ['plan.schedule.everyMinutes: Too big: expected number to be <=1440', 'plan.schedule.daysOfWeek: expected each day once'],
    },
    {
      name: 'empty and malformed 1C references',
      input: () => minimalPlan({ orders: { ...(minimalPlan().orders as object), warehouse: '00000000-0000-0000-0000-000000000000', manager: 'Иванова' } }),
      expected: ['plan.orders.warehouse: must not be the empty reference', 'plan.orders.manager: expected a 1C reference (Ref_Key guid)'],
    },
    {
      name: 'enum values that 1C does not have for new orders',
      input: () => minimalPlan({ orders: { ...(minimalPlan().orders as object), newOrderStatus: 'КВыполнению', settlement: 'ПоСчетам', reservation: 'ПереданРанее' } }),
      expected: [
        'plan.orders.settlement: Invalid option: expected one of "ПоЗаказам"|"ПоДоговорамКонтрагентов"|"ПоДоговорамНакладным"|"ПоЗаказамНакладным"|"ПоНакладным"',
        'plan.orders.newOrderStatus: Invalid option: expected one of "КОбеспечению"|"НеСогласован"',
        'plan.orders.reservation: Invalid option: expected one of "СоСклада"|"Отгрузить"|"РезервироватьПоМереПоступления"|"КОбеспечению"|"НеТребуется"',
      ],
    },
    {
      name: 'a status map entry that is not a Goodwix status',
      input: () => minimalPlan({ orders: { ...(minimalPlan().orders as object), statusMap: { toGoodwix: { byOneCStatus: { Закрыт: 'done' } }, toOneC: { cancelled: 'delete' } } } }),
      expected: [
        'plan.orders.statusMap.toGoodwix.byOneCStatus.Закрыт: Invalid option: expected one of "confirmed"|"in_progress"|"ready_to_ship"|"partially_shipped"|"shipped"|"closed"|"rejected"|"cancelled"',
        'plan.orders.statusMap.toOneC.cancelled: Invalid option: expected one of "cancel"|"ignore"',
      ],
    },
  ];

  for (const c of cases) {
    test(`refuses ${c.name}`, () => {
      assert.deepEqual(issuesOf(c.input()), c.expected);
    });
  }

  test('throws PlanValidationError carrying the issues', () => {
    const input: PlanInput = { ...(minimalPlan() as PlanInput), name: '   ' };
    assert.throws(() => parsePlan(input), (error: unknown) => {
      assert.ok(error instanceof PlanValidationError);
      assert.equal(error.code, 'PLAN_INVALID');
      assert.deepEqual(error.issues, ['plan.name: expected a name']);
      return true;
    });
  });
});

describe('plan schema: base URLs never carry credentials', () => {
  // A user name alone may be a token, so neither part may come back in an issue, as typed or
  // percent-encoded (how URL writes a Cyrillic 1C login).
  const cases = [
    { field: 'goodwix', side: 'Goodwix', what: 'a user and a password', url: 'https://supplier:Pa55-w0rd-gw@pub.goodwix.com', secrets: ['supplier', 'Pa55-w0rd-gw'] },
    { field: 'goodwix', side: 'Goodwix', what: 'a user name alone', url: 'https://gw-token-4f2a@pub.goodwix.com', secrets: ['gw-token-4f2a'] },
    { field: 'onec', side: '1C', what: 'a user and a password', url: 'https://Администратор:Pa55-w0rd-1c@erp.example/trade/odata/standard.odata/', secrets: ['Администратор', '%D0%90%D0%B4', 'Pa55-w0rd-1c'] },
    { field: 'onec', side: '1C', what: 'a user name alone', url: 'https://onec-token-9c1e@erp.example/trade/odata/standard.odata/', secrets: ['onec-token-9c1e'] },
  ] as const;

  for (const c of cases) {
    test(`refuses a ${c.side} base URL that carries ${c.what}, naming the field and without repeating the credentials`, () => {
      // Prepare
      const base = minimalPlan();
      const input = c.field === 'goodwix'
        ? { ...base, goodwix: { ...(base.goodwix as object), baseUrl: c.url } }
        : { ...base, onec: { ...(base.onec as object), baseUrl: c.url } };
      // Act
      const result = safeParsePlan(input);
      const thrown = (() => {
        try {
          parsePlan(input);
          return null;
        } catch (error) {
          return error;
        }
      })();
      // Assess
      assert.deepEqual(result, { ok: false, issues: [`plan.${c.field}.baseUrl: must not carry credentials: put them in the plan's secrets (docs/plans.md)`] });
      assert.ok(thrown instanceof PlanValidationError, 'expected the plan to be refused');
      const said = JSON.stringify({ result, message: thrown.message, errorIssues: thrown.issues, json: thrown.toJSON() });
      for (const secret of c.secrets) assert.ok(!said.includes(secret), `the refusal repeats ${secret}: ${said}`);
    });
  }
});
