import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '#store/table';
import type { SQSEvent } from 'aws-lambda';
import { createWorkerHandler, workerFromConfig } from '#functions/worker/app';
import { loadWorkerConfig } from '#functions/worker/config';
import { PlanRepository } from '#store/plans';
import { BindingRepository } from '#store/bindings';
import { RunRepository } from '#store/runs';
import { LocalSecretsProvider, SecretUnavailableError, type SecretsProvider } from '#secrets/secrets';
import { useDynamoDb } from '#test/dynamodb';
import { aLambdaContext } from '#test/lambda';
import { aPlan, DemoSecretsOfAnyPlan } from '#test/plans';
import { useSqs } from '#test/sqs';

const dynamo = useDynamoDb();
const sqs = useSqs();
const silent = new Logger({ logLevel: 'SILENT' });
const context = aLambdaContext({ functionName: 'worker' });

/** A worker whose plan points at a Goodwix that refuses connections: every order fails, retryably. */
async function setup(options: { secrets?: SecretsProvider } = {}) {
  const store = await dynamo.newStore();
  const { queueUrl } = await sqs.newOrderQueue({ visibilityTimeoutSeconds: 30 });
  const env = { TABLE_NAME: store.tableName, ORDER_QUEUE_URL: queueUrl, MAX_RECEIVE_COUNT: '3', RETRY_BASE_SECONDS: '7', DYNAMODB_ENDPOINT: dynamo.endpoint, SQS_ENDPOINT: sqs.endpoint, AWS_REGION: 'us-east-1', SECRETS_PREFIX: 'local/' };
  const plan = aPlan();
  await new PlanRepository(store).put(plan);
  const wiring = workerFromConfig(loadWorkerConfig(env), {
    logger: silent,
    secrets: options.secrets ?? new DemoSecretsOfAnyPlan(),
    tuning: { goodwixMaxAttempts: 1, onecRetry: { attempts: 1 } },
  });
  const handler = createWorkerHandler(wiring, { logger: silent });
  return { plan, handler, queueUrl, bindings: new BindingRepository(store), runs: new RunRepository(store), plans: new PlanRepository(store), store };
}

async function delivered(queueUrl: string, body: object, group: string) {
  await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(body), MessageGroupId: group, MessageDeduplicationId: `${Date.now()}-${Math.random()}` }));
  const { Messages } = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, MessageSystemAttributeNames: ['All'] }));
  return Messages![0]!;
}

function eventOf(message: { MessageId?: string; ReceiptHandle?: string; Body?: string }, receiveCount: number, group: string): SQSEvent {
  return {
    Records: [
      {
        messageId: message.MessageId!, receiptHandle: message.ReceiptHandle!, body: message.Body!,
        attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0', MessageGroupId: group },
        messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:orders.fifo', awsRegion: 'us-east-1',
      },
    ],
  };
}

describe('worker handler (SQS FIFO order queue)', () => {
  test('reports a retryable failure for SQS to redeliver, and puts the message out of sight for the back-off', async () => {
    const { plan, handler, queueUrl } = await setup();
    const group = `${plan.id}#100001`;
    const message = await delivered(queueUrl, { kind: 'order', planId: plan.id, runId: 'run-1', orderId: '100001' }, group);

    const response = await handler(eventOf(message, 1, group), context);

    assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: message.MessageId }] });
    const { Attributes } = await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }));
    assert.equal(Attributes?.ApproximateNumberOfMessagesNotVisible, '1', 'still in flight: invisible for the back-off, not deleted');
  });

  test('parks the order on its last delivery instead of throwing it to the DLQ, with the error on its sync record', async () => {
    const { plan, handler, queueUrl, bindings } = await setup();
    const group = `${plan.id}#100002`;
    const message = await delivered(queueUrl, { kind: 'order', planId: plan.id, runId: 'run-1', orderId: '100002' }, group);

    const response = await handler(eventOf(message, 3, group), context);

    assert.deepEqual(response, { batchItemFailures: [] });
    const binding = await bindings.get(plan.id, '100002');
    assert.equal(binding?.parked?.code, 'GOODWIX_NETWORK');
    assert.equal(binding?.open, true, 'the next run tries it again');
  });

  test('sends a message that does not parse to the DLQ (reported as failed) without touching anything', async () => {
    const { plan, handler, queueUrl } = await setup();
    const group = `${plan.id}#x`;
    const message = await delivered(queueUrl, { kind: 'order', planId: plan.id, orderId: 'not-a-number' }, group);

    const response = await handler(eventOf(message, 1, group), context);

    assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: message.MessageId }] });
  });

  test('starts no record with too little time left: returns it untouched and visible again at once, and parks one on its last delivery at once, counted', async () => {
    const { plan, handler, queueUrl, bindings } = await setup();
    const early = await delivered(queueUrl, { kind: 'order', planId: plan.id, runId: 'run-1', orderId: '100004' }, `${plan.id}#100004`);
    const last = await delivered(queueUrl, { kind: 'order', planId: plan.id, runId: 'run-1', orderId: '100005' }, `${plan.id}#100005`);
    const event = { Records: [...eventOf(early, 1, `${plan.id}#100004`).Records, ...eventOf(last, 3, `${plan.id}#100005`).Records] };
    const shortOfTime = aLambdaContext({ functionName: 'worker', remainingMs: 10_000 });

    const response = await handler(event, shortOfTime);

    assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: early.MessageId }] });
    const { Attributes } = await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    assert.equal(Attributes?.ApproximateNumberOfMessages, '1', 'the record not started is back at once, not after a back-off or the visibility timeout');
    assert.equal(await bindings.get(plan.id, '100004'), null, 'and nothing was done for it');
    // Started with 10 s left, an exchange that needs longer would outrun the invocation, and the
    // message would go to the DLQ uncounted; parked, it is counted and the next run exchanges it.
    const parked = (await bindings.get(plan.id, '100005'))?.parked;
    assert.equal(parked?.code, 'SYNC_NO_TIME_LEFT', 'the one on its last delivery is parked at once, not started, not sent to the DLQ');
    assert.match(parked?.message ?? '', /last delivery.*the next run exchanges it/u);
  });
  test("parks the order at once when its plan's clients cannot be built for good (a secret gone), and counts it done on its run", async () => {
    // Prepare: the plan's secrets are not there; no retry can bring them
    const { plan, handler, queueUrl, bindings, runs } = await setup({ secrets: new LocalSecretsProvider({}) });
    const runId = await aRunWaitingFor(runs, plan.id, '100006');
    const group = `${plan.id}#100006`;
    const message = await delivered(queueUrl, { kind: 'order', planId: plan.id, runId, orderId: '100006' }, group);

    // Act: the first delivery
    const response = await handler(eventOf(message, 1, group), context);

    // Assess: not retried six times into the DLQ, leaving its run open until its lock lapses
    assert.deepEqual(response, { batchItemFailures: [] });
    const binding = await bindings.get(plan.id, '100006');
    assert.equal(binding?.parked?.code, 'SECRET_NOT_FOUND');
    assert.match(binding?.parked?.message ?? '', /not found/);
    assert.equal(binding?.open, true, 'the next run tries it again, once the secret is back');
    assert.equal((await runs.progress(plan.id, runId))?.done, 1, 'its run counts it done and can close');
  });

  test("parks the order on its last delivery when its plan's clients cannot be built for now (Secrets Manager down)", async () => {
    // Prepare
    const down: SecretsProvider = {
      getSecret: async (ref: string) => {
        throw new SecretUnavailableError(ref, { cause: new Error('connect ECONNREFUSED') });
      },
    };
    const { plan, handler, queueUrl, bindings, runs } = await setup({ secrets: down });
    const runId = await aRunWaitingFor(runs, plan.id, '100007');
    const group = `${plan.id}#100007`;
    const early = await delivered(queueUrl, { kind: 'order', planId: plan.id, runId, orderId: '100007' }, group);

    // Act
    const first = await handler(eventOf(early, 1, group), context);
    const last = await handler(eventOf(early, 3, group), context);

    // Assess: retried while deliveries are left, parked on the last
    assert.deepEqual(first, { batchItemFailures: [{ itemIdentifier: early.MessageId }] });
    assert.deepEqual(last, { batchItemFailures: [] });
    assert.equal((await bindings.get(plan.id, '100007'))?.parked?.code, 'SECRET_UNAVAILABLE');
    assert.equal((await runs.progress(plan.id, runId))?.done, 1);
  });

  test('counts an order of a deleted plan done without exchanging it, so its run still closes', async () => {
    // Prepare: the plan is deleted while its run waits for one order (allowed once the run's lease lapsed)
    const { plan, handler, queueUrl, bindings, runs, plans } = await setup();
    const runId = await aRunWaitingFor(runs, plan.id, '100008');
    assert.equal(await plans.delete(plan.id), true);
    const group = `${plan.id}#100008`;
    const message = await delivered(queueUrl, { kind: 'order', planId: plan.id, runId, orderId: '100008' }, group);

    // Act
    const response = await handler(eventOf(message, 1, group), context);

    // Assess: dropped uncounted, the run would stay running until its items expired (the plan's lock went with it)
    assert.deepEqual(response, { batchItemFailures: [] });
    assert.equal(await bindings.get(plan.id, '100008'), null, 'nothing exchanged or recorded for the order');
    assert.equal((await runs.progress(plan.id, runId))?.done, 1);
    const [entry] = (await runs.listOrders(plan.id, runId)).items;
    assert.equal(entry?.outcome, 'skipped');
    assert.match(String(entry?.detail?.['message'] ?? ''), /deleted/);
    assert.notEqual((await runs.get(plan.id, runId))?.status, 'running', 'and the run is closed');
  });

  test('parks the order at once when its stored plan no longer reads (a corrupt item), and counts it done', async () => {
    // Prepare: the plan item is broken behind the API's back
    const { plan, handler, queueUrl, bindings, runs, store } = await setup();
    const runId = await aRunWaitingFor(runs, plan.id, '100009');
    await store.client.send(new UpdateCommand({ TableName: store.tableName, Key: { pk: keys.planPk(plan.id), sk: keys.planSk }, UpdateExpression: 'SET #plan.#schedule = :bad', ExpressionAttributeNames: { '#plan': 'plan', '#schedule': 'schedule' }, ExpressionAttributeValues: { ':bad': 'every minute' } }));
    const group = `${plan.id}#100009`;
    const message = await delivered(queueUrl, { kind: 'order', planId: plan.id, runId, orderId: '100009' }, group);

    // Act
    const response = await handler(eventOf(message, 1, group), context);

    // Assess
    assert.deepEqual(response, { batchItemFailures: [] });
    const parked = (await bindings.get(plan.id, '100009'))?.parked;
    assert.equal(parked?.code, 'STORE_CORRUPT_ITEM');
    assert.match(parked?.message ?? '', /schedule/, 'the message names the field at fault');
    assert.equal((await runs.progress(plan.id, runId))?.done, 1);
    const run = await runs.get(plan.id, runId);
    assert.equal(run?.status, 'attention', 'the run closes, its reserves left for a person');
    assert.ok(run?.errors.some((e) => e.code === 'STORE_CORRUPT_ITEM' && /schedule/.test(e.message)), 'with the reason');
  });
});

/** A running run that has queued one order and waits for it. */
async function aRunWaitingFor(runs: RunRepository, planId: string, orderId: string): Promise<string> {
  const runId = `run-${orderId}`;
  await runs.create({ planId, runId, trigger: 'manual', startedAt: new Date() });
  await runs.register(planId, runId, orderId, new Date());
  await runs.markCollected(planId, runId, null);
  return runId;
}
