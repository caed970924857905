/**
 * Protocol edge cases of the 1C client that the faithful 1C sandbox does not produce (proxy
 * pages, Retry-After, a 200 carrying 1C's error, cut bodies), against a scripted local server.
 * The client's behaviour against 1C itself is tested against the sandbox (client.test.ts).
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OneCClient, type OneCClientOptions } from '#onec/client';
import {
  OneCAuthError, OneCBusinessError, OneCInvalidResponseError, OneCNetworkError, OneCOutcomeUnknownError,
  OneCTimeoutError, OneCUnavailableError,
} from '#onec/errors';
import { eq } from '#onec/filter';
import { drop, fakeClock, hang, json, startOneCStub, text, type OneCStub } from '#test/onec-stub';

const PASSWORD = 'пароль-Secret';
let stub: OneCStub;

before(async () => { stub = await startOneCStub(); });
after(async () => { await stub.close(); });
beforeEach(() => stub.reset());

function client(options: Partial<OneCClientOptions> = {}) {
  const clock = fakeClock();
  const c = new OneCClient({
    baseUrl: stub.baseUrl, login: 'Обмен', password: PASSWORD, clock,
    requestTimeoutMs: 300, coldStartTimeoutMs: 300, retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 },
    ...options,
  });
  return { c, clock };
}

const HTML_502 = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>';
const order = { Ref_Key: '8d1d7287-6240-11f1-9296-08002761f3c5', Number: '1' };

describe('1C client protocol', () => {
  test('sends Basic auth of the UTF-8 login, $format=json, and never the data-load-mode header', async () => {
    // Prepare
    const { c } = client();
    stub.script(json(200, { value: [] }));
    // Act
    await c.list('Document_ЗаказКлиента', { filter: eq('НомерПоДаннымКлиента', 'GW-1') });
    // Assess
    const [req] = stub.requests;
    assert.equal(req!.headers.authorization, `Basic ${Buffer.from(`Обмен:${PASSWORD}`, 'utf8').toString('base64')}`);
    assert.match(req!.url, /^\/trade\/odata\/standard\.odata\/Document_%D0%97.*\?\$format=json&\$filter=/);
    assert.equal(req!.headers['1c_odata_dataloadmode'], undefined);
    c.close();
  });

  test("a proxy's HTML page is retried for reads and ends in an error naming the URL, status and content type", async () => {
    // Prepare
    const { c, clock } = client();
    stub.script(text(502, 'text/html', HTML_502), text(502, 'text/html', HTML_502), text(502, 'text/html', HTML_502));
    // Act / Assess
    await assert.rejects(c.getByKey('Catalog_Склады', order.Ref_Key), (error: unknown) => {
      assert.ok(error instanceof OneCInvalidResponseError);
      assert.equal(error.retryable, true);
      assert.match(error.message, /502 text\/html/);
      assert.match(error.message, /Catalog_Склады\(guid'8d1d7287/);
      assert.match(error.message, /http:\/\/127\.0\.0\.1:\d+\/trade\/odata\/standard\.odata\//);
      return true;
    });
    assert.equal(stub.requests.length, 3);
    assert.equal(clock.sleeps.length, 2);
    c.close();
  });

  test('an HTML 404 (a wrong base URL) is permanent and not retried', async () => {
    const { c } = client();
    stub.script(text(404, 'text/html; charset=utf-8', '<html>Not Found</html>'));
    await assert.rejects(c.list('Catalog_Склады'), (e: unknown) => e instanceof OneCInvalidResponseError && !e.retryable && /404/.test(e.message));
    assert.equal(stub.requests.length, 1);
    c.close();
  });

  test('backs off exponentially with jitter between attempts, honouring Retry-After', async () => {
    // Prepare: jitter source fixed at 0.5 → each wait is 3/4 of its cap
    const { c, clock } = client({ retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 } });
    stub.script(json(503, {}), json(500, {}), json(503, {}, { 'Retry-After': '0.9' }), json(200, { value: [{ a: 1 }] }));
    // Act
    const page = await c.list('Catalog_Склады');
    // Assess
    assert.equal(page.value.length, 1);
    assert.deepEqual(clock.sleeps, [75, 150, 900]);
    c.close();
  });

  test('a 200 that carries 1C\'s error body is that error', async () => {
    const { c } = client();
    stub.script(json(200, { 'odata.error': { code: '-1', message: { lang: 'ru', value: 'Ошибка при записи' } } }));
    await assert.rejects(c.update('Document_ЗаказКлиента', order.Ref_Key, {}), (e: unknown) => e instanceof OneCBusinessError && e.oneCMessage === 'Ошибка при записи');
    c.close();
  });

  test('401 is an auth error that never shows the password', async () => {
    const { c } = client();
    stub.script(text(401, 'text/html', `<html>Unauthorized ${PASSWORD}</html>`, { 'WWW-Authenticate': 'Basic realm="1C"' }));
    await assert.rejects(c.list('Catalog_Склады'), (e: unknown) => {
      assert.ok(e instanceof OneCAuthError);
      assert.equal(e.retryable, false);
      assert.doesNotMatch(JSON.stringify({ m: e.message, j: e.toJSON() }), new RegExp(PASSWORD));
      assert.doesNotMatch(e.message, /Basic /);
      return true;
    });
    assert.equal(stub.requests.length, 1);
    c.close();
  });

  test('a non-JSON error body is redacted of the password', async () => {
    const { c } = client({ retry: { attempts: 1 } });
    stub.script(text(500, 'text/plain', `boom ${PASSWORD}`));
    await assert.rejects(c.list('Catalog_Склады'), (e: unknown) => e instanceof OneCInvalidResponseError && !e.message.includes(PASSWORD));
    c.close();
  });

  test('the first request after idle gets the cold-start budget, later ones the normal one', async () => {
    // Prepare: 1C answers in 150 ms; normal budget 50 ms, cold budget 1 s
    const { c, clock } = client({ requestTimeoutMs: 50, coldStartTimeoutMs: 1000, idleAfterMs: 60_000, retry: { attempts: 1 } });
    const slow = (ms: number) => (_req: unknown, res: http.ServerResponse) => { setTimeout(() => json(200, { value: [] })(_req as never, res), ms); };
    stub.script(slow(150), slow(150), slow(150));
    // Act / Assess: cold first call succeeds within the long budget
    await c.list('Catalog_Склады');
    // warm call: the normal budget applies and 150 ms is too slow
    await assert.rejects(c.list('Catalog_Склады'), OneCTimeoutError);
    // idle again: the long budget is back
    clock.advance(61_000);
    await c.list('Catalog_Склады');
    c.close();
  });

  test('after a timeout the next attempt gets the cold-start budget', async () => {
    const { c } = client({ requestTimeoutMs: 50, coldStartTimeoutMs: 1000, retry: { attempts: 2, baseDelayMs: 1 } });
    stub.script(json(200, { value: [] }));
    await c.list('Catalog_Склады'); // warm up
    stub.reset();
    const slow = (_req: unknown, res: http.ServerResponse) => { setTimeout(() => json(200, { value: [] })(_req as never, res), 150); };
    stub.script(slow, slow);
    await c.list('Catalog_Склады');
    assert.equal(stub.requests.length, 2);
    c.close();
  });

  test('reads survive a dropped connection by retrying', async () => {
    const { c } = client();
    stub.script(drop, json(200, { value: [{ x: 1 }] }));
    assert.equal((await c.list('Catalog_Склады')).value.length, 1);
    c.close();
  });

  test('reads the $inlinecount count sent as a string and pages with $top/$skip', async () => {
    // Prepare
    const { c } = client({ pageSize: 2 });
    stub.script(json(200, { 'odata.count': '5', value: [1, 2] }));
    // Act
    const counted = await c.list('Catalog_Склады', { top: 2, inlinecount: true });
    stub.reset();
    stub.script(json(200, { value: [1, 2] }), json(200, { value: [3, 4] }), json(200, { value: [5] }));
    const all: unknown[] = [];
    for await (const x of c.iterate('Catalog_Склады')) all.push(x);
    // Assess
    assert.equal(counted.count, 5);
    assert.deepEqual(all, [1, 2, 3, 4, 5]);
    assert.deepEqual(stub.requests.map((r) => new URL(r.url, 'http://x').searchParams.get('$skip')), ['0', '2', '4']);
    assert.ok(stub.requests.every((r) => new URL(r.url, 'http://x').searchParams.get('$orderby') === 'Ref_Key'));
    c.close();
  });

  test('fetches $metadata once per client and retries a failed fetch on the next call', async () => {
    // Prepare
    const { c } = client({ retry: { attempts: 1 } });
    const csdl = '<edmx:Edmx><edmx:DataServices><Schema Namespace="StandardODATA"><EntityType Name="Catalog_A"><Property Name="Ref_Key" Type="Edm.Guid"/></EntityType></Schema></edmx:DataServices></edmx:Edmx>';
    stub.script(json(503, {}), text(200, 'application/xml', csdl));
    // Act / Assess
    await assert.rejects(c.metadata(), OneCUnavailableError);
    const [a, b] = await Promise.all([c.metadata(), c.metadata()]);
    assert.equal(a, b);
    assert.equal((await c.metadata()).entityTypes.get('Catalog_A')?.properties.get('Ref_Key')?.type, 'Edm.Guid');
    assert.equal(stub.requests.length, 2);
    assert.ok(stub.requests.every((r) => r.url.endsWith('/$metadata')));
    c.close();
  });
});

describe('1C client creates', () => {
  const cases: [string, Parameters<OneCStub['script']>[0]][] = [
    ['a proxy 502 page', text(502, 'text/html', HTML_502)],
    ['a 503 without a body', json(503, {})],
    ['a 500 without 1C\'s error body', text(500, 'text/plain', '')],
    ['a dropped connection', drop],
    ['no answer', hang],
    ['a 201 whose body does not identify the object', text(201, 'application/json', '{"value":')],
  ];
  for (const [name, step] of cases) {
    test(`after ${name} the outcome is unknown and the POST is not repeated`, async () => {
      // Prepare
      const { c } = client({ requestTimeoutMs: 100, coldStartTimeoutMs: 100 });
      stub.script(step);
      stub.fallback(json(201, order));
      // Act / Assess
      await assert.rejects(c.create('Document_ЗаказКлиента', { НомерПоДаннымКлиента: 'GW-1' }), (e: unknown) => {
        assert.ok(e instanceof OneCOutcomeUnknownError, String(e));
        assert.equal(e.code, 'ONEC_OUTCOME_UNKNOWN');
        assert.match(e.message, /look it up by its stable key/);
        return true;
      });
      assert.equal(stub.requests.filter((r) => r.method === 'POST').length, 1);
      stub.fallback(json(404, {}));
      c.close();
    });
  }

  test('a create refused by 1C with its error body is a known failure, not repeated', async () => {
    const { c } = client();
    stub.script(json(500, { 'odata.error': { code: '-1', message: { lang: 'ru', value: 'Поле "Партнер" не заполнено' } } }));
    await assert.rejects(c.create('Document_ЗаказКлиента', {}), (e: unknown) => e instanceof OneCBusinessError && !e.retryable);
    assert.equal(stub.requests.length, 1);
    c.close();
  });

  test('a create throttled with 429 is repeated (1C never saw it)', async () => {
    const { c } = client();
    stub.script(json(429, {}), json(201, order));
    assert.equal((await c.create('Document_ЗаказКлиента', {})).Ref_Key, order.Ref_Key);
    assert.equal(stub.requests.length, 2);
    c.close();
  });

  test('a create that cannot connect at all is retried and ends as a network error, not an unknown outcome', async () => {
    // Prepare: a port nobody listens on
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const clock = fakeClock();
    const c = new OneCClient({ baseUrl: `http://127.0.0.1:${port}/trade/odata/standard.odata/`, login: 'a', password: 'b', clock, retry: { attempts: 3 } });
    // Act / Assess
    await assert.rejects(c.create('Document_ЗаказКлиента', {}), (e: unknown) => e instanceof OneCNetworkError && /ECONNREFUSED/.test(e.message));
    assert.equal(clock.sleeps.length, 2);
    c.close();
  });

  test('reads the new key from the body, not from Location', async () => {
    const { c } = client();
    stub.script((_req, res) => {
      // Raw UTF-8 bytes in Location, as real 1C sends them
      res.socket!.write(Buffer.concat([
        Buffer.from('HTTP/1.1 201 Created\r\nContent-Type: application/json;charset=utf-8\r\nLocation: '),
        Buffer.from("http://x/Document_ЗаказКлиента(guid'00000000-0000-0000-0000-000000000001')", 'utf8'),
        Buffer.from(`\r\nContent-Length: ${Buffer.byteLength(JSON.stringify(order))}\r\nConnection: close\r\n\r\n`),
        Buffer.from(JSON.stringify(order)),
      ]));
      res.socket!.end();
    });
    assert.equal((await c.create('Document_ЗаказКлиента', {})).Ref_Key, order.Ref_Key);
    c.close();
  });
});

describe('1C client configuration', () => {
  test('refuses credentials in the base URL', () => {
    assert.throws(() => new OneCClient({ baseUrl: 'http://u:p@h/x/odata/standard.odata/', login: 'a', password: 'b' }), /must not carry credentials/);
  });

  test('stops a call when the caller aborts it', async () => {
    const { c } = client({ requestTimeoutMs: 5000, coldStartTimeoutMs: 5000 });
    stub.script(hang);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    await assert.rejects(c.list('Catalog_Склады', {}, { signal: controller.signal }), /aborted/);
    c.close();
  });
});
