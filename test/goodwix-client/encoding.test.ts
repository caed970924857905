/**
 * Goodwix answers UTF-8 JSON. An answer in windows-1251 (a misconfigured proxy, an old gateway)
 * is refused with an error that says so, instead of being decoded as mojibake — which the bad-input
 * corpus found written into 1C's `Комментарий` (test/bad-input/goodwix-input.test.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GoodwixClient } from '#goodwix/client';
import { GoodwixResponseError } from '#goodwix/errors';
import { json, startOneCStub, type OneCStub } from '#test/onec-stub';

/** "Доставка до 12:00" and the like, as windows-1251 bytes. */
function cp1251(text: string): Buffer {
  return Buffer.from([...text].map((ch) => {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) return c;
    if (c >= 0x410 && c <= 0x44f) return c - 0x410 + 0xc0;
    if (c === 0x401) return 0xa8;
    if (c === 0x451) return 0xb8;
    return 0x3f;
  }));
}

let stub: OneCStub;
before(async () => {
  stub = await startOneCStub();
});
after(async () => {
  await stub.close();
});

const origin = () => new URL(stub.baseUrl).origin;
const login = json(200, { accessToken: 'token', tokenType: 'Bearer', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
const client = () => new GoodwixClient({ baseUrl: origin(), email: 'supplier@example', password: 'secret', catalogId: 2369, maxAttempts: 1, sleep: async () => {} });

describe('Goodwix answers in another encoding than UTF-8', () => {
  test('a windows-1251 body is refused, naming the content type, not read as mojibake', async () => {
    stub.reset();
    stub.script(login, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=windows-1251' });
      res.end(cp1251(JSON.stringify({ id: 2369, name: 'Инструмент и крепеж', supplierId: 77, currency: 'RUB', pricesIncludeVat: true })));
    });

    await assert.rejects(client().catalog(), (error: Error) => {
      assert.ok(error instanceof GoodwixResponseError);
      assert.equal(error.retryable, false);
      assert.match(error.message, /200 with a body that is not UTF-8 \(content-type: application\/json; charset=windows-1251\)/);
      return true;
    });
  });

  test('a UTF-8 body with Cyrillic is read as it is', async () => {
    stub.reset();
    stub.script(login, json(200, { id: 2369, name: 'Инструмент и крепеж', supplierId: 77, currency: 'RUB', pricesIncludeVat: true }));

    assert.equal((await client().catalog()).name, 'Инструмент и крепеж');
  });

  test('an error answer in windows-1251 still reports its status', async () => {
    stub.reset();
    stub.script(login, (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/html; charset=windows-1251' });
      res.end(cp1251('<html>Сервис недоступен</html>'));
    });

    await assert.rejects(client().catalog(), /503/);
  });
});
