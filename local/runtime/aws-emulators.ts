/**
 * The two AWS services the functions reach without a local endpoint setting of their own:
 * Secrets Manager (`GetSecretValue`) and EventBridge (`PutEvents`), emulated on 127.0.0.1 over
 * their real wire protocol (AWS JSON 1.1: `POST /`, `X-Amz-Target`, SigV4-signed). The bundled
 * functions reach them through the SDK's standard per-service endpoint variables
 * (`AWS_ENDPOINT_URL_SECRETS_MANAGER`, `AWS_ENDPOINT_URL_EVENTBRIDGE`, see `endpointEnvironment`),
 * so the code under test is the code that runs in AWS: no endpoint option, the default
 * credential chain. Only what the exchange calls is answered; anything else is an error the
 * SDK reports, so a new call shows up as a failure here before it does in AWS.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { LOCAL_REGION } from './services.ts';

export interface AwsEmulatorsOptions {
  /** Secrets by name (a string, or an object stored as its JSON) */
  readonly secrets?: Readonly<Record<string, string | object>>;
  /** Name of the one event bus that exists */
  readonly busName: string;
  /** Region the callers sign for (default the local runtime's) */
  readonly region?: string;
  /** Access key the callers must sign with; absent: any */
  readonly accessKeyId?: string;
  readonly accountId?: string;
}

/** An event `PutEvents` accepted, as EventBridge would deliver it to a rule. */
export interface PutEvent {
  readonly id: string;
  readonly eventBusName: string;
  readonly source: string;
  readonly detailType: string;
  readonly time: string | undefined;
  readonly detail: Record<string, unknown>;
}

/** One request the emulators answered. */
export interface EmulatedCall {
  readonly service: 'secretsmanager' | 'events';
  readonly operation: string;
  /** 200, or the error's status */
  readonly status: number;
  readonly error?: string;
  /** The secret asked for, the bus put on */
  readonly resource?: string;
}

export interface AwsEmulators {
  /** http://127.0.0.1:<port> (both services) */
  readonly endpoint: string;
  readonly events: readonly PutEvent[];
  readonly calls: readonly EmulatedCall[];
  /** The SDK's per-service endpoint variables pointing at the emulators */
  endpointEnvironment(): Record<string, string>;
  close(): Promise<void>;
}

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const TARGETS = {
  'secretsmanager.GetSecretValue': { service: 'secretsmanager', operation: 'GetSecretValue' },
  'AWSEvents.PutEvents': { service: 'events', operation: 'PutEvents' },
} as const;

/** What EventBridge refuses in one PutEvents call. */
const PUT_EVENTS_MAX_ENTRIES = 10;
const PUT_EVENTS_MAX_BYTES = 256 * 1024;

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const parsed = JSON.parse(text || '{}') as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    /* answered below */
  }
  throw new AwsError('SerializationException', 'Request body is not a JSON object');
}

/** SigV4 as the SDK sends it: `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, …`. */
function checkSignature(req: IncomingMessage, service: string, region: string, accessKeyId: string | undefined): void {
  const header = req.headers.authorization ?? '';
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/.exec(header);
  if (!match) throw new AwsError('MissingAuthenticationTokenException', 'Request is missing a SigV4 Authorization header', 403);
  const [, key, signedRegion, signedService] = match;
  if (accessKeyId !== undefined && key !== accessKeyId) throw new AwsError('UnrecognizedClientException', `The security token included in the request is invalid (key ${key})`, 403);
  if (signedRegion !== region) throw new AwsError('InvalidSignatureException', `Credential should be scoped to a valid region, not '${signedRegion}'`, 403);
  if (signedService !== service) throw new AwsError('InvalidSignatureException', `Credential should be scoped to correct service: '${service}', not '${signedService}'`, 403);
}

/** Starts both emulators on one 127.0.0.1 port (0 = any free one). */
export async function startAwsEmulators(options: AwsEmulatorsOptions, port = 0): Promise<AwsEmulators> {
  const region = options.region ?? LOCAL_REGION;
  const accountId = options.accountId ?? '000000000000';
  const busArn = `arn:aws:events:${region}:${accountId}:event-bus/${options.busName}`;
  const secrets = new Map<string, { arn: string; value: string; created: number }>();
  for (const [name, value] of Object.entries(options.secrets ?? {})) {
    const arn = `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${randomUUID().slice(0, 6)}`;
    secrets.set(name, { arn, value: typeof value === 'string' ? value : JSON.stringify(value), created: Math.floor(Date.now() / 1000) });
  }
  const events: PutEvent[] = [];
  const calls: EmulatedCall[] = [];

  const getSecretValue = (body: Record<string, unknown>): { resource: string; answer: unknown } => {
    const id = body['SecretId'];
    if (typeof id !== 'string' || id === '') throw new AwsError('InvalidParameterException', 'SecretId is required');
    const found = secrets.get(id) ?? [...secrets.values()].find((s) => s.arn === id);
    if (!found) throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const name = [...secrets].find(([, s]) => s === found)![0];
    return {
      resource: name,
      answer: { ARN: found.arn, Name: name, VersionId: '00000000-0000-0000-0000-000000000001', SecretString: found.value, VersionStages: ['AWSCURRENT'], CreatedDate: found.created },
    };
  };

  const putEvents = (body: Record<string, unknown>, size: number): { resource: string; answer: unknown } => {
    const entries = body['Entries'];
    if (!Array.isArray(entries) || entries.length === 0) throw new AwsError('ValidationException', 'Entries must hold 1 to 10 entries');
    if (entries.length > PUT_EVENTS_MAX_ENTRIES) throw new AwsError('ValidationException', `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${PUT_EVENTS_MAX_ENTRIES}`);
    if (size > PUT_EVENTS_MAX_BYTES) throw new AwsError('ValidationException', 'Total size of the entries in the request is over the limit.');
    const buses = new Set(entries.map((e: Record<string, unknown>) => e['EventBusName'] ?? 'default'));
    for (const bus of buses) if (bus !== options.busName && bus !== busArn) throw new AwsError('ResourceNotFoundException', `Event bus ${String(bus)} does not exist.`);
    const answered = entries.map((entry: Record<string, unknown>) => {
      const source = entry['Source'];
      const detailType = entry['DetailType'];
      const detailText = entry['Detail'];
      if (typeof source !== 'string' || !source) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' };
      if (typeof detailType !== 'string' || !detailType) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.' };
      let detail: unknown;
      try {
        detail = JSON.parse(typeof detailText === 'string' ? detailText : '');
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      if (!detail || typeof detail !== 'object' || Array.isArray(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      const id = randomUUID();
      const time = entry['Time'];
      events.push({
        id,
        eventBusName: options.busName,
        source,
        detailType,
        // The SDK sends a timestamp as epoch seconds.
        time: typeof time === 'number' ? new Date(time * 1000).toISOString() : undefined,
        detail: detail as Record<string, unknown>,
      });
      return { EventId: id };
    });
    return { resource: options.busName, answer: { FailedEntryCount: answered.filter((a) => 'ErrorCode' in a).length, Entries: answered } };
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const targetHeader = String(req.headers['x-amz-target'] ?? '');
      const target = TARGETS[targetHeader as keyof typeof TARGETS];
      const service = target?.service ?? (targetHeader.startsWith('AWSEvents.') ? 'events' : 'secretsmanager');
      const operation = target?.operation ?? (targetHeader.split('.')[1] || 'unknown');
      try {
        if (req.method !== 'POST' || (req.url ?? '/') !== '/') throw new AwsError('UnknownOperationException', `${req.method} ${req.url}: only POST / is served`, 404);
        if (!target) throw new AwsError('UnknownOperationException', `Operation ${targetHeader || '(no X-Amz-Target)'} is not emulated`);
        if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) throw new AwsError('SerializationException', 'Content-Type must be application/x-amz-json-1.1');
        checkSignature(req, target.service, region, options.accessKeyId);
        const size = Number(req.headers['content-length'] ?? 0);
        const body = await readJson(req);
        const { resource, answer } = target.operation === 'GetSecretValue' ? getSecretValue(body) : putEvents(body, size);
        calls.push({ service, operation, status: 200, resource });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify(answer));
      } catch (error) {
        const e = error instanceof AwsError ? error : new AwsError('InternalFailure', (error as Error).message, 500);
        calls.push({ service, operation, status: e.status, error: e.type });
        res.writeHead(e.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': e.type, 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify({ __type: e.type, message: e.message }));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    endpoint,
    events,
    calls,
    endpointEnvironment: () => ({ AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint, AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
