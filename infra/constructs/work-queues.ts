/**
 * The two SQS FIFO queues of the exchange and their FIFO dead-letter queues, declared from the
 * definitions the code and the local runtime use:
 *
 * * run queue (`shared/runs/queue.ts`, `runQueueDefinition`): one "collect" message per run,
 *   grouped by plan → the collector;
 * * order queue (`shared/sync/order-queue.ts`, `orderQueueDefinition`): one message per order per
 *   run, grouped by plan and order → the worker.
 *
 * Encrypted at rest (SQS-managed keys), TLS-only, kept when the stack is deleted (messages in
 * flight and in the DLQs are data).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { runQueueDefinition } from '#runs/queue';
import { orderQueueDefinition } from '#sync/order-queue';

export interface QueueDefinition {
  readonly fifo: boolean;
  readonly contentBasedDeduplication: boolean;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  readonly maxReceiveCount: number;
  readonly dlqRetentionSeconds: number;
  readonly batchSize: number;
  /** The consumer's timeout, where the definition names one (else visibility ÷ 6) */
  readonly workerTimeoutSeconds?: number;
}

export interface QueuePair {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly definition: QueueDefinition;
}

export interface WorkQueuesProps {
  /** Default `RETAIN`. */
  readonly removalPolicy?: RemovalPolicy;
}

export class WorkQueues extends Construct {
  readonly runs: QueuePair;
  readonly orders: QueuePair;

  constructor(scope: Construct, id: string, props: WorkQueuesProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.runs = this.pair('Run', runQueueDefinition, removalPolicy);
    this.orders = this.pair('Order', orderQueueDefinition, removalPolicy);
  }

  private pair(prefix: string, definition: QueueDefinition, removalPolicy: RemovalPolicy): QueuePair {
    if (!definition.fifo) throw new Error(`${prefix} queue: the exchange's queues are FIFO`);
    const deadLetterQueue = new sqs.Queue(this, `${prefix}DeadLetterQueue`, {
      fifo: true,
      retentionPeriod: Duration.seconds(definition.dlqRetentionSeconds),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy,
    });
    const queue = new sqs.Queue(this, `${prefix}Queue`, {
      fifo: true,
      contentBasedDeduplication: definition.contentBasedDeduplication,
      visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(definition.retentionSeconds),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: definition.maxReceiveCount },
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy,
    });
    return { queue, deadLetterQueue, definition };
  }
}
