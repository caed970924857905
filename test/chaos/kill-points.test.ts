/**
 * The killer names its aimed kill points by port and method (`runs.complete`); a renamed port or
 * method would silently stop those kills, and the chaos suite would go on passing without the
 * chaos (a rename of the run's progress port did exactly that: no finalizer was killed after
 * its messages were acknowledged, no kill aimed after an order's completion).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GoodwixClient } from '#goodwix/client';
import { OneCTrade } from '#onec/trade';
import { BindingRepository } from '#store/bindings';
import { RunRepository } from '#store/runs';
import { EXTERNAL_WRITES, FINALIZE_CLAIM_STEP } from '#test/chaos-kill';

/** The worker's ports the killer wraps, by the key it names them with. */
const PORTS: Readonly<Record<string, object>> = {
  onec: OneCTrade.prototype,
  goodwix: GoodwixClient.prototype,
  bindings: BindingRepository.prototype,
  runs: RunRepository.prototype,
};

describe("the chaos killer's kill points", () => {
  test('each names a method the worker calls through its ports', () => {
    for (const step of [...EXTERNAL_WRITES, FINALIZE_CLAIM_STEP]) {
      const [port, method] = step.split('.') as [string, string];
      const prototype = PORTS[port];
      assert.ok(prototype, `${step}: no port ${port}`);
      assert.equal(typeof (prototype as Record<string, unknown>)[method], 'function', `${step}: ${port} has no method ${method}`);
    }
  });
});
