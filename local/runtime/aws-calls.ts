/**
 * Every AWS API call the local runtime's functions make, recorded as IAM sees it: the action
 * (`dynamodb:GetItem`, `sqs:SendMessage`), the resource it is authorised against (table, index,
 * stream, queue, bus, secret) and, for DynamoDB writes, the attributes a `dynamodb:Attributes`
 * condition looks at. DynamoDB Local and the SQS emulator check no IAM; the IAM coverage test
 * (test/infra/iam-coverage.test.ts) checks these calls against each function's role in the
 * synthesized stack instead.
 *
 * Calls are recorded by a middleware on the SDK clients each function builds (`instrument`),
 * and, for what the runtime itself does on a function's behalf in AWS (Lambda's event sources
 * reading the queues and the stream with the function's role, the secrets a function reads, the
 * events it puts), by the runtime through `record`.
 */
import type { ClientInstrument, InstrumentableClient } from '#platform/aws-clients';

/** The functions, as the stack names them (infra/bundling.ts). */
export type RecordedFunction = 'tick' | 'api' | 'collector' | 'worker' | 'events';

/** What an IAM resource ARN is built from. */
export type CallResource =
  | { readonly kind: 'table'; readonly tableName: string; readonly index?: string }
  | { readonly kind: 'stream'; readonly tableName: string }
  | { readonly kind: 'queue'; readonly queueUrl: string }
  | { readonly kind: 'bus'; readonly busName: string }
  | { readonly kind: 'secret'; readonly name: string };

export interface AwsCall {
  readonly function: RecordedFunction;
  /** The IAM action, e.g. `dynamodb:UpdateItem` (a transaction's items are recorded one by one) */
  readonly action: string;
  /** The API operation that made it, e.g. `TransactWriteItems` */
  readonly operation: string;
  readonly resource: CallResource;
  /** DynamoDB writes: the top-level attributes written (what `dynamodb:Attributes` is matched against) */
  readonly attributes?: readonly string[];
}

type Input = Record<string, any>;

export class AwsCallRecorder {
  readonly calls: AwsCall[] = [];

  record(call: AwsCall): void {
    this.calls.push(call);
  }

  /** A hook that records every call the clients it is attached to make, as this function's. */
  instrument(fn: RecordedFunction): ClientInstrument {
    return (client: InstrumentableClient) => {
      // GetRecords names no stream, only an opaque iterator: it reads the stream this client last named.
      let streamArn: unknown;
      client.middlewareStack.add(
        (next: (args: any) => Promise<any>, context: { commandName?: string; clientName?: string }) => async (args: { input: Input }) => {
          if (args.input['StreamArn']) streamArn = args.input['StreamArn'];
          const input = args.input['ShardIterator'] && !args.input['StreamArn'] ? { ...args.input, StreamArn: streamArn } : args.input;
          for (const call of callsOf(fn, context.clientName ?? '', (context.commandName ?? '').replace(/Command$/, ''), input)) this.record(call);
          return next(args);
        },
        // After the document client's marshalling (initialize), before serialization: the input as the service gets it.
        { step: 'serialize', priority: 'high', name: 'recordAwsCall', override: true },
      );
    };
  }

  /** The distinct calls, one per function, action, resource and attribute set. */
  distinct(): AwsCall[] {
    const seen = new Map<string, AwsCall>();
    for (const call of this.calls) seen.set(JSON.stringify([call.function, call.action, call.resource, call.attributes ?? []]), call);
    return [...seen.values()];
  }
}

/** The IAM view of one SDK call: one entry per action and resource it is authorised for. */
export function callsOf(fn: RecordedFunction, clientName: string, operation: string, input: Input): AwsCall[] {
  const call = (action: string, resource: CallResource, attributes?: readonly string[]): AwsCall => ({
    function: fn,
    action,
    operation,
    resource,
    ...(attributes ? { attributes } : {}),
  });
  if (/DynamoDBStreams/i.test(clientName)) {
    // Streams are authorised on the stream's ARN; the table is named in the ARN.
    const tableName = tableOfStreamArn(String(input['StreamArn'] ?? ''));
    return [call(`dynamodb:${operation}`, { kind: 'stream', tableName })];
  }
  if (/DynamoDB/i.test(clientName)) return dynamoCalls(operation, input, call);
  if (/SQS/i.test(clientName)) {
    const action = operation.replace(/Batch$/, '');
    return [call(`sqs:${action}`, { kind: 'queue', queueUrl: String(input['QueueUrl'] ?? '') })];
  }
  if (/EventBridge/i.test(clientName)) {
    const buses = new Set<string>(((input['Entries'] ?? []) as Input[]).map((e) => String(e['EventBusName'] ?? 'default')));
    return [...buses].map((busName) => call(`events:${operation}`, { kind: 'bus', busName }));
  }
  if (/SecretsManager/i.test(clientName)) return [call(`secretsmanager:${operation}`, { kind: 'secret', name: String(input['SecretId'] ?? '') })];
  return [call(`${clientName}:${operation}`, { kind: 'table', tableName: '?' })];
}

function dynamoCalls(operation: string, input: Input, call: (action: string, resource: CallResource, attributes?: readonly string[]) => AwsCall): AwsCall[] {
  const table = (tableName: unknown, index?: unknown): CallResource => ({ kind: 'table', tableName: String(tableName ?? ''), ...(index ? { index: String(index) } : {}) });
  switch (operation) {
    case 'PutItem':
      return [call('dynamodb:PutItem', table(input['TableName']), Object.keys(input['Item'] ?? {}))];
    case 'UpdateItem':
      return [call('dynamodb:UpdateItem', table(input['TableName']), updatedAttributes(input))];
    case 'Query':
    case 'Scan':
      return [call(`dynamodb:${operation}`, table(input['TableName'], input['IndexName']))];
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys(input['RequestItems'] ?? {}).map((name) => call(`dynamodb:${operation}`, table(name)));
    case 'TransactGetItems':
      // A transaction has no IAM action of its own: each item is authorised as its single-item action.
      return ((input['TransactItems'] ?? []) as Input[]).map((item) => call('dynamodb:GetItem', table(item['Get']?.['TableName'])));
    case 'TransactWriteItems':
      return ((input['TransactItems'] ?? []) as Input[]).map((item) => {
        if (item['Put']) return call('dynamodb:PutItem', table(item['Put']['TableName']), Object.keys(item['Put']['Item'] ?? {}));
        if (item['Update']) return call('dynamodb:UpdateItem', table(item['Update']['TableName']), updatedAttributes(item['Update']));
        if (item['Delete']) return call('dynamodb:DeleteItem', table(item['Delete']['TableName']));
        return call('dynamodb:ConditionCheckItem', table(item['ConditionCheck']?.['TableName']));
      });
    default:
      return [call(`dynamodb:${operation}`, table(input['TableName']))];
  }
}

const UPDATE_CLAUSE = /\b(SET|REMOVE|ADD|DELETE)\b/gi;

/**
 * The top-level attributes an update expression writes, names resolved, with the key's: what IAM
 * puts in `dynamodb:Attributes` for an UpdateItem.
 */
export function updatedAttributes(input: Input): string[] {
  const names = (input['ExpressionAttributeNames'] ?? {}) as Record<string, string>;
  const expression = String(input['UpdateExpression'] ?? '');
  const out = new Set<string>(Object.keys(input['Key'] ?? {}));
  const parts = expression.split(UPDATE_CLAUSE);
  // split with a capturing group: [before, keyword, body, keyword, body, …]
  for (let i = 1; i < parts.length; i += 2) {
    const keyword = parts[i]!.toUpperCase();
    for (const action of splitTopLevel(parts[i + 1] ?? '')) {
      const path = (keyword === 'SET' ? action.split('=')[0]! : action.trim().split(/\s+/)[0]!).trim();
      const first = path.split(/[.[]/)[0]!.trim();
      if (first) out.add(first.startsWith('#') ? (names[first] ?? first) : first);
    }
  }
  return [...out];
}

/** Splits on commas outside parentheses (`SET a = if_not_exists(a, :z), b = :b`). */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '(') depth += 1;
    else if (c === ')') depth -= 1;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.filter((s) => s.trim() !== '');
}

/** arn:aws:dynamodb:ddblocal:000000000000:table/<name>/stream/<label> → <name> */
function tableOfStreamArn(arn: string): string {
  return /:table\/([^/]+)\/stream\//.exec(arn)?.[1] ?? '';
}
