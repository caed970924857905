/**
 * A worker "container" in a process of its own, for the memory benchmark (bench/worker-memory.ts):
 * the real worker handler (`createWorkerHandler(workerFromConfig(…))`, as the Lambda bundle and
 * the local runtime build it) polling the order queue of a local runtime started by the parent,
 * one batch per invocation, like Lambda's SQS event source. Its memory is its own: the sandboxes,
 * fauxqs and the collector stay in the parent, DynamoDB Local in its JVM.
 *
 * Around each invocation it reports to the parent (IPC): `process.memoryUsage()` after two full
 * GCs before (needs `--expose-gc`), the highest values sampled every millisecond while the
 * handler runs (samples are taken when the event loop is free, so a spike inside one synchronous
 * step can be missed: the sampled heap peak is a lower bound), the values at the end, after two
 * GCs again (what the invocation left behind), and the process's RSS high-water mark
 * (`getrusage` maxRSS) before and after, which misses nothing.
 *
 * Environment: BENCH_WORKER_ENV (the worker's configuration, JSON), BENCH_WORKER_SECRETS (JSON).
 * Messages: → { type: 'ready', memory }, { type: 'invocation', … }; ← { type: 'stop' }.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createWorkerHandler, workerFromConfig } from '#functions/worker/app';
import { loadWorkerConfig } from '#functions/worker/config';
import { createSqsClient } from '#aws/sqs';
import { LocalSecretsProvider } from '#secrets/secrets';

export interface MemoryFigures {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export interface InvocationReport {
  readonly type: 'invocation';
  readonly orderIds: string[];
  readonly ms: number;
  readonly failed: number;
  readonly before: MemoryFigures;
  readonly peak: MemoryFigures;
  readonly end: MemoryFigures;
  readonly retained: MemoryFigures;
  /** getrusage high-water mark of the process's RSS, bytes */
  readonly maxRssBefore: number;
  readonly maxRssAfter: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const send = (message: unknown) => process.send?.(message);

const figures = (): MemoryFigures => {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
};
const fullGc = () => {
  gc();
  gc();
};
const maxRss = () => process.resourceUsage().maxRSS * 1024;

const env = JSON.parse(process.env['BENCH_WORKER_ENV'] ?? '{}') as Record<string, string>;
const config = loadWorkerConfig(env);
const logger = new Logger({ serviceName: 'goodwix-1c-exchange', logLevel: 'SILENT', persistentKeys: { function: 'worker' } });
const secrets = new LocalSecretsProvider(JSON.parse(process.env['BENCH_WORKER_SECRETS'] ?? '{}') as Record<string, string | object>);
const handler = createWorkerHandler(
  workerFromConfig(config, {
    secrets,
    logger,
    tuning: { onecRetry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 }, goodwixMaxAttempts: 3, goodwixBackoff: { baseMs: 5, maxMs: 20 } },
  }),
  { logger },
);
const sqs = createSqsClient({ ...(config.SQS_ENDPOINT ? { sqsEndpoint: config.SQS_ENDPOINT } : {}), ...(config.AWS_REGION ? { region: config.AWS_REGION } : {}) });
const queueUrl = config.ORDER_QUEUE_URL;
const queueArn = `arn:aws:sqs:${config.AWS_REGION ?? 'us-east-1'}:000000000000:${new URL(queueUrl).pathname.split('/').pop()}`;

function context(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false, functionName: 'worker', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:worker',
    memoryLimitInMB: '512', awsRequestId: randomUUID(), logGroupName: '/aws/lambda/worker', logStreamName: 'bench', getRemainingTimeInMillis: () => 120_000,
    done: () => undefined, fail: () => undefined, succeed: () => undefined,
  };
}

let running = true;
process.on('message', (message: { type?: string }) => {
  if (message?.type === 'stop') running = false;
});
process.on('disconnect', () => { running = false; });

fullGc();
send({ type: 'ready', memory: figures(), maxRss: maxRss() });

while (running) {
  const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }));
  const messages = received.Messages ?? [];
  if (messages.length === 0) continue;
  const event: SQSEvent = {
    Records: messages.map((m) => ({
      messageId: m.MessageId ?? randomUUID(), receiptHandle: m.ReceiptHandle ?? '', body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.['ApproximateReceiveCount'] ?? '1', SentTimestamp: m.Attributes?.['SentTimestamp'] ?? String(Date.now()), SenderId: 'bench',
        ApproximateFirstReceiveTimestamp: m.Attributes?.['ApproximateFirstReceiveTimestamp'] ?? String(Date.now()),
        ...(m.Attributes?.['MessageGroupId'] ? { MessageGroupId: m.Attributes['MessageGroupId'] } : {}),
        ...(m.Attributes?.['MessageDeduplicationId'] ? { MessageDeduplicationId: m.Attributes['MessageDeduplicationId'] } : {}),
        ...(m.Attributes?.['SequenceNumber'] ? { SequenceNumber: m.Attributes['SequenceNumber'] } : {}),
      },
      messageAttributes: {}, md5OfBody: m.MD5OfBody ?? '', eventSource: 'aws:sqs', eventSourceARN: queueArn, awsRegion: config.AWS_REGION ?? 'us-east-1',
    })),
  };
  const orderIds = event.Records.map((r) => String((JSON.parse(r.body) as { orderId?: string }).orderId));

  fullGc();
  const before = figures();
  const maxRssBefore = maxRss();
  const peak = { ...before };
  const sample = () => {
    const now = figures();
    for (const key of Object.keys(peak) as (keyof MemoryFigures)[]) if (now[key] > peak[key]) (peak as Record<keyof MemoryFigures, number>)[key] = now[key];
  };
  const sampler = setInterval(sample, 1);
  const t0 = performance.now();
  let response: SQSBatchResponse | undefined;
  try {
    response = await handler(event, context());
  } finally {
    clearInterval(sampler);
  }
  const ms = performance.now() - t0;
  sample();
  const end = figures();
  const maxRssAfter = maxRss();
  fullGc();
  const retained = figures();

  const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  for (const m of messages) if (!failed.has(m.MessageId ?? '')) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
  const report: InvocationReport = { type: 'invocation', orderIds, ms, failed: failed.size, before, peak, end, retained, maxRssBefore, maxRssAfter };
  send(report);
}
sqs.destroy();
process.exit(0);
