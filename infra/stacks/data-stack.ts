/**
 * The stateful stack: the table (and its stream), the queues and their DLQs (with the events
 * function's stream DLQ), the event bus, and with `network=nat|existing` the network the
 * functions that call 1C run in (its NAT addresses are known to the supplier's firewall, so
 * they must outlive any redeploy of the service stack: infra/constructs/network.ts). Nothing here depends
 * on the functions' code, so a code deployment (the service stack) can never replace data.
 * Termination protection on; table and queues are retained if the stack is deleted anyway.
 */
import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { NetworkConfig } from '../config.ts';
import { ExchangeTable } from '../constructs/exchange-table.ts';
import { Network } from '../constructs/network.ts';
import { RunEventBus } from '../constructs/run-event-bus.ts';
import { WorkQueues } from '../constructs/work-queues.ts';

export interface DataStackProps extends StackProps {
  readonly stage: string;
  /** Where the functions that call 1C run. Default `public`: outside any VPC, no network resources. */
  readonly network?: NetworkConfig;
  /** Retention of the VPC flow log (`network=nat`). Default 90 days. */
  readonly logRetention?: logs.RetentionDays;
}

export class DataStack extends Stack {
  readonly table: ExchangeTable;
  readonly queues: WorkQueues;
  readonly events: RunEventBus;
  /** The VPC of the functions that call 1C; undefined with `network=public`. */
  readonly network: Network | undefined;
  private zones: readonly string[] | undefined;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    const { network, logRetention, ...stackProps } = props;
    super(scope, id, { terminationProtection: true, ...stackProps });
    this.zones = network?.mode === 'nat' ? network.availabilityZones : undefined;
    this.table = new ExchangeTable(this, 'ExchangeTable');
    this.queues = new WorkQueues(this, 'WorkQueues');
    this.events = new RunEventBus(this, 'RunEvents');
    this.network = network && network.mode !== 'public' ? new Network(this, 'Network', { config: network, logRetention: logRetention ?? 90 }) : undefined;

    new CfnOutput(this, 'TableName', { value: this.table.table.tableName, description: 'DynamoDB table of plans, runs and order bindings' });
    new CfnOutput(this, 'RunQueueUrl', { value: this.queues.runs.queue.queueUrl });
    new CfnOutput(this, 'RunDeadLetterQueueUrl', { value: this.queues.runs.deadLetterQueue.queueUrl, description: 'Redrive: docs/deploy.md' });
    new CfnOutput(this, 'OrderQueueUrl', { value: this.queues.orders.queue.queueUrl });
    new CfnOutput(this, 'OrderDeadLetterQueueUrl', { value: this.queues.orders.deadLetterQueue.queueUrl, description: 'Redrive: docs/deploy.md' });
    new CfnOutput(this, 'EventsDeadLetterQueueUrl', { value: this.queues.eventsDeadLetterQueue.queueUrl, description: 'Stream batches whose run events could not be put on the bus' });
    new CfnOutput(this, 'EventBusName', { value: this.events.bus.eventBusName, description: 'Subscribe to run events here (docs/events.md)' });
    new CfnOutput(this, 'EventBusArn', { value: this.events.bus.eventBusArn });
    if (this.network) {
      new CfnOutput(this, 'FunctionsSecurityGroupId', { value: this.network.securityGroup.securityGroupId, description: 'Security group of the functions that call 1C (api, collector, worker)' });
      if (this.network.natAddresses.length) {
        new CfnOutput(this, 'NatPublicIps', {
          value: Fn.join(', ', this.network.natAddresses.map((eip) => eip.attrPublicIp)),
          description: "The exchange's addresses toward 1C: allow them on the 1C publication's firewall (docs/deploy.md, Network)",
        });
      }
      if (this.network.eipAllocationIds.length) {
        new CfnOutput(this, 'NatEipAllocationIds', {
          value: Fn.join(',', [...this.network.eipAllocationIds]),
          description: 'The NAT gateways\' Elastic IPs: pass them as natEipAllocationIds to keep these addresses when the network is re-created',
        });
      }
    }
  }

  /**
   * The zones of the stack's VPC: the configured ones, or the region's first two resolved at
   * deploy time. A stack pinned to a region would otherwise look its zones up at synth, which
   * needs credentials (`cdk synth` runs offline).
   */
  override get availabilityZones(): string[] {
    return this.zones ? [...this.zones] : [0, 1].map((i) => Fn.select(i, Fn.getAzs()));
  }
}
