import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { localDynamoDbClient } from '#local/runtime/services';
import { newRunId } from '#runs/run-id';
import { createStoreContext, type StoreContext } from '#store/client';
import { CursorRepository } from '#store/cursors';
import {
  CursorRegressionError,
  InvalidPageCursorError,
  LockHeldError,
  LockLostError,
  PlanExistsError,
  PlanMissingError,
  PlanRunningError,
  PlanVersionConflictError,
  RunMissingError,
  RunNotRunningError,
  StoreRequestError,
  StoreUnavailableError,
  toStoreError,
} from '#store/errors';
import { BindingRepository, newBinding } from '#store/bindings';
import { LockRepository } from '#store/lock';
import { DynamoOrderRecordReader } from '#store/order-records';
import { PlanRepository } from '#store/plans';
import { ReserveStateRepository } from '#store/reserve-state';
import { MAX_RUN_ERRORS, RunRepository } from '#store/runs';
import { OPEN_BINDINGS_INDEX, STUCK_ORDERS_INDEX, PLANS_INDEX, createTableInput, keys, tableDefinition } from '#store/table';
import { useDynamoDb } from '#test/dynamodb';
import { aPlan } from '#test/plans';

const dynamo = useDynamoDb();
const MINUTE = 60_000;

async function repositories(store?: StoreContext) {
  const s = store ?? (await dynamo.newStore());
  return { store: s, plans: new PlanRepository(s), locks: new LockRepository(s), runs: new RunRepository(s, { retentionDays: 30 }), cursors: new CursorRepository(s) };
}

async function rawItem(store: StoreContext, pk: string, sk: string) {
  return (await store.client.send(new GetCommand({ TableName: store.tableName, Key: { pk, sk } }))).Item;
}

describe('the table', () => {
  test('is created from the one definition: keys, the three indexes, TTL', async () => {
    const { store } = await repositories();
    const admin = localDynamoDbClient(dynamo.endpoint);
    try {
      const table = (await admin.send(new DescribeTableCommand({ TableName: store.tableName }))).Table!;
      const ttl = await admin.send(new DescribeTimeToLiveCommand({ TableName: store.tableName }));

      assert.deepEqual(table.KeySchema, [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]);
      assert.deepEqual(table.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.Projection?.ProjectionType]).sort(), [[OPEN_BINDINGS_INDEX.name, 'INCLUDE'], [PLANS_INDEX.name, 'ALL'], [STUCK_ORDERS_INDEX.name, 'INCLUDE']].sort());
      assert.equal(ttl.TimeToLiveDescription?.AttributeName, tableDefinition.timeToLiveAttribute);
      assert.equal(createTableInput('x').BillingMode, 'PAY_PER_REQUEST');
    } finally {
      admin.destroy();
    }
  });
});

describe('plan repository', () => {
  test('creates a plan at version 1 and replaces it at version 2, keeping its creation time', async () => {
    const { plans } = await repositories();
    const plan = aPlan();

    const created = await plans.put(plan, { now: new Date('2025-06-10T10:00:00Z') });
    const replaced = await plans.put({ ...plan, name: 'renamed' }, { now: new Date('2025-06-10T11:00:00Z') });

    assert.deepEqual([created.created, created.stored.version], [true, 1]);
    assert.deepEqual([replaced.created, replaced.stored.version, replaced.stored.plan.name], [false, 2, 'renamed']);
    assert.equal(replaced.stored.createdAt, '2025-06-10T10:00:00.000Z');
    assert.equal(replaced.stored.updatedAt, '2025-06-10T11:00:00.000Z');
    assert.deepEqual((await plans.get(plan.id))?.plan, { ...plan, name: 'renamed' });
  });

  test('refuses a replace computed from a stale version, and a create over an existing plan', async () => {
    const { plans } = await repositories();
    const plan = aPlan();
    await plans.put(plan);
    await plans.put(plan, { expectedVersion: 1 });

    await assert.rejects(plans.put(plan, { expectedVersion: 1 }), (e: unknown) => e instanceof PlanVersionConflictError && e.context['actualVersion'] === 2);
    await assert.rejects(plans.put(plan, { createOnly: true }), PlanExistsError);
    await assert.rejects(plans.put(aPlan(), { expectedVersion: 1 }), (e: unknown) => e instanceof PlanVersionConflictError && e.context['actualVersion'] === null);
  });

  test('answers null for a plan that does not exist', async () => {
    const { plans } = await repositories();
    assert.equal(await plans.get('nobody'), null);
  });

  test('lists every plan page by page, and refuses cursors it did not hand out', async () => {
    const { plans } = await repositories();
    const ids = await Promise.all([1, 2, 3, 4, 5].map(async () => (await plans.put(aPlan())).stored.plan.id));

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await plans.list({ limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((p) => p.plan.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);

    assert.deepEqual(seen.sort(), ids.sort());
    assert.ok(pages >= 3);
    await assert.rejects(plans.list({ cursor: 'not-a-cursor' }), InvalidPageCursorError);
    await assert.rejects(plans.list({ cursor: Buffer.from(JSON.stringify({ gsi1pk: 'OTHER', gsi1sk: 'x', pk: 'x', sk: 'x' })).toString('base64url') }), InvalidPageCursorError);
  });

  test('lists a stored plan that no longer parses as invalid instead of failing the listing', async () => {
    const { store, plans } = await repositories();
    const good = aPlan();
    await plans.put(good);
    await store.client.send(new PutCommand({
      TableName: store.tableName,
      Item: { pk: keys.planPk('broken'), sk: keys.planSk, gsi1pk: keys.plansIndexPk, gsi1sk: 'broken', planId: 'broken', plan: { id: 'broken' }, version: 1, createdAt: 'x', updatedAt: 'x' },
    }));

    const page = await plans.list();

    assert.deepEqual(page.items.map((p) => p.plan.id), [good.id]);
    assert.equal(page.invalid[0]?.planId, 'broken');
    assert.match(page.invalid[0]?.issues[0] ?? '', /plan\.name/);
  });

  test('keeps only secret references in the plan item', async () => {
    const { store, plans } = await repositories();
    const plan = aPlan();
    await plans.put(plan);

    const item = JSON.stringify(await rawItem(store, keys.planPk(plan.id), keys.planSk));

    assert.ok(item.includes(plan.goodwix.passwordSecret));
    assert.ok(!item.includes('goodwix-demo') && !item.includes('exchange-demo'), 'no password in the table');
  });

  test('deletes a plan and its cursors, but not while a run holds its lock', async () => {
    const { plans, locks, cursors } = await repositories();
    const plan = aPlan();
    await plans.put(plan);
    await cursors.advance(plan.id, 'goodwix-orders', { position: '2025-06-10T10:00:00Z' });
    const now = new Date();
    await locks.acquire(plan.id, 'RUN1', { ttlMs: MINUTE, now });

    await assert.rejects(plans.delete(plan.id, { now }), (e: unknown) => e instanceof PlanRunningError && e.context['runId'] === 'RUN1');
    assert.ok(await plans.get(plan.id), 'still there');

    assert.equal(await plans.delete(plan.id, { now: new Date(now.getTime() + 2 * MINUTE) }), true, 'deleted once the lock expired');
    assert.equal(await plans.get(plan.id), null);
    assert.equal(await cursors.get(plan.id, 'goodwix-orders'), null);
    assert.equal(await locks.get(plan.id), null);
    assert.equal(await plans.delete(plan.id), false, 'nothing to delete');
  });

  test('deleting a plan removes its reserve state, so a plan created again under the id reads its catalog\'s reserves anew', async () => {
    // Prepare: a seeded reserve state, as a finalize leaves it
    const { store, plans } = await repositories();
    const reserves = new ReserveStateRepository(store);
    const plan = aPlan();
    await plans.put(plan);
    const now = new Date();
    await reserves.save(plan.id, new Map(), new Map([['nom-1/', { hash: 'h1', goodwixId: '101' }], ['nom-2/', { hash: 'h2', goodwixId: '102' }]]), now);
    await reserves.saveSeed(plan.id, 'RUN1', null, now, 'https://goodwix.example#2369');
    // Act
    await plans.delete(plan.id);
    // Assess
    const left = await reserves.loadWithSeed(plan.id);
    assert.deepEqual({ products: [...left.state.keys()], seeded: left.seed.seeded }, { products: [], seeded: false });
  });

  test('claims each schedule slot once, never an older one, and gives a claim back', async () => {
    const { plans } = await repositories();
    const plan = aPlan();
    await plans.put(plan);

    assert.equal(await plans.claimSlot(plan.id, '2025-06-10T06:00:00.000Z'), true);
    assert.equal(await plans.claimSlot(plan.id, '2025-06-10T06:00:00.000Z'), false, 'the same slot again');
    assert.equal(await plans.claimSlot(plan.id, '2025-06-10T05:30:00.000Z'), false, 'an older slot');
    assert.equal(await plans.claimSlot(plan.id, '2025-06-10T06:30:00.000Z'), true);
    assert.equal(await plans.releaseSlot(plan.id, '2025-06-10T06:30:00.000Z', '2025-06-10T06:00:00.000Z'), true);
    assert.equal((await plans.get(plan.id))?.lastSlot, '2025-06-10T06:00:00.000Z');
    assert.equal(await plans.claimSlot('no-such-plan', '2025-06-10T06:30:00.000Z'), false);
  });
});

describe('plan lock', () => {
  test('of two concurrent starts exactly one wins; the other learns who holds the plan', async () => {
    const { plans, locks } = await repositories();
    const plan = aPlan();
    await plans.put(plan);

    const results = await Promise.allSettled(['RUN-A', 'RUN-B'].map((runId) => locks.acquire(plan.id, runId, { ttlMs: MINUTE })));

    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.ok(lost[0]!.reason instanceof LockHeldError);
    assert.equal((lost[0]!.reason as LockHeldError).holderRunId, (won[0] as PromiseFulfilledResult<{ runId: string }>).value.runId);
  });

  test('of ten concurrent starts exactly one wins', async () => {
    const { plans, locks } = await repositories();
    const plan = aPlan();
    await plans.put(plan);

    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => locks.acquire(plan.id, `RUN-${i}`, { ttlMs: MINUTE })));

    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok(results.every((r) => r.status === 'fulfilled' || r.reason instanceof LockHeldError));
  });

  test('is taken over once expired, and the old holder can neither renew nor release it', async () => {
    const { plans, locks } = await repositories();
    const plan = aPlan();
    await plans.put(plan);
    const t0 = new Date('2025-06-10T10:00:00Z');
    await locks.acquire(plan.id, 'OLD', { ttlMs: MINUTE, now: t0 });

    await assert.rejects(locks.acquire(plan.id, 'NEW', { ttlMs: MINUTE, now: new Date(t0.getTime() + 59_000) }), LockHeldError);
    const lease = await locks.acquire(plan.id, 'NEW', { ttlMs: MINUTE, now: new Date(t0.getTime() + MINUTE) });

    assert.equal(lease.runId, 'NEW');
    await assert.rejects(locks.renew(plan.id, 'OLD', { ttlMs: MINUTE }), (e: unknown) => e instanceof LockLostError && e.context['holderRunId'] === 'NEW');
    assert.equal(await locks.release(plan.id, 'OLD'), false);
    assert.equal((await locks.get(plan.id))?.runId, 'NEW');
  });

  test('is renewed and released by its holder only', async () => {
    const { plans, locks } = await repositories();
    const plan = aPlan();
    await plans.put(plan);
    const t0 = new Date('2025-06-10T10:00:00Z');
    await locks.acquire(plan.id, 'HOLDER', { ttlMs: MINUTE, now: t0 });

    const renewed = await locks.renew(plan.id, 'HOLDER', { ttlMs: 5 * MINUTE, now: new Date(t0.getTime() + 30_000) });
    assert.equal(renewed.expiresAt, '2025-06-10T10:05:30.000Z');
    assert.equal(await locks.release(plan.id, 'SOMEONE'), false);
    assert.equal(await locks.release(plan.id, 'HOLDER'), true);
    assert.equal(await locks.get(plan.id), null);
  });

  test('cannot be taken for a plan that does not exist', async () => {
    const { locks } = await repositories();
    await assert.rejects(locks.acquire('ghost', 'RUN', { ttlMs: MINUTE }), PlanMissingError);
  });
});

describe('run repository', () => {
  test('lists a plan\'s runs newest first, page by page, without their per-order entries', async () => {
    const { runs } = await repositories();
    const planId = 'p1';
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const runId = newRunId(new Date(Date.UTC(2025, 5, 10, 10, i)));
      ids.push(runId);
      await runs.create({ planId, runId, trigger: 'manual', startedAt: new Date(Date.UTC(2025, 5, 10, 10, i)) });
      await runs.register(planId, runId, `o${i}`, new Date());
    }

    const first = await runs.list(planId, { limit: 3 });
    const second = await runs.list(planId, { limit: 3, cursor: first.nextCursor! });

    assert.deepEqual([...first.items, ...second.items].map((r) => r.runId), [...ids].reverse());
    assert.equal(second.nextCursor, undefined);
  });

  test('adds to counters atomically under concurrent updates', async () => {
    const { runs } = await repositories();
    const runId = newRunId();
    await runs.create({ planId: 'p', runId, trigger: 'schedule', startedAt: new Date(), slot: '2025-06-10T06:00:00.000Z' });

    await Promise.all(Array.from({ length: 20 }, (_, i) => runs.append('p', runId, { counters: { exported: 1, conflicts: i % 2 } })));

    const run = await runs.get('p', runId);
    assert.deepEqual(run?.counters, { exported: 20, updatedInOneC: 0, updatedInGoodwix: 0, conflicts: 10, failed: 0 });
    assert.equal(run?.slot, '2025-06-10T06:00:00.000Z');
  });

  test('keeps a bounded list of run problems but counts them all', async () => {
    const { runs } = await repositories();
    const runId = newRunId();
    await runs.create({ planId: 'p', runId, trigger: 'manual', startedAt: new Date() });
    const problems = Array.from({ length: MAX_RUN_ERRORS + 7 }, (_, i) => ({ code: 'X', message: `problem ${i}` }));

    await runs.append('p', runId, { problems: problems.slice(0, 30) });
    await runs.append('p', runId, { problems: problems.slice(30) });

    const run = await runs.get('p', runId);
    assert.equal(run?.errors.length, MAX_RUN_ERRORS);
    assert.equal(run?.errorCount, MAX_RUN_ERRORS + 7);
    assert.equal(run?.errors[0]?.message, 'problem 0');
  });

  test('lists per-order outcomes, kept as their own items, page by page', async () => {
    const { runs } = await repositories();
    const runId = newRunId();
    await runs.create({ planId: 'p', runId, trigger: 'manual', startedAt: new Date() });
    for (const orderId of ['1001', '1002']) await runs.register('p', runId, orderId, new Date());
    const at = new Date().toISOString();
    await runs.complete('p', runId, { orderId: '1001', outcome: 'failed', at, error: { code: 'UNMAPPED_PRODUCT', message: 'Goodwix product 123 has no 1C nomenclature' }, counters: { failed: 1 }, products: [] });
    await runs.complete('p', runId, { orderId: '1002', outcome: 'exported', at, counters: { exported: 1 }, products: [] });

    const page = await runs.listOrders('p', runId, { limit: 1 });
    const rest = await runs.listOrders('p', runId, { cursor: page.nextCursor! });

    assert.deepEqual([...page.items, ...rest.items].map((e) => [e.orderId, e.outcome]), [['1001', 'failed'], ['1002', 'exported']]);
    assert.equal(page.items[0]?.error?.code, 'UNMAPPED_PRODUCT');
  });

  test('adds problems and counters only to a running run: concurrent appends all land, a closed run refuses them with its status, a missing run is missing', async () => {
    const { runs } = await repositories();
    const runId = newRunId();
    await runs.create({ planId: 'p', runId, trigger: 'manual', startedAt: new Date() });

    await Promise.all(Array.from({ length: 4 }, (_, i) => runs.append('p', runId, { problems: [{ code: 'X', message: `problem ${i}` }] })));
    await runs.append('p', runId, { counters: { exported: 2 } });
    await runs.close('p', runId, { status: 'completed', endedAt: new Date() });

    const closed = (e: unknown) => e instanceof RunNotRunningError && e.status === 'completed';
    await assert.rejects(runs.append('p', runId, { problems: [{ code: 'LATE', message: 'late' }] }), closed);
    await assert.rejects(runs.append('p', runId, { counters: { exported: 5 } }), closed);
    await assert.rejects(runs.append('p', 'NOPE', { problems: [{ code: 'LATE', message: 'late' }] }), RunMissingError);
    await assert.rejects(runs.append('p', 'NOPE', { counters: { exported: 1 } }), RunMissingError);
    const run = await runs.get('p', runId);
    assert.deepEqual([run?.errorCount, run?.errors.length, run?.counters.exported], [4, 4, 2]);
  });

  test('a problem added, or a close with problems, does not land on a run another closer closed between its read and its write', async () => {
    const { runs, store } = await repositories();
    const runId = newRunId();
    await runs.create({ planId: 'p', runId, trigger: 'manual', startedAt: new Date() });
    // The append reads the run, then another closer closes it just before the append's write.
    let raced = false;
    const racing = new RunRepository({
      tableName: store.tableName,
      client: new Proxy(store.client, {
        get(target, prop) {
          if (prop !== 'send') return Reflect.get(target, prop);
          return async (command: Parameters<typeof target.send>[0]) => {
            if (!raced && command instanceof UpdateCommand) {
              raced = true;
              await runs.close('p', runId, { status: 'completed', endedAt: new Date() });
            }
            return target.send(command as never);
          };
        },
      }),
    });

    const closedByTheOther = (e: unknown) => e instanceof RunNotRunningError && e.status === 'completed';
    await assert.rejects(racing.append('p', runId, { problems: [{ code: 'LATE', message: 'late' }] }), closedByTheOther);
    await assert.rejects(racing.close('p', runId, { status: 'failed', endedAt: new Date(), problems: [{ code: 'RUN_ABANDONED', message: 'late' }], counters: { failed: 1 } }), closedByTheOther);

    assert.ok(raced);
    const run = await runs.get('p', runId);
    assert.deepEqual([run?.status, run?.errorCount, run?.errors, run?.counters.failed], ['completed', 0, [], 0]);
  });

  test('closes a run once; a second close says it is already closed', async () => {
    const { runs, store } = await repositories();
    const runId = newRunId();
    const startedAt = new Date('2025-06-10T10:00:00Z');
    await runs.create({ planId: 'p', runId, trigger: 'manual', startedAt });

    const closed = await runs.close('p', runId, { status: 'completed', endedAt: new Date('2025-06-10T10:01:00Z'), summary: 'ok' });

    assert.deepEqual([closed.status, closed.endedAt, closed.summary], ['completed', '2025-06-10T10:01:00.000Z', 'ok']);
    await assert.rejects(runs.close('p', runId, { status: 'failed', endedAt: new Date() }), (e: unknown) => e instanceof RunNotRunningError && e.status === 'completed');
    await assert.rejects(runs.close('p', 'NOPE', { status: 'failed', endedAt: new Date() }), RunMissingError);
    const item = await rawItem(store, keys.planPk('p'), keys.runSk(runId));
    assert.equal(item?.['ttl'], Math.floor(startedAt.getTime() / 1000) + 30 * 86_400, 'expires after the retention period');
  });
});

describe('page cursors across the lists of one plan', () => {
  /** How each read ended: `read`, or the code it was refused with. */
  const outcomes = async (reads: Promise<unknown>[]) =>
    (await Promise.allSettled(reads)).map((r) => (r.status === 'fulfilled' ? 'read' : String((r.reason as { code?: string }).code ?? r.reason)));

  test("a run's orders refuse the runs list's cursor and another run's orders cursor, and the runs list an orders cursor, as INVALID_PAGE_CURSOR", async () => {
    // Prepare: two runs of two orders each, and a cursor of each list (one item a page)
    const { runs } = await repositories();
    const [first, second] = [newRunId(new Date(Date.UTC(2025, 5, 10, 10))), newRunId(new Date(Date.UTC(2025, 5, 10, 11)))];
    for (const runId of [first!, second!]) {
      await runs.create({ planId: 'p', runId, trigger: 'manual', startedAt: new Date() });
      for (const orderId of ['1001', '1002']) await runs.register('p', runId, orderId, new Date());
    }
    const runsCursor = (await runs.list('p', { limit: 1 })).nextCursor!;
    const firstOrdersCursor = (await runs.listOrders('p', first!, { limit: 1 })).nextCursor!;

    // Act
    const refused = await outcomes([
      runs.listOrders('p', second!, { cursor: runsCursor }),
      runs.listOrders('p', second!, { cursor: firstOrdersCursor }),
      runs.list('p', { cursor: firstOrdersCursor }),
    ]);
    const ownNextPages = [(await runs.list('p', { cursor: runsCursor })).items.map((r) => r.runId), (await runs.listOrders('p', first!, { cursor: firstOrdersCursor })).items.map((e) => e.orderId)];

    // Assess
    assert.deepEqual(refused, ['INVALID_PAGE_CURSOR', 'INVALID_PAGE_CURSOR', 'INVALID_PAGE_CURSOR']);
    assert.deepEqual(ownNextPages, [[first], ['1002']], 'each list still reads on from its own cursor');
  });

  test('an orders list refuses the cursor of another state, of the stuck-orders index or of the runs list as INVALID_PAGE_CURSOR', async () => {
    // Prepare: two parked and two open orders as the sync keeps them (the parked ones in the stuck-orders index), a run, and a cursor of each list
    const { store, runs } = await repositories();
    const bindings = new BindingRepository(store);
    const records = new DynamoOrderRecordReader(store);
    for (const [orderId, parked] of [['1001', true], ['1002', true], ['1003', false], ['1004', false]] as const) {
      const since = `2025-06-10T10:0${orderId.slice(-1)}:00.000Z`;
      await bindings.save({ ...newBinding('p', orderId, new Date(since)), ...(parked ? { parked: { code: 'SYNC_UNMAPPED_PRODUCT', message: 'no 1C product', since, attempts: 1, runId: null } } : {}) }, null);
    }
    for (const at of [10, 11]) await runs.create({ planId: 'p', runId: newRunId(new Date(Date.UTC(2025, 5, 10, at))), trigger: 'manual', startedAt: new Date() });
    const parkedCursor = (await records.list('p', 'parked', { limit: 1 })).nextCursor!;
    const allCursor = (await records.list('p', 'all', { limit: 1 })).nextCursor!;
    const runsCursor = (await runs.list('p', { limit: 1 })).nextCursor!;

    // Act
    const refused = await outcomes([
      records.list('p', 'all', { cursor: parkedCursor }),
      records.list('p', 'dismissed', { cursor: parkedCursor }),
      records.list('p', 'parked', { cursor: allCursor }),
      records.list('p', 'all', { cursor: runsCursor }),
      records.list('p', 'open', { cursor: runsCursor }),
    ]);
    const ownNextPages = [(await records.list('p', 'parked', { cursor: parkedCursor })).items.map((o) => o.orderId), (await records.list('p', 'all', { cursor: allCursor })).items.map((o) => o.orderId)];

    // Assess
    assert.deepEqual(refused, Array(5).fill('INVALID_PAGE_CURSOR'));
    assert.deepEqual(ownNextPages, [['1002'], ['1002', '1003', '1004']], 'each list still reads on from its own cursor');
  });

  test('the plans list refuses a cursor that lacks one of its index keys or carries another index\'s as INVALID_PAGE_CURSOR', async () => {
    // Prepare: the list's own cursor without its index sort key, and with another index's sort key in its place
    const { plans } = await repositories();
    for (let i = 0; i < 2; i += 1) await plans.put(aPlan());
    const own = JSON.parse(Buffer.from((await plans.list({ limit: 1 })).nextCursor!, 'base64url').toString('utf8')) as Record<string, string>;
    const encode = (key: Record<string, string>) => Buffer.from(JSON.stringify(key)).toString('base64url');
    const { gsi1sk: _sortKey, ...withoutSortKey } = own;

    // Act
    const refused = await outcomes([plans.list({ cursor: encode(withoutSortKey) }), plans.list({ cursor: encode({ ...withoutSortKey, gsi3sk: own['gsi1sk']! }) })]);

    // Assess
    assert.deepEqual(refused, ['INVALID_PAGE_CURSOR', 'INVALID_PAGE_CURSOR']);
  });
});

describe('cursor repository', () => {
  test('moves a cursor forward only', async () => {
    const { cursors } = await repositories();

    assert.equal(await cursors.advance('p', 'goodwix-orders', { position: '2025-06-10T10:00:00Z', value: 'token-1' }), 'advanced');
    assert.equal(await cursors.advance('p', 'goodwix-orders', { position: '2025-06-10T10:00:00Z', value: 'token-1' }), 'unchanged');
    await assert.rejects(cursors.advance('p', 'goodwix-orders', { position: '2025-06-10T09:00:00Z' }), CursorRegressionError);
    assert.equal(await cursors.advance('p', 'goodwix-orders', { position: '2025-06-10T11:00:00Z', value: 'token-2' }), 'advanced');
    assert.deepEqual(
      { position: (await cursors.get('p', 'goodwix-orders'))?.position, value: (await cursors.get('p', 'goodwix-orders'))?.value },
      { position: '2025-06-10T11:00:00Z', value: 'token-2' },
    );
  });
});

describe('store errors', () => {
  test('are retryable for throttling, 5xx and lost connections, permanent for bad requests', () => {
    assert.ok(toStoreError(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } }), 'put') instanceof StoreUnavailableError);
    assert.ok(toStoreError(Object.assign(new Error('oops'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }), 'put') instanceof StoreUnavailableError);
    assert.ok(toStoreError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'put') instanceof StoreUnavailableError);
    assert.ok(toStoreError(Object.assign(new Error('bad'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } }), 'put') instanceof StoreRequestError);
  });

  test('report a missing table as a permanent request error and an unreachable DynamoDB as retryable', async () => {
    const missing = new PlanRepository(createStoreContext('no-such-table', { endpoint: dynamo.endpoint }));
    const unreachable = new PlanRepository(createStoreContext('t', { endpoint: 'http://127.0.0.1:1', maxAttempts: 1 }));

    await assert.rejects(missing.get('x'), (e: unknown) => e instanceof StoreRequestError && e.context['awsError'] === 'ResourceNotFoundException');
    await assert.rejects(unreachable.get('x'), (e: unknown) => e instanceof StoreUnavailableError && e.retryable);
  });
});
