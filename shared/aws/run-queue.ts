/**
 * The run queue: one "collect" message per run, consumed by the collector function. FIFO,
 * grouped by plan (a plan's run messages never run side by side) and deduplicated by run id
 * (a resent start cannot collect twice). The definition is shared by the stack and the local
 * runtime; `SqsRunQueue` is the SQS implementation of the `RunQueue` port.
 */
import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import * as z from '#platform/zod';
import { describeZodError } from '#platform/zod';
import { RUN_TRIGGERS } from '#store/runs';
import { InvalidRunMessageError, RunQueueError } from './errors.ts';
import { backoffSeconds } from './sqs.ts';

/** The IAM actions this adapter's calls need (test/infra/iam-coverage.test.ts holds the stack's grants to them). */
export const IAM_ACTIONS = ['sqs:SendMessage', 'sqs:ChangeMessageVisibility'] as const;

export const runQueueDefinition = {
  fifo: true,
  contentBasedDeduplication: false,
  /**
   * The collector's timeout. A run probes every open order in 1C (≈0.44 requests per open order
   * at 0.1–2 s each on a real base: minutes for a thousand open orders), renewing its lock
   * between batches; 60 s would cut big plans short.
   */
  workerTimeoutSeconds: 600,
  /**
   * ≥ 6 × the collector's timeout (Lambda's rule). A collection that failed for now comes back
   * sooner, after the collector's back-off (`SqsRunQueue.retryLater`); this hour holds only for
   * an invocation that died (a timeout), whose run the next scheduled start takes over.
   */
  visibilityTimeoutSeconds: 3600,
  retentionSeconds: 4 * 86_400,
  /** Receives before a message moves to the DLQ */
  maxReceiveCount: 5,
  dlqRetentionSeconds: 14 * 86_400,
  /** Collector batch size: one run per invocation keeps a plan's failure apart from another's */
  batchSize: 1,
} as const;

export const collectMessageSchema = z.object({
  kind: z.literal('collect'),
  planId: z.string().check(z.minLength(1), z.maxLength(64)),
  runId: z.string().check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'expected a run id (ULID)')),
  trigger: z.enum(RUN_TRIGGERS),
  orderId: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
});
export type CollectMessage = z.infer<typeof collectMessageSchema>;

export function parseCollectMessage(body: string): CollectMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidRunMessageError(['body: not JSON']);
  }
  const parsed = collectMessageSchema.safeParse(json);
  if (!parsed.success) throw new InvalidRunMessageError(describeZodError(parsed.error, 'message'));
  return parsed.data;
}

export interface RunQueue {
  sendCollect(message: CollectMessage): Promise<void>;
}

export class SqsRunQueue implements RunQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /**
   * A collection that failed for now comes back after a back-off (base, 2 × base, … ≤ 10 min)
   * instead of the queue's hour: a Goodwix or 1C blip costs a manual run a minute, not its plan
   * the next scheduled slot.
   */
  async retryLater(receiptHandle: string, receiveCount: number, baseSeconds: number): Promise<void> {
    await this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: backoffSeconds(receiveCount, baseSeconds) }));
  }

  async sendCollect(message: CollectMessage): Promise<void> {
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: JSON.stringify(message),
          MessageGroupId: message.planId,
          MessageDeduplicationId: message.runId,
        }),
      );
    } catch (error) {
      throw new RunQueueError(`Could not send the collect message of run ${message.runId}: ${(error as Error).name}`, {
        cause: error,
        context: { planId: message.planId, runId: message.runId },
      });
    }
  }
}
