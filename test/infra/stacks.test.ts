/**
 * The wiring that matters in the synthesised templates (bundling skipped): IAM auth on every API
 * method, each function's permissions against what its code calls, DLQs and alarms, timeouts vs
 * visibility, event sources (the queues and the table's stream), stateful resources kept,
 * runtime, schedule → tick, and each function's environment parsed by the function's own
 * configuration schema.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Match } from 'aws-cdk-lib/assertions';
import { loadApiConfig } from '#functions/api/config';
import { loadCollectorConfig } from '#functions/collector/config';
import { loadEventsConfig } from '#functions/events/config';
import { loadTickConfig } from '#functions/tick/config';
import { loadWorkerConfig } from '#functions/worker/config';
import { RUN_EVENT_FILTER_PATTERNS } from '#exchange/run-events';
import { runQueueDefinition } from '#aws/run-queue';
import { orderQueueDefinition } from '#aws/order-queue';
import { tableDefinition } from '#store/table';
import { BUNDLING, type FunctionName } from '../../infra/bundling.ts';
import { EVENTS_STREAM } from '../../infra/constructs/exchange-functions.ts';
import { BINDING_ONLY_ATTRIBUTE } from '../../infra/constructs/exchange-table.ts';
import { actionsOf, allowedOn, buildForTest, logicalId, resourcesOf, roleStatements, type Statement } from './support.ts';

const built = buildForTest({ stage: 'test', workerMaxConcurrency: '4', alarmEmail: 'ops@example.com' });
const { data, service, dataTemplate, serviceTemplate } = built;
const fns = service.functions;
const byName: Record<FunctionName, typeof fns.tick> = { tick: fns.tick, api: fns.api, collector: fns.collector, worker: fns.worker, events: fns.events };
const functionNames = Object.keys(byName) as FunctionName[];

const ids = {
  table: logicalId(data.table.table),
  runQueue: logicalId(data.queues.runs.queue),
  runDlq: logicalId(data.queues.runs.deadLetterQueue),
  orderQueue: logicalId(data.queues.orders.queue),
  orderDlq: logicalId(data.queues.orders.deadLetterQueue),
  eventsDlq: logicalId(data.queues.eventsDeadLetterQueue),
  bus: logicalId(data.events.bus),
};

/** How a resource of the table's stream renders: an import of the table's `StreamArn`. */
const isTableStream = (resource: unknown) => {
  const json = JSON.stringify(resource);
  return json.includes(ids.table) && json.includes('StreamArn');
};

function statementsOf(name: FunctionName): Statement[] {
  return roleStatements(serviceTemplate, logicalId(byName[name].role));
}

/** Actions allowed on the table itself (not its indexes, not its stream). */
function tableActions(statements: readonly Statement[]): Set<string> {
  const out = new Set<string>();
  for (const s of statements) {
    if (s.Effect !== 'Allow') continue;
    if (resourcesOf(s).some((r) => JSON.stringify(r).includes(ids.table) && !JSON.stringify(r).includes('/index/') && !isTableStream(r))) for (const a of actionsOf(s)) out.add(a);
  }
  return out;
}

/** Actions allowed on the table's stream. */
function streamActions(statements: readonly Statement[]): Set<string> {
  const out = new Set<string>();
  for (const s of statements) {
    if (s.Effect === 'Allow' && resourcesOf(s).some(isTableStream)) for (const a of actionsOf(s)) out.add(a);
  }
  return out;
}

/** The event source mapping of the events function (the table's stream). */
function streamMapping(): Record<string, any> {
  const mappings = Object.values(serviceTemplate.findResources('AWS::Lambda::EventSourceMapping')).filter((m) => m['Properties']['FunctionName']['Ref'] === logicalId(fns.events.function));
  assert.equal(mappings.length, 1, 'one event source of the events function');
  return mappings[0]!['Properties'];
}

function functionResource(name: FunctionName): Record<string, any> {
  const resources = serviceTemplate.findResources('AWS::Lambda::Function');
  const resource = resources[logicalId(byName[name].function)];
  assert.ok(resource, `no function resource for ${name}`);
  return resource;
}

describe('control API', () => {
  test('every method of the API requires IAM authorisation', () => {
    const methods = Object.values(serviceTemplate.findResources('AWS::ApiGateway::Method'));
    assert.ok(methods.length >= 2, 'root and proxy methods');
    for (const method of methods) assert.equal(method['Properties']['AuthorizationType'], 'AWS_IAM', `${method['Properties']['HttpMethod']} without IAM auth`);
  });

  test('the root and every path below it proxy to the api function', () => {
    const apiFn = logicalId(fns.api.function);
    serviceTemplate.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{proxy+}' });
    const methods = Object.values(serviceTemplate.findResources('AWS::ApiGateway::Method'));
    for (const m of methods) assert.match(JSON.stringify(m['Properties']['Integration']), new RegExp(`AWS_PROXY.*${apiFn}`));
  });

  test('the stage is throttled and writes access logs', () => {
    serviceTemplate.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20, LoggingLevel: 'ERROR', DataTraceEnabled: false })]),
    });
  });
});

describe('least privilege', () => {
  test('no function is allowed a wildcard action or resource', () => {
    for (const name of functionNames) {
      for (const s of statementsOf(name).filter((s) => s.Effect === 'Allow')) {
        for (const a of actionsOf(s)) assert.ok(!a.includes('*'), `${name}: wildcard action ${a}`);
        for (const r of resourcesOf(s)) assert.notEqual(r, '*', `${name}: resource *`);
      }
    }
  });

  test('table actions are the item actions each function performs, never scans; batch writes only by the worker (a run\'s product items)', () => {
    const expected: Record<FunctionName, string[]> = {
      tick: ['ConditionCheckItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'], // Query: each plan's latest runs (heartbeat)
      api: ['ConditionCheckItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
      collector: ['BatchGetItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
      worker: ['BatchGetItem', 'BatchWriteItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
      events: [],
    };
    for (const [name, actions] of Object.entries(expected) as [FunctionName, string[]][]) {
      assert.deepEqual([...tableActions(statementsOf(name))].sort(), actions.map((a) => `dynamodb:${a}`), name);
    }
  });

  test('each function queries only the indexes it reads', () => {
    const indexQueries = (name: FunctionName) =>
      tableDefinition.globalSecondaryIndexes.filter((i) => allowedOn(statementsOf(name), `/index/${i.name}`).has('dynamodb:Query')).map((i) => i.name);
    assert.deepEqual(indexQueries('tick'), ['plans']);
    assert.deepEqual(indexQueries('api'), ['plans', 'stuck-orders']);
    assert.deepEqual(indexQueries('collector'), ['open-bindings', 'stuck-orders']);
    assert.deepEqual(indexQueries('worker'), []);
    assert.deepEqual(indexQueries('events'), []);
  });

  test("only the events function reads the table's stream, with the actions its event source needs", () => {
    for (const name of functionNames) {
      const actions = [...streamActions(statementsOf(name))].sort();
      if (name === 'events') assert.deepEqual(actions, ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams']);
      else assert.deepEqual(actions, [], `${name} reads the stream`);
    }
  });

  test('only the worker may write binding items', () => {
    for (const name of ['tick', 'api', 'collector'] as const) {
      const deny = statementsOf(name).find((s) => s.Effect === 'Deny' && s.Sid === 'NoBindingWrites');
      assert.ok(deny, `${name} has no binding-write deny`);
      assert.deepEqual(actionsOf(deny).sort(), ['dynamodb:PutItem', 'dynamodb:UpdateItem']);
      assert.deepEqual(deny.Condition, { 'ForAnyValue:StringEquals': { 'dynamodb:Attributes': [BINDING_ONLY_ATTRIBUTE] } });
    }
    assert.ok(!statementsOf('worker').some((s) => s.Effect === 'Deny'), 'the worker writes bindings');
    assert.deepEqual([...tableActions(statementsOf('events'))], [], 'the events function writes no item at all');
  });

  test('runs are queued by the tick and the api only; orders by the collector, finalize continuations by both; the events DLQ is sent to by the events function only', () => {
    const senders = (queueId: string) => functionNames.filter((n) => allowedOn(statementsOf(n), queueId).has('sqs:SendMessage'));
    assert.deepEqual(senders(ids.runQueue), ['tick', 'api']);
    assert.deepEqual(senders(ids.orderQueue), ['collector', 'worker']);
    assert.deepEqual(senders(ids.runDlq), []);
    assert.deepEqual(senders(ids.orderDlq), []);
    assert.deepEqual(senders(ids.eventsDlq), ['events']);
  });

  test('the consumers receive, delete and change the visibility of their own queue only', () => {
    const consumers = (queueId: string) => functionNames.filter((n) => allowedOn(statementsOf(n), queueId).has('sqs:ReceiveMessage'));
    assert.deepEqual(consumers(ids.runQueue), ['collector']);
    assert.deepEqual(consumers(ids.orderQueue), ['worker']);
    assert.deepEqual(consumers(ids.eventsDlq), [], 'the events DLQ is read by an operator, not a function');
    assert.ok(allowedOn(statementsOf('worker'), ids.orderQueue).has('sqs:ChangeMessageVisibility'), 'the worker backs off with ChangeMessageVisibility');
    assert.deepEqual(functionNames.filter((n) => n !== 'worker' && allowedOn(statementsOf(n), ids.orderQueue).has('sqs:ChangeMessageVisibility')), []);
  });

  test('secrets are read by the api, the collector and the worker, below the stage prefix only', () => {
    for (const name of functionNames) {
      const secretStatements = statementsOf(name).filter((s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
      if (name === 'tick' || name === 'events') {
        assert.equal(secretStatements.length, 0, `the ${name} function reads no secrets`);
        continue;
      }
      assert.equal(secretStatements.length, 1, name);
      assert.deepEqual(actionsOf(secretStatements[0]!), ['secretsmanager:GetSecretValue']);
      assert.match(JSON.stringify(secretStatements[0]!.Resource), /:secret:goodwix-1c-exchange\/test\/\*"/);
    }
  });

  test('only the events function may put events, and on the exchange bus only', () => {
    for (const name of functionNames) {
      const puts = statementsOf(name).filter((s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a.startsWith('events:')));
      if (name !== 'events') {
        assert.equal(puts.length, 0, `${name} may put events`);
        continue;
      }
      assert.equal(puts.length, 1, name);
      assert.deepEqual(actionsOf(puts[0]!), ['events:PutEvents']);
      assert.match(JSON.stringify(puts[0]!.Resource), new RegExp(ids.bus));
    }
  });

  test('functions write their own log group, with no managed policy', () => {
    for (const [name, f] of Object.entries(byName)) {
      const role = serviceTemplate.findResources('AWS::IAM::Role')[logicalId(f.role)];
      assert.equal(role?.['Properties']['ManagedPolicyArns'], undefined, name);
      assert.ok(allowedOn(statementsOf(name as FunctionName), logicalId(f.logGroup)).has('logs:PutLogEvents'), name);
    }
  });
});

describe('queues', () => {
  test('both queues are FIFO with a FIFO DLQ after maxReceiveCount of their definition', () => {
    for (const [queueId, dlqId, definition] of [
      [ids.runQueue, ids.runDlq, runQueueDefinition],
      [ids.orderQueue, ids.orderDlq, orderQueueDefinition],
    ] as const) {
      const queues = dataTemplate.findResources('AWS::SQS::Queue');
      const q = queues[queueId]!['Properties'];
      assert.equal(q['FifoQueue'], true);
      assert.equal(q['VisibilityTimeout'], definition.visibilityTimeoutSeconds);
      assert.deepEqual(q['RedrivePolicy'], { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: definition.maxReceiveCount });
      assert.equal(queues[dlqId]!['Properties']['FifoQueue'], true);
      assert.equal(queues[dlqId]!['Properties']['MessageRetentionPeriod'], definition.dlqRetentionSeconds);
    }
  });

  test('visibility timeout is at least 6 × the consuming function timeout', () => {
    const queues = dataTemplate.findResources('AWS::SQS::Queue');
    const mappings = Object.values(serviceTemplate.findResources('AWS::Lambda::EventSourceMapping')).filter((m) => !isTableStream(m['Properties']['EventSourceArn']));
    assert.equal(mappings.length, 2, 'the collector and the worker consume a queue each');
    for (const m of mappings) {
      const fnId = m['Properties']['FunctionName']['Ref'] as string;
      const timeout = serviceTemplate.findResources('AWS::Lambda::Function')[fnId]!['Properties']['Timeout'] as number;
      const source = JSON.stringify(m['Properties']['EventSourceArn']);
      const queueId = [ids.runQueue, ids.orderQueue].find((id) => source.includes(id));
      assert.ok(queueId, `mapping of ${fnId} on an unknown queue`);
      const visibility = queues[queueId]!['Properties']['VisibilityTimeout'] as number;
      assert.ok(visibility >= 6 * timeout, `${fnId}: visibility ${visibility} s < 6 × ${timeout} s`);
    }
    assert.equal(functionResource('worker')['Properties']['Timeout'], orderQueueDefinition.workerTimeoutSeconds);
  });

  test('the consumers report partial batch failures; the worker is bounded by maxConcurrency, not reserved concurrency', () => {
    serviceTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(fns.worker.function) },
      BatchSize: orderQueueDefinition.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 4 },
    });
    serviceTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(fns.collector.function) },
      BatchSize: runQueueDefinition.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    for (const f of Object.values(serviceTemplate.findResources('AWS::Lambda::Function'))) assert.equal(f['Properties']['ReservedConcurrentExecutions'], undefined);
  });
});

describe('table stream → events function', () => {
  test('the table streams new and old images, the view type of its definition', () => {
    assert.equal(tableDefinition.stream, 'NEW_AND_OLD_IMAGES');
    dataTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', { StreamSpecification: { StreamViewType: tableDefinition.stream } });
  });

  test("the events function reads the table's stream from its oldest record and reports the record to resume from", () => {
    const mapping = streamMapping();
    assert.ok(isTableStream(mapping['EventSourceArn']), `not the table's stream: ${JSON.stringify(mapping['EventSourceArn'])}`);
    assert.equal(mapping['StartingPosition'], 'TRIM_HORIZON');
    assert.deepEqual(mapping['FunctionResponseTypes'], ['ReportBatchItemFailures']);
    assert.equal(mapping['BisectBatchOnFunctionError'], false, 'a failed batch resumes where the function says, never split');
    assert.equal(mapping['BatchSize'], EVENTS_STREAM.batchSize);
    assert.equal(mapping['MaximumBatchingWindowInSeconds'], EVENTS_STREAM.maxBatchingWindow.toSeconds());
  });

  test('the events function is invoked only for the changes that are run events', () => {
    const filters = streamMapping()['FilterCriteria']['Filters'] as { Pattern: string }[];
    assert.equal(filters.length, 3);
    assert.deepEqual(
      filters.map((f) => JSON.parse(f.Pattern)),
      RUN_EVENT_FILTER_PATTERNS.map((p) => JSON.parse(JSON.stringify(p))),
    );
    // Lambda's limits: 5 filters per event source (a quota, 10 on request), 4,096 characters a pattern.
    assert.ok(filters.length <= 5);
    for (const f of filters) assert.ok(f.Pattern.length <= 4096, `pattern of ${f.Pattern.length} characters`);
  });

  test('a batch given up on after the retries goes to the events DLQ while its records are still in the stream', () => {
    const mapping = streamMapping();
    assert.equal(mapping['MaximumRetryAttempts'], EVENTS_STREAM.retryAttempts);
    assert.ok(mapping['MaximumRecordAgeInSeconds'] > 0 && mapping['MaximumRecordAgeInSeconds'] < 24 * 3600, 'record age limit under the stream retention of 24 h');
    assert.match(JSON.stringify(mapping['DestinationConfig']['OnFailure']['Destination']), new RegExp(`${ids.eventsDlq}Arn`));
    const dlq = dataTemplate.findResources('AWS::SQS::Queue')[ids.eventsDlq]!['Properties'];
    assert.equal(dlq['FifoQueue'], undefined, "Lambda's on-failure destinations take standard queues only");
    assert.equal(dlq['MessageRetentionPeriod'], 14 * 86_400);
  });
});

describe('stateful resources', () => {
  test('the table is the shared definition, with PITR, deletion protection, KMS encryption and RETAIN', () => {
    dataTemplate.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: tableDefinition.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: tableDefinition.sortKey.name, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: tableDefinition.timeToLiveAttribute, Enabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
      }),
    });
    const table = Object.values(dataTemplate.findResources('AWS::DynamoDB::GlobalTable'))[0]!['Properties'];
    const indexes = table['GlobalSecondaryIndexes'] as { IndexName: string; KeySchema: unknown; Projection: { ProjectionType: string; NonKeyAttributes?: string[] } }[];
    assert.deepEqual(
      indexes.map((i) => ({ name: i.IndexName, projection: i.Projection.ProjectionType, nonKey: i.Projection.NonKeyAttributes ?? [] })),
      tableDefinition.globalSecondaryIndexes.map((i) => ({ name: i.name, projection: i.projection, nonKey: [...(i.nonKeyAttributes ?? [])] })),
    );
  });

  test('queues and DLQs are retained, encrypted and TLS-only', () => {
    const queues = dataTemplate.findResources('AWS::SQS::Queue');
    assert.equal(Object.keys(queues).length, 5, 'run and order queues, their DLQs, the events DLQ');
    for (const [id, q] of Object.entries(queues)) {
      assert.equal(q['DeletionPolicy'], 'Retain', id);
      assert.equal(q['Properties']['SqsManagedSseEnabled'], true, id);
    }
    const policies = Object.values(dataTemplate.findResources('AWS::SQS::QueuePolicy'));
    for (const id of Object.keys(queues)) assert.ok(policies.some((p) => JSON.stringify(p['Properties']['Queues']).includes(id)), `${id} has no queue policy`);
    for (const policy of policies) {
      assert.match(JSON.stringify(policy['Properties']['PolicyDocument']), /"aws:SecureTransport":"false"/);
    }
  });

  test('the data stack is termination-protected and holds no function', () => {
    assert.equal(data.terminationProtection, true);
    dataTemplate.resourceCountIs('AWS::Lambda::Function', 0);
    dataTemplate.hasResourceProperties('AWS::Events::EventBus', {});
  });
});

describe('functions', () => {
  test('every function, the events function too, runs Node 22 on ARM64 from an ESM bundle with the AWS SDK bundled and source maps on', () => {
    assert.deepEqual([...functionNames].sort(), ['api', 'collector', 'events', 'tick', 'worker']);
    for (const name of functionNames) {
      const p = functionResource(name)['Properties'];
      assert.equal(p['Runtime'], 'nodejs22.x', name);
      assert.deepEqual(p['Architectures'], ['arm64'], name);
      assert.equal(p['Handler'], 'index.handler', name);
      assert.equal(p['Environment']['Variables']['NODE_OPTIONS'], '--enable-source-maps', name);
    }
    assert.equal(BUNDLING.bundleAwsSDK, true);
    assert.equal(BUNDLING.format, 'esm');
    assert.ok(BUNDLING.minify && BUNDLING.sourceMap);
    assert.match(BUNDLING.banner, /createRequire/);
    assert.ok(
      BUNDLING.externalModules.every((m) => /^@(aws-sdk|smithy)\/credential-provider-/.test(m) || m === '@smithy/core/event-streams'),
      'only credential providers and the event-stream serde (both loaded by dynamic import only) are left out',
    );
  });

  test("each function's environment parses with the function's own configuration schema", () => {
    const loaders: Record<FunctionName, (env: Record<string, string>) => unknown> = {
      tick: loadTickConfig,
      api: loadApiConfig,
      collector: loadCollectorConfig,
      worker: loadWorkerConfig,
      events: loadEventsConfig,
    };
    for (const name of functionNames) {
      const variables = functionResource(name)['Properties']['Environment']['Variables'] as Record<string, unknown>;
      // Tokens (table name, queue URLs, bus name) stand in as plausible values.
      const env = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : k.endsWith('_URL') ? 'https://sqs.eu-central-1.amazonaws.com/123456789012/q.fifo' : 'resolved-at-deploy']));
      assert.doesNotThrow(() => loaders[name](env), name);
      assert.ok(!('DYNAMODB_ENDPOINT' in env) && !('SQS_ENDPOINT' in env), `${name}: no local endpoints in AWS`);
      assert.equal(env['POWERTOOLS_LOG_LEVEL'], 'INFO');
    }
    const worker = functionResource('worker')['Properties']['Environment']['Variables'];
    assert.equal(worker['MAX_RECEIVE_COUNT'], String(orderQueueDefinition.maxReceiveCount));
    assert.match(JSON.stringify(worker['ORDER_QUEUE_URL']), new RegExp(ids.orderQueue));
    assert.match(JSON.stringify(functionResource('collector')['Properties']['Environment']['Variables']['ORDER_QUEUE_URL']), new RegExp(ids.orderQueue));
    assert.match(JSON.stringify(functionResource('tick')['Properties']['Environment']['Variables']['RUN_QUEUE_URL']), new RegExp(ids.runQueue));
  });

  test("the functions that read secrets and connect are told the plans' secrets prefix and never allow plain http; allowed hosts when given", () => {
    for (const name of functionNames) {
      const variables = functionResource(name)['Properties']['Environment']['Variables'] as Record<string, unknown>;
      if (name === 'api' || name === 'collector' || name === 'worker') assert.equal(variables['SECRETS_PREFIX'], 'goodwix-1c-exchange/test/', name);
      else assert.ok(!('SECRETS_PREFIX' in variables), name);
      assert.ok(!('ALLOW_PLAIN_HTTP' in variables) && !('ALLOWED_HOSTS' in variables), name);
    }
    const listed = buildForTest({ stage: 'test', allowedHosts: 'erp.alfa.example,*.goodwix.com' });
    for (const f of [listed.service.functions.api, listed.service.functions.collector, listed.service.functions.worker]) {
      const resource = listed.serviceTemplate.findResources('AWS::Lambda::Function')[logicalId(f.function)]!;
      assert.equal(resource['Properties']['Environment']['Variables']['ALLOWED_HOSTS'], 'erp.alfa.example,*.goodwix.com');
    }
  });

  test('only the events function is told the bus name', () => {
    for (const name of functionNames) {
      const variables = functionResource(name)['Properties']['Environment']['Variables'] as Record<string, unknown>;
      if (name === 'events') assert.match(JSON.stringify(variables['EVENT_BUS_NAME']), new RegExp(ids.bus));
      else assert.ok(!('EVENT_BUS_NAME' in variables), `${name} has EVENT_BUS_NAME`);
    }
  });

  test('the api answers within API Gateway’s 29 s', () => {
    assert.ok((functionResource('api')['Properties']['Timeout'] as number) <= 29);
  });
});

describe('schedule', () => {
  test('an EventBridge rule invokes the tick every minute', () => {
    serviceTemplate.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(fns.tick.function), 'Arn'] } })],
    });
    serviceTemplate.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [logicalId(fns.tick.function), 'Arn'] },
      Principal: 'events.amazonaws.com',
    });
  });
});

describe('monitoring', () => {
  const alarms = serviceTemplate.findResources('AWS::CloudWatch::Alarm');
  const topicId = logicalId(service.monitoring.alarmTopic as never);
  const alarmOn = (predicate: (json: string) => boolean) => Object.entries(alarms).filter(([, a]) => predicate(JSON.stringify(a['Properties'])));

  test('every alarm notifies the alarm topic, on alarm and on recovery', () => {
    assert.ok(Object.keys(alarms).length > 0);
    for (const [id, a] of Object.entries(alarms)) {
      assert.deepEqual(a['Properties']['AlarmActions'], [{ Ref: topicId }], id);
      assert.deepEqual(a['Properties']['OKActions'], [{ Ref: topicId }], id);
    }
    serviceTemplate.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } });
  });

  test('each DLQ, the events DLQ too, has a not-empty alarm and each queue an oldest-message alarm', () => {
    for (const dlq of [ids.runDlq, ids.orderDlq, ids.eventsDlq]) {
      const found = alarmOn((j) => j.includes(`${dlq}QueueName`) && j.includes('ApproximateNumberOfMessagesVisible'));
      assert.equal(found.length, 1, `DLQ alarm for ${dlq}`);
      assert.equal(found[0]![1]['Properties']['Threshold'], 1);
    }
    for (const queue of [ids.runQueue, ids.orderQueue]) {
      assert.equal(alarmOn((j) => j.includes(`${queue}QueueName`) && j.includes('ApproximateAgeOfOldestMessage')).length, 1, `age alarm for ${queue}`);
    }
  });

  test("the events function falling more than 5 minutes behind the table's stream is alarmed, to the alarm topic", () => {
    const found = alarmOn((j) => j.includes('"MetricName":"IteratorAge"'));
    assert.equal(found.length, 1);
    const p = found[0]![1]['Properties'];
    // A labelled metric renders as a one-entry `Metrics` list.
    const stat = p['Metrics']?.[0]?.['MetricStat'] ?? { Metric: p, Stat: p['Statistic'] };
    assert.equal(stat['Metric']['Namespace'], 'AWS/Lambda');
    assert.equal(stat['Stat'], 'Maximum');
    assert.deepEqual(stat['Metric']['Dimensions'], [{ Name: 'FunctionName', Value: { Ref: logicalId(fns.events.function) } }]);
    assert.equal(p['Threshold'], 5 * 60 * 1000, 'IteratorAge is in milliseconds');
    assert.equal(p['ComparisonOperator'], 'GreaterThanThreshold');
    assert.deepEqual(p['AlarmActions'], [{ Ref: topicId }]);
  });

  test('a table-stream record the events function could not read is alarmed at the first one', () => {
    const found = alarmOn((j) => j.includes('"MetricName":"RunEventRecordsUnreadable"'));
    assert.equal(found.length, 1);
    const p = found[0]![1]['Properties'];
    assert.equal(p['Threshold'], 1);
    assert.equal(p['ComparisonOperator'], 'GreaterThanOrEqualToThreshold');
    assert.deepEqual(p['AlarmActions'], [{ Ref: topicId }]);
  });

  test('errors and throttles of every function, the events function too, and run failures, are alarmed', () => {
    for (const name of functionNames) {
      const fnId = logicalId(byName[name].function);
      for (const metric of ['Errors', 'Throttles']) {
        assert.equal(alarmOn((j) => j.includes(`"MetricName":"${metric}"`) && j.includes(`"Ref":"${fnId}"`)).length, 1, `${metric} alarm of ${name}`);
      }
    }
    const runFailures = alarmOn((j) => j.includes('RunFailedEvents') && j.includes('ScheduledStartFailures'));
    assert.equal(runFailures.length, 1, "RunFailures is fed by the events function's own metric and the tick's");
    assert.ok(!JSON.stringify(runFailures[0]).includes('RunsFailedTotal'), 'not by the log rule, which could lose events silently');
  });

  test('parked orders are alarmed per deployment, and an order parked longer than a day; both keep their state between runs', () => {
    const gauge = (metric: string) =>
      alarmOn((j) => j.includes(`"MetricName":"${metric}"`) && j.includes('"Stat":"Maximum"') && !j.includes('"planId"'));
    const [parked] = gauge('ParkedOrders');
    const [tooLong] = gauge('OldestParkedAge');
    assert.ok(parked && tooLong, 'an alarm on each gauge');
    assert.deepEqual([parked[1]['Properties']['Threshold'], parked[1]['Properties']['ComparisonOperator']], [1, 'GreaterThanOrEqualToThreshold']);
    assert.deepEqual([tooLong[1]['Properties']['Threshold'], tooLong[1]['Properties']['ComparisonOperator']], [86_400, 'GreaterThanThreshold']);
    for (const [, a] of [parked, tooLong]) assert.equal(a['Properties']['TreatMissingData'], 'ignore');
  });

  test("the rule copying run events to the log group has its failed deliveries alarmed", () => {
    const ruleId = logicalId(service.monitoring.runEventsRule);
    assert.equal(alarmOn((j) => j.includes('"MetricName":"FailedInvocations"') && j.includes(`"Ref":"${ruleId}"`)).length, 1);
  });

  test('a late tick is dropped, not retried: the tick invocation has a one-minute maximum event age and no retries', () => {
    const tickId = logicalId(byName.tick.function);
    serviceTemplate.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: tickId },
      MaximumEventAgeInSeconds: 60,
      MaximumRetryAttempts: 0,
    });
    const target = Object.values(serviceTemplate.findResources('AWS::Events::Rule')).flatMap((r) => r['Properties']['Targets'] ?? []).find((t: { Arn?: unknown }) => JSON.stringify(t.Arn).includes(tickId));
    assert.deepEqual(target?.['RetryPolicy'], { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 });
  });

  test('run events on the bus reach a log group whose metric filters count them per plan', () => {
    serviceTemplate.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.objectLike({ 'Fn::ImportValue': Match.stringLikeRegexp(ids.bus) }),
      EventPattern: { source: ['goodwix-1c-exchange'] },
      Targets: [Match.objectLike({ Arn: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.objectLike({ Ref: logicalId(service.monitoring.runEvents) })])]) }) })],
    });
    const delivery = Object.values(serviceTemplate.findResources('AWS::Logs::ResourcePolicy'));
    assert.equal(delivery.length, 1);
    const document = JSON.stringify(delivery[0]!['Properties']['PolicyDocument']);
    for (const part of ['events.amazonaws.com', 'logs:CreateLogStream', 'logs:PutLogEvents', logicalId(service.monitoring.runEvents)]) assert.ok(document.includes(part), part);
    for (const detailType of ['run.completed', 'run.failed', 'order.conflict']) {
      serviceTemplate.hasResourceProperties('AWS::Logs::MetricFilter', {
        FilterPattern: Match.stringLikeRegexp(`\\$\\.detail-type = "${detailType.replace('.', '\\.')}"`),
        MetricTransformations: [Match.objectLike({ Dimensions: [{ Key: 'PlanId', Value: '$.detail.planId' }] })],
      });
    }
  });

  test('the dashboard shows runs per plan, throughput, conflicts, parked orders, 1C latency, queue age, DLQ depth, errors, throttles, run events put and the stream iterator age', () => {
    const dashboard = Object.values(serviceTemplate.findResources('AWS::CloudWatch::Dashboard'))[0];
    const body = JSON.stringify(dashboard?.['Properties']['DashboardBody']);
    for (const needle of ['RunsCompleted', 'RunsFailed', 'OrdersExported', 'OrdersUpdatedInOneC', 'OrdersUpdatedInGoodwix', 'ConflictsWonByOneC', 'OrdersParked', 'OneCLatency', 'GoodwixLatency', 'ApproximateAgeOfOldestMessage', 'DLQ depth', 'Errors', 'Throttles', 'RunEventsPublished', 'IteratorAge']) {
      assert.ok(body.includes(needle), `dashboard lacks ${needle}`);
    }
  });

  test('an existing topic can take the alarms instead of a new one', () => {
    const other = buildForTest({ alarmTopicArn: 'arn:aws:sns:eu-central-1:123456789012:ops-alarms' });
    other.serviceTemplate.resourceCountIs('AWS::SNS::Topic', 0);
    for (const a of Object.values(other.serviceTemplate.findResources('AWS::CloudWatch::Alarm'))) {
      assert.deepEqual(a['Properties']['AlarmActions'], ['arn:aws:sns:eu-central-1:123456789012:ops-alarms']);
    }
  });
});
