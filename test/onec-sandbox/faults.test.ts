import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { basicAuth, type OneCSandbox, type OneCSandboxOptions } from '#local/onec/sandbox';
import { type Http, ORDERS, orderBody, startSandbox, type Json } from './helpers.ts';

async function fresh(t: TestContext, options: OneCSandboxOptions = {}): Promise<{ sandbox: OneCSandbox; http: Http }> {
  const s = await startSandbox(options);
  t.after(() => s.sandbox.close());
  return s;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

async function countOrders(http: Http, key: string): Promise<number> {
  const a = await http.list(ORDERS, { $filter: `НомерПоДаннымКлиента eq '${key}'`, $select: 'Ref_Key' });
  return a.json.value.length as number;
}

/** Resources of the kinds a leaked server, socket or timer would show up as. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (['TCPServerWrap', 'TCPSocketWrap', 'Timeout'].includes(r)) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

async function settlesTo(baseline: Record<string, number>): Promise<Record<string, number>> {
  let now = handles();
  for (let i = 0; i < 50; i += 1) {
    if (['TCPServerWrap', 'TCPSocketWrap', 'Timeout'].every((k) => (now[k] ?? 0) <= (baseline[k] ?? 0))) break;
    await delay(20);
    now = handles();
  }
  return now;
}

describe('1C sandbox fault injection', () => {
  test('latencyMs delays every request', async (t) => {
    // Prepare
    const { http } = await fresh(t, { faults: { latencyMs: 150 } });
    // Act
    const { ms, value } = await timed(() => http.list('Catalog_Склады'));
    // Assess
    assert.equal(value.status, 200);
    assert.ok(ms >= 140, `took ${ms} ms`);
  });

  test('a cold start delays the first request after an idle period, and requests arriving meanwhile share it', async (t) => {
    // Prepare
    const cold = 1_000;
    const { sandbox, http } = await fresh(t, { faults: { coldStartMs: cold, idleMs: 60_000 } });
    // Act
    const t0 = performance.now();
    const ends = await Promise.all([
      http.list('Catalog_Склады').then(() => performance.now() - t0),
      delay(50).then(() => http.list('Catalog_Склады')).then(() => performance.now() - t0),
    ]);
    const warm = await timed(() => http.list('Catalog_Склады'));
    sandbox.faults.set({ idleMs: 50 });
    await delay(120);
    const afterIdle = await timed(() => http.list('Catalog_Склады'));
    // Assess: both early requests end after the one start; a warm one does not wait for it
    assert.ok(ends[0]! >= cold - 10, `first ended at ${ends[0]} ms`);
    assert.ok(ends[1]! >= cold - 10, `concurrent ended at ${ends[1]} ms`);
    assert.ok(warm.ms < cold, `warm took ${warm.ms} ms`);
    assert.ok(afterIdle.ms >= cold - 10, `after idle took ${afterIdle.ms} ms`);
    assert.equal(afterIdle.value.status, 200);
  });

  test('errorRate answers 500 -1 before doing anything, reproducibly for a seed', async (t) => {
    // Prepare
    const { sandbox, http } = await fresh(t, { faults: { errorRate: 0.5, seed: 42 } });
    const run = async (): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < 20; i += 1) out.push((await http.list('Catalog_Склады')).status);
      return out;
    };
    // Act
    const a = await run();
    sandbox.faults.set({ seed: 42 });
    const b = await run();
    const failed = await (async () => {
      sandbox.faults.set({ errorRate: 1 });
      return http.list('Catalog_Склады');
    })();
    // Assess
    assert.deepEqual(a, b);
    assert.ok(a.includes(500) && a.includes(200), a.join(','));
    assert.equal(failed.json['odata.error'].code, '-1');
  });

  test('failNext fails exactly the next matching requests, and nothing is written', async (t) => {
    // Prepare
    const { sandbox, http } = await fresh(t);
    sandbox.faults.set({ failNext: 2, match: { method: 'POST', entitySet: ORDERS } });
    // Act
    const read = await http.list(ORDERS, { $top: 1 });
    const first = await http.post(`${ORDERS}?$format=json`, orderBody([{}], { НомерПоДаннымКлиента: 'F-1' }));
    const second = await http.post(`${ORDERS}?$format=json`, orderBody([{}], { НомерПоДаннымКлиента: 'F-1' }));
    const third = await http.post(`${ORDERS}?$format=json`, orderBody([{}], { НомерПоДаннымКлиента: 'F-1' }));
    // Assess
    assert.equal(read.status, 200);
    assert.deepEqual([first.status, second.status, third.status], [500, 500, 201]);
    assert.equal(first.json['odata.error'].code, '-1');
    assert.equal(await countOrders(http, 'F-1'), 1);
    assert.equal(sandbox.faults.current.failNext, 0);
    assert.equal(sandbox.stats.requests.filter((r) => r.fault === 'error').length, 2);
  });

  test('a predicate chooses precisely which requests fail', async (t) => {
    // Prepare
    const { sandbox, http } = await fresh(t);
    const created = await http.create(ORDERS, orderBody());
    sandbox.faults.set({ errorRate: 1, match: (r) => r.action === 'Post' });
    // Act
    const post = await http.postDoc(ORDERS, created.Ref_Key);
    const read = await http.get(`${ORDERS}(guid'${created.Ref_Key}')?$format=json`);
    // Assess
    assert.equal(post.status, 500);
    assert.equal(read.status, 200);
    assert.equal(read.json.Posted, false);
  });

  test('hangNext accepts a request and never answers it', async (t) => {
    // Prepare
    const { sandbox, http } = await fresh(t);
    sandbox.faults.set({ hangNext: 1 });
    // Act
    const hung = await fetch(`${sandbox.baseUrl}Catalog_Склады?$format=json`, {
      headers: { authorization: basicAuth(sandbox.login, sandbox.password) }, signal: AbortSignal.timeout(300),
    }).then(() => 'answered', (e: Error) => e.name);
    const next = await http.list('Catalog_Склады');
    // Assess
    assert.equal(hung, 'TimeoutError');
    assert.equal(next.status, 200);
    assert.deepEqual(sandbox.stats.requests.filter((r) => r.fault === 'hang').map((r) => r.status), [0]);
  });

  test('hangRate = 1 hangs every matching request', async (t) => {
    // Prepare
    const { sandbox, http } = await fresh(t);
    sandbox.faults.set({ hangRate: 1, match: { entitySet: 'Catalog_Валюты' } });
    // Act
    const hung = await fetch(`${sandbox.baseUrl}Catalog_Валюты?$format=json`, {
      headers: { authorization: basicAuth(sandbox.login, sandbox.password) }, signal: AbortSignal.timeout(200),
    }).then(() => 'answered', (e: Error) => e.name);
    const other = await http.list('Catalog_Склады');
    // Assess
    assert.equal(hung, 'TimeoutError');
    assert.equal(other.status, 200);
  });

  test('a lost response commits the write and drops the connection without an answer', async (t) => {
    // Prepare
    const { sandbox, http } = await fresh(t);
    sandbox.faults.set({ loseNextResponses: 1, match: { method: 'POST', entitySet: ORDERS } });
    // Act
    const outcome = await http.post(`${ORDERS}?$format=json`, orderBody([{}], { НомерПоДаннымКлиента: 'L-1' })).then(() => 'answered', (e: Error) => e.name);
    const created = await countOrders(http, 'L-1');
    // Assess
    assert.equal(outcome, 'TypeError'); // fetch failed: the other side closed
    assert.equal(created, 1);
    assert.deepEqual(sandbox.stats.requests.filter((r) => r.fault === 'lost').map((r) => [r.method, r.entitySet, r.status]), [['POST', ORDERS, 0]]);
  });

  test('a lost Post still posts the document', async (t) => {
    // Prepare
    const { sandbox, http } = await fresh(t);
    const created = await http.create(ORDERS, orderBody());
    sandbox.faults.set({ lostResponseRate: 1, match: { action: 'Post' } });
    // Act
    const outcome = await http.postDoc(ORDERS, created.Ref_Key).then(() => 'answered', (e: Error) => e.name);
    // Assess
    assert.equal(outcome, 'TypeError');
    assert.equal((await http.read(ORDERS, created.Ref_Key)).Posted, true);
  });

  test('faults can be read, changed at run time and reset to the start options', async (t) => {
    // Prepare
    const { sandbox } = await fresh(t, { faults: { latencyMs: 5, seed: 7 } });
    // Act
    sandbox.faults.set({ errorRate: 0.25, hangNext: 3 });
    const changed = sandbox.faults.current;
    sandbox.faults.reset();
    const reset = sandbox.faults.current;
    // Assess
    assert.deepEqual([changed.latencyMs, changed.errorRate, changed.hangNext, changed.seed], [5, 0.25, 3, 7]);
    assert.deepEqual([reset.latencyMs, reset.errorRate, reset.hangNext, reset.seed], [5, 0, 0, 7]);
    assert.throws(() => sandbox.faults.set({ errorRate: 2 }), RangeError);
    assert.throws(() => sandbox.faults.set({ latencyMs: -1 }), RangeError);
  });

  test('stats count requests by method and entity set, and reset', async (t) => {
    // Prepare
    const { sandbox, http } = await fresh(t);
    // Act
    await http.list('Catalog_Склады');
    await http.list('Catalog_Склады');
    await http.create(ORDERS, orderBody());
    const counts = [sandbox.stats.count(), sandbox.stats.count({ entitySet: 'Catalog_Склады' }), sandbox.stats.count({ method: 'post', entitySet: ORDERS })];
    const last = sandbox.stats.requests.at(-1)!;
    sandbox.stats.reset();
    // Assess
    assert.deepEqual(counts, [3, 2, 1]);
    assert.deepEqual([last.method, last.path, last.entitySet, last.status], ['POST', ORDERS, ORDERS, 201]);
    assert.equal(sandbox.stats.count(), 0);
  });

  test('close() with a hanging request and a pending latency timer leaves no server, socket or timer behind', async () => {
    // Prepare
    const baseline = handles();
    const { sandbox } = await startSandbox();
    sandbox.faults.set({ hangNext: 1 });
    const hanging = fetch(`${sandbox.baseUrl}Catalog_Склады?$format=json`, { headers: { authorization: basicAuth(sandbox.login, sandbox.password) } })
      .then(() => 'answered', (e: Error) => e.name);
    while (sandbox.stats.count() < 1) await delay(5);
    sandbox.faults.set({ latencyMs: 60_000 });
    const slow = fetch(`${sandbox.baseUrl}Catalog_Склады?$format=json`, { headers: { authorization: basicAuth(sandbox.login, sandbox.password) } })
      .then(() => 'answered', (e: Error) => e.name);
    while (sandbox.stats.count() < 2) await delay(5);
    // Act
    const { ms } = await timed(() => sandbox.close());
    const outcomes = await Promise.all([hanging, slow]);
    const refused = await fetch(`${sandbox.baseUrl}Catalog_Склады?$format=json`).then(() => 'answered', (e: Error) => e.name);
    const left = await settlesTo(baseline);
    // Assess
    assert.ok(ms < 5_000, `close took ${ms} ms`);
    assert.deepEqual(outcomes, ['TypeError', 'TypeError']);
    assert.equal(refused, 'TypeError');
    for (const k of ['TCPServerWrap', 'TCPSocketWrap', 'Timeout']) assert.ok((left[k] ?? 0) <= (baseline[k] ?? 0), `${k}: ${JSON.stringify(left)} vs ${JSON.stringify(baseline)}`);
  });
});

describe('1C sandbox fault controls over HTTP', () => {
  const control = (sandbox: OneCSandbox, method: string, body?: unknown): Promise<{ status: number; json: Json }> => {
    const root = new URL('/_sandbox/faults', sandbox.baseUrl);
    return fetch(root, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) })
      .then(async (r) => ({ status: r.status, json: (await r.json()) as Json }));
  };

  test('PATCH /_sandbox/faults at the server root takes what faults.set takes: a lost create commits the order', async (t) => {
    // Prepare
    const { sandbox, http } = await fresh(t);
    const patched = await control(sandbox, 'PATCH', { loseNextResponses: 1, match: { method: 'POST', entitySet: ORDERS } });
    // Act
    const outcome = await http.post(`${ORDERS}?$format=json`, orderBody([{}], { НомерПоДаннымКлиента: 'H-1' })).then(() => 'answered', (e: Error) => e.name);
    const after = await control(sandbox, 'GET');
    // Assess
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.json.match, { method: 'POST', entitySet: ORDERS });
    assert.equal(patched.json.loseNextResponses, 1);
    assert.equal(outcome, 'TypeError');
    assert.equal(await countOrders(http, 'H-1'), 1);
    assert.equal(after.json.loseNextResponses, 0);
  });

  test('GET answers the current settings, DELETE resets them, and the control itself is never faulted', async (t) => {
    // Prepare
    const { sandbox, http } = await fresh(t);
    await control(sandbox, 'PATCH', { failNext: 5, latencyMs: 0 });
    // Act
    const read = await control(sandbox, 'GET');
    const reset = await control(sandbox, 'DELETE');
    const served = await http.list('Catalog_Склады');
    // Assess
    assert.equal(read.status, 200);
    assert.equal(read.json.failNext, 5);
    assert.equal(reset.status, 200);
    assert.equal(reset.json.failNext, 0);
    assert.equal(reset.json.match, null);
    assert.equal(served.status, 200);
    assert.equal(sandbox.stats.requests.filter((r) => r.path.includes('_sandbox')).length, 0);
  });

  test('a bad setting is refused with 400 naming the field, and nothing changes', async (t) => {
    // Prepare
    const { sandbox } = await fresh(t);
    // Act
    const rate = await control(sandbox, 'PATCH', { errorRate: 2 });
    const unknown = await control(sandbox, 'PATCH', { loseNext: 1 });
    const post = await control(sandbox, 'POST', {});
    // Assess
    assert.equal(rate.status, 400);
    assert.equal(rate.json.error.field, 'errorRate');
    assert.equal(unknown.status, 400);
    assert.match(unknown.json.error.message, /loseNext/);
    assert.equal(post.status, 405);
    assert.equal(sandbox.faults.current.errorRate, 0);
  });
});
