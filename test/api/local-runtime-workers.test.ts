import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { DEMO_PLAN_ID } from '#local/runtime/demo-plan';
import { startLocalRuntime, type LocalRuntime } from '#local/runtime/runtime';
import { checkedApi } from '#test/control-api-contract';

/**
 * A pass-through proxy in front of the 1C sandbox that knows how many requests about customer
 * orders (what workers ask; the collector's plan check reads only catalogs) are open at once.
 */
async function concurrencyProxy(target: URL): Promise<{ server: Server; baseUrl: string; maxOpen: () => number }> {
  let open = 0;
  let max = 0;
  const server = createServer((req, res) => {
    const counted = decodeURIComponent(req.url ?? '').includes('Document_ЗаказКлиента');
    if (counted) max = Math.max(max, ++open);
    const done = () => { if (counted) open -= 1; };
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('end', done);
    });
    upstream.on('error', () => {
      done();
      res.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, baseUrl: `http://127.0.0.1:${port}${target.pathname}`, maxOpen: () => max };
}

let onec: OneCSandbox;
let goodwix: GoodwixSandbox;
let proxy: Awaited<ReturnType<typeof concurrencyProxy>>;
let runtime: LocalRuntime;

before(async () => {
  [onec, goodwix] = await Promise.all([startOneCSandbox({ seed: 'demo', stockScale: 10 }), startGoodwixSandbox({ seed: 'empty' })]);
  proxy = await concurrencyProxy(new URL(onec.baseUrl));
  runtime = await startLocalRuntime({
    demo: { onecBaseUrl: proxy.baseUrl, goodwixBaseUrl: goodwix.baseUrl },
    tick: false,
    logLevel: 'SILENT',
    print: () => undefined,
    workerConcurrency: 3,
    workerBatchSize: 1,
  });
});

after(async () => {
  await runtime?.close();
  await new Promise<void>((resolve) => (proxy ? proxy.server.close(() => resolve()) : resolve()));
  proxy?.server.closeAllConnections();
  await Promise.all([onec?.close(), goodwix?.close()]);
});

describe('local runtime: worker invocations at once (workerConcurrency)', () => {
  test('refuses a concurrency that is not a positive integer before starting anything', async () => {
    await assert.rejects(startLocalRuntime({ workerConcurrency: 0 }), RangeError);
    await assert.rejects(startLocalRuntime({ workerConcurrency: 1.5 }), RangeError);
  });

  test('polls the order queue with several loops, so different orders reach 1C at once, each exported once', async () => {
    // Prepare: 1C slow enough that one order's requests overlap another's
    const { firstId, lastId } = goodwix.actions.createOrders({ count: 6, confirmed: true });
    onec.faults.set({ latencyMs: 100 });
    // Act
    const started = await checkedApi(runtime)('POST', `/plans/${DEMO_PLAN_ID}/runs`);
    assert.equal(started.status, 202);
    await runtime.drain({ timeoutMs: 60_000 });
    const run = (await checkedApi(runtime)('GET', `/plans/${DEMO_PLAN_ID}/runs/${started.body!.runId}`)).body!;
    // Assess
    assert.equal(run.status, 'completed');
    assert.equal(run.counters.exported, lastId - firstId + 1);
    assert.ok(proxy.maxOpen() >= 2, `1C saw at most ${proxy.maxOpen()} order request(s) at once`);
    assert.ok(proxy.maxOpen() <= 3, `1C saw ${proxy.maxOpen()} order requests at once from 3 worker invocations`);
    const creates = onec.stats.requests.filter((r) => r.method === 'POST' && r.path === 'Document_ЗаказКлиента' && r.status === 201);
    assert.equal(creates.length, 6, 'one 1C order per Goodwix order');
  });
});
