import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demoBuyers, demoProducts } from '#local/demo/supplier';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { DEMO_PLAN_ID, demoSecretRefs } from '#local/runtime/demo-plan';
import { startLocalRuntime, type LocalRuntime } from '#local/runtime/runtime';

let onecSandbox: OneCSandbox;
let goodwixSandbox: GoodwixSandbox;
let runtime: LocalRuntime;
/** Set by a test: the next worker invocation first rotates both passwords (in the middle of a run). */
let rotateBeforeNextWorker: (() => void) | null = null;

before(async () => {
  [onecSandbox, goodwixSandbox] = await Promise.all([startOneCSandbox({ seed: 'demo' }), startGoodwixSandbox({ seed: 'empty' })]);
  runtime = await startLocalRuntime({
    demo: { onecBaseUrl: onecSandbox.baseUrl, goodwixBaseUrl: goodwixSandbox.baseUrl },
    tick: false,
    logLevel: 'SILENT',
    print: () => undefined,
    workerBatchSize: 1,
    tuning: { onecRetry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 }, goodwixMaxAttempts: 3, goodwixBackoff: { baseMs: 5, maxMs: 20 } },
    testHooks: {
      invocation: (name, handler) => async (event, context) => {
        if (name === 'worker' && rotateBeforeNextWorker) {
          const rotate = rotateBeforeNextWorker;
          rotateBeforeNextWorker = null;
          rotate();
        }
        return handler(event, context);
      },
    },
  });
});

after(async () => {
  await runtime?.close();
  await Promise.all([onecSandbox?.close(), goodwixSandbox?.close()]);
});

const api = (method: string, path: string, body?: unknown) => runtime.api(method, path, body);

async function exchange() {
  const started = await api('POST', `/plans/${DEMO_PLAN_ID}/runs`);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  await runtime.drain({ timeoutMs: 60_000 });
  return (await api('GET', `/plans/${DEMO_PLAN_ID}/runs/${started.body!.runId}`)).body!;
}

const [drill, , screws] = demoProducts;
const [headOffice] = demoBuyers;
const placeOrder = (productId: number, quantity: number) =>
  goodwixSandbox.actions.placeOrder({ buyerId: headOffice!.goodwixId, lines: [{ productId, quantity }] }).id;

describe('secrets rotated while the exchange runs', () => {
  test('both passwords changed in the middle of a run: the workers pick up the new ones and no order parks', async () => {
    // A first run: the collector's and the workers' clients are built with the first passwords.
    placeOrder(drill!.goodwixId, 1);
    const first = await exchange();
    assert.equal(first.status, 'completed', JSON.stringify(first.errors));
    assert.equal(first.counters.exported, 1);

    const orders = [placeOrder(drill!.goodwixId, 2), placeOrder(screws!.goodwixId, 3)];
    rotateBeforeNextWorker = () => {
      // An administrator changes both passwords, and the operator updates both secrets.
      onecSandbox.setPassword(onecSandbox.login, 'rotated-1c-password');
      goodwixSandbox.actions.changePassword('rotated-goodwix-password');
      runtime.secrets.set(demoSecretRefs.oneCCredentials, { login: onecSandbox.login, password: 'rotated-1c-password' });
      runtime.secrets.set(demoSecretRefs.goodwixPassword, 'rotated-goodwix-password');
    };

    const second = await exchange();

    assert.equal(rotateBeforeNextWorker, null, 'the passwords were rotated after the collection, before the orders');
    const outcomes = second.orders.items.map((o: { orderId: string; outcome: string; error?: { code: string } }) => [o.orderId, o.outcome, o.error?.code ?? null]);
    assert.deepEqual(outcomes.sort(), orders.map((id) => [String(id), 'exported', null]).sort());
    assert.equal(second.counters.failed, 0);
    assert.equal(second.status, 'completed', JSON.stringify(second.errors));
    for (const id of orders) assert.equal((await api('GET', `/plans/${DEMO_PLAN_ID}/orders/${id}`)).body!.parked, null);
  });

  test("the 1C password alone changed in the middle of a run: 1C's 401 brings the new one and no order parks", async () => {
    const order = placeOrder(screws!.goodwixId, 4);
    rotateBeforeNextWorker = () => {
      onecSandbox.setPassword(onecSandbox.login, 'rotated-again-1c-password');
      runtime.secrets.set(demoSecretRefs.oneCCredentials, { login: onecSandbox.login, password: 'rotated-again-1c-password' });
    };

    const run = await exchange();

    assert.equal(rotateBeforeNextWorker, null);
    assert.deepEqual(run.orders.items.map((o: { orderId: string; outcome: string }) => [o.orderId, o.outcome]), [[String(order), 'exported']]);
    assert.equal(run.counters.failed, 0);
    assert.equal(run.status, 'completed', JSON.stringify(run.errors));
  });
});
