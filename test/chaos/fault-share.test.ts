/**
 * The full chaos configuration's promise of at least 10 % of the exchange's requests faulted
 * (issue 14, docs/reliability.md): its rates add up to it, and a run under it is reported.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FAST, FULL, MIN_FULL_FAULT_SHARE, faultShareProblem } from './harness.ts';

describe('the share of requests the chaos suite faults', () => {
  test("the full configuration's rates fault at least the promised share of each system's requests", () => {
    // Prepare
    const { errorRate = 0, hangRate = 0, lostResponseRate = 0 } = FULL.onecFaults;
    const gw = FULL.goodwixFaults;
    // Assess
    assert.ok(errorRate + hangRate + lostResponseRate >= MIN_FULL_FAULT_SHARE, '1C');
    assert.ok((gw.errorRate ?? 0) + (gw.rateLimitRate ?? 0) + (gw.lostResponseRate ?? 0) >= MIN_FULL_FAULT_SHARE, 'Goodwix');
  });

  test('a full run that faulted under the promised share is a broken invariant naming the share', () => {
    // Act
    const problem = faultShareProblem(FULL.profile, { onec: 60, goodwix: 30 }, { onec: 700, goodwix: 300 });
    // Assess
    assert.match(problem ?? '', /faults hit 9\.0 % of the exchange's requests, under the full configuration's 10 %/);
  });

  test('a full run at the share, and a fast run under it, break nothing', () => {
    assert.equal(faultShareProblem(FULL.profile, { onec: 70, goodwix: 30 }, { onec: 700, goodwix: 300 }), null);
    assert.equal(faultShareProblem(FAST.profile, { onec: 1, goodwix: 0 }, { onec: 700, goodwix: 300 }), null);
  });
});
