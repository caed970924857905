/**
 * A finalizer that dies between closing its run and releasing the plan's lock. Found by the
 * chaos suite (`npm run chaos -- --fast --seed 307`: a worker killed at `locks.release`): the
 * run showed `completed`, but its lock stayed until the lease ran out (15 minutes), so every
 * later run answered 409 RUN_IN_PROGRESS. The redelivered message found the run closed and
 * did nothing. Whoever next finds the run closed (a worker's finalizer, the collector) now
 * releases the lock the run still holds.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlan } from '#plans/plan';
import { processRunMessage, type CollectorPorts } from '#exchange/collect';
import { RunInProgressError } from '#runs/errors';
import { startRun } from '#exchange/start-run';
import type { StartPorts } from '#runs/ports';
import { createRepositories, runPorts } from '#runs/wiring';
import { LocalSecretsProvider } from '#secrets/secrets';
import { finalizeIfDone, type FinalizePorts } from '#exchange/finalize';
import { PlanClientCache } from '#sync/plan-clients';
import { StoreUnavailableError } from '#store/errors';
import { useDynamoDb } from '#test/dynamodb';
import { localAccess, planInput } from '#test/plans';

const dynamo = useDynamoDb();

async function setup() {
  const store = await dynamo.newStore();
  const config = { tableName: store.tableName, lockTtlSeconds: 900, runRetentionDays: 90, dynamodbEndpoint: dynamo.endpoint };
  const repositories = createRepositories(config);
  const run = runPorts(repositories, config);
  const start: StartPorts = { ...run, queue: { sendCollect: async () => undefined } };
  const deps: FinalizePorts = {
    run,
    cursors: repositories.cursors, reserveState: repositories.reserveState,
    clients: new PlanClientCache(new LocalSecretsProvider({}), { access: localAccess }),
  };
  const plan = parsePlan(planInput());
  await repositories.plans.put(plan);
  return { plan, start, deps, repositories };
}

describe('a run closed by a finalizer that died before releasing the plan\'s lock', () => {
  test('the next message of the run releases the lock: the next run starts at once', async () => {
    const { plan, start, deps, repositories } = await setup();
    const first = await startRun(start, { planId: plan.id, trigger: 'manual' });
    await repositories.runs.markCollected(plan.id, first.runId, null);
    // The finalizer closed the run, then died: the lock is still the run's.
    await repositories.runs.close(plan.id, first.runId, { status: 'completed', endedAt: new Date() });
    await assert.rejects(startRun(start, { planId: plan.id, trigger: 'manual' }), RunInProgressError);

    const closedByThisCall = await finalizeIfDone(deps, plan.id, first.runId, 'worker:redelivered');

    assert.equal(closedByThisCall, false, 'the run was closed already');
    assert.equal((await repositories.runs.get(plan.id, first.runId))?.status, 'completed', 'and stays as it was');
    const next = await startRun(start, { planId: plan.id, trigger: 'manual' });
    assert.notEqual(next.runId, first.runId);
  });

  test('a redelivered collect message of the closed run releases it too', async () => {
    const { plan, start, deps, repositories } = await setup();
    const first = await startRun(start, { planId: plan.id, trigger: 'manual' });
    await repositories.runs.close(plan.id, first.runId, { status: 'failed', endedAt: new Date() });
    const ports = { ...deps.run, secrets: new LocalSecretsProvider({}), access: localAccess, connectors: { oneC: () => assert.fail('no plan check'), goodwix: () => assert.fail('no plan check') }, collect: () => assert.fail('a closed run is not collected') } satisfies CollectorPorts;

    assert.equal(await processRunMessage(ports, { kind: 'collect', planId: plan.id, runId: first.runId, trigger: 'manual' }), 'ignored');

    await startRun(start, { planId: plan.id, trigger: 'manual' });
  });

  test('never releases a lock another run holds', async () => {
    const { plan, start, deps, repositories } = await setup();
    const first = await startRun(start, { planId: plan.id, trigger: 'manual' });
    await repositories.runs.markCollected(plan.id, first.runId, null);
    await finalizeIfDone(deps, plan.id, first.runId, 'worker:1');
    const second = await startRun(start, { planId: plan.id, trigger: 'manual' });

    await finalizeIfDone(deps, plan.id, first.runId, 'worker:late');

    assert.equal((await repositories.locks.get(plan.id))?.runId, second.runId, 'the second run keeps its lock');
  });
});

describe('a finalizer that fails after claiming the close', () => {
  test('gives its claim back, so the redelivered message closes the run', async () => {
    // Prepare: every order done; the store fails once, after the claim
    const { plan, start, deps, repositories } = await setup();
    const first = await startRun(start, { planId: plan.id, trigger: 'manual' });
    await repositories.runs.markCollected(plan.id, first.runId, null);
    let failed = false;
    const flaky = new Proxy(repositories.runs, {
      get(target, name, receiver) {
        if (name === 'productsPage' && !failed) {
          return async () => {
            failed = true;
            throw new StoreUnavailableError('read run products: throttled', { context: { planId: plan.id, runId: first.runId } });
          };
        }
        const value = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });

    // Act: the worker's attempt throws (SQS redelivers it after a back-off of seconds), then the redelivery
    await assert.rejects(finalizeIfDone({ ...deps, run: { ...deps.run, runs: flaky } }, plan.id, first.runId, 'worker:1'), StoreUnavailableError);
    const closed = await finalizeIfDone(deps, plan.id, first.runId, 'worker:1');

    // Assess: a claim left to a dead attempt would make the redelivery answer "someone else closes it"
    // and be acknowledged, leaving the run running until the next start closed it as abandoned
    assert.equal(closed, true);
    const run = await repositories.runs.get(plan.id, first.runId);
    assert.notEqual(run?.status, 'running', 'closed (this plan has no secrets: its reserves are left for a person, `attention`)');
    assert.ok(run?.endedAt);
    await startRun(start, { planId: plan.id, trigger: 'manual' });
  });
});
