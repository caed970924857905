/**
 * Worker memory on a big order: one Goodwix order of 2,000 lines (and 1,000, the most one
 * Goodwix update takes) exported to 1C, then a change to it synced (the buyer cancels a line:
 * 1C gets the whole `Товары` section again, Goodwix an update), with the worker in a process
 * of its own (bench/lib/worker-process.ts) so that its memory is not the sandboxes'.
 *
 * Per phase: the worker's RSS before the invocation (after GC), the RSS high-water mark
 * during it (getrusage maxRSS, exact) and the increase, the sampled heap peak over the heap
 * before (a lower bound: sampled every millisecond the event loop is free), what stayed after
 * GC, the invocation's duration; and the binding's base snapshot in DynamoDB: its gzip size and
 * the whole item's, against the 400 KB item limit. Before the big order a small one warms the
 * worker up (clients, code paths), as a warm Lambda container would be.
 *
 * The Goodwix sandbox's HTTP route caps an order a buyer places at 200 lines (its request
 * schema); the order is placed in-process through `actions.placeOrder`, which applies the same
 * rules without that cap. The public API the exchange uses is unchanged.
 *
 * Fails when an item comes near the limit (over half of it), or an order does not reach its
 * target (e.g. parked).
 *
 * Sizes: BENCH_MEMORY_LINES (1000,2000).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { demoBuyers, demoProducts } from '#local/demo/supplier';
import { DEMO_PLAN_ID, LOCAL_SECRETS_PREFIX, demoSecrets } from '#local/runtime/demo-plan';
import { LOCAL_REGION } from '#local/runtime/services';
import { createStoreContext } from '#store/client';
import { keys } from '#store/table';
import type { InvocationReport, MemoryFigures } from './lib/worker-process.ts';
import { envInts, startBenchStack, type BenchStack } from './lib/stack.ts';
import type { Benchmark, BenchmarkResult } from './lib/benchmark.ts';

const LINES = envInts('BENCH_MEMORY_LINES', [1000, 2000]);
const goodwixProducts = demoProducts.flatMap((p) => (p.variants ? p.variants.map((v) => v.goodwixId) : [p.goodwixId]));
const ITEM_LIMIT = 400 * 1024;
const MiB = 1024 * 1024;
const KiB = 1024;

interface Phase {
  readonly lines: number;
  readonly phase: 'warm-up' | 'export' | 'change';
  readonly outcome: string;
  readonly error: string | null;
  readonly report: InvocationReport;
  readonly onecRequests: number;
  readonly goodwixRequests: number;
  readonly snapshot: { gzipBytes: number; jsonBytes: number; itemBytes: number } | null;
}

/** The worker in its own process, answering over IPC. */
class WorkerProcess {
  private readonly reports: InvocationReport[] = [];
  private waiting: (() => void) | null = null;
  readonly ready: Promise<{ memory: MemoryFigures; maxRss: number }>;

  private constructor(private readonly child: ChildProcess) {
    this.ready = new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`worker process exited (${code}) before it was ready`)));
      child.on('message', (message: { type: string }) => {
        if (message.type === 'ready') resolve(message as unknown as { memory: MemoryFigures; maxRss: number });
        if (message.type === 'invocation') {
          this.reports.push(message as InvocationReport);
          this.waiting?.();
        }
      });
    });
  }

  static start(stack: BenchStack): WorkerProcess {
    const { runtime } = stack;
    const env = {
      TABLE_NAME: runtime.tableName,
      RUN_QUEUE_URL: runtime.runQueueUrl,
      ORDER_QUEUE_URL: runtime.orderQueueUrl,
      RETRY_BASE_SECONDS: '1',
      DYNAMODB_ENDPOINT: runtime.dynamodbEndpoint,
      SQS_ENDPOINT: runtime.sqsEndpoint,
      AWS_REGION: LOCAL_REGION,
      LOCK_TTL_SECONDS: '900',
      SECRETS_PREFIX: LOCAL_SECRETS_PREFIX,
    };
    const child = fork(fileURLToPath(new URL('./lib/worker-process.ts', import.meta.url)), [], {
      execArgv: ['--expose-gc', '--import', 'tsx'],
      env: {
        PATH: process.env['PATH'] ?? '',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        POWERTOOLS_METRICS_DISABLED: 'true',
        BENCH_WORKER_ENV: JSON.stringify(env),
        BENCH_WORKER_SECRETS: JSON.stringify(demoSecrets()),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new WorkerProcess(child);
  }

  /** The report of the invocation that handled this order. */
  async invocationOf(orderId: string, timeoutMs: number): Promise<InvocationReport> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.reports.find((r) => r.orderIds.includes(orderId));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`the worker process reported no invocation for order ${orderId} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 200);
      });
    }
  }

  clear(): void {
    this.reports.length = 0;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' });
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  }
}

/** Starts a run, has the collector (in this process) queue it, waits for the worker process to finish it. */
async function runThrough(stack: BenchStack, worker: WorkerProcess, orderId: string): Promise<{ run: Record<string, any>; report: InvocationReport }> {
  const started = await stack.api('POST', `/plans/${DEMO_PLAN_ID}/runs`);
  if (started.status !== 202) throw new Error(`run not started: ${started.status} ${JSON.stringify(started.body)}`);
  const runId = String(started.body!.runId);
  await stack.runtime.drainRunQueue({ timeoutMs: 60_000 });
  const report = await worker.invocationOf(orderId, 10 * 60_000);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const run = (await stack.api('GET', `/plans/${DEMO_PLAN_ID}/runs/${runId}`)).body!;
    if (run.status !== 'running') return { run, report };
    if (Date.now() > deadline) throw new Error(`run ${runId} still running a minute after its order was done`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function snapshotOf(stack: BenchStack, orderId: string): Promise<Phase['snapshot']> {
  const store = createStoreContext(stack.runtime.tableName, { endpoint: stack.runtime.dynamodbEndpoint });
  try {
    const { Item } = await store.client.send(new GetCommand({ TableName: store.tableName, Key: { pk: keys.planPk(DEMO_PLAN_ID), sk: keys.bindingSk(orderId) }, ConsistentRead: true }));
    if (!Item?.['base']) return null;
    const base = Item['base'] as Uint8Array;
    const { gunzipSync } = await import('node:zlib');
    const { base: _base, ...rest } = Item;
    // DynamoDB's item size: attribute names and values; the rest measured as its JSON (an over-estimate), the snapshot as its bytes.
    return { gzipBytes: base.byteLength, jsonBytes: gunzipSync(base).byteLength, itemBytes: Buffer.byteLength(JSON.stringify(rest)) + 'base'.length + base.byteLength };
  } finally {
    store.client.destroy();
  }
}

function outcomeOf(run: Record<string, any>, orderId: string): { outcome: string; error: string | null } {
  const entry = (run.orders?.items as { orderId: string; outcome: string; error?: { code: string; message: string } }[] | undefined)?.find((o) => o.orderId === orderId);
  return { outcome: entry?.outcome ?? `run ${String(run.status)}`, error: entry?.error ? `${entry.error.code}: ${entry.error.message}` : null };
}

async function measure(lines: number): Promise<Phase[]> {
  const stack = await startBenchStack({ onec: { stockScale: 1000 }, runtime: { collector: false, visibilityTimeoutSeconds: 600 } });
  const worker = WorkerProcess.start(stack);
  const phases: Phase[] = [];
  try {
    await worker.ready;
    const buyer = demoBuyers[0]!.goodwixId;
    const products = goodwixProducts;
    const phase = async (name: Phase['phase'], orderId: number, lineCount: number) => {
      stack.onec.stats.reset();
      stack.goodwix.stats.reset();
      worker.clear();
      const { run, report } = await runThrough(stack, worker, String(orderId));
      phases.push({ lines: lineCount, phase: name, ...outcomeOf(run, String(orderId)), report, onecRequests: stack.onec.stats.requests.length, goodwixRequests: stack.goodwix.stats.requests.length, snapshot: await snapshotOf(stack, String(orderId)) });
    };

    const small = stack.goodwix.actions.placeOrder({ buyerId: buyer, lines: [{ productId: products[0]!, quantity: 1 }, { productId: products[1]!, quantity: 2 }] });
    await phase('warm-up', small.id, 2);

    const big = stack.goodwix.actions.placeOrder({ buyerId: buyer, lines: Array.from({ length: lines }, (_, i) => ({ productId: products[i % products.length]!, quantity: 1 + (i % 3) })) });
    await phase('export', big.id, lines);

    const line = stack.goodwix.actions.order(big.id).lines[Math.floor(lines / 2)]!;
    stack.goodwix.actions.cancelLine(big.id, line.id, { reason: 'Передумал' });
    await phase('change', big.id, lines);
  } finally {
    await worker.stop();
    await stack.close();
  }
  return phases;
}

const mib = (bytes: number) => (bytes / MiB).toFixed(1);

export const benchmark: Benchmark = {
  name: 'worker-memory',
  description: `Worker memory on one order of ${LINES.join(' / ')} lines (export, then a change synced), the worker in its own process; the base snapshot against DynamoDB's 400 KB item limit`,
  async run(): Promise<BenchmarkResult> {
    const phases: Phase[] = [];
    for (const lines of LINES) phases.push(...(await measure(lines)));
    const failures: string[] = [];
    for (const p of phases) {
      if (p.snapshot && p.snapshot.itemBytes > ITEM_LIMIT / 2) failures.push(`${p.lines} lines, ${p.phase}: the binding is ${(p.snapshot.itemBytes / KiB).toFixed(0)} KiB, over half of DynamoDB's 400 KB item limit`);
      const reached = p.phase === 'export' ? ['exported', 'adopted'] : p.phase === 'change' ? ['updated'] : ['exported'];
      if (!reached.includes(p.outcome)) failures.push(`${p.lines} lines, ${p.phase}: the order was ${p.outcome}${p.error ? ` (${p.error})` : ''}`);
    }
    return {
      columns: ['lines', 'phase', 'outcome', 'invocation s', 'RSS before MiB', 'RSS peak MiB', 'RSS +MiB', 'heap before MiB', 'heap peak MiB', 'heap +MiB', 'retained +MiB', 'snapshot gzip KiB', 'snapshot JSON KiB', 'item KiB', '1C req', 'GW req'],
      rows: phases.map((p) => {
        const r = p.report;
        const rssPeak = Math.max(r.peak.rss, r.maxRssAfter > r.maxRssBefore ? r.maxRssAfter : 0);
        return {
          lines: p.lines,
          phase: p.phase,
          outcome: p.outcome,
          'invocation s': (r.ms / 1000).toFixed(2),
          'RSS before MiB': mib(r.before.rss),
          'RSS peak MiB': mib(rssPeak),
          'RSS +MiB': mib(rssPeak - r.before.rss),
          'heap before MiB': mib(r.before.heapUsed),
          'heap peak MiB': mib(r.peak.heapUsed),
          'heap +MiB': mib(r.peak.heapUsed - r.before.heapUsed),
          'retained +MiB': mib(r.retained.heapUsed - r.before.heapUsed),
          'snapshot gzip KiB': p.snapshot ? (p.snapshot.gzipBytes / KiB).toFixed(1) : null,
          'snapshot JSON KiB': p.snapshot ? (p.snapshot.jsonBytes / KiB).toFixed(0) : null,
          'item KiB': p.snapshot ? (p.snapshot.itemBytes / KiB).toFixed(1) : null,
          '1C req': p.onecRequests,
          'GW req': p.goodwixRequests,
        };
      }),
      failures,
      notes: [
        'the worker runs in its own Node process (the real handler, built from its configuration, polling the order queue); the collector, the sandboxes and fauxqs stay in this one',
        'RSS peak: the higher of the getrusage high-water mark (when the invocation raised it) and the samples; heap: V8 heapUsed, before = after two full GCs, peak = highest 1 ms sample (a lower bound), retained = after two full GCs at the end',
        'one invocation per phase: the order alone in its batch, and the run\'s finalize (reserves of the order\'s products) in the same invocation, as in Lambda',
        'snapshot: the binding\'s base (the canonical order both sides agreed on) as stored, gzip; item: the whole binding item, the rest counted as JSON text (an over-estimate)',
        `the ${LINES.join('- and ')}-line orders cycle through the demo catalog's ${goodwixProducts.length} Goodwix products (variants included); placed in-process (the sandbox's HTTP route caps a placed order at 200 lines)`,
      ],
      data: { phases },
    };
  },
};
