/**
 * Each enabled plan's heartbeat, against DynamoDB Local: overdue when three of its own slots
 * began since a run of it last went through (or since it was saved), counted in its schedule so
 * that nights and windows are not gaps; failed runs do not count; the tick reports the overdue.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlanInput } from '#plans/plan';
import { OVERDUE_AFTER_SLOTS, overduePlans, slotsBegunSince } from '#runs/heartbeat';
import type { StartPorts } from '#runs/ports';
import { SqsRunQueue } from '#aws/run-queue';
import { newRunId } from '#runs/run-id';
import { tick } from '#exchange/tick';
import { LockRepository } from '#store/lock';
import { PlanRepository, type StoredPlan } from '#store/plans';
import { RunRepository } from '#store/runs';
import type { RunEndStatus } from '#store/runs';
import { useDynamoDb } from '#test/dynamodb';
import { aPlan } from '#test/plans';
import { useSqs } from '#test/sqs';

const dynamo = useDynamoDb();
const sqs = useSqs();

const hourly = (enabled = true) =>
  ({ schedule: { enabled, timeZone: 'UTC', start: '09:00', end: '18:00', everyMinutes: 60, daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri'] } }) as Partial<PlanInput>;
const at = (iso: string) => new Date(iso);

async function setup() {
  const store = await dynamo.newStore();
  const { queueUrl } = await sqs.newRunQueue();
  const ports: StartPorts = { plans: new PlanRepository(store), locks: new LockRepository(store), runs: new RunRepository(store), queue: new SqsRunQueue(sqs.client, queueUrl), lockTtlMs: 60_000 };
  /** A plan saved at `savedAt`. */
  // A plan whose check passed when it was saved: the tick runs no unchecked plan.
  const plan = async (savedAt: string, overrides: Partial<PlanInput> = hourly()): Promise<StoredPlan> => {
    const { stored } = await ports.plans.put(aPlan(overrides), { now: at(savedAt) });
    await ports.plans.recordCheck(stored.plan.id, { checkedAt: savedAt, ok: true, version: stored.version, problems: [] });
    return { ...stored, checkPassedAt: savedAt };
  };
  /** A run of the plan that started and ended (or is still running) at these times. */
  const run = async (planId: string, startedAt: string, end?: { status: RunEndStatus; at: string }) => {
    const runId = newRunId(at(startedAt));
    await ports.runs.create({ planId, runId, trigger: 'schedule', startedAt: at(startedAt) });
    if (end) await ports.runs.close(planId, runId, { status: end.status, endedAt: at(end.at) });
  };
  return { ports, plan, run };
}

describe("a plan's heartbeat", () => {
  test('three slots counted in the schedule: the evening to the next morning is one slot, a weekend none', () => {
    const { schedule } = aPlan(hourly());
    assert.equal(slotsBegunSince(schedule, at('2025-06-10T17:05:00Z'), at('2025-06-11T09:30:00Z'), 3), 1);
    assert.equal(slotsBegunSince(schedule, at('2025-06-13T17:05:00Z'), at('2025-06-16T08:59:00Z'), 3), 0); // Friday evening → Monday before nine
    assert.equal(slotsBegunSince(schedule, at('2025-06-10T10:05:00Z'), at('2025-06-10T13:00:00Z'), 3), 3);
    assert.equal(OVERDUE_AFTER_SLOTS, 3);
  });

  test('a new plan is overdue only once three of its slots began without a run going through', async () => {
    const { ports, plan } = await setup();
    const saved = await plan('2025-06-10T08:00:00Z');
    assert.deepEqual(await overduePlans(ports, [saved], at('2025-06-10T10:30:00Z')), []);
    assert.deepEqual(await overduePlans(ports, [saved], at('2025-06-10T11:00:10Z')), [{ planId: saved.plan.id, since: '2025-06-10T08:00:00.000Z' }]);
  });

  test('counts from the end of the last run that went through; failed runs and a run still going do not count', async () => {
    const { ports, plan, run } = await setup();
    const saved = await plan('2025-06-10T08:00:00Z');
    await run(saved.plan.id, '2025-06-10T10:00:00Z', { status: 'completed', at: '2025-06-10T10:05:00Z' });
    await run(saved.plan.id, '2025-06-10T11:00:00Z', { status: 'failed', at: '2025-06-10T11:01:00Z' });
    await run(saved.plan.id, '2025-06-10T12:00:00Z');

    assert.deepEqual(await overduePlans(ports, [saved], at('2025-06-10T12:59:00Z')), []);
    assert.deepEqual(await overduePlans(ports, [saved], at('2025-06-10T13:00:00Z')), [{ planId: saved.plan.id, since: '2025-06-10T10:05:00.000Z' }]);
  });

  test('a plan whose runs go through overnight is not overdue in the morning; a disabled plan never is', async () => {
    const { ports, plan, run } = await setup();
    const healthy = await plan('2025-06-09T08:00:00Z');
    await run(healthy.plan.id, '2025-06-10T17:00:00Z', { status: 'completed', at: '2025-06-10T17:05:00Z' });
    const disabled = await plan('2025-06-01T08:00:00Z', hourly(false));
    assert.deepEqual(await overduePlans(ports, [healthy, disabled], at('2025-06-11T10:30:00Z')), []);
  });

  test('the tick reports the overdue plans, after starting the due ones', async () => {
    const { ports, plan } = await setup();
    const stuck = await plan('2025-06-10T08:00:00Z');
    const fresh = await plan('2025-06-10T11:30:00Z');

    const result = await tick(ports, at('2025-06-10T12:00:30Z'));

    assert.deepEqual(result.started.map((s) => s.planId).sort(), [fresh.plan.id, stuck.plan.id].sort());
    assert.deepEqual(result.overdue, [{ planId: stuck.plan.id, since: '2025-06-10T08:00:00.000Z' }]);
  });
});
