/**
 * IAM evaluation of recorded AWS calls (local/runtime/aws-calls.ts) against the functions'
 * roles in the synthesized stacks: the Allow statements (actions, resource ARNs), explicit Denies
 * and the conditions they carry, as IAM would decide for a call in one account. The stacks'
 * intrinsics (cross-stack imports, `GetAtt`, `Join`, pseudo parameters) are resolved to ARNs
 * named after the resources' logical ids, and recorded calls are mapped to the same ARNs.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import type { FunctionName } from '../../infra/bundling.ts';
import type { AwsCall, CallResource } from '#local/runtime/aws-calls';
import { actionsOf, logicalId, resourcesOf, roleStatements, type Built, type Statement } from './support.ts';

export const REGION = 'eu-central-1';
export const ACCOUNT = '123456789012';
const STREAM_LABEL = '2026-01-01T00:00:00.000';

/** Where the local runtime's resources are in the stack. */
export interface LocalResources {
  readonly tableName: string;
  readonly runQueueUrl: string;
  readonly orderQueueUrl: string;
  readonly busName: string;
}

export interface Decision {
  readonly call: AwsCall;
  readonly arn: string;
  readonly allowed: boolean;
  /** Why not, in a sentence naming function, action and resource */
  readonly reason?: string;
}

export interface PolicyModel {
  readonly statements: Record<FunctionName, Statement[]>;
  /** A recorded call's resource as an ARN of the stack */
  arnOf(resource: CallResource): string;
  /** A statement's resource, resolved */
  resolve(value: unknown): string;
  /** Readable names of the queues, by logical id */
  readonly queueNames: Readonly<Record<string, string>>;
}

export function policyModel(built: Built, local: LocalResources): PolicyModel {
  const data = built.dataTemplate.toJSON() as { Resources: Record<string, { Type: string }>; Outputs: Record<string, { Value: unknown; Export?: { Name: string } }> };
  const service = built.serviceTemplate.toJSON() as { Resources: Record<string, { Type: string }> };
  const exports = new Map<string, unknown>();
  for (const output of Object.values(data.Outputs ?? {})) if (output.Export) exports.set(output.Export.Name, output.Value);

  const arnOfResource = (resources: Record<string, { Type: string }>, id: string, attribute: string): string => {
    const type = resources[id]?.Type;
    if (type === 'AWS::DynamoDB::GlobalTable' || type === 'AWS::DynamoDB::Table') {
      if (attribute === 'StreamArn') return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}/stream/${STREAM_LABEL}`;
      return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}`;
    }
    if (type === 'AWS::SQS::Queue') return `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`;
    if (type === 'AWS::Events::EventBus') return `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${id}`;
    if (type === 'AWS::Logs::LogGroup') return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${id}:*`;
    return `unresolved:${id}.${attribute}`;
  };

  const resolveIn = (resources: Record<string, { Type: string }>, value: unknown): string => {
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object') {
      const v = value as Record<string, unknown>;
      if ('Fn::ImportValue' in v) {
        const name = resolveIn(resources, v['Fn::ImportValue']);
        if (!exports.has(name)) return `unresolved-import:${name}`;
        return resolveIn(data.Resources, exports.get(name));
      }
      if ('Fn::GetAtt' in v) {
        const [id, attribute] = v['Fn::GetAtt'] as [string, string];
        return arnOfResource(resources, id, attribute);
      }
      if ('Ref' in v) {
        const ref = v['Ref'] as string;
        if (ref === 'AWS::Partition') return 'aws';
        if (ref === 'AWS::Region') return REGION;
        if (ref === 'AWS::AccountId') return ACCOUNT;
        if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
        return `ref:${ref}`;
      }
      if ('Fn::Join' in v) {
        const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
        return parts.map((p) => resolveIn(resources, p)).join(separator);
      }
    }
    return `unresolved:${JSON.stringify(value)}`;
  };

  const statements = {} as Record<FunctionName, Statement[]>;
  const functions = built.service.functions;
  for (const name of Object.keys(functions.byName()) as FunctionName[]) statements[name] = roleStatements(built.serviceTemplate, logicalId(functions[name].role));

  const tableId = logicalId(built.data.table.table);
  const queueIds = new Map<string, string>([
    [local.runQueueUrl, logicalId(built.data.queues.runs.queue)],
    [local.orderQueueUrl, logicalId(built.data.queues.orders.queue)],
  ]);
  const busId = logicalId(built.data.events.bus);
  const queueNames: Record<string, string> = {
    [logicalId(built.data.queues.runs.queue)]: 'run queue',
    [logicalId(built.data.queues.orders.queue)]: 'order queue',
    [logicalId(built.data.queues.runs.deadLetterQueue)]: 'run DLQ',
    [logicalId(built.data.queues.orders.deadLetterQueue)]: 'order DLQ',
    [logicalId(built.data.queues.eventsDeadLetterQueue)]: 'events DLQ',
  };

  const arnOf = (resource: CallResource): string => {
    switch (resource.kind) {
      case 'table':
        if (resource.tableName !== local.tableName) return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/unknown-table-${resource.tableName}`;
        return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${tableId}${resource.index ? `/index/${resource.index}` : ''}`;
      case 'stream':
        return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${resource.tableName === local.tableName ? tableId : `unknown-table-${resource.tableName}`}/stream/${STREAM_LABEL}`;
      case 'queue':
        return `arn:aws:sqs:${REGION}:${ACCOUNT}:${queueIds.get(resource.queueUrl) ?? `unknown-queue-${resource.queueUrl}`}`;
      case 'bus':
        return `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${resource.busName === local.busName ? busId : `unknown-bus-${resource.busName}`}`;
      case 'secret':
        // Secrets Manager appends six random characters to a secret's name in its ARN.
        return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${resource.name}-AbC123`;
    }
  };

  void service;
  return { statements, arnOf, resolve: (value) => resolveIn(service.Resources, value), queueNames };
}

/** IAM's wildcard match: `*` any run of characters, `?` one. */
export function wildcardMatch(pattern: string, value: string, options: { ignoreCase?: boolean } = {}): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, options.ignoreCase ? 'i' : '').test(value);
}

/** The request context a recorded call gives a condition. */
function contextValues(call: AwsCall, key: string): readonly string[] | undefined {
  if (key === 'dynamodb:Attributes') return call.attributes;
  return undefined;
}

/** Whether a statement's Condition block holds for the call; an operator this model does not know fails loudly. */
export function conditionHolds(condition: unknown, call: AwsCall): boolean {
  if (condition === undefined) return true;
  for (const [operator, entries] of Object.entries(condition as Record<string, Record<string, string | string[]>>)) {
    for (const [key, expected] of Object.entries(entries)) {
      const wanted = Array.isArray(expected) ? expected : [expected];
      const actual = contextValues(call, key);
      const equals = (a: string) => wanted.some((w) => w === a);
      const like = (a: string) => wanted.some((w) => wildcardMatch(w, a));
      let holds: boolean;
      switch (operator) {
        case 'ForAnyValue:StringEquals':
          holds = (actual ?? []).some(equals);
          break;
        case 'ForAnyValue:StringLike':
          holds = (actual ?? []).some(like);
          break;
        case 'ForAllValues:StringEquals':
          holds = (actual ?? []).every(equals);
          break;
        case 'ForAllValues:StringLike':
          holds = (actual ?? []).every(like);
          break;
        case 'StringEquals':
          holds = actual !== undefined && actual.length === 1 && equals(actual[0]!);
          break;
        case 'StringLike':
          holds = actual !== undefined && actual.length === 1 && like(actual[0]!);
          break;
        default:
          throw new Error(`the IAM model does not evaluate condition operator ${operator} (key ${key}): teach test/infra/iam.ts before using it`);
      }
      if (!holds) return false;
    }
  }
  return true;
}

function statementApplies(statement: Statement, call: AwsCall, arn: string, resolve: (value: unknown) => string): boolean {
  if (!actionsOf(statement).some((a) => wildcardMatch(a, call.action, { ignoreCase: true }))) return false;
  if (!resourcesOf(statement).some((r) => wildcardMatch(resolve(r), arn))) return false;
  return conditionHolds(statement.Condition, call);
}

/** IAM's decision for one call: allowed when an Allow applies and no Deny does. */
export function decide(model: PolicyModel, call: AwsCall): Decision {
  const arn = model.arnOf(call.resource);
  const statements = model.statements[call.function] ?? [];
  const deny = statements.find((s) => s.Effect === 'Deny' && statementApplies(s, call, arn, model.resolve));
  if (deny) {
    return { call, arn, allowed: false, reason: `${call.function}: ${call.action} on ${arn} is denied by ${deny.Sid ?? 'a Deny statement'}${call.attributes ? ` (attributes ${call.attributes.join(', ')})` : ''}` };
  }
  const allow = statements.some((s) => s.Effect === 'Allow' && statementApplies(s, call, arn, model.resolve));
  if (!allow) return { call, arn, allowed: false, reason: `${call.function}: ${call.action} on ${arn} is not allowed by its role (${call.operation})` };
  return { call, arn, allowed: true };
}

/** The same model with one action taken out of one function's Allow statements. */
export function withoutGrant(model: PolicyModel, fn: FunctionName, action: string): PolicyModel {
  const statements = { ...model.statements };
  statements[fn] = model.statements[fn]!.map((s) => {
    if (s.Effect !== 'Allow') return s;
    const actions = actionsOf(s).filter((a) => a.toLowerCase() !== action.toLowerCase());
    return { ...s, Action: actions };
  });
  return { ...model, statements };
}

export type { Template };

/** A resolved resource ARN as docs/deploy.md names it. */
function readable(arn: string, model: PolicyModel): string | null {
  if (arn.includes(':log-group:')) return null;
  if (arn.startsWith('arn:aws:secretsmanager:')) return `secrets \`${arn.split(':secret:')[1]}\``;
  const index = /:table\/([^/]+)\/index\/(.+)$/.exec(arn);
  if (index) return index[2] === '*' ? 'every index' : `\`${index[2]}\` index`;
  if (/:table\/[^/]+\/stream\//.test(arn)) return 'table stream';
  if (/:table\/[^/]+$/.test(arn)) return 'table';
  const queue = /^arn:aws:sqs:[^:]+:[^:]+:(.+)$/.exec(arn);
  if (queue) return model.queueNames[queue[1]!] ?? queue[1]!;
  if (arn.includes(':event-bus/')) return 'run events bus';
  return arn;
}

const SERVICES = [
  ['dynamodb', 'DynamoDB'],
  ['sqs', 'SQS'],
  ['events', 'EventBridge'],
  ['secretsmanager', 'Secrets Manager'],
] as const;

/**
 * docs/deploy.md's table of what each function may do, written from the synthesized roles: per
 * function and service, the allowed actions on each resource, and the denies with their conditions.
 */
export function permissionTable(model: PolicyModel): string {
  const rows = [`| function | ${SERVICES.map(([, title]) => title).join(' | ')} |`, `|---|${SERVICES.map(() => '---').join('|')}|`];
  for (const [fn, statements] of Object.entries(model.statements) as [FunctionName, Statement[]][]) {
    const cells = SERVICES.map(([prefix]) => {
      const byResource = new Map<string, Set<string>>();
      const denies: string[] = [];
      for (const s of statements) {
        const actions = actionsOf(s).filter((a) => a.startsWith(`${prefix}:`)).map((a) => a.slice(prefix.length + 1));
        if (actions.length === 0) continue;
        for (const r of resourcesOf(s)) {
          const name = readable(model.resolve(r), model);
          if (!name) continue;
          if (s.Effect === 'Deny') {
            denies.push(`**denied** ${actions.sort().join(', ')} on the ${name} ${describeCondition(s.Condition)}`);
            continue;
          }
          const set = byResource.get(name) ?? new Set<string>();
          for (const a of actions) set.add(a);
          byResource.set(name, set);
        }
      }
      const allowed = [...byResource.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, actions]) => `${[...actions].sort().join(', ')} on the ${name}`);
      const all = [...allowed, ...denies];
      return all.length ? all.join('; ') : '—';
    });
    rows.push(`| \`${fn}\` | ${cells.join(' | ')} |`);
  }
  return `${rows.join('\n')}\n`;
}

/** A condition as the docs say it. */
function describeCondition(condition: unknown): string {
  if (condition === undefined) return 'always';
  const parts: string[] = [];
  for (const [operator, entries] of Object.entries(condition as Record<string, Record<string, string | string[]>>)) {
    for (const [key, values] of Object.entries(entries)) {
      const list = (Array.isArray(values) ? values : [values]).map((v) => `\`${v}\``).join(' or ');
      if (key === 'dynamodb:Attributes' && operator === 'ForAnyValue:StringEquals') parts.push(`when writing attribute ${list}`);
      else parts.push(`when ${operator} ${key} ${list}`);
    }
  }
  return parts.join(' and ');
}
