/**
 * The stateless stack: the functions, the control API, the tick schedule, the dashboard and
 * alarms. It only references the data stack's resources; deleting or replacing anything here
 * loses no data.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ExchangeConfig } from '../config.ts';
import { secretsPrefix } from '../config.ts';
import { ControlApi } from '../constructs/control-api.ts';
import { ExchangeFunctions } from '../constructs/exchange-functions.ts';
import { Monitoring } from '../constructs/monitoring.ts';
import { TickSchedule } from '../constructs/tick-schedule.ts';
import type { DataStack } from './data-stack.ts';

export interface ServiceStackProps extends StackProps {
  readonly config: ExchangeConfig;
  readonly data: DataStack;
}

export class ServiceStack extends Stack {
  readonly functions: ExchangeFunctions;
  readonly controlApi: ControlApi;
  readonly schedule: TickSchedule;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    const logRetention = config.logRetentionDays as logs.RetentionDays;
    const prefix = secretsPrefix(config.stage);

    this.functions = new ExchangeFunctions(this, 'ExchangeFunctions', {
      table: data.table,
      queues: data.queues,
      bus: data.events.bus,
      secretsPrefix: prefix,
      workerMaxConcurrency: config.workerMaxConcurrency,
      logLevel: config.logLevel,
      logRetention,
      lockTtlSeconds: config.lockTtlSeconds,
      runRetentionDays: config.runRetentionDays,
      secretsCacheSeconds: config.secretsCacheSeconds,
      ...(config.allowedHosts ? { allowedHosts: config.allowedHosts } : {}),
      ...(data.network ? { network: data.network.placement() } : {}),
    });
    this.controlApi = new ControlApi(this, 'ControlApi', {
      handler: this.functions.api.function,
      rateLimit: config.apiRateLimit,
      burstLimit: config.apiBurstLimit,
      logRetention,
      cloudWatchRole: config.apiGatewayCloudWatchRole,
    });
    this.schedule = new TickSchedule(this, 'TickSchedule', { tick: this.functions.tick.function });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage: config.stage,
      functions: this.functions.byName(),
      functionLogGroups: this.functions.all().map((f) => f.logGroup),
      runQueue: data.queues.runs,
      orderQueue: data.queues.orders,
      eventsDeadLetterQueue: data.queues.eventsDeadLetterQueue,
      bus: data.events.bus,
      api: this.controlApi.api,
      logRetention,
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
      ...(config.alarmTopicArn ? { alarmTopicArn: config.alarmTopicArn } : {}),
    });

    new CfnOutput(this, 'ApiUrl', { value: this.controlApi.api.url, description: 'Control API (SigV4-signed requests, docs/api.md)' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.alarmTopic.topicArn, description: 'Subscribe to receive alarms' });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'RunEventLogGroup', { value: this.monitoring.runEvents.logGroupName });
    new CfnOutput(this, 'ApiId', { value: this.controlApi.api.restApiId, description: 'Control API id: the operators\' IAM policy (execute-api ARNs) and aws apigateway commands' });
    new CfnOutput(this, 'ApiAccessLogGroup', { value: this.controlApi.accessLogs.logGroupName, description: 'Control API access log' });
    for (const [name, fn] of Object.entries({ tick: this.functions.tick, api: this.functions.api, collector: this.functions.collector, worker: this.functions.worker, events: this.functions.events })) {
      new CfnOutput(this, `${cap(name)}LogGroup`, { value: fn.logGroup.logGroupName, description: `Log group of the ${name} function` });
    }
    new CfnOutput(this, 'SecretsPrefix', { value: prefix, description: 'Create the plans\' secrets under this name prefix (docs/deploy.md)' });
  }
}

function cap(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
