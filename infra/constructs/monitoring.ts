/**
 * What operators watch: the run events on the bus written to a log group (with per-plan
 * metrics extracted from them), a CloudWatch dashboard, and alarms on an SNS topic the deployer
 * subscribes to (a new topic, optionally with an e-mail subscription, or an existing one).
 *
 * Sources:
 * * EMF metrics of the functions (namespace `Goodwix1CExchange`), per plan (dimensions
 *   `service`, `planId`): OrdersExported, OrdersUpdatedInOneC, OrdersUpdatedInGoodwix,
 *   ConflictsWonByOneC, OrdersParked, OrderRetries, RunsCompleted, RunsAttention, RunsFailed,
 *   RunDuration, ParkedOrders and OldestParkedAge (also per service: the alarms' gauges),
 *   OneCLatency, OneCErrors, GoodwixLatency, GoodwixErrors; per service (dimension `service`):
 *   RunsFinished, RunsContinuing, RunMessagesIgnored, RunsStartedBySchedule,
 *   ScheduledStartFailures, PlansOverdue, ApiResponses, ApiErrors, RunEventsPublished, RunEventsRetried,
 *   RunEventRecordsUnreadable.
 * * Run events (`run.started|completed|attention|failed`, `order.conflict`, put on the bus by the events
 *   function from the table's stream) → log group → metric filters with a `PlanId` dimension
 *   (namespace `Goodwix1CExchange/<stage>/Runs`): runs and their outcome per plan.
 * * AWS metrics of SQS, Lambda (with the events function's stream `IteratorAge`) and API
 *   Gateway.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '#exchange/run-events';
import { OVERDUE_AFTER_SLOTS } from '#runs/heartbeat';
import type { FunctionName } from '../bundling.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from './exchange-function.ts';
import type { QueuePair } from './work-queues.ts';

export interface MonitoringProps {
  readonly stage: string;
  readonly functions: Readonly<Record<FunctionName, lambda.IFunction>>;
  /** Log groups of the functions, for the dashboard's error query */
  readonly functionLogGroups: readonly logs.ILogGroup[];
  readonly runQueue: QueuePair;
  readonly orderQueue: QueuePair;
  /** On-failure destination of the events function's stream event source */
  readonly eventsDeadLetterQueue: sqs.IQueue;
  readonly bus: events.IEventBus;
  readonly api: apigateway.RestApi;
  /** E-mail subscribed to a new alarm topic. */
  readonly alarmEmail?: string;
  /** An existing topic for the alarms instead of a new one. */
  readonly alarmTopicArn?: string;
  readonly logRetention: logs.RetentionDays;
  /** Alarm when the oldest run-queue message is older than this. Default 15 minutes. */
  readonly runQueueMaxAge?: Duration;
  /** Alarm when the oldest order-queue message is older than this. Default 60 minutes. */
  readonly orderQueueMaxAge?: Duration;
  /** Alarm when the events function's stream iterator age (maximum) is above this. Default 5 minutes. */
  readonly eventsMaxIteratorAge?: Duration;
  /** Alarm when an order stays parked longer than this. Default 1 day. */
  readonly parkedMaxAge?: Duration;
}

const PERIOD = Duration.minutes(5);

/** Run-event metrics (metric filters on the run-event log). */
export const RUN_EVENT_METRICS = {
  'run.started': 'RunsStarted',
  'run.completed': 'RunsCompleted',
  'run.attention': 'RunsAttention',
  'run.failed': 'RunsFailed',
  'order.conflict': 'OrderConflicts',
} as const;

export function runEventsNamespace(stage: string): string {
  return `${METRICS_NAMESPACE}/${stage}/Runs`;
}

/** A rule target writing matched events to a log group (the L2 target brings a custom-resource Lambda). */
class LogGroupTarget implements events.IRuleTarget {
  constructor(private readonly arn: string) {}
  bind(): events.RuleTargetConfig {
    return { arn: this.arn };
  }
}

export class Monitoring extends Construct {
  readonly alarmTopic: sns.ITopic;
  readonly runEvents: logs.LogGroup;
  /** The rule copying run events into `runEvents` (for the dashboard's per-plan graphs) */
  readonly runEventsRule: events.Rule;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.alarmTopic = this.topic(props);
    ({ logGroup: this.runEvents, rule: this.runEventsRule } = this.runEventLog(props));
    const namespace = runEventsNamespace(props.stage);

    // ── metrics ────────────────────────────────────────────────────────────────────────────
    const emf = (metricName: string, label?: string) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic: 'Sum', period: PERIOD, ...(label ? { label } : {}) });
    /** Run-event metrics (metric filters), one line per plan. */
    const perPlan = (metricName: string, label: string) =>
      new cloudwatch.MathExpression({ expression: `SEARCH('{${namespace},PlanId} MetricName="${metricName}"', 'Sum', ${PERIOD.toSeconds()})`, usingMetrics: {}, label, period: PERIOD });
    /** The functions' per-plan EMF metrics, one line per plan. */
    const emfPerPlan = (metricName: string, statistic = 'Sum') =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},planId,service} MetricName="${metricName}" service="${SERVICE_NAME}"', '${statistic}', ${PERIOD.toSeconds()})`,
        usingMetrics: {},
        label: '',
        period: PERIOD,
      });
    const queueMetric = (pair: QueuePair, which: 'queue' | 'deadLetterQueue', metric: 'age' | 'visible', label: string) => {
      const queue = pair[which];
      return metric === 'age'
        ? queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: PERIOD, label })
        : queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD, label });
    };
    const fns = Object.entries(props.functions) as [FunctionName, lambda.IFunction][];
    const eventsDlqDepth = props.eventsDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD, label: 'events DLQ' });
    /** How far behind the table's changes the run events on the bus are (ms). */
    const iteratorAge = props.functions.events.metric('IteratorAge', { statistic: 'Maximum', period: PERIOD, label: 'iterator age (max, ms)' });

    // ── alarms ─────────────────────────────────────────────────────────────────────────────
    // No alarmName: a physical name would be one more name to keep unique per account and
    // region, and CloudFormation cannot replace a named resource in place. The generated name
    // carries the stack and the construct id (`Goodwix1CExchange-prod-Service-MonitoringRunDeadLetters…`),
    // so the ids stay as they are; the description, which the notification e-mail shows, starts
    // with the stage and the id and ends with the runbook entry (docs/deploy.md, "Alarms: runbook").
    const alarm = (id: string, description: string, metric: cloudwatch.IMetric, threshold: number, comparison = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, evaluation: AlarmEvaluation = {}) => {
      const a = new cloudwatch.Alarm(this, id, {
        alarmDescription: `Goodwix-1C ${props.stage} ${id}: ${description}. Runbook: docs/deploy.md#${runbookAnchor(evaluation.runbook ?? id)}`,
        metric,
        threshold,
        evaluationPeriods: evaluation.evaluationPeriods ?? 1,
        ...(evaluation.datapointsToAlarm ? { datapointsToAlarm: evaluation.datapointsToAlarm } : {}),
        comparisonOperator: comparison,
        treatMissingData: evaluation.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(new actions.SnsAction(this.alarmTopic));
      a.addOkAction(new actions.SnsAction(this.alarmTopic));
      this.alarms.push(a);
      return a;
    };
    alarm('RunDeadLetters', 'run queue DLQ is not empty: a run message failed 5 times (redrive: docs/deploy.md)', queueMetric(props.runQueue, 'deadLetterQueue', 'visible', 'run DLQ'), 1);
    alarm('OrderDeadLetters', 'order queue DLQ is not empty: an order message failed every delivery (redrive: docs/deploy.md)', queueMetric(props.orderQueue, 'deadLetterQueue', 'visible', 'order DLQ'), 1);
    const runMaxAge = props.runQueueMaxAge ?? Duration.minutes(15);
    const orderMaxAge = props.orderQueueMaxAge ?? Duration.minutes(60);
    alarm('RunQueueAge', `oldest run message older than ${runMaxAge.toMinutes()} min: runs are not being collected`, queueMetric(props.runQueue, 'queue', 'age', 'run queue'), runMaxAge.toSeconds(), cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD);
    alarm('OrderQueueAge', `oldest order message older than ${orderMaxAge.toMinutes()} min: orders are not being exchanged`, queueMetric(props.orderQueue, 'queue', 'age', 'order queue'), orderMaxAge.toSeconds(), cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD);
    alarm('EventsDeadLetters', 'events DLQ is not empty: run events of a table-stream batch were not put on the bus after every retry (the message names the stream records, readable for 24 h)', eventsDlqDepth, 1);
    const eventsMaxAge = props.eventsMaxIteratorAge ?? Duration.minutes(5);
    alarm('EventRecordsUnreadable', 'the events function passed over a table-stream record it could not read: a run event may be missing (its keys are in the function log)', emf('RunEventRecordsUnreadable'), 1);
    alarm('EventsIteratorAge', `events function more than ${eventsMaxAge.toMinutes()} min behind the table's stream: run events are late`, iteratorAge, eventsMaxAge.toMilliseconds(), cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD);
    // Fed by the events function's own count of the run.failed events it put (at least once, as the
    // stream delivers), not by the bus → rule → log group path, whose losses would go unseen.
    alarm(
      'RunFailures',
      'runs failed (run.failed events) or scheduled runs could not start',
      new cloudwatch.MathExpression({
        expression: 'FILL(failed, 0) + FILL(startFailures, 0)',
        usingMetrics: { failed: emf('RunFailedEvents'), startFailures: emf('ScheduledStartFailures') },
        label: 'failed runs',
        period: PERIOD,
      }),
      1,
      cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // A 1C that is down fails every run of its plans: one failed run in the last hour keeps the
      // alarm up, so it fires once and recovers after an hour without failures, rather than going
      // off and back with each run of a schedule of up to 60 minutes.
      RUN_FAILURES_EVALUATION,
    );
    // The tick puts RunsStartedBySchedule (0 included) on every invocation, once a minute: no
    // datapoint for 15 minutes means no plan is being started at all (schedule rule disabled or
    // deleted, tick failing before its metrics, account throttling), which no other alarm sees.
    alarm(
      'TickHeartbeat',
      'the tick has not reported for 15 min: no scheduled run is being started',
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'RunsStartedBySchedule', dimensionsMap: { service: SERVICE_NAME }, statistic: 'SampleCount', period: PERIOD }),
      1,
      cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      TICK_HEARTBEAT_EVALUATION,
    );
    // Each plan's heartbeat, counted by the tick in the plan's own schedule (#runs/heartbeat):
    // one metric for the deployment, the plans by name in the tick's log.
    alarm(
      'PlansOverdue',
      `an enabled plan has had no run go through for ${OVERDUE_AFTER_SLOTS} of its schedule's slots (the plans are in the tick's log)`,
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'PlansOverdue', dimensionsMap: { service: SERVICE_NAME }, statistic: 'Maximum', period: PERIOD }),
      1,
    );
    for (const [name, fn] of fns) {
      alarm(`${cap(name)}Errors`, `${name} function errors (unhandled, timeouts, crashes)`, fn.metricErrors({ statistic: 'Sum', period: PERIOD }), 1, undefined, { runbook: 'FunctionErrors' });
      alarm(`${cap(name)}Throttles`, `${name} function throttled (account or function concurrency)`, fn.metricThrottles({ statistic: 'Sum', period: PERIOD }), 1, undefined, { runbook: 'FunctionThrottles' });
    }
    alarm(
      'RunEventLogDeliveryFailures',
      'the rule copying run events to the run-event log failed to deliver some: the per-plan run graphs miss them (alarms do not: they count in the events function)',
      new cloudwatch.Metric({ namespace: 'AWS/Events', metricName: 'FailedInvocations', dimensionsMap: { RuleName: this.runEventsRule.ruleName }, statistic: 'Sum', period: PERIOD }),
      1,
    );
    alarm('ApiServerErrors', 'control API answered 5xx', props.api.metricServerError({ statistic: 'Sum', period: PERIOD }), 5);
    // Gauges the collector reports each run (the largest of any plan): between runs there is no
    // data, and the alarm keeps its state instead of flapping back to OK.
    const gauge = (metricName: string, label: string) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic: 'Maximum', period: PERIOD, label });
    const parkedMaxAge = props.parkedMaxAge ?? Duration.days(1);
    alarm(
      'OrdersParked',
      'orders are parked: a run could not exchange them (GET /plans/{id}/orders?state=parked; fix, resync or dismiss)',
      gauge('ParkedOrders', 'parked orders (max per plan)'),
      1,
      cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      PARKED_GAUGE_EVALUATION,
    );
    alarm(
      'OrderParkedTooLong',
      `an order has been parked longer than ${parkedMaxAge.toHours()} h (GET /plans/{id}/orders?state=parked: the oldest first)`,
      gauge('OldestParkedAge', 'oldest parked order (s)'),
      parkedMaxAge.toSeconds(),
      cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      PARKED_GAUGE_EVALUATION,
    );

    // ── dashboard ──────────────────────────────────────────────────────────────────────────
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8, extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6, ...extra });
    const worker = props.functions.worker;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# Goodwix ↔ 1C exchange (${props.stage})\nRuns per plan: the run events on the bus (every outcome, also runs that fail before collecting). Orders, conflicts, latency: the functions' metrics per plan. Runbook: docs/deploy.md.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Runs completed per plan', [perPlan(RUN_EVENT_METRICS['run.completed'], '')]),
      graph('Runs needing attention per plan (parked orders, reserves not refreshed)', [perPlan(RUN_EVENT_METRICS['run.attention'], '')]),
      graph('Runs failed per plan', [perPlan(RUN_EVENT_METRICS['run.failed'], '')]),
    );
    this.dashboard.addWidgets(
      graph('Conflicts won by 1C per plan', [perPlan(RUN_EVENT_METRICS['order.conflict'], '')]),
      graph('Orders parked now per plan', [emfPerPlan('ParkedOrders', 'Maximum')]),
      graph('Oldest parked order per plan (s)', [emfPerPlan('OldestParkedAge', 'Maximum')]),
    );
    this.dashboard.addWidgets(
      graph('Orders exported to 1C per plan', [emfPerPlan('OrdersExported')]),
      graph('Orders updated in 1C per plan', [emfPerPlan('OrdersUpdatedInOneC')]),
      graph('Orders updated in Goodwix per plan', [emfPerPlan('OrdersUpdatedInGoodwix')]),
    );
    this.dashboard.addWidgets(
      graph('Conflicts won by 1C per plan (orders)', [emfPerPlan('ConflictsWonByOneC')]),
      graph('Parked orders per plan', [emfPerPlan('OrdersParked')]),
      graph('Order retries per plan', [emfPerPlan('OrderRetries')]),
    );
    this.dashboard.addWidgets(
      graph('1C latency per plan (p90, ms)', [emfPerPlan('OneCLatency', 'p90')]),
      graph('1C errors per plan', [emfPerPlan('OneCErrors')]),
      graph('Goodwix latency per plan (p90, ms)', [emfPerPlan('GoodwixLatency', 'p90')]),
    );
    this.dashboard.addWidgets(
      graph('Goodwix errors per plan', [emfPerPlan('GoodwixErrors')]),
      graph('Run duration per plan (max, s)', [emfPerPlan('RunDuration', 'Maximum')]),
      graph('Runs', [emf('RunsStartedBySchedule', 'started by schedule'), emf('RunsFinished', 'finished by collector'), emf('ScheduledStartFailures', 'start failures'), emf('RunFailedEvents', 'failed'), new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'PlansOverdue', dimensionsMap: { service: SERVICE_NAME }, statistic: 'Maximum', period: PERIOD, label: 'plans overdue (max)' })]),
    );
    this.dashboard.addWidgets(
      graph('Queue age (oldest message, s)', [queueMetric(props.runQueue, 'queue', 'age', 'run queue'), queueMetric(props.orderQueue, 'queue', 'age', 'order queue')]),
      graph('Queue depth (visible)', [queueMetric(props.runQueue, 'queue', 'visible', 'run queue'), queueMetric(props.orderQueue, 'queue', 'visible', 'order queue')]),
      graph('DLQ depth', [queueMetric(props.runQueue, 'deadLetterQueue', 'visible', 'run DLQ'), queueMetric(props.orderQueue, 'deadLetterQueue', 'visible', 'order DLQ'), eventsDlqDepth]),
    );
    this.dashboard.addWidgets(
      graph('Run events put on the bus (table stream → events function)', [emf('RunEventsPublished', 'events put'), emf('RunEventsRetried', 'batches resumed')], 24, { right: [iteratorAge], rightYAxis: { label: 'ms', showUnits: false } }),
    );
    this.dashboard.addWidgets(
      graph('Worker duration per batch', [
        worker.metricDuration({ statistic: 'p50', period: PERIOD, label: 'p50' }),
        worker.metricDuration({ statistic: 'p90', period: PERIOD, label: 'p90' }),
        worker.metricDuration({ statistic: 'Maximum', period: PERIOD, label: 'max' }),
      ]),
      graph('Concurrent executions', fns.map(([name, fn]) => fn.metric('ConcurrentExecutions', { statistic: 'Maximum', period: PERIOD, label: name }))),
      graph('Control API', [
        props.api.metricCount({ statistic: 'Sum', period: PERIOD, label: 'requests' }),
        props.api.metricClientError({ statistic: 'Sum', period: PERIOD, label: '4xx' }),
        props.api.metricServerError({ statistic: 'Sum', period: PERIOD, label: '5xx' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Function errors', fns.map(([name, fn]) => fn.metricErrors({ statistic: 'Sum', period: PERIOD, label: name })), 12),
      graph('Function throttles', fns.map(([name, fn]) => fn.metricThrottles({ statistic: 'Sum', period: PERIOD, label: name })), 12),
    );
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }));
    this.dashboard.addWidgets(
      new cloudwatch.LogQueryWidget({
        title: 'Latest failed runs',
        logGroupNames: [this.runEvents.logGroupName],
        queryLines: [
          'fields @timestamp, detail.planId as plan, detail.runId as run, detail.trigger as trigger, detail.errorCount as errors, detail.summary as summary, detail.reason as reason',
          "filter `detail-type` = 'run.failed'",
          'sort @timestamp desc',
          'limit 20',
        ],
        width: 12,
        height: 6,
      }),
      new cloudwatch.LogQueryWidget({
        title: 'Errors in the functions',
        logGroupNames: props.functionLogGroups.map((g) => g.logGroupName),
        queryLines: ['fields @timestamp, function_name, message, planId, runId, orderId, error.name', "filter level = 'ERROR'", 'sort @timestamp desc', 'limit 50'],
        width: 12,
        height: 6,
      }),
    );
  }

  private topic(props: MonitoringProps): sns.ITopic {
    if (props.alarmTopicArn) return sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
    const topic = new sns.Topic(this, 'AlarmTopic', { displayName: `Goodwix-1C exchange ${props.stage} alarms`, enforceSSL: true });
    // CloudWatch alarms publish to it.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    if (props.alarmEmail) topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    return topic;
  }

  /** Every event of the exchange's source on the bus → a log group; metric filters count them per plan. */
  private runEventLog(props: MonitoringProps): { logGroup: logs.LogGroup; rule: events.Rule } {
    const logGroup = new logs.LogGroup(this, 'RunEvents', { retention: props.logRetention });
    const stack = Stack.of(this);
    new logs.ResourcePolicy(this, 'RunEventsDelivery', {
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      ],
    });
    const rule = new events.Rule(this, 'RunEventsToLog', {
      description: 'Goodwix-1C exchange: run and conflict events to the run-event log',
      eventBus: props.bus,
      eventPattern: { source: [EVENT_SOURCE] },
    });
    rule.addTarget(new LogGroupTarget(stack.formatArn({ service: 'logs', resource: 'log-group', arnFormat: ArnFormat.COLON_RESOURCE_NAME, resourceName: logGroup.logGroupName })));

    const namespace = runEventsNamespace(props.stage);
    for (const [detailType, metricName] of Object.entries(RUN_EVENT_METRICS)) {
      new logs.MetricFilter(this, `${metricName}Filter`, {
        logGroup,
        metricNamespace: namespace,
        metricName,
        filterPattern: logs.FilterPattern.all(logs.FilterPattern.stringValue('$.detail-type', '=', detailType), logs.FilterPattern.exists('$.detail.planId')),
        metricValue: '1',
        dimensions: { PlanId: '$.detail.planId' },
      });
    }
    return { logGroup, rule };
  }
}

/** How an alarm evaluates, where it differs from one 5-minute period with missing data as OK. */
export interface AlarmEvaluation {
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
  readonly treatMissingData?: cloudwatch.TreatMissingData;
  /** The runbook entry, when several alarms share one (the functions' errors). Default: the alarm's id. */
  readonly runbook?: string;
}

/** RunFailures: one failed run within the last 12 periods (an hour). */
export const RUN_FAILURES_EVALUATION = { evaluationPeriods: 12, datapointsToAlarm: 1 } as const satisfies AlarmEvaluation;

/** TickHeartbeat: three periods (15 min) without the tick's datapoint; no data is the failure itself. */
/** The parked-order gauges are reported once per run: between runs the alarm keeps its state. */
export const PARKED_GAUGE_EVALUATION = { treatMissingData: cloudwatch.TreatMissingData.IGNORE } as const satisfies AlarmEvaluation;
export const TICK_HEARTBEAT_EVALUATION = { evaluationPeriods: 3, treatMissingData: cloudwatch.TreatMissingData.BREACHING } as const satisfies AlarmEvaluation;

/** The runbook entry of an alarm in docs/deploy.md: `alarm-rundeadletters`. */
export function runbookAnchor(id: string): string {
  return `alarm-${id.toLowerCase()}`;
}

function cap(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
