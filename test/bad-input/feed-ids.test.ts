/**
 * A Goodwix change feed that lists an item whose id is no Goodwix order id (-1, 0) among good
 * orders: through the local deployment (the runtime, the real handlers, DynamoDB Local, fauxqs)
 * with a scripted proxy in front of the Goodwix sandbox that adds the two items to the feed's
 * page. The worker refuses an order message with a negative id, so such an item registered and
 * queued would sit in the DLQ with the run waiting for it forever, and the cursor never moving,
 * every later run meeting it again (an id of 0 was parked on Goodwix's 400). What must hold: the
 * bad items are run problems naming them and why, never registered or queued; the good orders
 * of the same page are exchanged; the run closes; the next run reads the feed from past that page.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SQSClient } from '@aws-sdk/client-sqs';
import { messagesInDlq } from '#test/sqs';
import { demoBuyers, demoProducts } from '#local/demo/supplier';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { DEMO_PLAN_ID, demoPlan, demoSecrets } from '#local/runtime/demo-plan';
import { startLocalRuntime, type LocalRuntime } from '#local/runtime/runtime';
import { OneCTrade } from '#onec/trade';
import { stableKey } from '#sync/order-keys';
import { checkedApi } from '#test/control-api-contract';
import { editJson, startProxy, type ScriptedProxy } from './proxy.ts';

let onecSandbox: OneCSandbox;
let goodwixSandbox: GoodwixSandbox;
let goodwixProxy: ScriptedProxy;
let runtime: LocalRuntime;
let onec: OneCTrade;
let sqs: SQSClient;

before(async () => {
  [onecSandbox, goodwixSandbox] = await Promise.all([startOneCSandbox({ seed: 'demo' }), startGoodwixSandbox({ seed: 'empty' })]);
  goodwixProxy = await startProxy(goodwixSandbox.baseUrl);
  runtime = await startLocalRuntime({
    plans: [demoPlan({ onecBaseUrl: onecSandbox.baseUrl, goodwixBaseUrl: goodwixProxy.baseUrl })],
    secrets: demoSecrets(),
    tick: false,
    logLevel: 'SILENT',
    print: () => undefined,
    retryBaseSeconds: 0,
    // A message the worker refuses comes back soon and reaches the DLQ within seconds, not minutes.
    visibilityTimeoutSeconds: 3,
    // A collection that failed and is retried comes back within seconds too.
    runQueueVisibilityTimeoutSeconds: 5,
    tuning: { onecRetry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 }, goodwixMaxAttempts: 2, goodwixBackoff: { baseMs: 5, maxMs: 10 } },
  });
  onec = OneCTrade.connect({ baseUrl: onecSandbox.baseUrl, login: onecSandbox.login, password: onecSandbox.password });
  sqs = new SQSClient({ endpoint: runtime.sqsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

after(async () => {
  sqs?.destroy();
  onec?.close();
  await runtime?.close();
  await goodwixProxy?.close();
  await Promise.all([onecSandbox?.close(), goodwixSandbox?.close()]);
});

const api = async (method: string, path: string) => {
  const answer = await checkedApi(runtime)(method, path);
  return { status: answer.status, body: answer.body ?? {} };
};

const inDlq = (queueUrl: string) => messagesInDlq(sqs, queueUrl);

/** A manual run, waited for until both queues are quiet; the run's journal. */
async function exchange(): Promise<Record<string, any>> {
  const started = await api('POST', `/plans/${DEMO_PLAN_ID}/runs`);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  await runtime.drain({ timeoutMs: 60_000 });
  return (await api('GET', `/plans/${DEMO_PLAN_ID}/runs/${started.body.runId}?limit=100`)).body;
}

const isFeed = (r: { method: string; path: string }) => r.method === 'GET' && r.path.endsWith('/orders');
/** The URLs of the feed requests from now on (the proxy passes them through). */
function recordFeedUrls(): string[] {
  const urls: string[] = [];
  goodwixProxy.rule({
    match: (r) => {
      if (isFeed(r)) urls.push(r.url);
      return false;
    },
  });
  return urls;
}
const screws = demoProducts[2]!;
const place = (comment: string) => goodwixSandbox.actions.placeOrder({ buyerId: demoBuyers[0]!.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 1 }], comment });

describe('a feed item whose id is not a Goodwix order id', () => {
  test('is a run problem naming it, never queued; the good orders of its page are exchanged, the run closes and the cursor moves past it', async () => {
    // Prepare: two good orders; the feed's page answers two more items, copies of a good one with
    // ids -1 (first on the page) and 0 (last), as a Goodwix bug might.
    const good = [place('хороший 1'), place('хороший 2')];
    const feedUrls = recordFeedUrls();
    let pageCursor: string | undefined;
    goodwixProxy.rule({
      match: isFeed,
      times: 1,
      rewrite: editJson((page) => {
        const [first] = page.items;
        page.items.unshift({ ...structuredClone(first), id: -1 });
        page.items.push({ ...structuredClone(first), id: 0 });
        pageCursor = page.nextCursor;
        return page;
      }),
    });

    // Act
    const run = await exchange();

    // Assess
    assert.notEqual(run.status, 'running', `the run closes: ${JSON.stringify({ orders: run.orders.items, errors: run.errors })}`);
    const queued = (run.orders.items as { orderId: string }[]).map((o) => o.orderId).sort();
    assert.deepEqual(queued, good.map((o) => String(o.id)).sort(), 'only the good orders are registered on the run');
    assert.equal(run.status, 'attention', 'an order left out of the exchange is work for a person');
    assert.equal(run.counters.exported, good.length, JSON.stringify(run.errors));
    for (const bad of [-1, 0]) {
      const problem = (run.errors as { code: string; subject?: string; message: string }[]).find((p) => p.subject === `Goodwix feed item ${bad}`);
      assert.equal(problem?.code, 'GOODWIX_FEED_ITEM_INVALID', `a problem names item ${bad}: ${JSON.stringify(run.errors)}`);
      assert.match(problem.message, new RegExp(`^Goodwix feed item ${bad} \\(order № \\S+, version \\d+\\): ${bad} is not a Goodwix order id`));
    }
    for (const order of good) {
      assert.equal((await onec.findOrdersByClientNumber(stableKey(String(order.id)))).length, 1, `order ${order.id} is in 1C once`);
    }
    for (const bad of ['-1', '0']) assert.deepEqual(await onec.findOrdersByClientNumber(stableKey(bad)), [], `nothing for ${bad} in 1C`);
    assert.deepEqual([await inDlq(runtime.orderQueueUrl), await inDlq(runtime.runQueueUrl)], [0, 0], 'no message in a DLQ');

    // The next run reads the feed from past that page, and the plan goes on.
    const later = place('хороший 3');
    feedUrls.length = 0;
    const next = await exchange();
    assert.equal(next.status, 'completed', JSON.stringify(next.errors));
    assert.deepEqual((next.orders.items as { orderId: string }[]).map((o) => o.orderId), [String(later.id)]);
    assert.ok(pageCursor);
    assert.equal(new URL(feedUrls[0]!, 'http://x').searchParams.get('cursor'), pageCursor, 'the cursor moved past the page with the bad items');
  });

  test('is reported once when the collection is retried after reading its page', async () => {
    // Prepare: a good order and a bad item on the page; 1C fails the read of the open orders,
    // which comes after the feed, on both of the client's attempts, so the collection is retried
    // and reads the page again.
    const good = place('хороший 4');
    goodwixProxy.clear();
    const feedUrls = recordFeedUrls();
    goodwixProxy.rule({
      match: isFeed,
      times: 2,
      rewrite: editJson((page) => {
        page.items.push({ ...structuredClone(page.items[0]), id: -5 });
        return page;
      }),
    });
    onecSandbox.faults.set({ failNext: 2, match: { method: 'GET', entitySet: 'Document_ЗаказКлиента' } });

    // Act
    const run = await exchange();

    // Assess
    onecSandbox.faults.reset();
    assert.equal(feedUrls.length, 2, 'the collection read the page twice');
    assert.equal(run.status, 'attention', JSON.stringify(run.errors));
    assert.deepEqual((run.errors as { subject?: string }[]).map((p) => p.subject), ['Goodwix feed item -5'], 'named once');
    assert.equal(run.errorCount, 1);
    assert.equal(run.counters.failed, 1, 'counted once');
    assert.equal(run.counters.exported, 1);
    assert.equal((await onec.findOrdersByClientNumber(stableKey(String(good.id)))).length, 1);
  });
});
