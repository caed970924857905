/**
 * The control API's use cases (`#runs/control`) check every id from a path before any port
 * sees it: an id that cannot exist is "not found" and nothing is read, written or queued. The
 * ports here record any use and throw, so a check that came after a read would show.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPlanById, deletePlan, getOrderRecord, getPlan, getRun, listRuns, requestResync, savePlan, startManualRun, type ControlPorts } from '#runs/control';
import { planInput } from '#test/plans';

function refusingPorts() {
  const touched: string[] = [];
  const refuse = (name: string) => new Proxy({}, { get: (_t, prop) => () => { touched.push(`${name}.${String(prop)}`); throw new Error(`${name}.${String(prop)} was used`); } });
  const ports = new Proxy({ lockTtlMs: 60_000 } as Record<string, unknown>, { get: (t, prop) => (prop in t ? t[prop as string] : refuse(String(prop))) });
  return { touched, ports: ports as unknown as ControlPorts };
}

const LONG = 'a'.repeat(2100);
const RUN_ID = '01JX0000000000000000000000';

describe('ids that cannot exist are refused before any port is used', () => {
  const cases: [string, (p: ControlPorts) => Promise<unknown>, string][] = [
    ['getPlan, a 2,100-character plan id', (p) => getPlan(p, LONG), 'PLAN_NOT_FOUND'],
    ['deletePlan, an upper-case plan id', (p) => deletePlan(p, 'Demo'), 'PLAN_NOT_FOUND'],
    ['checkPlanById, a plan id with a slash', (p) => checkPlanById(p, 'de/mo'), 'PLAN_NOT_FOUND'],
    ['startManualRun, a 65-character plan id', (p) => startManualRun(p, 'a'.repeat(65)), 'PLAN_NOT_FOUND'],
    ['listRuns, an empty plan id', (p) => listRuns(p, '', {}), 'PLAN_NOT_FOUND'],
    ['getRun, a bad plan id and a good run id', (p) => getRun(p, LONG, RUN_ID), 'PLAN_NOT_FOUND'],
    ['getRun, a 2,100-character run id', (p) => getRun(p, 'demo', LONG), 'RUN_NOT_FOUND'],
    ['getRun, a lower-case run id', (p) => getRun(p, 'demo', RUN_ID.toLowerCase()), 'RUN_NOT_FOUND'],
    ['getOrderRecord, a 2,100-character order id', (p) => getOrderRecord(p, 'demo', LONG), 'ORDER_NOT_FOUND'],
    ['getOrderRecord, a bad plan id', (p) => getOrderRecord(p, LONG, '100001'), 'PLAN_NOT_FOUND'],
    ['requestResync, a 19-digit order id', (p) => requestResync(p, 'demo', '1'.repeat(19)), 'ORDER_NOT_FOUND'],
    ['requestResync, a bad plan id', (p) => requestResync(p, LONG, '100001'), 'PLAN_NOT_FOUND'],
    ['savePlan, a 2,100-character plan id', (p) => savePlan(p, LONG, planInput({ id: 'demo' })), 'PLAN_INVALID'],
    ['savePlan, a body version past the safe integers', (p) => savePlan(p, 'demo', { ...planInput({ id: 'demo' }), version: 2 ** 60 }), 'PLAN_INVALID'],
  ];
  for (const [name, call, code] of cases) {
    test(`${name}: ${code}, nothing touched`, async () => {
      const { ports, touched } = refusingPorts();
      await assert.rejects(call(ports), (e: Error & { code?: string }) => {
        assert.equal(e.code, code, e.message);
        assert.ok(e.message.length < 200, `the id is not echoed in full: ${e.message.length} characters`);
        return true;
      });
      assert.deepEqual(touched, []);
    });
  }

  test('a good id goes on to the ports', async () => {
    const { ports, touched } = refusingPorts();
    await assert.rejects(getRun(ports, 'demo', RUN_ID), /runs\.get was used/);
    assert.deepEqual(touched, ['runs.get']);
  });
});
