/**
 * The fauxqs SQS emulator for a test file: started in `before()` on 127.0.0.1 (any free
 * port), closed in `after()`; `newRunQueue()` creates a run queue (and its DLQ) from
 * `#aws/run-queue`'s definition.
 */
import { after, before } from 'node:test';
import { randomBytes } from 'node:crypto';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { createOrderQueue, createRunQueue, localSqsClient, startSqsEmulator, type SqsEmulator } from '#local/runtime/services';

export interface TestSqs {
  readonly endpoint: string;
  readonly client: SQSClient;
  newRunQueue(options?: { visibilityTimeoutSeconds?: number }): Promise<{ queueUrl: string; dlqUrl: string }>;
  /** An order queue (and its DLQ) from `#aws/order-queue`'s definition */
  newOrderQueue(options?: { visibilityTimeoutSeconds?: number }): Promise<{ queueUrl: string; dlqUrl: string }>;
  /** Every message available now (short polls until one comes back empty) */
  receiveAll(queueUrl: string): Promise<Message[]>;
}

export function useSqs(): TestSqs {
  let server: SqsEmulator | undefined;
  let client: SQSClient | undefined;
  before(async () => {
    server = await startSqsEmulator();
    client = localSqsClient(server.endpoint);
  });
  after(async () => {
    client?.destroy();
    await server?.stop();
  });
  const started = () => {
    if (!server || !client) throw new Error('SQS emulator is not started yet (use it inside tests)');
    return { server, client };
  };
  return {
    get endpoint() {
      return started().server.endpoint;
    },
    get client() {
      return started().client;
    },
    async newRunQueue(options = {}) {
      return createRunQueue(started().client, `run-queue-${randomBytes(4).toString('hex')}`, options);
    },
    async newOrderQueue(options = {}) {
      return createOrderQueue(started().client, `order-queue-${randomBytes(4).toString('hex')}`, options);
    },
    async receiveAll(queueUrl) {
      const out: Message[] = [];
      for (;;) {
        const { Messages } = await started().client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
        if (!Messages?.length) return out;
        out.push(...Messages);
      }
    },
  };
}

/** Messages in a queue's DLQ (`<name>-dlq.fifo`), visible or in flight. */
export async function messagesInDlq(client: SQSClient, queueUrl: string): Promise<number> {
  const name = new URL(queueUrl).pathname.split('/').pop()!.replace(/\.fifo$/, '-dlq.fifo');
  const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }));
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  return Number(Attributes?.['ApproximateNumberOfMessages'] ?? 0) + Number(Attributes?.['ApproximateNumberOfMessagesNotVisible'] ?? 0);
}
