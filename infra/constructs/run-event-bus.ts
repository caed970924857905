/**
 * The EventBridge bus the exchange puts its run events on (`shared/exchange/run-events.ts`: source
 * `goodwix-1c-exchange`, detail-types `run.started`, `run.completed`, `run.failed`,
 * `order.conflict`; docs/events.md). The events function puts them, derived from the table's
 * stream. Other teams subscribe with rules on this bus.
 */
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

export class RunEventBus extends Construct {
  readonly bus: events.EventBus;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { description: 'Goodwix-1C exchange: run and conflict events' });
  }
}
