/**
 * The two SQS FIFO queues of the exchange and their FIFO dead-letter queues, declared from the
 * definitions the code and the local runtime use:
 *
 * * run queue (`shared/aws/run-queue.ts`, `runQueueDefinition`): one "collect" message per run,
 *   grouped by plan → the collector;
 * * order queue (`shared/aws/order-queue.ts`, `orderQueueDefinition`): one message per order per
 *   run, grouped by plan and order → the worker;
 *
 * and the dead-letter queue of the events function's stream event source (its on-failure
 * destination): one message per batch of table-stream records whose run events could not be put
 * on the bus after the event source's retries. A standard queue: Lambda's on-failure
 * destinations take no FIFO queue.
 *
 * Encrypted at rest (SQS-managed keys), TLS-only, kept when the stack is deleted (messages in
 * flight and in the DLQs are data).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { runQueueDefinition } from '#aws/run-queue';
import { orderQueueDefinition } from '#aws/order-queue';
import { acknowledge } from '../nag.ts';

/** Retention of the events DLQ: 14 days, SQS's maximum (as the run and order DLQs). */
export const EVENTS_DLQ_RETENTION = Duration.days(14);

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
  /**
   * On-failure destination of the events function's stream event source. A message names the
   * shard and the range of sequence numbers that were given up on, not the records themselves:
   * those stay readable in the table's stream for its 24 hours only.
   */
  readonly eventsDeadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: WorkQueuesProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.runs = this.pair('Run', runQueueDefinition, removalPolicy);
    this.orders = this.pair('Order', orderQueueDefinition, removalPolicy);
    this.eventsDeadLetterQueue = new sqs.Queue(this, 'EventsDeadLetterQueue', {
      retentionPeriod: EVENTS_DLQ_RETENTION,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy,
    });
    acknowledge(
      this.eventsDeadLetterQueue,
      'AwsSolutions-SQS3',
      "This queue is itself a dead-letter queue: the on-failure destination of the events function's DynamoDB stream event source (Lambda sends it, not a queue's redrive policy, which is all the rule recognises). Nothing consumes it; its messages are read by an operator.",
    );
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
