/**
 * Bad answers from 1C (or from what stands in front of it): 1C's error body of every code it
 * uses (-1, 1, 6, 9, 14), a proxy's HTML page instead of JSON, JSON of the wrong shape, a 401.
 * Each case: the error the order ends with (parked with 1C's own words, or thrown as retryable),
 * and that 1C ends up with the order exactly once after the trouble is over.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demoBuyers, demoProducts } from '#local/demo/supplier';
import { syncOrder } from '#sync/order-sync';
import { stableKey } from '#sync/order-keys';
import { line, orderInput, product } from '#test/onec-orders';
import { json, text } from '#test/onec-stub';
import { editJson, htmlPage, type Rule } from './proxy.ts';
import { useHostileExchange, type HostileWorld } from './world.ts';

const exchange = useHostileExchange();
const screws = demoProducts[2]!;
const drill = demoProducts[0]!;
const buyer = demoBuyers[0]!;
const ORDERS = 'Document_ЗаказКлиента';

const odataError = (status: number, code: string, message: string) => json(status, { 'odata.error': { code, message: { lang: 'ru', value: message } } });
const createOrder = (r: { method: string; path: string }) => r.method === 'POST' && r.path.endsWith(`/${ORDERS}`);
const keyLookup = (r: { method: string; path: string; url: string }) => r.method === 'GET' && r.path.endsWith(`/${ORDERS}`) && decodeURIComponent(r.url).includes('НомерПоДаннымКлиента');
const productRead = (r: { method: string; path: string }) => r.method === 'GET' && r.path.endsWith('/Catalog_Номенклатура');

interface Case {
  readonly name: string;
  readonly rule: Rule;
  readonly parked?: { code: string; message: RegExp };
  readonly thrown?: { code: string; message: RegExp };
  /** 1C created the order before the bad answer: the next attempt adopts it */
  readonly created?: boolean;
}

const corpus: Case[] = [
  { name: 'code -1 (a lock conflict) on the create', rule: { match: createOrder, answer: odataError(500, '-1', 'Конфликт блокировок при выполнении транзакции') }, thrown: { code: 'ONEC_LOCK_CONFLICT', message: /1C 500 code -1: Конфликт блокировок/ } },
  { name: 'code 1 (a value 1C cannot take) on the create', rule: { match: createOrder, answer: odataError(400, '1', 'Неверное значение свойства "Цена"') }, parked: { code: 'ONEC_BAD_REQUEST', message: /1C 400 code 1: Неверное значение свойства "Цена" \(POST Document_ЗаказКлиента/ } },
  { name: 'code 6 (an unknown property) on the key lookup', rule: { match: keyLookup, answer: odataError(400, '6', 'Неизвестное свойство: НомерПоДаннымКлиента') }, parked: { code: 'ONEC_BAD_REQUEST', message: /1C 400 code 6: Неизвестное свойство: НомерПоДаннымКлиента/ } },
  { name: 'code 9 (not found) on a catalog read', rule: { match: productRead, answer: odataError(404, '9', 'Объект не найден') }, parked: { code: 'ONEC_NOT_FOUND', message: /1C 404 code 9: Объект не найден \(GET Catalog_Номенклатура/ } },
  { name: 'code 14 ($filter) on the key lookup', rule: { match: keyLookup, answer: odataError(400, '14', 'Ошибка разбора выражения $filter') }, parked: { code: 'ONEC_BAD_REQUEST', message: /1C 400 code 14: Ошибка разбора выражения \$filter/ } },
  { name: 'an HTML 502 page from nginx on a read', rule: { match: productRead, answer: htmlPage(502, 'Bad Gateway') }, thrown: { code: 'ONEC_INVALID_RESPONSE', message: /1C did not answer JSON: GET .*Catalog_Номенклатура.* → 502 text\/html: .*502 Bad Gateway/ } },
  { name: 'an HTML 502 page from nginx after 1C created the order', rule: { match: createOrder, times: 1, rewrite: () => ({ status: 502, headers: { 'content-type': 'text/html' }, body: Buffer.from('<html><body><h1>502 Bad Gateway</h1></body></html>') }) }, thrown: { code: 'ONEC_OUTCOME_UNKNOWN', message: /the result of POST Document_ЗаказКлиента\?\$format=json is unknown: 1C \(or a proxy\) answered 502/ }, created: true },
  { name: 'a proxy\'s login page answered with 200', rule: { match: productRead, answer: text(200, 'text/html; charset=utf-8', '<html><body>Вход в систему</body></html>') }, parked: { code: 'ONEC_INVALID_RESPONSE', message: /1C did not answer JSON/ } },
  { name: 'a price as a string in 1C\'s answer to the create', rule: { match: createOrder, times: 1, rewrite: editJson((o) => { o['Товары'][0]['Цена'] = '420.50'; return o; }) }, parked: { code: 'ONEC_UNEXPECTED_DATA', message: /Document_ЗаказКлиента\.Товары\.0\.Цена: Invalid input: expected number, received string/ }, created: true },
  { name: 'a 401 (the exchange user\'s password changed in 1C)', rule: { match: () => true, answer: (_req, res) => { res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="1C:Enterprise"' }); res.end(); } }, parked: { code: 'ONEC_AUTH', message: /1C answered 401 .*check the login, password and the user's OData rights/ } },
];

async function placed(w: HostileWorld) {
  return w.goodwixSandbox.actions.placeOrder({ buyerId: buyer.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 2 }, { productId: drill.goodwixId, quantity: 1 }] });
}

describe('hostile and broken 1C answers', () => {
  for (const c of corpus) {
    test(`${c.name}: ${c.parked ? `parked, ${c.parked.code}` : `retried, ${c.thrown!.code}`}; afterwards the order is in 1C once`, async () => {
      const w = await exchange.world();
      const order = await placed(w);
      w.onecProxy.rule(c.rule);

      if (c.parked) {
        const result = await syncOrder(w.ports(), w.request(order.id));
        assert.equal(result.outcome, 'parked', JSON.stringify(result));
        assert.equal(result.error?.code, c.parked.code, result.message);
        assert.match(result.message ?? '', c.parked.message);
      } else {
        await assert.rejects(syncOrder(w.ports(), w.request(order.id)), (e: Error & { code?: string; retryable?: boolean }) => {
          assert.equal(e.code, c.thrown!.code, e.message);
          assert.equal(e.retryable, true);
          assert.match(e.message, c.thrown!.message);
          return true;
        });
      }
      const docs = await w.onecDirect.findOrdersByClientNumber(stableKey(String(order.id)));
      assert.equal(docs.length, c.created ? 1 : 0, c.created ? '1C made it before the bad answer' : 'nothing was written to 1C');

      w.onecProxy.clear();
      const next = await syncOrder(w.ports(), w.request(order.id));
      assert.equal(next.outcome, c.created ? 'adopted' : 'exported', 'the next attempt finds the one 1C made, or makes it');
      assert.equal((await w.onecDirect.findOrdersByClientNumber(stableKey(String(order.id)))).length, 1);
    });
  }

  test('1C refusing to post (code -1, "Не удалось провести"): exported, parked with 1C\'s words, posted by a later attempt', async () => {
    const w = await exchange.world();
    const order = await placed(w);
    w.onecProxy.rule({ match: (r) => r.method === 'POST' && r.path.endsWith('/Post'), answer: odataError(500, '-1', 'Не удалось провести "Заказ клиента": Недостаточно свободного остатка товара') });

    const result = await syncOrder(w.ports(), w.request(order.id));

    assert.equal(result.outcome, 'exported');
    assert.equal(result.error?.code, 'ONEC_POSTING_REFUSED');
    assert.match(result.error?.message ?? '', /1C refused to post order ТД00-\d+: .*Недостаточно свободного остатка товара/);
    w.onecProxy.clear();
    assert.equal((await syncOrder(w.ports(), w.request(order.id))).outcome, 'updated');
    const [doc] = await w.onecDirect.findOrdersByClientNumber(stableKey(String(order.id)));
    assert.equal(doc?.posted, true);
    assert.equal((await w.bindings.get(w.plan.id, String(order.id)))?.parked, null);
  });

  test('two 1C orders carrying the order\'s key (someone copied it): parked naming both, nothing created, a person decides', async () => {
    const w = await exchange.world();
    const order = await placed(w);
    const key = stableKey(String(order.id));
    const copies = [await w.onecDirect.createOrder(orderInput(key, [line(product('SMR-3535'), '2.000')])), await w.onecDirect.createOrder(orderInput(key, [line(product('SMR-3535'), '2.000')]))];

    const result = await syncOrder(w.ports(), w.request(order.id));

    assert.equal(result.outcome, 'parked');
    assert.equal(result.error?.code, 'SYNC_DUPLICATE_IN_1C');
    assert.match(result.message ?? '', new RegExp(`2 1C orders carry its key ${key} \\(${copies[0]!.number}, ${copies[1]!.number}\\)`));
    assert.equal((await w.onecDirect.findOrdersByClientNumber(key)).length, 2, 'no third one');
  });

  test('code 9 for the bound order (deleted outright in 1C): parked naming the 1C order, nothing created again', async () => {
    const w = await exchange.world();
    const order = await placed(w);
    await syncOrder(w.ports(), w.request(order.id));
    const [doc] = await w.onecDirect.findOrdersByClientNumber(stableKey(String(order.id)));
    w.onecProxy.rule({ match: (r) => r.method === 'GET' && r.path.includes(`${ORDERS}(guid'${doc!.ref}')`), answer: odataError(404, '9', 'Объект не найден') });

    const result = await syncOrder(w.ports(), w.request(order.id));

    assert.equal(result.outcome, 'parked');
    assert.equal(result.error?.code, 'SYNC_1C_ORDER_MISSING');
    assert.match(result.message ?? '', new RegExp(`its 1C order ${doc!.number} \\(${doc!.ref}\\) no longer exists in 1C`));
    assert.equal((await w.onecDirect.findOrdersByClientNumber(stableKey(String(order.id)))).length, 1, 'no second order was made');
  });
});
