/**
 * SDK clients are built on first use (`lazyClient`, docs/performance.md "Bundles"): nothing at
 * construction, which is module init in Lambda; once, with the function's instrument attached,
 * before the first call reaches DynamoDB Local and the SQS emulator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { ClientInstrument } from '#platform/aws-clients';
import { createSqsClient } from '#aws/sqs';
import { createStoreContext } from '#store/client';
import { CursorRepository } from '#store/cursors';
import { useDynamoDb } from '../support/dynamodb.ts';
import { useSqs } from '../support/sqs.ts';

const dynamo = useDynamoDb();
const sqs = useSqs();

function counting(): { instrument: ClientInstrument; builds: () => number; calls: string[] } {
  let builds = 0;
  const calls: string[] = [];
  return {
    builds: () => builds,
    calls,
    instrument: (client) => {
      builds += 1;
      client.middlewareStack.add((next, context) => (args) => {
        calls.push(String(context.commandName));
        return next(args);
      }, { step: 'initialize', name: 'lazyClientTestRecorder' });
    },
  };
}

test('the DynamoDB client is built on the first call, once, with its instrument', async () => {
  const { tableName } = await dynamo.newStore();
  const hook = counting();
  const store = createStoreContext(tableName, { endpoint: dynamo.endpoint, instrument: hook.instrument });
  const cursors = new CursorRepository(store);
  assert.equal(hook.builds(), 0, 'no client at construction');
  assert.equal(await cursors.get('some-plan', 'orders'), null);
  assert.equal(await cursors.get('some-plan', 'orders'), null);
  assert.equal(hook.builds(), 1);
  assert.deepEqual(hook.calls, ['GetItemCommand', 'GetItemCommand']);
  store.client.destroy();
});

test('the SQS client is built on the first call, once, with its instrument', async () => {
  const hook = counting();
  const client = createSqsClient({ sqsEndpoint: sqs.endpoint, instrument: hook.instrument });
  assert.equal(hook.builds(), 0, 'no client at construction');
  const { queueUrl } = await sqs.newRunQueue();
  const name = queueUrl.split('/').at(-1)!;
  const answer = await client.send(new GetQueueUrlCommand({ QueueName: name }));
  assert.match(answer.QueueUrl ?? '', new RegExp(`${name}$`));
  await client.send(new GetQueueUrlCommand({ QueueName: name }));
  assert.equal(hook.builds(), 1);
  assert.deepEqual(hook.calls, ['GetQueueUrlCommand', 'GetQueueUrlCommand']);
  client.destroy();
});
