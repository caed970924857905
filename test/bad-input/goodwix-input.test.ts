/**
 * Bad input from Goodwix: each case hands the exchange one hostile answer for an order (through
 * the scripted proxy in front of the Goodwix sandbox) and checks the error it ends with — parked
 * with a message naming the field, line, product or buyer, or thrown as retryable when the
 * next delivery may succeed — and that nothing half-made reached 1C. Cases that write to 1C by
 * design say so.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demoBuyers, demoProducts } from '#local/demo/supplier';
import { syncOrder } from '#sync/order-sync';
import { stableKey } from '#sync/order-keys';
import { text } from '#test/onec-stub';
import { editJson, htmlPage, type ProxiedAnswer, type Rule } from './proxy.ts';
import { useHostileExchange, type HostileWorld } from './world.ts';

const exchange = useHostileExchange();
const screws = demoProducts[2]!;
const drill = demoProducts[0]!;
const buyer = demoBuyers[0]!;

const orderAnswer = (id: number) => (r: { method: string; path: string }) => r.method === 'GET' && r.path.endsWith(`/orders/${id}`);

/** windows-1251 bytes of the JSON the sandbox answered. */
function toCp1251(answer: ProxiedAnswer): ProxiedAnswer {
  const bytes = [...answer.body.toString('utf8')].map((ch) => {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) return c;
    if (c >= 0x410 && c <= 0x44f) return c - 0x410 + 0xc0;
    if (c === 0x401) return 0xa8;
    if (c === 0x451) return 0xb8;
    return 0x3f;
  });
  return { ...answer, headers: { ...answer.headers, 'content-type': 'application/json; charset=windows-1251' }, body: Buffer.from(bytes) };
}

interface Case {
  readonly name: string;
  readonly rule: (id: number) => Rule;
  readonly parked?: { code: string; message: RegExp };
  readonly thrown?: { code: string; message: RegExp };
}

const edit = (f: (order: any) => void) => editJson((order) => {
  f(order);
  return order;
});

const corpus: Case[] = [
  { name: 'an HTML 502 page from a proxy instead of the order', rule: (id) => ({ match: orderAnswer(id), answer: htmlPage(502, 'Bad Gateway') }), thrown: { code: 'GOODWIX_UNAVAILABLE', message: /orders\/\d+: 502/ } },
  { name: 'a proxy\'s login page answered with 200', rule: (id) => ({ match: orderAnswer(id), answer: text(200, 'text/html', '<html><body><form>Вход</form></body></html>') }), parked: { code: 'GOODWIX_BAD_RESPONSE', message: /200 with a body that is not JSON/ } },
  { name: 'a body cut in the middle', rule: (id) => ({ match: orderAnswer(id), rewrite: (a) => ({ ...a, body: a.body.subarray(0, 180) }) }), parked: { code: 'GOODWIX_BAD_RESPONSE', message: /200 with a body that is not JSON/ } },
  { name: 'windows-1251 bytes instead of UTF-8', rule: (id) => ({ match: orderAnswer(id), rewrite: toCp1251 }), parked: { code: 'GOODWIX_BAD_RESPONSE', message: /not UTF-8 \(content-type: application\/json; charset=windows-1251\)/ } },
  { name: 'a price as a JSON number', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => (o.lines[0].price = 420.5)) }), parked: { code: 'GOODWIX_BAD_RESPONSE', message: /lines\.0\.price: Invalid input: expected string, received number/ } },
  { name: 'a price with a decimal comma', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => (o.lines[0].price = '420,50')) }), parked: { code: 'GOODWIX_BAD_RESPONSE', message: /lines\.0\.price: Expected a decimal string/ } },
  { name: 'a price of 400 digits', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => (o.lines[0].price = `${'9'.repeat(400)}.00`)) }), parked: { code: 'GOODWIX_BAD_RESPONSE', message: /lines\.0\.price: Expected a decimal string of at most 13 digits before the point and 2 after/ } },
  { name: 'a price past a double\'s precision (12345678901234567.89)', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => (o.lines[0].price = '12345678901234567.89')) }), parked: { code: 'GOODWIX_BAD_RESPONSE', message: /lines\.0\.price: Expected a decimal string of at most 13 digits/ } },
  { name: 'a quantity finer than 1C keeps (1.0005)', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => (o.lines[0].quantity = '1.0005')) }), parked: { code: 'GOODWIX_BAD_RESPONSE', message: /lines\.0\.quantity: Expected a decimal string of at most 12 digits before the point and 3 after/ } },
  {
    name: 'a line amount past 1C\'s Число(15,2): 1 000 000 000 × 99 999 999.00',
    rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => Object.assign(o.lines[0], { quantity: '1000000000.000', price: '99999999.00' })) }),
    parked: { code: 'SYNC_VALUE_OUT_OF_RANGE', message: /line \S+ «Саморез по дереву 3,5×35, 1000 шт» \(Goodwix product 10103\): \w+ 99999999000000000\.00 does not fit 1C's \S+ Число\(15,2\)/ },
  },
  { name: 'a quantity missing', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => delete o.lines[1].quantity) }), parked: { code: 'GOODWIX_BAD_RESPONSE', message: /lines\.1\.quantity/ } },
  { name: 'a status Goodwix does not have', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => (o.status = 'paid')) }), parked: { code: 'GOODWIX_BAD_RESPONSE', message: /status: Invalid option/ } },
  { name: 'a negative quantity', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => (o.lines[0].quantity = '-2.000')) }), parked: { code: 'SYNC_INVALID_ORDER', message: /\(арт\. SMR-3535\): quantity -2\.000 must be greater than 0/ } },
  { name: 'a zero quantity', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => (o.lines[0].quantity = '0.000')) }), parked: { code: 'SYNC_INVALID_ORDER', message: /\(арт\. SMR-3535\): quantity 0\.000 must be greater than 0/ } },
  { name: 'more cancelled than ordered', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => (o.lines[0].cancelledQuantity = '5.000')) }), parked: { code: 'SYNC_INVALID_ORDER', message: /cancelled quantity 5\.000 must be between 0 and the quantity 2\.000/ } },
  { name: 'a negative price', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => (o.lines[0].price = '-420.50')) }), parked: { code: 'SYNC_INVALID_ORDER', message: /\(арт\. SMR-3535\): price -420\.50 must not be negative/ } },
  { name: 'a discount over 100 %', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => (o.lines[1].discountPercent = '150.00')) }), parked: { code: 'SYNC_INVALID_ORDER', message: /\(арт\. BSH-GSB13\): discountPercent 150\.00 must be between 0 and 100/ } },
  { name: 'two lines with one id', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => (o.lines[1].id = o.lines[0].id)) }), parked: { code: 'SYNC_INVALID_ORDER', message: /\(арт\. BSH-GSB13\): another line has the same id/ } },
  { name: 'another order than the one asked for', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => (o.id = 1)) }), parked: { code: 'SYNC_INVALID_ORDER', message: /Goodwix answered order 1 when asked for order \d+/ } },
  { name: 'no lines', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => (o.lines = [])) }), parked: { code: 'SYNC_INVALID_ORDER', message: /has no lines/ } },
  { name: 'a product 1C does not have', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => (o.lines[0].product.erp.nomenclatureId = '11111111-2222-3333-4444-555555555555')) }), parked: { code: 'SYNC_UNMAPPED_PRODUCT', message: /Goodwix product 10103 \(арт\. SMR-3535\) has no 1C nomenclature: it refers to 11111111-2222-3333-4444-555555555555, which 1C does not have/ } },
  { name: 'a product id that is not a 1C reference', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => (o.lines[0].product.erp.nomenclatureId = 'SMR-3535')) }), parked: { code: 'SYNC_INVALID_ORDER', message: /\(арт\. SMR-3535\): its 1C nomenclature «SMR-3535» is not a 1C reference/ } },
  { name: 'a buyer 1C does not know', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => Object.assign(o.buyer, { erp: null, inn: '7700000000' })) }), parked: { code: 'SYNC_UNMATCHED_BUYER', message: /buyer 3001 «СтройМаркет» \(ИНН 7700000000, КПП 771201001\) has no 1C counterparty/ } },
  { name: 'a buyer with the INN of a company and its branch, no KPP', rule: (id) => ({ match: orderAnswer(id), rewrite: edit((o) => Object.assign(o.buyer, { erp: null, kpp: null })) }), parked: { code: 'SYNC_UNMATCHED_BUYER', message: /buyer 3001 «СтройМаркет» \(ИНН 7712345678\)/ } },
];

async function placed(w: HostileWorld) {
  return w.goodwixSandbox.actions.placeOrder({ buyerId: buyer.goodwixId, lines: [{ productId: screws.goodwixId, quantity: 2 }, { productId: drill.goodwixId, quantity: 1 }], comment: 'Доставка до 12:00' });
}

describe('hostile and broken Goodwix answers', () => {
  for (const c of corpus) {
    test(`${c.name}: ${c.parked ? `parked, ${c.parked.code}` : `retried, ${c.thrown!.code}`}; nothing reaches 1C`, async () => {
      const w = await exchange.world();
      const order = await placed(w);
      w.goodwixProxy.rule(c.rule(order.id));

      if (c.parked) {
        const result = await syncOrder(w.ports(), w.request(order.id));
        assert.equal(result.outcome, 'parked');
        assert.equal(result.error?.code, c.parked.code, result.message);
        assert.match(result.message ?? '', c.parked.message);
        const record = await w.bindings.get(w.plan.id, String(order.id));
        assert.equal(record?.parked?.code, c.parked.code, 'the sync record shows why');
        assert.equal(record?.open, true, 'and every run tries it again');
      } else {
        await assert.rejects(syncOrder(w.ports(), w.request(order.id)), (e: Error & { code?: string; retryable?: boolean }) => {
          assert.equal(e.code, c.thrown!.code);
          assert.equal(e.retryable, true);
          assert.match(e.message, c.thrown!.message);
          return true;
        });
      }
      assert.deepEqual(await w.onecDirect.findOrdersByClientNumber(stableKey(String(order.id))), [], 'nothing was written to 1C');

      // Once Goodwix answers properly, the next attempt exports it, once.
      w.goodwixProxy.clear();
      assert.equal((await syncOrder(w.ports(), w.request(order.id))).outcome, 'exported');
      assert.equal((await w.onecDirect.findOrdersByClientNumber(stableKey(String(order.id)))).length, 1);
    });
  }

  test('an oversized comment (3 MB) goes to 1C whole: nothing is cut or dropped, nothing crashes', async () => {
    const w = await exchange.world();
    const order = await placed(w);
    const comment = 'Привезти к складу №2. '.repeat(150_000);
    w.goodwixProxy.rule({ match: orderAnswer(order.id), rewrite: edit((o) => (o.comment = comment)) });

    assert.equal((await syncOrder(w.ports(), w.request(order.id))).outcome, 'exported');

    const [doc] = await w.onecDirect.findOrdersByClientNumber(stableKey(String(order.id)));
    assert.equal(doc?.comment, `Goodwix, заказ № ${order.number}. ${comment}`, '1C keeps Комментарий unlimited');
  });

  test('a fractional quantity is exported as it is: whether a unit may be split is Goodwix\'s and 1C\'s rule, not the exchange\'s', async () => {
    const w = await exchange.world();
    const order = await placed(w);
    w.goodwixProxy.rule({ match: orderAnswer(order.id), rewrite: edit((o) => (o.lines[0].quantity = '1.5')) });

    assert.equal((await syncOrder(w.ports(), w.request(order.id))).outcome, 'exported');

    const [doc] = await w.onecDirect.findOrdersByClientNumber(stableKey(String(order.id)));
    assert.equal(doc?.items.find((r) => r.product === screws.ref)?.quantity, '1.500');
  });

  test('a quantity too large for the stock is exported and parked with 1C\'s words when 1C refuses to post it', async () => {
    const w = await exchange.world();
    const order = await placed(w);
    w.goodwixProxy.rule({ match: orderAnswer(order.id), rewrite: edit((o) => (o.lines[0].quantity = '1000000.000')) });

    const result = await syncOrder(w.ports(), w.request(order.id));

    assert.equal(result.outcome, 'exported');
    assert.equal(result.error?.code, 'ONEC_POSTING_REFUSED');
    assert.match(result.error?.message ?? '', /1C refused to post order ТД00-\d+: .*Не удалось провести/);
    assert.equal((await w.bindings.get(w.plan.id, String(order.id)))?.needsPosting, true, 'later runs post it again');
  });
});
