/**
 * The tick: an EventBridge rule on the default bus, every minute, invoking the tick function,
 * which evaluates every plan's schedule (schedules are data in the table, not cloud resources).
 * A late tick is dropped rather than delivered late: the next one, a minute later, does its job.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface TickScheduleProps {
  readonly tick: lambda.IFunction;
}

export class TickSchedule extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: TickScheduleProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'EveryMinute', {
      description: 'Goodwix-1C exchange: tick every minute (plans due are started)',
      schedule: events.Schedule.rate(Duration.minutes(1)),
    });
    // A tick is worth one minute: EventBridge retries nothing past that, and Lambda's own
    // asynchronous retries (two by default, up to six hours later) are turned off.
    this.rule.addTarget(new targets.LambdaFunction(props.tick, { retryAttempts: 0, maxEventAge: Duration.minutes(1) }));
    props.tick.configureAsyncInvoke({ maxEventAge: Duration.minutes(1), retryAttempts: 0 });
  }
}
