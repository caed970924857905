/**
 * The chaos suite's fast configuration, part of `npm test`: 40 orders over 5 rounds of edits on
 * both sides, the whole local stack, faults in both sandboxes, worker and collector invocations
 * killed at random points and right after external writes, finalizers killed after their
 * messages were acknowledged (test/chaos/harness.ts; docs/reliability.md). The full configuration
 * is `npm run chaos`. `CHAOS_SEED=<n>` runs another seed; a failure names the seed and the
 * command that replays it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

// The functions' CloudWatch metrics (EMF lines on stdout) are not this test's output.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
const { FAST, formatReport, reproduce, runChaos } = await import('./harness.ts');

const seed = Number(process.env.CHAOS_SEED ?? 20251128);

test(`under faults, kills and edits on both sides every confirmed order is in 1C exactly once and both sides agree (chaos seed ${seed})`, async (t) => {
  const report = await runChaos({ ...FAST, seed });
  for (const line of formatReport(report).split('\n')) t.diagnostic(line);

  assert.deepEqual(report.problems, [], `chaos seed ${seed} broke invariants; replay: ${reproduce(seed, FAST)}`);
  // The suite proves something only if the chaos happened.
  const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
  assert.ok(report.orders.exported >= 30, `orders exported: ${report.orders.exported}`);
  assert.ok(sum(report.faults.onec) > 0 && sum(report.faults.goodwix) > 0, 'faults were injected in both sandboxes');
  assert.ok(report.kills.worker + report.kills.collector > 0, 'invocations were killed');
  assert.ok(sum(report.edits.onec) > 0 && sum(report.edits.goodwix) > 0 && report.edits.conflictsPlanned > 0, 'both sides edited, some fields on both');
  // Issue 14: the interleavings that caught defects 5 and 6 put back, and the aimed kills.
  assert.ok(Object.keys(report.edits.interleaved).some((k) => k.startsWith('before the 1C write')), 'a manager saved an order right before the exchange\'s 1C update');
  assert.ok(report.kills.finalizeAcked > 0, 'a finalizer was killed after its messages were acknowledged');
  assert.ok(sum(report.kills.aimed) > 0, 'kills aimed right after an external write');
  assert.equal(report.runs.converged, true);
});
