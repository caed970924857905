/**
 * The order queue: one message per order per run, both directions of the order in it. FIFO,
 * grouped by plan and order, so an order is never exchanged twice at once while different
 * orders run in parallel; deduplicated by run, order and versions, so a collector that is
 * retried after sending part of its messages does not queue an order twice in one run (a later
 * run, with its own id, always gets through). The definition is shared by the stack and the
 * local runtime.
 */
import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { backoffSeconds } from './sqs.ts';
import { createHash } from 'node:crypto';
import * as z from '#platform/zod';
import { describeZodError } from '#platform/zod';
import { InvalidOrderMessageError, SyncQueueError } from './errors.ts';
import { GOODWIX_ORDER_ID } from '#goodwix/model';

export const orderQueueDefinition = {
  fifo: true,
  contentBasedDeduplication: false,
  /** The worker's timeout; the visibility timeout is 6 × this */
  workerTimeoutSeconds: 120,
  visibilityTimeoutSeconds: 720,
  retentionSeconds: 4 * 86_400,
  /** Receives before a message moves to the DLQ; on the last one the worker parks the order */
  maxReceiveCount: 6,
  dlqRetentionSeconds: 14 * 86_400,
  /** Worker batch size: FIFO hands out at most a few messages per group anyway */
  batchSize: 10,
} as const;

export const orderMessageSchema = z.object({
  kind: z.literal('order'),
  planId: z.string().check(z.minLength(1), z.maxLength(64)),
  runId: z.string().check(z.minLength(1), z.maxLength(64)),
  orderId: z.string().check(z.regex(GOODWIX_ORDER_ID, 'expected a Goodwix order id')),
  /** Exchange even when neither side moved (a resync request) */
  force: z.optional(z.boolean()),
});
export type OrderMessage = z.infer<typeof orderMessageSchema>;

/**
 * The rest of a run's finalize, which ran out of time in the invocation that started it: the
 * reserves of the run's products after `after` (the claim and the position are on the run item;
 * `after` names the message for its deduplication and the logs).
 */
export const finalizeMessageSchema = z.object({
  kind: z.literal('finalize'),
  planId: z.string().check(z.minLength(1), z.maxLength(64)),
  runId: z.string().check(z.minLength(1), z.maxLength(64)),
  after: z.nullable(z.string().check(z.maxLength(512))),
});
export type FinalizeMessage = z.infer<typeof finalizeMessageSchema>;

export type OrderQueueMessage = OrderMessage | FinalizeMessage;
const queueMessageSchema = z.discriminatedUnion('kind', [orderMessageSchema, finalizeMessageSchema]);

export function parseOrderMessage(body: string): OrderQueueMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidOrderMessageError('Invalid order message: body: not JSON');
  }
  const parsed = queueMessageSchema.safeParse(json);
  if (!parsed.success) throw new InvalidOrderMessageError(`Invalid order message: ${describeZodError(parsed.error, 'message').join('; ')}`);
  return parsed.data;
}

export interface QueuedOrder {
  readonly message: OrderMessage;
  /** What the collector saw, so the same order at the same versions is queued once per run */
  readonly versions: string;
}

export interface OrderQueue {
  send(orders: readonly QueuedOrder[]): Promise<void>;
}

/** The IAM actions this adapter's calls need (test/infra/iam-coverage.test.ts holds the stack's grants to them). */
export const IAM_ACTIONS = ['sqs:SendMessage', 'sqs:ChangeMessageVisibility'] as const;

export class SqsOrderQueue implements OrderQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /**
   * A delivery that failed comes back later, the later the more often it failed (base, 2 × base,
   * … ≤ 10 min), so 1C or Goodwix in trouble is retried with back-off instead of hammered.
   */
  async retryLater(receiptHandle: string, receiveCount: number, baseSeconds: number): Promise<void> {
    await this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: backoffSeconds(receiveCount, baseSeconds) }));
  }

  /** A delivery not started (too little time left) is visible again at once, for another invocation. */
  async returnNow(receiptHandle: string): Promise<void> {
    await this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: 0 }));
  }

  /**
   * A finalize continuation: grouped per plan (one run of a plan at a time), deduplicated by the
   * hand-off that sent it: a continuation that is itself short of time at once hands off again
   * from the same position, and that second message must not be taken for a copy of the first.
   */
  async sendFinalize(message: { planId: string; runId: string; after: string | null; handoff: string }): Promise<void> {
    const body: FinalizeMessage = { kind: 'finalize', planId: message.planId, runId: message.runId, after: message.after };
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: JSON.stringify(body),
          MessageGroupId: `${message.planId}#finalize`,
          MessageDeduplicationId: createHash('sha256').update(`finalize|${message.runId}|${message.after ?? ''}|${message.handoff}`).digest('hex').slice(0, 64),
        }),
      );
    } catch (error) {
      throw new SyncQueueError(`Could not queue the finalize of run ${message.runId}: ${(error as Error).name}`, { cause: error, context: { planId: message.planId, runId: message.runId } });
    }
  }

  async send(orders: readonly QueuedOrder[]): Promise<void> {
    for (let i = 0; i < orders.length; i += 10) {
      const batch = orders.slice(i, i + 10);
      let entries = batch.map((o, n) => ({
        Id: String(n),
        MessageBody: JSON.stringify(o.message),
        MessageGroupId: `${o.message.planId}#${o.message.orderId}`,
        MessageDeduplicationId: createHash('sha256').update(`${o.message.runId}|${o.message.orderId}|${o.versions}`).digest('hex').slice(0, 64),
      }));
      // A batch may succeed in part: resend only what failed, a few times, then give up loudly.
      for (let attempt = 1; entries.length > 0; attempt += 1) {
        let failed: string[];
        try {
          const result = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
          failed = (result.Failed ?? []).map((f) => f.Id ?? '');
        } catch (error) {
          if (attempt >= 3) throw new SyncQueueError(`Could not queue ${entries.length} order message(s): ${(error as Error).name}`, { cause: error });
          failed = entries.map((e) => e.Id);
        }
        if (failed.length > 0 && attempt >= 3) throw new SyncQueueError(`SQS refused ${failed.length} order message(s)`, { context: { failed: failed.length } });
        entries = entries.filter((e) => failed.includes(e.Id));
      }
    }
  }
}
