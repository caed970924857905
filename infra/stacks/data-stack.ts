/**
 * The stateful stack: the table (and its stream), the queues and their DLQs (with the events
 * function's stream DLQ), the event bus. Nothing here depends
 * on the functions' code, so a code deployment (the service stack) can never replace data.
 * Termination protection on; table and queues are retained if the stack is deleted anyway.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ExchangeTable } from '../constructs/exchange-table.ts';
import { RunEventBus } from '../constructs/run-event-bus.ts';
import { WorkQueues } from '../constructs/work-queues.ts';

export interface DataStackProps extends StackProps {
  readonly stage: string;
}

export class DataStack extends Stack {
  readonly table: ExchangeTable;
  readonly queues: WorkQueues;
  readonly events: RunEventBus;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { terminationProtection: true, ...props });
    this.table = new ExchangeTable(this, 'ExchangeTable');
    this.queues = new WorkQueues(this, 'WorkQueues');
    this.events = new RunEventBus(this, 'RunEvents');

    new CfnOutput(this, 'TableName', { value: this.table.table.tableName, description: 'DynamoDB table of plans, runs and order bindings' });
    new CfnOutput(this, 'RunQueueUrl', { value: this.queues.runs.queue.queueUrl });
    new CfnOutput(this, 'RunDeadLetterQueueUrl', { value: this.queues.runs.deadLetterQueue.queueUrl, description: 'Redrive: docs/deploy.md' });
    new CfnOutput(this, 'OrderQueueUrl', { value: this.queues.orders.queue.queueUrl });
    new CfnOutput(this, 'OrderDeadLetterQueueUrl', { value: this.queues.orders.deadLetterQueue.queueUrl, description: 'Redrive: docs/deploy.md' });
    new CfnOutput(this, 'EventsDeadLetterQueueUrl', { value: this.queues.eventsDeadLetterQueue.queueUrl, description: 'Stream batches whose run events could not be put on the bus' });
    new CfnOutput(this, 'EventBusName', { value: this.events.bus.eventBusName, description: 'Subscribe to run events here (docs/events.md)' });
    new CfnOutput(this, 'EventBusArn', { value: this.events.bus.eventBusArn });
  }
}
