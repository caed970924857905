/**
 * The tick when part of it fails: a store error on one plan's slot claim, an invocation that
 * ends between a slot's claim and its run's start. DynamoDB Local and the SQS emulator.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlanInput } from '#plans/plan';
import { SqsRunQueue } from '#aws/run-queue';
import { tick } from '#exchange/tick';
import { startRun } from '#exchange/start-run';
import { finishRun } from '#exchange/finalize';
import type { StartPorts } from '#runs/ports';
import { StoreUnavailableError } from '#store/errors';
import { LockRepository, type LockLease } from '#store/lock';
import { PlanRepository } from '#store/plans';
import { RunRepository } from '#store/runs';
import type { StoreContext } from '#store/client';
import { useDynamoDb } from '#test/dynamodb';
import { aPlan } from '#test/plans';
import { useSqs } from '#test/sqs';

const dynamo = useDynamoDb();
const sqs = useSqs();

const NOW = new Date('2025-06-10T12:00:30Z');
const HOURLY_UTC = { schedule: { enabled: true, timeZone: 'UTC', start: '09:00', end: '18:00', everyMinutes: 60, daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] } } as Partial<PlanInput>;

async function setup(): Promise<{ store: StoreContext; ports: StartPorts }> {
  const store = await dynamo.newStore();
  const { queueUrl } = await sqs.newRunQueue();
  const ports: StartPorts = {
    plans: new PlanRepository(store),
    locks: new LockRepository(store),
    runs: new RunRepository(store),
    queue: new SqsRunQueue(sqs.client, queueUrl),
    lockTtlMs: 60_000,
  };
  return { store, ports };
}

/** A stored hourly plan whose check passed (the tick runs no other). */
async function storedPlan(ports: StartPorts, id: string) {
  const plan = aPlan({ id, ...HOURLY_UTC });
  const { stored } = await ports.plans.put(plan);
  await ports.plans.recordCheck(plan.id, { checkedAt: NOW.toISOString(), ok: true, version: stored.version, problems: [] });
  return plan;
}

describe('the tick when part of it fails', () => {
  test('a store error claiming one plan\'s slot does not stop the tick from starting the other due plans', async () => {
    // Prepare: two due plans; DynamoDB refuses the first one's claim (throttled past the SDK's retries).
    const { store, ports: base } = await setup();
    const throttled = await storedPlan(base, 'tick-a-throttled');
    const healthy = await storedPlan(base, 'tick-b-healthy');
    class ThrottledClaims extends PlanRepository {
      override async claimSlot(planId: string, slot: string, now?: Date): Promise<boolean> {
        if (planId === throttled.id) throw new StoreUnavailableError('claim schedule slot: throttled');
        return super.claimSlot(planId, slot, now);
      }
    }
    const ports: StartPorts = { ...base, plans: new ThrottledClaims(store) };

    // Act
    const outcome = await tick(ports, NOW).then((result) => ({ result }), (error: unknown) => ({ error }));

    // Assess: the tick answers (its metrics, overdue count and log depend on it), the healthy plan started.
    assert.ok('result' in outcome, `the tick threw: ${'error' in outcome ? String(outcome.error) : ''}`);
    assert.deepEqual(outcome.result.started.map((s) => s.planId), [healthy.id]);
    assert.deepEqual(outcome.result.failed.map((f) => [f.planId, f.retryable]), [[throttled.id, true]]);
  });

  test('a slot claimed by a tick whose invocation ended before the run started is started by a later tick within the slot', async () => {
    // Prepare: the first tick claims the 12:00 slot, then never gets further (its Lambda timed
    // out on a hung request, or was killed): the lock read it waits on never answers.
    const { store, ports } = await setup();
    const plan = await storedPlan(ports, 'tick-claimed-then-died');
    class HungLocks extends LockRepository {
      override get(): Promise<LockLease | null> {
        return new Promise(() => undefined);
      }
    }
    void tick({ ...ports, locks: new HungLocks(store) }, NOW);
    for (let i = 0; i < 200 && (await ports.plans.get(plan.id))?.lastSlot === undefined; i += 1) await new Promise((r) => setTimeout(r, 25));
    assert.equal((await ports.plans.get(plan.id))?.lastSlot, '2025-06-10T12:00:00.000Z', 'the dead tick claimed the slot');

    // Act: five minutes later, still within the 12:00 slot, a healthy tick.
    const later = await tick(ports, new Date('2025-06-10T12:05:30Z'));

    // Assess: the slot runs; no run was ever started for it.
    assert.deepEqual(later.started.map((s) => s.slot), ['2025-06-10T12:00:00.000Z']);
    assert.equal((await ports.runs.list(plan.id)).items.length, 1);
  });
});

describe('a slot claimed long ago is not started twice', () => {
  test('a slot whose run started is not started again by a later tick, once its claim is older than a tick may last', async () => {
    // Prepare: the 12:00 tick starts the slot's run, which ends at once.
    const { ports } = await setup();
    const plan = await storedPlan(ports, 'tick-started-then-later');
    const first = await tick(ports, NOW);
    await finishRun(ports, { planId: plan.id, runId: first.started[0]!.runId, status: 'completed' });

    // Act: five minutes later, still within the 12:00 slot.
    const later = await tick(ports, new Date('2025-06-10T12:05:30Z'));

    // Assess
    assert.deepEqual(later.started, []);
    assert.deepEqual(later.skipped.map((s) => [s.slot, s.reason]), [['2025-06-10T12:00:00.000Z', 'slot-taken']]);
    assert.equal((await ports.runs.list(plan.id)).items.length, 1);
  });

  test('the slot in progress taken when a plan is stored is not started by a later tick', async () => {
    // Prepare: the local runtime takes the slot in progress when it stores a plan, with no run,
    // so the plan first runs at its next slot.
    const { ports } = await setup();
    const plan = await storedPlan(ports, 'tick-taken-at-store');
    await ports.plans.claimSlot(plan.id, '2025-06-10T12:00:00.000Z', NOW);

    // Act
    const later = await tick(ports, new Date('2025-06-10T12:05:30Z'));

    // Assess
    assert.deepEqual(later.started, []);
    assert.equal((await ports.runs.list(plan.id)).items.length, 0);
  });
});

describe('a plan busy when its slot comes', () => {
  test('a once-a-day slot that came while a manual run held the plan runs once the plan is free, within its window', async () => {
    // Prepare: once a day, any time 09:00–18:00 (the window leaves nine hours to catch up). A
    // manual run holds the plan when the 09:00 tick comes, and ends a minute later.
    const { ports } = await setup();
    const plan = aPlan({ id: 'tick-busy-daily', schedule: { ...HOURLY_UTC.schedule!, everyMinutes: 1440 } } as Partial<PlanInput>);
    const { stored } = await ports.plans.put(plan);
    await ports.plans.recordCheck(plan.id, { checkedAt: NOW.toISOString(), ok: true, version: stored.version, problems: [] });
    const manual = await startRun(ports, { planId: plan.id, trigger: 'manual' });
    const atNine = await tick(ports, new Date('2025-06-10T09:00:30Z'));
    await finishRun(ports, { planId: plan.id, runId: manual.runId, status: 'completed' });

    // Act: the next minute's tick (EventBridge's minutes drift by seconds), the plan free, the
    // day's window open until 18:00. Within the tick's timeout of the 09:00 tick, so it is not a
    // claim left by a dead tick being taken over that starts the slot.
    const later = await tick(ports, new Date('2025-06-10T09:01:29Z'));

    // Assess: the day's scheduled exchange happens; it is not lost until tomorrow.
    assert.deepEqual(atNine.skipped.map((s) => s.reason), ['running']);
    assert.deepEqual(later.started.map((s) => s.slot), ['2025-06-10T09:00:00.000Z'], 'the day has its scheduled run');
  });
});
