import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { basicAuth } from '#local/onec/sandbox';
import { type Http, ORDERS, orderBody, startSandbox, type Json } from './helpers.ts';
import type { OneCSandbox } from '#local/onec/sandbox';

describe('1C sandbox protocol', () => {
  let sandbox: OneCSandbox;
  let http: Http;

  before(async () => {
    ({ sandbox, http } = await startSandbox());
  });
  after(async () => {
    await sandbox.close();
  });

  test('serves the publication on 127.0.0.1 under /<publication>/odata/standard.odata/', () => {
    // Assess
    assert.match(sandbox.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/trade\/odata\/standard\.odata\/$/u);
    assert.equal(sandbox.login, 'Обмен');
  });

  test('lets in a Cyrillic login sent as base64 of its UTF-8 bytes', async () => {
    // Prepare
    const header = `Basic ${Buffer.from('Обмен:exchange-demo', 'utf8').toString('base64')}`;
    // Act
    const a = await http.get('Catalog_Склады?$format=json', { authorization: header });
    // Assess
    assert.equal(a.status, 200);
  });

  test('answers 401 without credentials, with a wrong password, or with the login in latin1', async () => {
    // Act
    const none = await fetch(`${sandbox.baseUrl}Catalog_Склады?$format=json`);
    const wrong = await http.get('Catalog_Склады?$format=json', { authorization: basicAuth('Обмен', 'nope') });
    const latin1 = await http.get('Catalog_Склады?$format=json', { authorization: `Basic ${Buffer.from('Обмен:exchange-demo', 'latin1').toString('base64')}` });
    // Assess
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Basic/u);
    assert.equal(wrong.status, 401);
    assert.equal(latin1.status, 401);
  });

  test('accepts the users it was started with instead of the demo one', async () => {
    // Prepare
    const { sandbox: other } = await startSandbox({ users: [{ login: 'Администратор', password: '' }], publication: 'ut11', seed: 'empty' });
    try {
      // Act
      const ok = await fetch(`${other.baseUrl}Catalog_Склады?$format=json`, { headers: { authorization: basicAuth('Администратор', '') } });
      const demoUser = await fetch(`${other.baseUrl}Catalog_Склады?$format=json`, { headers: { authorization: basicAuth('Обмен', 'exchange-demo') } });
      // Assess
      assert.match(other.baseUrl, /\/ut11\/odata\/standard\.odata\/$/u);
      assert.equal(ok.status, 200);
      assert.deepEqual((await ok.json() as Json).value, []);
      assert.equal(demoUser.status, 401);
    } finally {
      await other.close();
    }
  });

  test('answers 404 outside the publication path', async () => {
    // Act
    const res = await fetch(`${sandbox.baseUrl.replace('/trade/', '/other/')}Catalog_Склады`, { headers: { authorization: basicAuth(sandbox.login, sandbox.password) } });
    // Assess
    assert.equal(res.status, 404);
  });

  test('lists the entity sets at the service root', async () => {
    // Act
    const a = await http.get('?$format=json');
    // Assess
    assert.equal(a.status, 200);
    const names = (a.json.value as Json[]).map((v) => v.name);
    assert.ok(names.includes('Document_ЗаказКлиента_Товары'));
    assert.ok(names.includes('AccumulationRegister_ТоварыКОтгрузке'));
  });

  test('wraps a collection as odata.metadata + value and one entity as @Element', async () => {
    // Act
    const list = await http.list('Catalog_Склады');
    const one = await http.get(`Catalog_Склады(guid'${list.json.value[0].Ref_Key}')?$format=json`);
    // Assess
    assert.equal(list.json['odata.metadata'], `${sandbox.baseUrl}$metadata#Catalog_Склады`);
    assert.ok(Array.isArray(list.json.value));
    assert.equal(one.json['odata.metadata'], `${sandbox.baseUrl}$metadata#Catalog_Склады/@Element`);
    assert.equal(one.json.Ref_Key, list.json.value[0].Ref_Key);
    assert.match(list.headers.get('content-type') ?? '', /^application\/json/u);
  });

  test('refuses to answer in Atom: without $format=json it answers 406 and says why', async () => {
    // Act
    const a = await http.get('Catalog_Склады');
    const acceptOnly = await http.get('Catalog_Склады', { accept: 'application/json' });
    // Assess
    assert.equal(a.status, 406);
    assert.match(a.json['odata.error'].message.value, /\$format=json/u);
    assert.equal(acceptOnly.status, 406);
  });

  test('writes Location with raw UTF-8 Cyrillic, as real 1C does, and the key only in the body is reliable', async () => {
    // Prepare
    const url = new URL(`${sandbox.baseUrl}${ORDERS}?$format=json`);
    const body = JSON.stringify(orderBody());
    // Act: a raw request, to see the header bytes as they are on the wire
    const { status, location, json } = await new Promise<{ status: number; location: string; json: Json }>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { authorization: basicAuth(sandbox.login, sandbox.password), 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { text += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: String(res.headers.location), json: JSON.parse(text) as Json }));
      });
      req.on('error', reject);
      req.end(body);
    });
    // Assess: the header's bytes are UTF-8 (Node hands them over as latin1 characters)
    assert.equal(status, 201);
    assert.equal(Buffer.from(location, 'latin1').toString('utf8'), `${sandbox.baseUrl}${ORDERS}(guid'${json.Ref_Key}')`);
    assert.notEqual(location, `${sandbox.baseUrl}${ORDERS}(guid'${json.Ref_Key}')`);
  });

  test('answers errors in 1C\'s body shape with the status of each code', async () => {
    // Act
    const unknownSet = await http.list('Catalog_Нет');
    const badGuid = await http.get(`${ORDERS}(guid'not-a-guid')?$format=json`);
    const missing = await http.get(`${ORDERS}(guid'11111111-2222-3333-4444-555555555555')?$format=json`);
    const badFilter = await http.list(ORDERS, { $filter: 'Posted eq' });
    const internal = await http.post(`${ORDERS}?$format=json`, { Товары: [{ Количество: 1 }] });
    // Assess
    const codeOf = (a: { json: Json }): string => a.json['odata.error'].code;
    assert.deepEqual([unknownSet.status, codeOf(unknownSet)], [400, '6']);
    assert.match(unknownSet.json['odata.error'].message.value, /Сегмент пути "Catalog_Нет" не найден/u);
    assert.equal(unknownSet.json['odata.error'].message.lang, 'ru');
    assert.deepEqual([badGuid.status, codeOf(badGuid)], [400, '1']);
    assert.deepEqual([missing.status, codeOf(missing)], [404, '9']);
    assert.deepEqual([badFilter.status, codeOf(badFilter)], [400, '14']);
    assert.deepEqual([internal.status, codeOf(internal)], [500, '-1']);
  });

  test('answers code 6 for an unknown method on an entity', async () => {
    // Prepare
    const order = await http.create(ORDERS, orderBody());
    // Act
    const a = await http.post(`${ORDERS}(guid'${order.Ref_Key}')/Провести`);
    // Assess
    assert.deepEqual([a.status, a.json['odata.error'].code], [400, '6']);
  });

  test('answers 414 for a URL longer than the web server in front of 1C takes (8190 by default, configurable)', async () => {
    // Prepare
    const refs = Array.from({ length: 200 }, (_, i) => `Ref_Key eq guid'00000000-0000-0000-0000-${String(i).padStart(12, '0')}'`).join(' or ');
    const { sandbox: strict, http: strictHttp } = await startSandbox({ maxUrlLength: 2048, seed: 'empty' });
    try {
      // Act
      const long = await http.list('Catalog_Склады', { $filter: refs });
      const ok = await http.list('Catalog_Склады', { $filter: refs.split(' or ').slice(0, 20).join(' or ') });
      const strictLong = await strictHttp.list('Catalog_Склады', { $filter: refs.split(' or ').slice(0, 40).join(' or ') });
      // Assess
      assert.equal(long.status, 414);
      assert.equal(ok.status, 200);
      assert.equal(strictLong.status, 414);
    } finally {
      await strict.close();
    }
  });

  test('counts a collection with /$count', async () => {
    // Act
    const a = await http.get('Catalog_Склады/$count');
    // Assess
    assert.equal(a.status, 200);
    assert.equal(a.text, '2');
  });
});
