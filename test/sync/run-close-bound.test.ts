/**
 * A run whose every order is done but that never closes (issue 14, defect 6: chaos seed 7777 at
 * 1,000 orders — the first run exported every order, never closed, and every later run answered
 * 409 RUN_IN_PROGRESS). Here the finalizer that claimed the close died and every message was
 * acknowledged, so nothing of the run is left to close it. The plan must be free again within
 * the bound docs/reliability.md states, the run closed as abandoned, and the reserves it was to
 * refresh handed to the next run. And the converse: a run that closed while its lock or its close
 * was still under way keeps the record it closed with (no "abandoned", no problems added late).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlan } from '#plans/plan';
import { RunInProgressError } from '#runs/errors';
import { RUN_CLOSE_BOUND_MS, finalizeIfDone, finishRun } from '#exchange/finalize';
import { startRun } from '#exchange/start-run';
import type { StartPorts } from '#runs/ports';
import type { RunRepository } from '#store/runs';
import { createRepositories, runPorts } from '#runs/wiring';
import { LocalSecretsProvider } from '#secrets/secrets';
import { PlanClientCache } from '#sync/plan-clients';
import { useDynamoDb } from '#test/dynamodb';
import { localAccess, planInput } from '#test/plans';

const dynamo = useDynamoDb();

async function setup() {
  const store = await dynamo.newStore();
  const config = { tableName: store.tableName, lockTtlSeconds: 900, runRetentionDays: 90, dynamodbEndpoint: dynamo.endpoint };
  const repositories = createRepositories(config);
  let nowMs = Date.parse('2026-03-02T10:00:00Z');
  const clock = { now: () => new Date(nowMs), advance: (ms: number) => (nowMs += ms) };
  const start: StartPorts = { ...runPorts(repositories, config), now: clock.now, queue: { sendCollect: async () => undefined } };
  const progress = repositories.runs;
  const plan = parsePlan(planInput());
  await repositories.plans.put(plan);
  return { plan, start, progress, repositories, clock };
}

describe('a run whose orders are all done but whose finalizer died after the last message was acknowledged', () => {
  test('the plan is free again within the stated bound; the run is closed as abandoned and its reserves go to the next run', async () => {
    // Prepare
    const { plan, start, progress, repositories, clock } = await setup();
    const stuck = await startRun(start, { planId: plan.id, trigger: 'manual' });
    await progress.register(plan.id, stuck.runId, '101', clock.now());
    await progress.markCollected(plan.id, stuck.runId, 'cursor-after-101');
    await progress.complete(plan.id, stuck.runId, { orderId: '101', outcome: 'exported', at: clock.now().toISOString(), counters: { exported: 1 }, products: ['nom-1//10101'] });
    // The worker renews the lease on the order it counted, then claims the close and dies.
    await repositories.locks.renew(plan.id, stuck.runId, { ttlMs: start.lockTtlMs, now: clock.now() });
    const dying = new Proxy(progress, {
      get(target, prop, receiver) {
        if (prop === 'claimFinalize') {
          return async (...args: Parameters<RunRepository['claimFinalize']>) => {
            await target.claimFinalize(...args);
            throw new Error('killed after claiming the close');
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    await assert.rejects(finalizeIfDone({ run: { ...start, runs: dying }, cursors: repositories.cursors, reserveState: repositories.reserveState, clients: new PlanClientCache(new LocalSecretsProvider({}), { access: localAccess }) }, plan.id, stuck.runId, 'worker:101'), /killed/);
    await assert.rejects(startRun(start, { planId: plan.id, trigger: 'manual' }), RunInProgressError, 'blocked while the close may still be under way');
    // Act
    clock.advance(RUN_CLOSE_BOUND_MS + 1_000);
    const next = await startRun(start, { planId: plan.id, trigger: 'manual' });
    // Assess
    const closed = await repositories.runs.get(plan.id, stuck.runId);
    assert.equal(closed?.status, 'failed');
    assert.ok(closed?.errors.some((e) => e.code === 'RUN_ABANDONED'));
    assert.deepEqual(await repositories.runs.products(plan.id, next.runId, 10), ['nom-1//10101'], 'the next run refreshes the reserves the abandoned one was to refresh');
  });
});

describe('a run closed by someone else while its lock or its close was still under way', () => {
  test('a completed run whose lock outlived it is not marked abandoned by the next start, and hands on no products', async () => {
    // Prepare: the finalizer closed the run and was killed before it released the lock.
    const { plan, start, repositories, clock } = await setup();
    const done = await startRun(start, { planId: plan.id, trigger: 'manual' });
    await repositories.runs.recordProducts(plan.id, done.runId, ['nom-1//10101'], clock.now());
    await repositories.runs.close(plan.id, done.runId, { status: 'completed', endedAt: clock.now(), summary: '1 order(s) exchanged' });
    clock.advance(start.lockTtlMs + 1_000);
    // Act
    const next = await startRun(start, { planId: plan.id, trigger: 'manual' });
    // Assess
    const kept = await repositories.runs.get(plan.id, done.runId);
    assert.deepEqual([kept?.status, kept?.summary, kept?.errorCount], ['completed', '1 order(s) exchanged', 0]);
    assert.deepEqual(kept?.errors.map((e) => e.code), [], 'no RUN_ABANDONED on a run that completed');
    assert.equal(next.status, 'running');
    assert.equal((await repositories.locks.get(plan.id))?.runId, next.runId, 'the new run holds the plan');
    assert.deepEqual(await repositories.runs.products(plan.id, next.runId, 10), [], "only an abandoned run's products go to the next run");
  });

  test('finishRun adds nothing to a run another closer closed meanwhile, and still frees the plan', async () => {
    // Prepare: right after finishRun reads the run as running, another closer closes it.
    const { plan, start, repositories, clock } = await setup();
    const run = await startRun(start, { planId: plan.id, trigger: 'manual' });
    let raced = false;
    const racing = new Proxy(repositories.runs, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (prop === 'get' && !raced) {
          return async (...args: Parameters<RunRepository['get']>) => {
            const answer = await target.get(...args);
            raced = true;
            await target.close(plan.id, run.runId, { status: 'completed', endedAt: clock.now(), summary: 'closed by the other' });
            return answer;
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    // Act
    const finished = await finishRun(
      { ...start, runs: racing },
      { planId: plan.id, runId: run.runId, status: 'failed', counters: { exported: 2, failed: 1 }, problems: [{ code: 'RUN_QUEUE_FAILED', subject: 'run queue', message: 'run queue: the run could not be queued' }] },
    );
    // Assess
    assert.ok(raced, 'the other closer closed the run between the read and the writes');
    assert.equal(finished, null);
    const closed = await repositories.runs.get(plan.id, run.runId);
    assert.deepEqual([closed?.status, closed?.summary, closed?.errorCount, closed?.errors], ['completed', 'closed by the other', 0, []]);
    assert.deepEqual([closed?.counters.exported, closed?.counters.failed], [0, 0], 'no counters added to the closed run');
    assert.equal(await repositories.locks.get(plan.id), null, 'the plan is free');
  });

  test("a run its own finalizer completes while the next start closes it as abandoned tells one story: RUN_ABANDONED only on a run the start closed", async () => {
    // Prepare: the run's lease lapsed while it was still running; as the next start records the
    // abandonment, the run's own finalizer (alive after all) completes it.
    const { plan, start, repositories, clock } = await setup();
    const slow = await startRun(start, { planId: plan.id, trigger: 'manual' });
    clock.advance(start.lockTtlMs + 1_000);
    let raced = false;
    const racing = new Proxy(repositories.runs, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (prop === 'close' && !raced) {
          // Right before the start's close of the run (after whatever it wrote before it), the run's finalizer completes it.
          return async (...args: Parameters<RunRepository['close']>) => {
            raced = true;
            await target.close(plan.id, slow.runId, { status: 'completed', endedAt: clock.now(), summary: 'closed by its finalizer' });
            return target.close(...args);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    // Act
    await startRun({ ...start, runs: racing }, { planId: plan.id, trigger: 'manual' });
    // Assess: a completed run showing "abandoned" would send an operator after a failure that never was
    assert.ok(raced, "the finalizer completed the run while the start was closing it");
    const closed = await repositories.runs.get(plan.id, slow.runId);
    const abandoned = closed?.errors.some((e) => e.code === 'RUN_ABANDONED') ?? false;
    assert.deepEqual([closed?.status, closed?.summary, abandoned, closed?.errorCount], ['completed', 'closed by its finalizer', false, 0], JSON.stringify(closed));
  });
});
