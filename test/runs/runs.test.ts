import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PlanNotFoundError } from '#plans/errors';
import type { PlanInput } from '#plans/plan';
import type { PlanConnectors } from '#runs/check-plan';
import { orderCollector, processRunMessage, type CollectBody, type CollectorPorts, type OrderCollectPorts } from '#exchange/collect';
import { RunInProgressError } from '#runs/errors';
import { RunQueueError } from '#aws/errors';
import { runEventsOf } from '#test/run-events';
import { finishRun } from '#exchange/finalize';
import { startRun } from '#exchange/start-run';
import { deletePlan, type ControlPorts } from '#runs/control';
import { SqsRunQueue, parseCollectMessage, type RunQueue } from '#aws/run-queue';
import { tick } from '#exchange/tick';
import { LockRepository } from '#store/lock';
import { DynamoOrderRecordReader } from '#store/order-records';
import { PlanRepository } from '#store/plans';
import { RunRepository } from '#store/runs';
import { useDynamoDb } from '#test/dynamodb';
import { aPlan, DemoSecretsOfAnyPlan, localAccess } from '#test/plans';
import { useSqs } from '#test/sqs';
import { PlanRunningError, StoreUnavailableError } from '#store/errors';

const dynamo = useDynamoDb();
const sqs = useSqs();

/** Connectors that answer like a healthy 1C and Goodwix, except for the refs named missing. */
function fakeConnectors(missing: readonly string[] = []): PlanConnectors {
  return {
    oneC: () => ({ getRef: async (_catalog, ref) => (missing.includes(ref) ? null : { name: 'ok', deletionMark: false }) }),
    goodwix: () => ({ login: async () => undefined, catalogExists: async () => true }),
  };
}

async function setup(options: { connectors?: PlanConnectors; collect?: CollectBody; queue?: RunQueue; lockTtlMs?: number } = {}) {
  const store = await dynamo.newStore();
  const { queueUrl } = await sqs.newRunQueue();
  const ports: ControlPorts & CollectorPorts = {
    plans: new PlanRepository(store),
    locks: new LockRepository(store),
    runs: new RunRepository(store),
    orderRecords: new DynamoOrderRecordReader(store),
    queue: options.queue ?? new SqsRunQueue(sqs.client, queueUrl),
    lockTtlMs: options.lockTtlMs ?? 60_000,
    secrets: new DemoSecretsOfAnyPlan(),
    access: localAccess,
    connectors: options.connectors ?? fakeConnectors(),
    // The run's mechanics are under test here: its work is done at once unless a test says otherwise.
    collect: options.collect ?? (async () => ({ status: 'done', problems: [], summary: 'collected' })),
  };
  const queued = async () => (await sqs.receiveAll(queueUrl)).map((m) => parseCollectMessage(m.Body ?? ''));
  const events = () => runEventsOf(store, dynamo.endpoint);
  return { ports, events, queueUrl, queued };
}

/** A stored plan whose check passed once (the tick runs no other), unless `checked` is false. */
async function storedPlan(ports: ControlPorts, overrides: Partial<PlanInput> = {}, checked = true) {
  const plan = aPlan(overrides);
  const { stored } = await ports.plans.put(plan);
  if (checked) await ports.plans.recordCheck(plan.id, { checkedAt: new Date().toISOString(), ok: true, version: stored.version, problems: [] });
  return plan;
}

describe('starting a run', () => {
  test('takes the plan, journals the run, puts run.started and queues one collect message', async () => {
    const { ports, events, queued } = await setup();
    const plan = await storedPlan(ports);

    const run = await startRun(ports, { planId: plan.id, trigger: 'manual' });

    assert.equal((await ports.locks.get(plan.id))?.runId, run.runId);
    assert.deepEqual([run.status, run.trigger], ['running', 'manual']);
    assert.deepEqual((await events()).map((e) => [e.type, e.runId]), [['run.started', run.runId]]);
    assert.deepEqual(await queued(), [{ kind: 'collect', planId: plan.id, runId: run.runId, trigger: 'manual' }]);
  });

  test('of two concurrent starts one runs and the other is told which run holds the plan', async () => {
    const { ports, queued } = await setup();
    const plan = await storedPlan(ports);

    const results = await Promise.allSettled([startRun(ports, { planId: plan.id, trigger: 'manual' }), startRun(ports, { planId: plan.id, trigger: 'schedule' })]);

    const started = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ runId: string }>).value);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    assert.equal(started.length, 1);
    assert.ok(refused[0] instanceof RunInProgressError);
    assert.equal((refused[0] as RunInProgressError).runningRunId, started[0]!.runId);
    assert.equal((await queued()).length, 1);
    assert.equal((await ports.runs.list(plan.id)).items.length, 1);
  });

  test('refuses a plan that does not exist and leaves nothing behind', async () => {
    const { ports, queued } = await setup();
    await assert.rejects(startRun(ports, { planId: 'ghost', trigger: 'manual' }), PlanNotFoundError);
    assert.equal(await ports.locks.get('ghost'), null);
    assert.deepEqual(await queued(), []);
  });

  test('closes the run as failed and frees the plan when the run queue refuses the message', async () => {
    const failingQueue: RunQueue = { sendCollect: async () => { throw new RunQueueError('queue down'); } };
    const { ports, events } = await setup({ queue: failingQueue });
    const plan = await storedPlan(ports);

    await assert.rejects(startRun(ports, { planId: plan.id, trigger: 'manual' }), RunQueueError);

    const [run] = (await ports.runs.list(plan.id)).items;
    assert.equal(run?.status, 'failed');
    assert.equal(run?.errors[0]?.code, 'RUN_QUEUE_FAILED');
    assert.equal(await ports.locks.get(plan.id), null);
    assert.deepEqual((await events()).map((e) => e.type), ['run.started', 'run.failed']);
  });

  test('closes a run whose write landed but whose answer was lost, so its run.started has an end', async () => {
    const { ports, events, queued } = await setup();
    const plan = await storedPlan(ports);
    const runs = ports.runs;
    const lostAnswer = Object.assign(Object.create(runs) as RunRepository, {
      create: async (run: Parameters<RunRepository['create']>[0]) => {
        await runs.create(run);
        throw new Error('socket hang up');
      },
    });

    await assert.rejects(startRun({ ...ports, runs: lostAnswer }, { planId: plan.id, trigger: 'manual' }), /socket hang up/);

    const [run] = (await ports.runs.list(plan.id)).items;
    assert.deepEqual([run?.status, run?.summary], ['failed', 'not started']);
    assert.equal(await ports.locks.get(plan.id), null, 'the plan is free');
    assert.deepEqual((await events()).map((e) => e.type), ['run.started', 'run.failed']);
    assert.deepEqual(await queued(), []);
  });

  test('closes a run abandoned by a crash when its expired lock is taken over', async () => {
    const { ports, events } = await setup({ lockTtlMs: 1 });
    const plan = await storedPlan(ports);
    const crashed = await startRun(ports, { planId: plan.id, trigger: 'manual' });
    await new Promise((resolve) => setTimeout(resolve, 10));

    const next = await startRun(ports, { planId: plan.id, trigger: 'manual' });

    const old = await ports.runs.get(plan.id, crashed.runId);
    assert.equal(old?.status, 'failed');
    assert.equal(old?.errors[0]?.code, 'RUN_ABANDONED');
    assert.equal((await ports.locks.get(plan.id))?.runId, next.runId);
    assert.ok((await events()).some((e) => e.type === 'run.failed' && e.runId === crashed.runId));
  });
});

describe('deleting a plan', () => {
  test('closes as abandoned the run whose expired lock it removes: that lock was the only way to it, so it would stay running for ever', async () => {
    // Prepare: a run whose lock ran out with no message of it left (a crash), what a start taking the lock over closes as abandoned
    const { ports, events } = await setup({ lockTtlMs: 1 });
    const plan = await storedPlan(ports);
    const abandoned = await startRun(ports, { planId: plan.id, trigger: 'manual' });
    await new Promise((resolve) => setTimeout(resolve, 10));

    // Act
    await deletePlan(ports, plan.id);

    // Assess
    const old = await ports.runs.get(plan.id, abandoned.runId);
    assert.deepEqual([old?.status, old?.errors[0]?.code], ['failed', 'RUN_ABANDONED']);
    assert.match(old?.errors[0]?.message ?? '', /its plan was deleted/);
    assert.equal(await ports.plans.get(plan.id), null);
    assert.ok((await events()).some((e) => e.type === 'run.failed' && e.runId === abandoned.runId), 'run.failed was put');
  });

  test('leaves a run whose lock has not expired running, and the plan in place (PLAN_RUNNING)', async () => {
    // Prepare
    const { ports } = await setup();
    const plan = await storedPlan(ports);
    const running = await startRun(ports, { planId: plan.id, trigger: 'manual' });

    // Act
    const refused = await deletePlan(ports, plan.id).catch((error: unknown) => error);

    // Assess
    assert.ok(refused instanceof PlanRunningError, String(refused));
    assert.equal((await ports.runs.get(plan.id, running.runId))?.status, 'running');
    assert.ok(await ports.plans.get(plan.id), 'the plan is still there');
  });
});

describe("a run's collect message", () => {
  test('completes the run when its work is done, frees the plan and puts run.completed', async () => {
    const { ports, events, queued } = await setup();
    const plan = await storedPlan(ports);
    await startRun(ports, { planId: plan.id, trigger: 'manual' });
    const [message] = await queued();

    assert.equal(await processRunMessage(ports, message!), 'finished');

    const run = await ports.runs.get(plan.id, message!.runId);
    assert.deepEqual([run?.status, run?.summary, run?.errorCount], ['completed', 'collected', 0]);
    assert.equal(await ports.locks.get(plan.id), null);
    assert.deepEqual((await events()).map((e) => e.type), ['run.started', 'run.completed']);
    await startRun(ports, { planId: plan.id, trigger: 'manual' });
  });

  test('the order collection fails the run with every problem of the plan check, by name, before it reads an order', async () => {
    // Prepare: the collection production runs, over clients that must not be reached.
    const plan = aPlan();
    const connectors = fakeConnectors([plan.orders.warehouse as string, plan.orders.manager as string]);
    const { ports: base } = await setup({ connectors });
    const unreached = new Proxy({}, { get: (_t, name) => () => assert.fail(`reached ${String(name)} although the check failed`) });
    const collect = orderCollector({ run: base, progress: unreached, cursors: unreached, clients: unreached, bindings: unreached, orderQueue: unreached } as unknown as OrderCollectPorts);
    const { ports, events, queued } = await setup({ connectors, collect });
    await ports.plans.put(plan);
    await startRun(ports, { planId: plan.id, trigger: 'manual' });
    const [message] = await queued();

    await processRunMessage(ports, message!);

    const run = await ports.runs.get(plan.id, message!.runId);
    assert.equal(run?.status, 'failed');
    assert.deepEqual(run?.errors.map((e) => e.message), [`Склад ${plan.orders.warehouse}: not found in 1C`, `Менеджер ${plan.orders.manager}: not found in 1C`]);
    assert.equal((await events()).at(-1)?.type, 'run.failed');
    assert.equal((await events()).at(-1)?.detail?.['errorCount'], 2);
  });

  test('ignores a redelivered message of a run that is closed', async () => {
    const { ports, events, queued } = await setup();
    const plan = await storedPlan(ports);
    await startRun(ports, { planId: plan.id, trigger: 'manual' });
    const [message] = await queued();
    await processRunMessage(ports, message!);

    assert.equal(await processRunMessage(ports, message!), 'ignored');
    assert.equal((await events()).filter((e) => e.type === 'run.completed').length, 1);
  });

  test('throws on a retryable failure so the queue redelivers, keeping the run and its lock', async () => {
    let calls = 0;
    const collect: CollectBody = async () => {
      calls += 1;
      if (calls === 1) throw new StoreUnavailableError('throttled');
      return { status: 'done', problems: [], counters: { exported: 3 } };
    };
    const { ports, queued } = await setup({ collect });
    const plan = await storedPlan(ports);
    const run = await startRun(ports, { planId: plan.id, trigger: 'manual' });
    const [message] = await queued();

    await assert.rejects(processRunMessage(ports, message!), StoreUnavailableError);
    assert.equal((await ports.runs.get(plan.id, run.runId))?.status, 'running');
    assert.equal((await ports.locks.get(plan.id))?.runId, run.runId);

    await processRunMessage(ports, message!);
    const finished = await ports.runs.get(plan.id, run.runId);
    assert.deepEqual([finished?.status, finished?.counters.exported], ['completed', 3]);
  });

  test('fails the run with the reason of a permanent failure', async () => {
    const collect: CollectBody = async () => { throw new PlanNotFoundError('x'); };
    const { ports, queued } = await setup({ collect });
    const plan = await storedPlan(ports);
    await startRun(ports, { planId: plan.id, trigger: 'manual' });
    const [message] = await queued();

    await processRunMessage(ports, message!);

    const run = await ports.runs.get(plan.id, message!.runId);
    assert.deepEqual([run?.status, run?.errors[0]?.code], ['failed', 'PLAN_NOT_FOUND']);
  });

  test('leaves a run whose work continues elsewhere open until finishRun closes it', async () => {
    const { ports, queued, events } = await setup({ collect: async () => ({ status: 'continuing' }) });
    const plan = await storedPlan(ports);
    const run = await startRun(ports, { planId: plan.id, trigger: 'manual' });
    const [message] = await queued();

    assert.equal(await processRunMessage(ports, message!), 'continuing');
    assert.equal((await ports.locks.get(plan.id))?.runId, run.runId);

    const closed = await finishRun(ports, { planId: plan.id, runId: run.runId, counters: { exported: 2, failed: 1 }, problems: [] });
    assert.deepEqual([closed?.status, closed?.counters.exported, closed?.counters.failed], ['completed', 2, 1]);
    assert.equal(await finishRun(ports, { planId: plan.id, runId: run.runId }), null, 'a second finish changes nothing');
    assert.equal((await events()).filter((e) => e.type === 'run.completed').length, 1);
  });

  test('fails a run that lost its lock before it could collect', async () => {
    const { ports, queued } = await setup({ lockTtlMs: 1 });
    const plan = await storedPlan(ports);
    const run = await startRun(ports, { planId: plan.id, trigger: 'manual' });
    const [message] = await queued();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await ports.locks.acquire(plan.id, 'SOMEONE-ELSE', { ttlMs: 60_000 });

    await processRunMessage(ports, message!);

    const failed = await ports.runs.get(plan.id, run.runId);
    assert.deepEqual([failed?.status, failed?.errors[0]?.code], ['failed', 'LOCK_LOST']);
    assert.equal((await ports.locks.get(plan.id))?.runId, 'SOMEONE-ELSE', 'the new holder keeps the lock');
  });
});

describe('the tick', () => {
  const NOW = new Date('2025-06-10T12:00:30Z');
  const utc = (start: string, end: string, everyMinutes = 60, enabled = true) =>
    ({ schedule: { enabled, timeZone: 'UTC', start, end, everyMinutes, daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] } }) as Partial<PlanInput>;

  test('starts the plans that are due, and only those', async () => {
    const { ports, queued } = await setup();
    const due = await storedPlan(ports, utc('09:00', '18:00'));
    await storedPlan(ports, utc('09:00', '18:00', 60, false));
    await storedPlan(ports, utc('13:00', '18:00'));
    await storedPlan(ports, utc('22:00', '02:00'));

    const result = await tick(ports, NOW);

    assert.equal(result.evaluated, 4);
    assert.deepEqual(result.started.map((s) => [s.planId, s.slot]), [[due.id, '2025-06-10T12:00:00.000Z']]);
    assert.deepEqual((await queued()).map((m) => [m.planId, m.trigger]), [[due.id, 'schedule']]);
    const [run] = (await ports.runs.list(due.id)).items;
    assert.equal(run?.slot, '2025-06-10T12:00:00.000Z');
  });

  test('never starts a plan whose check has not passed once: not before any check, not after a failed one', async () => {
    const { ports, queued } = await setup();
    const unchecked = await storedPlan(ports, utc('09:00', '18:00'), false);
    const failed = await storedPlan(ports, utc('09:00', '18:00'), false);
    await ports.plans.recordCheck(failed.id, { checkedAt: NOW.toISOString(), ok: false, version: 1, problems: [{ code: 'ONEC_REF_NOT_FOUND', subject: 'Склад', message: 'Склад x: not found in 1C' }] });

    const result = await tick(ports, NOW);
    await ports.plans.recordCheck(unchecked.id, { checkedAt: NOW.toISOString(), ok: true, version: 1, problems: [] });
    const after = await tick(ports, new Date(NOW.getTime() + 60_000));

    assert.deepEqual(result.started, []);
    assert.deepEqual(result.skipped.map((s) => [s.planId, s.reason]).sort(), [[unchecked.id, 'unchecked'], [failed.id, 'unchecked']].sort());
    assert.deepEqual(after.started.map((s) => s.planId), [unchecked.id], 'due once its check passed');
    assert.deepEqual((await queued()).map((m) => m.planId), [unchecked.id]);
  });

  test('starts a slot once, even when the tick is replayed after the run ended', async () => {
    const { ports, queued } = await setup();
    const plan = await storedPlan(ports, utc('09:00', '18:00'));
    await tick(ports, NOW);
    const [message] = await queued();
    await processRunMessage(ports, message!);

    const replay = await tick(ports, NOW);
    const later = await tick(ports, new Date('2025-06-10T12:40:00Z'));

    assert.deepEqual(replay.started, []);
    assert.deepEqual(replay.skipped, [{ planId: plan.id, slot: '2025-06-10T12:00:00.000Z', reason: 'slot-taken' }]);
    assert.deepEqual(later.started, []);
    assert.equal((await ports.runs.list(plan.id)).items.length, 1);
  });

  test('of two ticks at once, a due plan starts one run', async () => {
    const { ports } = await setup();
    const plan = await storedPlan(ports, utc('09:00', '18:00'));

    const [a, b] = await Promise.all([tick(ports, NOW), tick(ports, NOW)]);

    assert.equal(a.started.length + b.started.length, 1);
    assert.equal((await ports.runs.list(plan.id)).items.length, 1);
  });

  test('skips a plan still running at its next slot without calling it a failure', async () => {
    const { ports } = await setup();
    const plan = await storedPlan(ports, utc('09:00', '18:00'));
    await tick(ports, NOW);

    const next = await tick(ports, new Date('2025-06-10T13:00:10Z'));

    assert.deepEqual(next.skipped, [{ planId: plan.id, slot: '2025-06-10T13:00:00.000Z', reason: 'running' }]);
    assert.deepEqual(next.failed, []);
  });

  test('gives the slot back when the run could not start, so the next tick starts it', async () => {
    let down = true;
    const { ports: base, queueUrl } = await setup();
    const real = new SqsRunQueue(sqs.client, queueUrl);
    const ports = { ...base, queue: { sendCollect: async (m: Parameters<RunQueue['sendCollect']>[0]) => { if (down) throw new RunQueueError('down'); return real.sendCollect(m); } } };
    const plan = await storedPlan(ports, utc('09:00', '18:00'));

    const first = await tick(ports, NOW);
    down = false;
    const second = await tick(ports, new Date(NOW.getTime() + 60_000));

    assert.deepEqual(first.failed.map((f) => [f.planId, f.code, f.retryable]), [[plan.id, 'RUN_QUEUE_FAILED', true]]);
    assert.deepEqual(second.started.map((s) => s.slot), ['2025-06-10T12:00:00.000Z']);
  });
});
