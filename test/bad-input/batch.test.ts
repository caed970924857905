/**
 * Bad input never costs the rest of a run: one run through the local deployment (the runtime,
 * the real handlers, DynamoDB Local, fauxqs) of ten orders, six of them hostile — a negative
 * quantity, a product and a buyer 1C does not have, windows-1251 bytes, 1C refusing the create
 * with code 1, a proxy's 502 page once — all in the same worker batches as four good ones. The
 * run closes; the good orders and the one whose trouble passed are in 1C once; the hostile ones
 * are parked, each with its reason in the run journal and on its sync record; no queue message
 * is lost to the DLQ.
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
import { json } from '#test/onec-stub';
import { editJson, htmlPage, startProxy, type ProxiedAnswer, type ScriptedProxy } from './proxy.ts';
import { checkedApi } from '#test/control-api-contract';

let onecSandbox: OneCSandbox;
let goodwixSandbox: GoodwixSandbox;
let onecProxy: ScriptedProxy;
let goodwixProxy: ScriptedProxy;
let runtime: LocalRuntime;
let onec: OneCTrade;
let sqs: SQSClient;

before(async () => {
  [onecSandbox, goodwixSandbox] = await Promise.all([startOneCSandbox({ seed: 'demo' }), startGoodwixSandbox({ seed: 'empty' })]);
  [onecProxy, goodwixProxy] = await Promise.all([startProxy(onecSandbox.baseUrl), startProxy(goodwixSandbox.baseUrl)]);
  runtime = await startLocalRuntime({
    plans: [demoPlan({ onecBaseUrl: onecProxy.baseUrl, goodwixBaseUrl: goodwixProxy.baseUrl })],
    secrets: demoSecrets(),
    tick: false,
    logLevel: 'SILENT',
    print: () => undefined,
    retryBaseSeconds: 0,
    tuning: { onecRetry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 }, goodwixMaxAttempts: 2, goodwixBackoff: { baseMs: 5, maxMs: 10 } },
  });
  onec = OneCTrade.connect({ baseUrl: onecSandbox.baseUrl, login: onecSandbox.login, password: onecSandbox.password });
  sqs = new SQSClient({ endpoint: runtime.sqsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

after(async () => {
  sqs?.destroy();
  onec?.close();
  await runtime?.close();
  await Promise.all([onecProxy?.close(), goodwixProxy?.close()]);
  await Promise.all([onecSandbox?.close(), goodwixSandbox?.close()]);
});

/** The control API; every call here expects a JSON answer. */
const api = async (method: string, path: string) => {
  const answer = await checkedApi(runtime)(method, path);
  return { status: answer.status, body: answer.body ?? {} };
};

const inDlq = (queueUrl: string) => messagesInDlq(sqs, queueUrl);

const cp1251 = (a: ProxiedAnswer): ProxiedAnswer => ({
  ...a,
  headers: { ...a.headers, 'content-type': 'application/json; charset=windows-1251' },
  body: Buffer.from([...a.body.toString('utf8')].map((ch) => {
    const c = ch.codePointAt(0)!;
    return c < 0x80 ? c : c >= 0x410 && c <= 0x44f ? c - 0x410 + 0xc0 : 0x3f;
  })),
});

describe('a run with hostile input among good orders', () => {
  test('closes; the good orders are exported once, the hostile ones parked with their reasons; nothing is lost', async () => {
    const screws = demoProducts[2]!;
    const gloves = demoProducts.find((p) => p.sku === 'PRC-HB')!;
    const place = (comment: string) => goodwixSandbox.actions.placeOrder({ buyerId: demoBuyers[0]!.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 1 }, { productId: gloves.goodwixId, quantity: 2 }], comment });
    const good = [place('хороший 1'), place('хороший 2')];
    const negative = place('отрицательное количество');
    const unknownProduct = place('товар, которого нет в 1С');
    const cyrillicCp1251 = place('Доставка до 12:00');
    const refusedBy1C = place('1С отказывает');
    const unknownBuyer = place('покупатель, которого нет в 1С');
    const proxyHiccup = place('прокси ответил 502 один раз');
    good.push(place('хороший 3'), place('хороший 4'));

    const orderGet = (id: number) => (r: { method: string; path: string }) => r.method === 'GET' && r.path.endsWith(`/orders/${id}`);
    goodwixProxy.rule({ match: orderGet(negative.id), rewrite: editJson((o) => { o.lines[0].quantity = '-1.000'; return o; }) });
    goodwixProxy.rule({ match: orderGet(unknownProduct.id), rewrite: editJson((o) => { o.lines[1].product.erp.nomenclatureId = '11111111-2222-3333-4444-555555555555'; return o; }) });
    goodwixProxy.rule({ match: orderGet(cyrillicCp1251.id), rewrite: cp1251 });
    goodwixProxy.rule({ match: orderGet(unknownBuyer.id), rewrite: editJson((o) => { Object.assign(o.buyer, { erp: null, inn: '7700000000' }); return o; }) });
    goodwixProxy.rule({ match: orderGet(proxyHiccup.id), times: 1, answer: htmlPage(502, 'Bad Gateway') });
    onecProxy.rule({
      match: (r) => r.method === 'POST' && r.path.endsWith('/Document_ЗаказКлиента') && r.body.includes(stableKey(String(refusedBy1C.id))),
      answer: json(400, { 'odata.error': { code: '1', message: { lang: 'ru', value: 'Неверное значение свойства "Соглашение_Key"' } } }),
    });

    const started = await api('POST', `/plans/${DEMO_PLAN_ID}/runs`);
    assert.equal(started.status, 202);
    await runtime.drain({ timeoutMs: 60_000 });
    const run = (await api('GET', `/plans/${DEMO_PLAN_ID}/runs/${started.body.runId}?limit=100`)).body;

    assert.equal(run.status, 'attention', `parked orders leave the run for a person to look at: ${JSON.stringify(run.errors)}`);
    assert.equal(run.counters.exported, good.length + 1, 'the good ones and the one whose trouble passed');
    assert.equal(run.counters.failed, 5);
    const outcome = new Map<string, { outcome: string; error?: { code: string; message: string } }>(run.orders.items.map((o: { orderId: string }) => [o.orderId, o]));
    const expectParked: [number, string, RegExp][] = [
      [negative.id, 'SYNC_INVALID_ORDER', /quantity -1\.000 must be greater than 0/],
      [unknownProduct.id, 'SYNC_UNMAPPED_PRODUCT', /\(арт\. PRC-HB\) has no 1C nomenclature/],
      [cyrillicCp1251.id, 'GOODWIX_BAD_RESPONSE', /not UTF-8/],
      [refusedBy1C.id, 'ONEC_BAD_REQUEST', /code 1: Неверное значение свойства "Соглашение_Key"/],
      [unknownBuyer.id, 'SYNC_UNMATCHED_BUYER', /ИНН 7700000000/],
    ];
    for (const [id, code, message] of expectParked) {
      const entry = outcome.get(String(id));
      assert.equal(entry?.outcome, 'parked', `order ${id}`);
      assert.equal(entry?.error?.code, code);
      assert.match(entry?.error?.message ?? '', message);
      const record = (await api('GET', `/plans/${DEMO_PLAN_ID}/orders/${id}`)).body;
      assert.equal(record.parked?.code, code, 'the sync record says why');
      assert.deepEqual(await onec.findOrdersByClientNumber(stableKey(String(id))), [], 'nothing half-made in 1C');
    }
    for (const order of [...good, proxyHiccup]) {
      assert.equal(outcome.get(String(order.id))?.outcome, 'exported', `order ${order.id}`);
      assert.equal((await onec.findOrdersByClientNumber(stableKey(String(order.id)))).length, 1);
      assert.ok(goodwixSandbox.actions.order(order.id).erp.number, 'Goodwix knows its 1C number');
    }
    assert.deepEqual([await inDlq(runtime.orderQueueUrl), await inDlq(runtime.runQueueUrl)], [0, 0], 'no message in a DLQ');

    // The trouble over, the next run picks the parked orders up again (they stay in the open index).
    goodwixProxy.clear();
    onecProxy.clear();
    const next = await api('POST', `/plans/${DEMO_PLAN_ID}/runs`);
    await runtime.drain({ timeoutMs: 60_000 });
    const second = (await api('GET', `/plans/${DEMO_PLAN_ID}/runs/${next.body.runId}`)).body;
    assert.equal(second.counters.exported, 5, 'every parked order exported once the input is sound');
    for (const [id] of expectParked) assert.equal((await onec.findOrdersByClientNumber(stableKey(String(id)))).length, 1);
  });
});
