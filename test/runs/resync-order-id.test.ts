/**
 * A resync names a Goodwix order by its id. Found by the bad-input corpus
 * (test/bad-input/api.test.ts): `POST /plans/demo/orders/abc/resync` answered 202 and started a
 * run whose only order message the order queue refuses (its ids are digits), so the message went
 * to the DLQ and the run never closed — the plan stayed locked (409 RUN_IN_PROGRESS) until its
 * lease ran out. Such an id is now refused before any run starts: 404 ORDER_NOT_FOUND, as every
 * path id that cannot exist (issue 12).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ORDER_ID_PATTERN, requestResync, type ControlPorts } from '#runs/control';

/** Ports that record whether a run was started (the lock is the first thing a run takes). */
function ports() {
  const touched: string[] = [];
  const refuse = (name: string) => new Proxy({}, { get: (_t, prop) => () => { touched.push(`${name}.${String(prop)}`); throw new Error('a run was started'); } });
  return { touched, ports: { plans: refuse('plans'), locks: refuse('locks'), runs: refuse('runs'), queue: refuse('queue'), lockTtlMs: 60_000 } as unknown as ControlPorts };
}

describe('a resync of an order id that is not a Goodwix order id', () => {
  for (const orderId of ['abc', '-1', '0', '007', '1e5', '12.5', '1234567890123456789', 'ln-1']) {
    test(`"${orderId}" is refused (404 ORDER_NOT_FOUND naming the id) and no run starts`, async () => {
      const { ports: p, touched } = ports();

      await assert.rejects(requestResync(p, 'demo', orderId), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'ORDER_NOT_FOUND');
        assert.equal(e.message, `Order ${orderId} is not a Goodwix order id (a whole number from 1, at most 18 digits)`);
        return true;
      });
      assert.deepEqual(touched, [], 'nothing was locked, written or queued');
    });
  }

  test('a Goodwix order id is the order queue\'s: digits, up to 18', async () => {
    assert.ok(ORDER_ID_PATTERN.test('100001') && ORDER_ID_PATTERN.test('123456789012345678'));
    const { ports: p, touched } = ports();
    await assert.rejects(requestResync(p, 'demo', '100001'), /a run was started/);
    assert.ok(touched.length > 0, 'a valid id goes on to start the run');
  });
});
