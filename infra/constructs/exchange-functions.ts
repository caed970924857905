/**
 * The five functions and what each may do. Every permission is granted for an action the
 * function's code performs (docs/deploy.md, "What each function may do"):
 *
 * | function  | table (items)                            | queries               | table stream | queues                                | bus       | secrets |
 * |-----------|------------------------------------------|-----------------------|--------------|---------------------------------------|-----------|---------|
 * | tick      | Get, Put, Update, Delete, ConditionCheck | table, `plans` index  | —            | send → run queue                      | —         | —       |
 * | api       | Get, Put, Update, Delete, ConditionCheck | table, `plans` index  | —            | send → run queue                      | —         | read    |
 * | collector | Get, BatchGet, Put, Update, Delete       | `open-bindings` index | —            | consume run queue, send → order queue | —         | read    |
 * | worker    | Get, BatchGet, Put, Update, Delete       | —                     | —            | consume order queue (+ visibility)    | —         | read    |
 * | events    | —                                        | —                     | read         | send → events DLQ (on failure)        | PutEvents | —       |
 *
 * Run events are not put by the functions that change a run: the events function derives them
 * from the table's stream (`shared/exchange/run-events.ts`) and is the only one that may put on the bus.
 *
 * Binding items (the sync's order records) are written by the worker only: the other three that
 * write items are denied writes that carry a binding's snapshot attribute
 * (`ExchangeTable.denyBindingWrites`).
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { RUN_EVENT_FILTER_PATTERNS } from '#exchange/run-events';
import { TICK_TIMEOUT_SECONDS } from '#exchange/tick';
import type { FunctionName } from '../bundling.ts';
import type { LogLevel } from '../config.ts';
import { acknowledge, nagValue } from '../nag.ts';
import { ExchangeFunction } from './exchange-function.ts';
import type { ExchangeTable } from './exchange-table.ts';
import type { FunctionPlacement } from './network.ts';
import type { QueuePair, WorkQueues } from './work-queues.ts';

export interface ExchangeFunctionsProps {
  readonly table: ExchangeTable;
  readonly queues: WorkQueues;
  readonly bus: events.IEventBus;
  /** Name prefix of the plans' secrets (`goodwix-1c-exchange/<stage>/`); GetSecretValue is granted below it only. */
  readonly secretsPrefix: string;
  /** Worker invocations at once (`maxConcurrency` of the order queue's event source), ≥ 2. */
  readonly workerMaxConcurrency: number;
  readonly logLevel: LogLevel;
  readonly logRetention: logs.RetentionDays;
  /** Lease of a run's lock, seconds (`LOCK_TTL_SECONDS`). */
  readonly lockTtlSeconds: number;
  /** Days runs are kept (`RUN_RETENTION_DAYS`). */
  readonly runRetentionDays: number;
  /** Secrets cache per execution environment, seconds (`SECRETS_CACHE_SECONDS`). */
  readonly secretsCacheSeconds: number;
  /** Hosts plans may connect to (`ALLOWED_HOSTS`); absent: any. */
  readonly allowedHosts?: readonly string[];
  /** The VPC placement of the functions that call 1C (`CALLS_ONEC`). Default: outside any VPC. */
  readonly network?: FunctionPlacement;
}

/** The functions that call 1C: the plan check (api), the collector and the worker. Only they go into the VPC. */
export const CALLS_ONEC: readonly FunctionName[] = ['api', 'collector', 'worker'];

/** Lambda's visibility rule for SQS event sources: visibility timeout ≥ 6 × function timeout. */
export const VISIBILITY_FACTOR = 6;

/** API Gateway's integration timeout is 29 s: the api function must answer before it. */
export const API_TIMEOUT_SECONDS = 29;
/** Defined by the tick itself: a later tick takes over a slot claim older than this (`#exchange/tick`). */
export { TICK_TIMEOUT_SECONDS };
/** A stream batch of up to `EVENTS_STREAM.batchSize` records is at most a few PutEvents calls. */
export const EVENTS_TIMEOUT_SECONDS = 60;

/**
 * The events function's DynamoDB stream event source. A batch that fails resumes at the record
 * the function names (`batchItemFailures`), never split (bisecting would put the events before
 * that record again). It is retried without a count (`retryAttempts: -1`): a bus outage holds
 * the shard (the iterator-age alarm fires after 5 minutes) instead of skipping its events after
 * a few quick retries. Only a record older than `maxRecordAge` is given up on, and a pointer to
 * it goes to the events DLQ; 12 hours stays under the stream's 24-hour retention, so the records
 * the DLQ message points at can still be read from the stream when its alarm fires.
 */
export const EVENTS_STREAM = {
  batchSize: 100,
  maxBatchingWindow: Duration.seconds(2),
  retryAttempts: -1,
  maxRecordAge: Duration.hours(12),
} as const;

export class ExchangeFunctions extends Construct {
  readonly tick: ExchangeFunction;
  readonly api: ExchangeFunction;
  readonly collector: ExchangeFunction;
  readonly worker: ExchangeFunction;
  readonly events: ExchangeFunction;

  constructor(scope: Construct, id: string, props: ExchangeFunctionsProps) {
    super(scope, id);
    const { table, queues, bus } = props;
    if (props.workerMaxConcurrency < 2) throw new Error('workerMaxConcurrency: Lambda allows 2 at least');
    const runQueue = queues.runs;
    const orderQueue = queues.orders;

    const common = {
      TABLE_NAME: table.table.tableName,
      LOCK_TTL_SECONDS: String(props.lockTtlSeconds),
      RUN_RETENTION_DAYS: String(props.runRetentionDays),
    };
    // The functions that read secrets and connect: the cache, and what plans may reach (#plans/access).
    const secretsCache = { SECRETS_CACHE_SECONDS: String(props.secretsCacheSeconds), SECRETS_PREFIX: props.secretsPrefix, ...(props.allowedHosts?.length ? { ALLOWED_HOSTS: props.allowedHosts.join(',') } : {}) };
    const fn = (name: FunctionName, description: string, timeoutSeconds: number, environment: Record<string, string>, memorySize?: number) =>
      new ExchangeFunction(this, capitalise(name), {
        name,
        description,
        timeout: Duration.seconds(timeoutSeconds),
        ...(memorySize ? { memorySize } : {}),
        environment,
        logLevel: props.logLevel,
        logRetention: props.logRetention,
        ...(props.network && CALLS_ONEC.includes(name) ? { network: props.network } : {}),
      });

    this.tick = fn('tick', 'Every minute: starts the runs of the plans that are due', TICK_TIMEOUT_SECONDS, { ...common, RUN_QUEUE_URL: runQueue.queue.queueUrl }, 256);
    this.api = fn('api', 'Control API: plans, checks, manual runs, run journal, order sync records', API_TIMEOUT_SECONDS, {
      ...common,
      ...secretsCache,
      RUN_QUEUE_URL: runQueue.queue.queueUrl,
    });
    this.collector = fn('collector', "Run queue consumer: a run's collection of orders", consumerTimeout(runQueue), {
      ...common,
      ...secretsCache,
      // The run queue for the back-off of a collection that failed for now (its event source grants ChangeMessageVisibility).
      RUN_QUEUE_URL: runQueue.queue.queueUrl,
      ORDER_QUEUE_URL: orderQueue.queue.queueUrl,
      MAX_RECEIVE_COUNT: String(runQueue.definition.maxReceiveCount),
    });
    this.worker = fn('worker', 'Order queue consumer: exchanges one order both ways', consumerTimeout(orderQueue), {
      ...common,
      ...secretsCache,
      ORDER_QUEUE_URL: orderQueue.queue.queueUrl,
      MAX_RECEIVE_COUNT: String(orderQueue.definition.maxReceiveCount),
    });
    this.events = fn('events', 'Table stream consumer: puts the run events (started, completed, failed, conflicts) on the bus', EVENTS_TIMEOUT_SECONDS, { EVENT_BUS_NAME: bus.eventBusName }, 256);

    // DynamoDB: the item actions and queries each one performs.
    // Query on the table: a plan's latest runs, for its heartbeat (#runs/heartbeat).
    table.grantAccess(this.tick.role, { items: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'], queryTable: true, queryIndexes: ['plans'] });
    table.grantAccess(this.api.role, { items: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'], queryTable: true, queryIndexes: ['plans', 'stuck-orders'] });
    // The collector reads a feed page's bindings in one BatchGetItem (#store/bindings, getMany).
    // Query on the table: a run's product items (the finalize; the collector only looks whether there are any before handing off).
    table.grantAccess(this.collector.role, { items: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem'], queryTable: true, queryIndexes: ['open-bindings', 'stuck-orders'] });
    // The worker writes a run's product items in batches (#store/runs, recordProducts), and
    // its finalize reads a plan's reserve state in one BatchGetItem (#store/reserve-state, load).
    table.grantAccess(this.worker.role, { items: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'], queryTable: true });
    for (const f of [this.tick, this.api, this.collector]) table.denyBindingWrites(f.role);

    // Queues: runs are started by the tick and the api; the collector queues orders.
    runQueue.queue.grantSendMessages(this.tick.role);
    runQueue.queue.grantSendMessages(this.api.role);
    orderQueue.queue.grantSendMessages(this.collector.role);
    // A finalize short of time goes on in a message of its own on the order queue.
    orderQueue.queue.grantSendMessages(this.worker.role);

    // Events: derived from the table's stream; only the events function puts them on the bus.
    bus.grantPutEventsTo(this.events.role);

    // Secrets: the plan check (api, collector) and the sync's clients (collector, worker).
    const secretsArn = Stack.of(this).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${props.secretsPrefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    for (const f of [this.api, this.collector, this.worker]) {
      iam.Grant.addToPrincipal({ grantee: f.role, actions: ['secretsmanager:GetSecretValue'], resourceArns: [secretsArn] });
      acknowledge(
        f.role,
        `AwsSolutions-IAM5[Resource::${nagValue(this, secretsArn)}]`,
        `GetSecretValue only, below the stage's name prefix ${props.secretsPrefix}: operators create one secret per plan and system after deployment, and a secret's ARN ends in a random suffix, so no fixed ARN can be named.`,
      );
    }

    // Queue consumers: partial batch responses; the worker's concurrency bounds the load on 1C.
    this.collector.function.addEventSource(
      new sources.SqsEventSource(runQueue.queue, { batchSize: runQueue.definition.batchSize, reportBatchItemFailures: true }),
    );
    this.worker.function.addEventSource(
      new sources.SqsEventSource(orderQueue.queue, {
        batchSize: orderQueue.definition.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: props.workerMaxConcurrency,
      }),
    );
    // The worker's back-off (ChangeMessageVisibility) is part of grantConsumeMessages, which the event source grants.

    // The table's stream → the events function, filtered to the changes that are run events.
    // The event source grants the stream read (`grantStreamRead`) and sending to the DLQ.
    this.events.function.addEventSource(
      new sources.DynamoEventSource(table.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: EVENTS_STREAM.batchSize,
        maxBatchingWindow: EVENTS_STREAM.maxBatchingWindow,
        reportBatchItemFailures: true,
        bisectBatchOnError: false,
        retryAttempts: EVENTS_STREAM.retryAttempts,
        maxRecordAge: EVENTS_STREAM.maxRecordAge,
        onFailure: new sources.SqsDlq(queues.eventsDeadLetterQueue),
        filters: RUN_EVENT_FILTER_PATTERNS.map((pattern) => lambda.FilterCriteria.filter(pattern)),
      }),
    );
  }

  all(): ExchangeFunction[] {
    return [this.tick, this.api, this.collector, this.worker, this.events];
  }

  byName(): Record<FunctionName, lambda.IFunction> {
    return { tick: this.tick.function, api: this.api.function, collector: this.collector.function, worker: this.worker.function, events: this.events.function };
  }
}

/**
 * A queue consumer's timeout: the one its queue definition names, or the queue's visibility
 * timeout divided by Lambda's factor of 6; refuses a definition that breaks the factor.
 */
function consumerTimeout(pair: QueuePair): number {
  const timeout = pair.definition.workerTimeoutSeconds ?? Math.floor(pair.definition.visibilityTimeoutSeconds / VISIBILITY_FACTOR);
  if (pair.definition.visibilityTimeoutSeconds < VISIBILITY_FACTOR * timeout) {
    throw new Error(`visibility timeout ${pair.definition.visibilityTimeoutSeconds} s is under ${VISIBILITY_FACTOR} × the consumer's timeout ${timeout} s`);
  }
  return timeout;
}

function capitalise(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
