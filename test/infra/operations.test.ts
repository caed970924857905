/**
 * What an operator relies on in the synthesized service stack: each alarm readable in its
 * notification (stage, id, runbook entry that exists in docs/deploy.md), a failing 1C that does
 * not flap RunFailures per run, the tick's heartbeat, and the outputs that name the log groups
 * and the API.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RUN_FAILURES_EVALUATION, TICK_HEARTBEAT_EVALUATION, runbookAnchor } from '../../infra/constructs/monitoring.ts';
import { buildForTest, logicalId } from './support.ts';

const { service, serviceTemplate } = buildForTest({ stage: 'test' });
const alarms = serviceTemplate.findResources('AWS::CloudWatch::Alarm');
const deployDoc = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
const alarmProps = (id: string) => {
  const alarm = service.monitoring.alarms.find((a) => a.node.id === id);
  assert.ok(alarm, `alarm ${id}`);
  return alarms[logicalId(alarm)]!['Properties'] as Record<string, unknown>;
};

describe('alarms an operator can act on', () => {
  test('each alarm says its stage and id and links a runbook entry that docs/deploy.md has', () => {
    assert.ok(service.monitoring.alarms.length >= 20);
    for (const alarm of service.monitoring.alarms) {
      const description = alarmProps(alarm.node.id)['AlarmDescription'] as string;
      assert.ok(description.startsWith(`Goodwix-1C test ${alarm.node.id}: `), description);
      const anchor = /Runbook: docs\/deploy\.md#(alarm-[a-z0-9-]+)$/.exec(description)?.[1];
      assert.ok(anchor, `${alarm.node.id} links no runbook entry: ${description}`);
      assert.ok(deployDoc.includes(`<a id="${anchor}"></a>`), `docs/deploy.md has no runbook entry ${anchor} (for ${alarm.node.id})`);
    }
  });

  test('alarms keep their construct ids and set no physical name', () => {
    for (const [id, a] of Object.entries(alarms)) assert.equal(a['Properties']['AlarmName'], undefined, id);
    assert.equal(runbookAnchor('RunDeadLetters'), 'alarm-rundeadletters');
    assert.match(logicalId(service.monitoring.alarms.find((a) => a.node.id === 'RunDeadLetters')!), /^MonitoringRunDeadLetters[0-9A-F]{8}$/);
  });

  test('a failing 1C keeps RunFailures up for an hour rather than flapping per run', () => {
    const p = alarmProps('RunFailures');
    assert.deepEqual([p['EvaluationPeriods'], p['DatapointsToAlarm'], p['Threshold']], [12, 1, 1]);
    assert.deepEqual(RUN_FAILURES_EVALUATION, { evaluationPeriods: 12, datapointsToAlarm: 1 });
    assert.ok(JSON.stringify(p['Metrics']).includes('"Period":300'));
  });

  test("the tick's heartbeat: no datapoint of RunsStartedBySchedule for 15 minutes is an alarm", () => {
    const p = alarmProps('TickHeartbeat');
    assert.equal(p['MetricName'], 'RunsStartedBySchedule');
    assert.equal(p['Statistic'], 'SampleCount');
    assert.equal(p['ComparisonOperator'], 'LessThanThreshold');
    assert.equal(p['TreatMissingData'], 'breaching');
    assert.deepEqual([p['EvaluationPeriods'], p['Period'], p['Threshold']], [3, 300, 1]);
    assert.equal(TICK_HEARTBEAT_EVALUATION.evaluationPeriods, 3);
  });

  test("each plan's heartbeat: the tick's count of overdue plans, at the first one", () => {
    const p = alarmProps('PlansOverdue');
    assert.deepEqual([p['MetricName'], p['Statistic'], p['Threshold'], p['ComparisonOperator'], p['EvaluationPeriods']], ['PlansOverdue', 'Maximum', 1, 'GreaterThanOrEqualToThreshold', 1]);
    assert.match(p['AlarmDescription'] as string, /no run go through for 3 of its schedule's slots/);
  });

  test('the parked-order gauges, reported once per run, keep their state between runs', () => {
    for (const id of ['OrdersParked', 'OrderParkedTooLong']) {
      const p = alarmProps(id);
      assert.deepEqual([p['EvaluationPeriods'], p['TreatMissingData']], [1, 'ignore'], id);
    }
  });

  test('the other alarms fire on one 5-minute period with missing data as OK', () => {
    for (const alarm of service.monitoring.alarms) {
      if (['RunFailures', 'TickHeartbeat', 'OrdersParked', 'OrderParkedTooLong'].includes(alarm.node.id)) continue;
      const p = alarmProps(alarm.node.id);
      assert.equal(p['EvaluationPeriods'], 1, alarm.node.id);
      assert.equal(p['TreatMissingData'], 'notBreaching', alarm.node.id);
    }
  });
});

describe('outputs', () => {
  test("the API id and every log group's name are stack outputs", () => {
    const outputs = serviceTemplate.toJSON()['Outputs'] as Record<string, { Value: unknown }>;
    assert.deepEqual(outputs['ApiId']?.Value, { Ref: logicalId(service.controlApi.api) });
    assert.deepEqual(outputs['ApiAccessLogGroup']?.Value, { Ref: logicalId(service.controlApi.accessLogs) });
    assert.deepEqual(outputs['RunEventLogGroup']?.Value, { Ref: logicalId(service.monitoring.runEvents) });
    const fns = { Tick: service.functions.tick, Api: service.functions.api, Collector: service.functions.collector, Worker: service.functions.worker, Events: service.functions.events };
    for (const [name, fn] of Object.entries(fns)) assert.deepEqual(outputs[`${name}LogGroup`]?.Value, { Ref: logicalId(fn.logGroup) }, name);
  });
});
