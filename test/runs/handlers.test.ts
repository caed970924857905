import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Message } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { collectorPortsFromConfig, createCollectorHandler } from '#functions/collector/app';
import { loadCollectorConfig } from '#functions/collector/config';
import { createTickHandler, tickPortsFromConfig } from '#functions/tick/app';
import { loadTickConfig } from '#functions/tick/config';
import type { CollectBody } from '#exchange/collect';
import { startRun } from '#exchange/start-run';
import { SqsRunQueue } from '#aws/run-queue';
import { newRunId } from '#runs/run-id';
import { StoreUnavailableError } from '#store/errors';
import { useDynamoDb } from '#test/dynamodb';
import { aLambdaContext } from '#test/lambda';
import { runEventsOf } from '#test/run-events';
import { aPlan, DemoSecretsOfAnyPlan } from '#test/plans';
import { useSqs } from '#test/sqs';

const dynamo = useDynamoDb();
const sqs = useSqs();
const silent = new Logger({ logLevel: 'SILENT' });

function sqsRecord(body: string, groupId: string, id = newRunId()): SQSRecord {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0', MessageGroupId: groupId, MessageDeduplicationId: id },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:run-queue.fifo',
    awsRegion: 'us-east-1',
  };
}

/** The SQS record of a message as received: its real receipt handle, so the handler can set its visibility. */
function receivedRecord(message: Message, receiveCount: number): SQSRecord {
  const record = sqsRecord(message.Body!, JSON.parse(message.Body!).planId, message.MessageId!);
  return { ...record, receiptHandle: message.ReceiptHandle!, attributes: { ...record.attributes, ApproximateReceiveCount: String(receiveCount) } };
}

async function setup(collect?: CollectBody, extraEnv: Record<string, string> = {}) {
  const store = await dynamo.newStore();
  const { queueUrl } = await sqs.newRunQueue();
  const env = { TABLE_NAME: store.tableName, RUN_QUEUE_URL: queueUrl, ORDER_QUEUE_URL: `${queueUrl}-orders`, DYNAMODB_ENDPOINT: dynamo.endpoint, SQS_ENDPOINT: sqs.endpoint, AWS_REGION: 'us-east-1', SECRETS_PREFIX: 'local/', ...extraEnv };
  const overrides = { logger: silent, secrets: new DemoSecretsOfAnyPlan() };
  const tickPorts = tickPortsFromConfig(loadTickConfig(env), overrides);
  const connectors = { oneC: () => ({ getRef: async () => ({ name: 'ok', deletionMark: false }) }), goodwix: () => ({ login: async () => undefined, catalogExists: async () => true }) };
  // The handler's mechanics are under test here, not the order collection: a run's work is done at once.
  const collectorPorts = collectorPortsFromConfig(loadCollectorConfig(env), { ...overrides, connectors, collect: collect ?? (async () => ({ status: 'done', problems: [] })) });
  return {
    tickPorts,
    collectorPorts,
    events: () => runEventsOf(store, dynamo.endpoint),
    queueUrl,
    tick: createTickHandler(tickPorts, { logger: silent }),
    collector: createCollectorHandler(collectorPorts, { logger: silent }),
  };
}

describe('collector handler (SQS run queue, partial batch responses)', () => {
  test('collects each run of a batch and reports no failures', async () => {
    const { tickPorts, collector, queueUrl } = await setup();
    const [a, b] = [aPlan(), aPlan()];
    await tickPorts.plans.put(a);
    await tickPorts.plans.put(b);
    await startRun(tickPorts, { planId: a.id, trigger: 'manual' });
    await startRun(tickPorts, { planId: b.id, trigger: 'manual' });
    const messages = await sqs.receiveAll(queueUrl);

    const response = await collector({ Records: messages.map((m) => sqsRecord(m.Body!, JSON.parse(m.Body!).planId)) } as SQSEvent, aLambdaContext({ functionName: 'collector' }));

    assert.deepEqual(response, { batchItemFailures: [] });
    assert.deepEqual((await tickPorts.runs.list(a.id)).items.map((r) => r.status), ['completed']);
    assert.deepEqual((await tickPorts.runs.list(b.id)).items.map((r) => r.status), ['completed']);
  });

  test('reports a record that does not parse as the only failure, exactly as SQS expects', async () => {
    const { tickPorts, collector, queueUrl } = await setup();
    const plan = aPlan();
    await tickPorts.plans.put(plan);
    await startRun(tickPorts, { planId: plan.id, trigger: 'manual' });
    const [good] = await sqs.receiveAll(queueUrl);
    const bad = sqsRecord('{"kind":"collect","planId":"x"}', 'other-plan', 'bad-message');

    const response = await collector({ Records: [bad, sqsRecord(good!.Body!, plan.id)] } as SQSEvent, aLambdaContext({ functionName: 'collector' }));

    assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: 'bad-message' }] });
    assert.equal((await tickPorts.runs.list(plan.id)).items[0]?.status, 'completed');
  });

  test('reports a run whose work hit a retryable failure, so SQS redelivers it', async () => {
    const { tickPorts, collector, queueUrl } = await setup(async () => { throw new StoreUnavailableError('throttled'); });
    const plan = aPlan();
    await tickPorts.plans.put(plan);
    const run = await startRun(tickPorts, { planId: plan.id, trigger: 'manual' });
    const [message] = await sqs.receiveAll(queueUrl);

    const response = await collector({ Records: [sqsRecord(message!.Body!, plan.id, 'm1')] } as SQSEvent, aLambdaContext({ functionName: 'collector' }));

    assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: 'm1' }] });
    assert.equal((await tickPorts.runs.get(plan.id, run.runId))?.status, 'running');
  });

  test("brings a run whose work hit a retryable failure back after a back-off of seconds, not after the queue's hour", async () => {
    // Prepare: the run queue as deployed (3,600 s visibility), a back-off starting at 1 s
    const { tickPorts, collector, queueUrl } = await setup(async () => { throw new StoreUnavailableError('throttled'); }, { RETRY_BASE_SECONDS: '1' });
    const plan = aPlan();
    await tickPorts.plans.put(plan);
    await startRun(tickPorts, { planId: plan.id, trigger: 'manual' });
    const [message] = await sqs.receiveAll(queueUrl);
    // Act
    const response = await collector({ Records: [receivedRecord(message!, 1)] } as SQSEvent, aLambdaContext({ functionName: 'collector' }));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // Assess
    assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: message!.MessageId }] });
    assert.deepEqual((await sqs.receiveAll(queueUrl)).map((m) => m.MessageId), [message!.MessageId], 'visible again after the back-off');
  });

  test('closes the run failed on its last delivery, naming the error, and frees its plan, instead of leaving it to the DLQ', async () => {
    // Prepare
    const { tickPorts, collector, queueUrl } = await setup(async () => { throw new StoreUnavailableError('throttled'); }, { MAX_RECEIVE_COUNT: '3' });
    const plan = aPlan();
    await tickPorts.plans.put(plan);
    const run = await startRun(tickPorts, { planId: plan.id, trigger: 'manual' });
    const [message] = await sqs.receiveAll(queueUrl);
    // Act
    const response = await collector({ Records: [receivedRecord(message!, 3)] } as SQSEvent, aLambdaContext({ functionName: 'collector' }));
    // Assess
    assert.deepEqual(response, { batchItemFailures: [] });
    const closed = await tickPorts.runs.get(plan.id, run.runId);
    assert.equal(closed?.status, 'failed');
    assert.deepEqual(closed?.errors.map((e) => e.code), ['STORE_UNAVAILABLE']);
    assert.match(closed?.errors[0]?.message ?? '', /throttled.*3 deliveries/u);
    assert.equal(await tickPorts.locks.get(plan.id), null, 'the plan is free for the next run');
  });
});

describe('tick handler (EventBridge schedule)', () => {
  test('starts the due plans and answers what it did', async () => {
    const { tickPorts, tick, events } = await setup();
    const plan = aPlan({ schedule: { enabled: true, timeZone: 'UTC', start: '00:00', end: '00:00', everyMinutes: 1440 } });
    await tickPorts.plans.put(plan);
    await tickPorts.plans.recordCheck(plan.id, { checkedAt: new Date().toISOString(), ok: true, version: 1, problems: [] });

    const result = await tick({ 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }, aLambdaContext({ functionName: 'tick' }));
    const replay = await tick({ 'detail-type': 'Scheduled Event', source: 'aws.events' }, aLambdaContext({ functionName: 'tick' }));

    assert.deepEqual(result.started.map((s) => s.planId), [plan.id]);
    assert.deepEqual(replay.started, []);
    assert.deepEqual((await events()).map((e) => e.type), ['run.started']);
  });
});

describe('run queue', () => {
  test('groups a run message by plan and deduplicates it by run id', async () => {
    const { queueUrl } = await sqs.newRunQueue();
    const queue = new SqsRunQueue(sqs.client, queueUrl);
    const runId = newRunId();

    await queue.sendCollect({ kind: 'collect', planId: 'demo', runId, trigger: 'manual' });
    await queue.sendCollect({ kind: 'collect', planId: 'demo', runId, trigger: 'manual' });

    const messages = await sqs.receiveAll(queueUrl);
    assert.equal(messages.length, 1, 'the resent message was deduplicated');
  });
});
