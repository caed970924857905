import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { createEventsHandler } from '#functions/events/app';
import { loadEventsConfig } from '#functions/events/config';
import { EventPublishError } from '#aws/errors';
import { RUN_EVENT_FILTER_PATTERNS, forwardRunEvents, runEventsOfChange, tableChangeOf, type RunEvent, type TableChange } from '#exchange/run-events';
import { EventBridgePublisher } from '#aws/event-bus';
import { newRunId } from '#runs/run-id';
import { RunRepository } from '#store/runs';
import type { StoreContext } from '#store/client';
import { useDynamoDb } from '#test/dynamodb';
import { useEventBus } from '#test/event-bus';
import { passesFilters } from '#test/event-filter';
import { readTableStream } from '#test/run-events';

const dynamo = useDynamoDb();
const bus = useEventBus();
const silent = new Logger({ logLevel: 'SILENT' });

const runItem = (over: Record<string, unknown> = {}) => ({
  pk: 'PLAN#acme',
  sk: 'RUN#R1',
  planId: 'acme',
  runId: 'R1',
  trigger: 'schedule',
  slot: '2025-06-10T09:00',
  status: 'running',
  startedAt: '2025-06-10T09:00:01.000Z',
  counters: { exported: 0, updatedInOneC: 0, updatedInGoodwix: 0, conflicts: 0, failed: 0 },
  errorCount: 0,
  ...over,
});
const orderEntry = (over: Record<string, unknown> = {}) => ({
  pk: 'PLAN#acme',
  sk: 'RUNORDER#R1#gw-7',
  planId: 'acme',
  runId: 'R1',
  orderId: 'gw-7',
  state: 'queued',
  outcome: 'queued',
  at: '2025-06-10T09:00:05.000Z',
  ...over,
});
const change = (eventName: TableChange['eventName'], oldImage?: Record<string, unknown>, newImage?: Record<string, unknown>): TableChange => ({ eventName, oldImage, newImage });

describe('run events from the table changes', () => {
  test('a run item written is run.started with its trigger and slot', () => {
    const events = runEventsOfChange(change('INSERT', undefined, runItem()));

    assert.deepEqual(events, [
      { type: 'run.started', eventId: 'R1/run.started', planId: 'acme', runId: 'R1', at: '2025-06-10T09:00:01.000Z', detail: { trigger: 'schedule', slot: '2025-06-10T09:00' } },
    ]);
  });

  test('a run leaving running is run.completed with its counters, or run.failed', () => {
    const closed = runItem({ status: 'completed', endedAt: '2025-06-10T09:02:00.000Z', counters: { exported: 3, updatedInOneC: 1, updatedInGoodwix: 2, conflicts: 1, failed: 0 } });

    const completed = runEventsOfChange(change('MODIFY', runItem(), closed));
    const failed = runEventsOfChange(change('MODIFY', runItem(), { ...closed, status: 'failed', errorCount: 2, summary: 'abandoned' }));

    assert.equal(completed.length, 1);
    assert.deepEqual(completed[0]!.detail, { trigger: 'schedule', status: 'completed', errorCount: 0, exported: 3, updatedInOneC: 1, updatedInGoodwix: 2, conflicts: 1, failed: 0 });
    assert.deepEqual([completed[0]!.type, completed[0]!.eventId, completed[0]!.at], ['run.completed', 'R1/run.completed', '2025-06-10T09:02:00.000Z']);
    assert.deepEqual([failed[0]!.type, failed[0]!.detail?.['errorCount'], failed[0]!.detail?.['summary']], ['run.failed', 2, 'abandoned']);
  });

  test('counter updates of a running run, and writes to a closed one, are not events', () => {
    assert.deepEqual(runEventsOfChange(change('MODIFY', runItem(), runItem({ counters: { exported: 1 } }))), []);
    const closed = runItem({ status: 'completed', endedAt: '2025-06-10T09:02:00.000Z' });
    assert.deepEqual(runEventsOfChange(change('MODIFY', closed, { ...closed, errorCount: 1 })), []);
  });

  test('an order entry turning done with conflicts is order.conflict with the fields 1C won', () => {
    const done = orderEntry({ state: 'done', outcome: 'updated', detail: { onecNumber: 'ЗК-000123', conflicts: 2, conflictFields: 'line-1.price, line-2.quantity' } });

    const events = runEventsOfChange(change('MODIFY', orderEntry(), done));

    assert.deepEqual(events, [
      {
        type: 'order.conflict',
        eventId: 'R1/order.conflict/gw-7',
        planId: 'acme',
        runId: 'R1',
        at: '2025-06-10T09:00:05.000Z',
        detail: { orderId: 'gw-7', onecNumber: 'ЗК-000123', conflicts: 2, fields: 'line-1.price, line-2.quantity' },
      },
    ]);
  });

  test('an order done without conflicts, a redelivered done entry, an expiry and other items are not events', () => {
    const done = orderEntry({ state: 'done', detail: { conflicts: 1 } });

    assert.deepEqual(runEventsOfChange(change('MODIFY', orderEntry(), orderEntry({ state: 'done', detail: { conflicts: 0 } }))), []);
    assert.deepEqual(runEventsOfChange(change('MODIFY', done, done)), []);
    assert.deepEqual(runEventsOfChange(change('REMOVE', runItem(), undefined)), []);
    assert.deepEqual(runEventsOfChange(change('INSERT', undefined, { pk: 'PLAN#acme', sk: 'ORDER#gw-7', planId: 'acme', runId: 'R1', status: 'running' })), []);
  });
});

const anEvent = (i: number): RunEvent => ({ type: 'run.started', eventId: `R${i}/run.started`, planId: 'acme', runId: `R${i}`, at: '2025-06-10T09:00:00.000Z', detail: { trigger: 'manual' } });

describe('EventBridge publisher (the real client over HTTP)', () => {
  test('puts each event with source, detail-type, time and a detail carrying its ids', async () => {
    bus.reset();

    await new EventBridgePublisher(bus.client(), 'exchange-bus').publish([{ ...anEvent(1), type: 'run.completed', detail: { exported: 3 } }]);

    const [entry] = bus.entries;
    assert.deepEqual([entry?.EventBusName, entry?.Source, entry?.DetailType], ['exchange-bus', 'goodwix-1c-exchange', 'run.completed']);
    assert.deepEqual(JSON.parse(entry!.Detail), { eventId: 'R1/run.started', planId: 'acme', runId: 'R1', at: '2025-06-10T09:00:00.000Z', exported: 3 });
  });

  test('puts many events ten per call, in order', async () => {
    bus.reset();

    await new EventBridgePublisher(bus.client(), 'bus').publish(Array.from({ length: 23 }, (_, i) => anEvent(i)));

    assert.equal(bus.calls, 3);
    assert.deepEqual(bus.entries.map((e) => JSON.parse(e.Detail).runId), Array.from({ length: 23 }, (_, i) => `R${i}`));
  });

  test('a refused entry fails retryably and says how many events before it were put', async () => {
    bus.reset();
    bus.refuse = (entry) => JSON.parse(entry.Detail).runId === 'R12';

    const failure = await new EventBridgePublisher(bus.client(), 'bus').publish(Array.from({ length: 15 }, (_, i) => anEvent(i))).catch((e: unknown) => e);

    assert.ok(failure instanceof EventPublishError && failure.retryable, String(failure));
    assert.equal(failure.putCount, 12);
    assert.match(failure.message, /InternalFailure/);
  });
});

const readStream = (store: StoreContext, handler: Parameters<typeof readTableStream>[2]) => readTableStream(store, dynamo.endpoint, handler);

describe('events function (DynamoDB Local stream → the real EventBridge client)', () => {
  const config = loadEventsConfig({ EVENT_BUS_NAME: 'exchange-bus', AWS_REGION: 'us-east-1' });

  test('puts run.started, order.conflict and run.completed once each, from the run the table holds', async () => {
    bus.reset();
    const store = await dynamo.newStore();
    const runs = new RunRepository(store);
    const runId = newRunId();
    await runs.create({ planId: 'acme', runId, trigger: 'manual', startedAt: new Date('2025-06-10T09:00:00Z') });
    await runs.register('acme', runId, 'gw-1', new Date());
    await runs.register('acme', runId, 'gw-2', new Date());
    await runs.complete('acme', runId, { orderId: 'gw-1', outcome: 'updated', at: '2025-06-10T09:00:02.000Z', detail: { conflicts: 1, conflictFields: 'header.status' }, counters: { conflicts: 1 }, products: [] });
    await runs.complete('acme', runId, { orderId: 'gw-2', outcome: 'unchanged', at: '2025-06-10T09:00:03.000Z', detail: { conflicts: 0 }, counters: {}, products: [] });
    // A redelivered message finds its order done: nothing changes, nothing is put twice.
    await runs.complete('acme', runId, { orderId: 'gw-1', outcome: 'updated', at: '2025-06-10T09:00:04.000Z', detail: { conflicts: 1 }, counters: { conflicts: 1 }, products: [] });
    await runs.close('acme', runId, { status: 'completed', endedAt: new Date('2025-06-10T09:01:00Z') });
    const handler = createEventsHandler(new EventBridgePublisher(bus.client(), config.EVENT_BUS_NAME), { logger: silent });

    await readStream(store, handler);

    assert.deepEqual(bus.entries.map((e) => e.DetailType), ['run.started', 'order.conflict', 'run.completed']);
    const conflict = JSON.parse(bus.entries[1]!.Detail);
    assert.deepEqual([conflict.orderId, conflict.fields], ['gw-1', 'header.status']);
    assert.equal(JSON.parse(bus.entries[2]!.Detail).conflicts, 1, 'the run counted the conflict once');
  });

  test('a bus failure resumes at the refused record: nothing is skipped, repeats keep their eventId', async () => {
    bus.reset();
    const store = await dynamo.newStore();
    const runs = new RunRepository(store);
    const [first, second, third] = [newRunId(), newRunId(), newRunId()];
    for (const runId of [first, second, third]) await runs.create({ planId: 'acme', runId, trigger: 'manual', startedAt: new Date() });
    await runs.close('acme', first, { status: 'failed', endedAt: new Date() });
    let refusals = 1;
    bus.refuse = (entry) => entry.DetailType === 'run.started' && JSON.parse(entry.Detail).runId === second && refusals-- > 0;
    const batches: { sequenceNumbers: string[]; failures: string[] }[] = [];
    const handler = createEventsHandler(new EventBridgePublisher(bus.client(), config.EVENT_BUS_NAME), { logger: silent });

    await readStream(store, async (event) => {
      const answer = await handler(event);
      batches.push({ sequenceNumbers: event.Records.map((r) => r.dynamodb?.SequenceNumber ?? ''), failures: answer.batchItemFailures.map((f) => f.itemIdentifier) });
      return answer;
    });

    assert.deepEqual(batches[0]?.failures, [batches[0]?.sequenceNumbers[1]], 'resume at the second record, the refused one');
    assert.equal(batches[1]?.sequenceNumbers[0], batches[0]?.sequenceNumbers[1], 'the retry starts there');
    const put = bus.entries.map((e) => JSON.parse(e.Detail).eventId as string);
    assert.deepEqual(put.slice(0, 3), [`${first}/run.started`, `${third}/run.started`, `${first}/run.failed`], 'the bus took the entries around the refused one');
    assert.deepEqual(put.slice(3), [`${second}/run.started`, `${third}/run.started`, `${first}/run.failed`], 'the retry repeats them with the same ids');
  });

  test("counts the failed runs it put in its own metric, which feeds the RunFailures alarm without the bus's log rule", async () => {
    bus.reset();
    const store = await dynamo.newStore();
    const runs = new RunRepository(store);
    const [failed, completed] = [newRunId(), newRunId()];
    for (const runId of [failed, completed]) await runs.create({ planId: 'acme', runId, trigger: 'manual', startedAt: new Date() });
    await runs.close('acme', failed, { status: 'failed', endedAt: new Date() });
    await runs.close('acme', completed, { status: 'completed', endedAt: new Date() });
    let refusals = 1;
    bus.refuse = (entry) => entry.DetailType === 'run.failed' && refusals-- > 0;
    const counted: [string, number][] = [];
    const metrics = { addMetric: (name: string, _unit: string, value: number) => counted.push([name, value]), publishStoredMetrics: () => undefined };
    const handler = createEventsHandler(new EventBridgePublisher(bus.client(), config.EVENT_BUS_NAME), { logger: silent, metrics: metrics as never });

    await readStream(store, handler);

    const failedRuns = counted.filter(([name]) => name === 'RunFailedEvents').reduce((sum, [, value]) => sum + value, 0);
    assert.equal(failedRuns, 1, 'counted once: not when the bus refused it, when it was put');
    assert.equal(bus.entries.filter((e) => e.DetailType === 'run.failed').length, 1);
  });

  test('the event source filters pass exactly the records that are events', async () => {
    const store = await dynamo.newStore();
    const runs = new RunRepository(store);
    const runId = newRunId();
    const abandoned = newRunId();
    // Every kind of write a run makes, each of the three events, and writes that are not events.
    await runs.create({ planId: 'acme', runId, trigger: 'schedule', slot: '2025-06-10T09:00', startedAt: new Date() });
    await runs.create({ planId: 'acme', runId: abandoned, trigger: 'manual', startedAt: new Date() });
    await runs.append('acme', runId, { counters: { exported: 2 } });
    await runs.append('acme', abandoned, { problems: [{ code: 'RUN_ABANDONED', message: 'abandoned' }] });
    await runs.close('acme', abandoned, { status: 'failed', endedAt: new Date(), summary: 'abandoned' });
    for (const orderId of ['gw-1', 'gw-2', 'gw-3']) await runs.register('acme', runId, orderId, new Date());
    await runs.complete('acme', runId, { orderId: 'gw-1', outcome: 'updated', at: new Date().toISOString(), detail: { conflicts: 3, conflictFields: 'a.b' }, counters: { conflicts: 1 }, products: [] });
    await runs.complete('acme', runId, { orderId: 'gw-2', outcome: 'unchanged', at: new Date().toISOString(), detail: { conflicts: 0 }, counters: {}, products: [] });
    await runs.complete('acme', runId, { orderId: 'gw-3', outcome: 'parked', at: new Date().toISOString(), error: { code: 'X', message: 'x' }, detail: { conflicts: 0 }, counters: { failed: 1 }, products: [] });
    await runs.close('acme', runId, { status: 'completed', endedAt: new Date() });
    const verdicts: { sk: string; name: string; passes: boolean; events: number }[] = [];

    await readStream(store, async (event) => {
      for (const record of event.Records) {
        const change = tableChangeOf(record as Parameters<typeof tableChangeOf>[0]);
        verdicts.push({ sk: String(record.dynamodb?.Keys?.['sk']?.S), name: String(record.eventName), passes: passesFilters(RUN_EVENT_FILTER_PATTERNS, record), events: change ? runEventsOfChange(change).length : 0 });
      }
      return { batchItemFailures: [] };
    });

    assert.ok(verdicts.length >= 12, `the stream held ${verdicts.length} records`);
    assert.deepEqual(verdicts.filter((v) => v.events > 0 && !v.passes), [], 'no event is filtered away');
    assert.deepEqual(verdicts.filter((v) => v.passes && v.events === 0), [], 'no record that is not an event invokes the function');
    assert.equal(verdicts.filter((v) => v.passes).length, 5, 'two starts, two ends, one conflict');
  });

  test('a batch that is not a stream batch is logged and passed over', async () => {
    bus.reset();
    const handler = createEventsHandler(new EventBridgePublisher(bus.client(), 'bus'), { logger: silent });

    const answer = await handler({ Records: 'nope' } as unknown as DynamoDBStreamEvent);

    assert.deepEqual(answer, { batchItemFailures: [] });
    assert.equal(bus.calls, 0);
  });

  test('a record whose images cannot be read is passed over; the events around it are put', async () => {
    const put: RunEvent[] = [];
    const record = (seq: string, image: Record<string, unknown>) => ({ eventName: 'INSERT', dynamodb: { Keys: { sk: { S: 'RUN#x' } }, NewImage: image, SequenceNumber: seq } });
    const good = (runId: string) => ({ pk: { S: 'PLAN#acme' }, sk: { S: `RUN#${runId}` }, planId: { S: 'acme' }, runId: { S: runId }, status: { S: 'running' }, startedAt: { S: '2025-06-10T09:00:00.000Z' }, trigger: { S: 'manual' } });

    const result = await forwardRunEvents([record('1', good('A')), record('2', { status: { BOGUS: 1 } }), record('3', good('B'))], { publish: async (events) => void put.push(...events) }, {});

    assert.deepEqual(put.map((e) => e.runId), ['A', 'B']);
    assert.deepEqual([result.unreadable, result.retryFrom], [1, undefined], 'counted (alarmed on), not retried');
  });

  test('the configuration names a missing bus', () => {
    assert.throws(() => loadEventsConfig({}), /EVENT_BUS_NAME/);
  });
});
