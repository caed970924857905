/**
 * A 1C base whose reserve register is shaped otherwise than the field map expects (an older
 * `Распоряжение` instead of live UT 11's `ДокументОтгрузки`): the run stops at the plan check,
 * naming the register and the dimension, before it writes anything — not half-way, at the
 * reserve read, after orders were exported.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demoBuyers, demoProducts } from '#local/demo/supplier';
import { startGoodwixSandbox, type GoodwixSandbox } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox } from '#local/onec/sandbox';
import { DEMO_PLAN_ID } from '#local/runtime/demo-plan';
import { startLocalRuntime, type LocalRuntime } from '#local/runtime/runtime';
import { startProxy, type ScriptedProxy } from '../bad-input/proxy.ts';

let onecSandbox: OneCSandbox;
let goodwixSandbox: GoodwixSandbox;
let proxy: ScriptedProxy;
let runtime: LocalRuntime;

before(async () => {
  [onecSandbox, goodwixSandbox] = await Promise.all([startOneCSandbox(), startGoodwixSandbox({ seed: 'empty' })]);
  proxy = await startProxy(onecSandbox.baseUrl);
  // The base publishes the register with the order dimension under its older name.
  proxy.rule({
    match: (r) => r.path.endsWith('/$metadata'),
    rewrite: (a) => ({ ...a, body: Buffer.from(a.body.toString('utf8').replaceAll('"ДокументОтгрузки', '"Распоряжение'), 'utf8') }),
  });
  runtime = await startLocalRuntime({
    demo: { onecBaseUrl: proxy.baseUrl, goodwixBaseUrl: goodwixSandbox.baseUrl },
    tick: false,
    logLevel: 'SILENT',
    print: () => undefined,
    tuning: { onecRetry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 50 }, goodwixMaxAttempts: 2, goodwixBackoff: { baseMs: 5, maxMs: 20 } },
  });
});

after(async () => {
  await runtime?.close();
  await proxy?.close();
  await Promise.all([onecSandbox?.close(), goodwixSandbox?.close()]);
});

describe('a run against a base whose reserve register differs', () => {
  test('ends at the plan check with a problem naming the register and the dimension, and writes nothing to 1C', async () => {
    // Prepare: an order Goodwix confirmed, ready to export
    const buyer = demoBuyers[0]!;
    const order = goodwixSandbox.actions.placeOrder({ buyerId: buyer.goodwixId, lines: [{ productId: demoProducts[0]!.goodwixId, quantity: 1 }] });
    onecSandbox.stats.reset();
    // Act
    const started = await runtime.api('POST', `/plans/${DEMO_PLAN_ID}/runs`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    await runtime.drain({ timeoutMs: 60_000 });
    const run = (await runtime.api('GET', `/plans/${DEMO_PLAN_ID}/runs/${started.body!.runId}`)).body!;
    // Assess
    const errors = (run.errors as { code: string; message: string }[]).map((e) => `${e.code} ${e.message}`);
    assert.ok(errors.length > 0, JSON.stringify(run));
    assert.ok(errors.every((e) => /^ONEC_FIELD_MAPPING 1C field map: AccumulationRegister_ТоварыКОтгрузке\/Balance\.ДокументОтгрузки(_Type)?: missing/u.test(e)), errors.join('\n'));
    assert.equal(run.counters.exported, 0);
    assert.equal(onecSandbox.stats.requests.filter((r) => r.method !== 'GET').length, 0, 'nothing written to 1C');
    assert.ok(goodwixSandbox.actions.order(order.id), 'the order is still there for the next run');
  });
});
