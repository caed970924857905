/**
 * Export throughput: new confirmed Goodwix orders exported to 1C by one run, with 1C answering
 * every request after `latencyMs`, for N concurrent worker invocations (the order queue's event
 * source `maxConcurrency`; `workerConcurrency` of the local runtime). For each N, a fresh local
 * deployment (sandboxes, DynamoDB Local, fauxqs, the real handlers), the same orders, one run
 * timed from the API request to drained queues.
 *
 * The lower bound is what 1C's latency alone allows: (1C requests per order × latency × orders
 * / N) — every request waits `latencyMs`, N orders are in flight at once and one order's
 * requests are sequential. The ratio actual / lower bound shows what else costs: the
 * collector (registering and queuing every order), DynamoDB, SQS, Goodwix, this machine's CPU.
 *
 * Sizes: BENCH_EXPORT_ORDERS (1000), BENCH_EXPORT_WORKERS (1,4,8), BENCH_EXPORT_LATENCY_MS (50),
 * BENCH_EXPORT_LINES (lines per order, 2; at most 10).
 */
import { cpus } from 'node:os';
import { cpuMeter, type CpuUse } from './lib/cpu.ts';
import { installDynamoCounter, type DynamoCounts, type DynamoOperation } from './lib/dynamo-counter.ts';
import { envInt, envInts, goodwixBreakdown, onecBreakdown, startBenchStack } from './lib/stack.ts';
import type { Benchmark, BenchmarkResult } from './lib/benchmark.ts';

const ORDERS = envInt('BENCH_EXPORT_ORDERS', 1000);
const WORKERS = envInts('BENCH_EXPORT_WORKERS', [1, 4, 8]);
const LATENCY_MS = envInt('BENCH_EXPORT_LATENCY_MS', 50);
const LINES = envInt('BENCH_EXPORT_LINES', 2);

interface Measurement {
  readonly workers: number;
  readonly orders: number;
  readonly wallMs: number;
  readonly runStatus: string;
  readonly counters: Record<string, number>;
  readonly onecRequests: number;
  readonly onecCreates: number;
  readonly goodwixRequests: number;
  readonly dynamo: DynamoCounts;
  /** ms from the start: the collector marked the run collected; first and last order done; finalize claimed */
  readonly timeline: { collectedMs: number | null; firstDoneMs: number | null; lastDoneMs: number | null; finalizeClaimedMs: number | null };
  readonly cpu: CpuUse;
  readonly onecByKind: Record<string, number>;
  readonly goodwixByKind: Record<string, number>;
}

/** When the run's milestones were written to DynamoDB, relative to `t0`. */
function timelineWatcher() {
  let t0 = 0;
  const marks = { collectedMs: null as number | null, firstDoneMs: null as number | null, lastDoneMs: null as number | null, finalizeClaimedMs: null as number | null };
  const watch = (op: DynamoOperation) => {
    if (!op.ok || t0 === 0) return;
    const at = Math.round(op.at - t0);
    const update = String(op.input['UpdateExpression'] ?? '');
    if (op.command === 'UpdateCommand' && update.startsWith('SET collected')) marks.collectedMs = at;
    else if (op.command === 'UpdateCommand' && update.startsWith('SET finalizing')) marks.finalizeClaimedMs = at;
    else if (op.command === 'TransactWriteCommand') {
      const items = (op.input['TransactItems'] as { Update?: { UpdateExpression?: string } }[] | undefined) ?? [];
      if (items.some((i) => i.Update?.UpdateExpression?.startsWith('SET #state = :done'))) {
        marks.firstDoneMs ??= at;
        marks.lastDoneMs = at;
      }
    }
  };
  return { watch, start: () => { t0 = performance.now(); }, marks };
}

async function measure(workers: number): Promise<Measurement> {
  const timeline = timelineWatcher();
  const counter = installDynamoCounter({ watch: timeline.watch });
  try {
    const stack = await startBenchStack({
      // Stock for every order to be posted with its reserves (the demo base has a few dozen units).
      onec: { stockScale: 1000 },
      // Lambda's order queue hides a message for 720 s; 10 s (the local default) could expire under a slow batch.
      runtime: { workerConcurrency: workers, visibilityTimeoutSeconds: 600 },
    });
    try {
      stack.goodwix.actions.createOrders({ count: ORDERS, confirmed: true, linesPerOrder: LINES });
      stack.onec.faults.set({ latencyMs: LATENCY_MS });
      stack.onec.stats.reset();
      stack.goodwix.stats.reset();
      counter.reset();
      const cpu = cpuMeter(stack.runtime.dynamodbPid);
      timeline.start();
      const { run, wallMs } = await stack.exchange();
      const used = cpu.stop(wallMs);
      return {
        workers,
        orders: ORDERS,
        wallMs,
        runStatus: String(run.status),
        counters: run.counters as Record<string, number>,
        onecRequests: stack.onec.stats.requests.length,
        onecCreates: stack.onec.stats.requests.filter((r) => r.method === 'POST' && r.path === 'Document_ЗаказКлиента' && r.status === 201).length,
        goodwixRequests: stack.goodwix.stats.requests.length,
        dynamo: counter.snapshot(),
        timeline: { ...timeline.marks },
        cpu: used,
        onecByKind: onecBreakdown(stack.onec),
        goodwixByKind: goodwixBreakdown(stack.goodwix),
      };
    } finally {
      await stack.close();
    }
  } finally {
    counter.uninstall();
  }
}

const s = (ms: number | null) => (ms === null ? null : (ms / 1000).toFixed(1));

export const benchmark: Benchmark = {
  name: 'export-throughput',
  description: `${ORDERS} new confirmed orders exported by one run, 1C answering in ${LATENCY_MS} ms, ${WORKERS.join('/')} worker invocations at once; wall time against the latency-bound minimum`,
  async run(): Promise<BenchmarkResult> {
    const results: Measurement[] = [];
    for (const n of WORKERS) results.push(await measure(n));
    const failures: string[] = [];
    const rows = results.map((m) => {
      const perOrder = m.onecRequests / m.orders;
      const lowerBoundMs = (perOrder * LATENCY_MS * m.orders) / m.workers;
      if (m.runStatus !== 'completed') failures.push(`N=${m.workers}: run ended ${m.runStatus}`);
      if (m.counters['exported'] !== m.orders || m.counters['failed'] !== 0) failures.push(`N=${m.workers}: exported ${m.counters['exported']} of ${m.orders}, ${m.counters['failed']} failed`);
      if (m.onecCreates !== m.orders) failures.push(`N=${m.workers}: ${m.onecCreates} 1C orders created for ${m.orders} Goodwix orders`);
      return {
        workers: m.workers,
        orders: m.orders,
        'wall s': s(m.wallMs),
        'orders/s': (m.orders / (m.wallMs / 1000)).toFixed(1),
        '1C req/order': perOrder.toFixed(2),
        'lower bound s': s(lowerBoundMs),
        'actual/bound': (m.wallMs / lowerBoundMs).toFixed(2),
        '1C in flight': ((m.onecRequests * LATENCY_MS) / m.wallMs).toFixed(1),
        'GW req/order': (m.goodwixRequests / m.orders).toFixed(2),
        'DDB ops/order': (m.dynamo.operations / m.orders).toFixed(1),
        'DDB reads/order': (m.dynamo.reads / m.orders).toFixed(1),
        'collected s': s(m.timeline.collectedMs),
        'last order s': s(m.timeline.lastDoneMs),
        'node CPU %': m.cpu.selfPercent,
        'DDB Local CPU %': m.cpu.otherPercent,
        'other CPU %': m.cpu.restPercent,
      };
    });
    const first = results[0];
    return {
      columns: ['workers', 'orders', 'wall s', 'orders/s', '1C req/order', 'lower bound s', 'actual/bound', '1C in flight', 'GW req/order', 'DDB ops/order', 'DDB reads/order', 'collected s', 'last order s', 'node CPU %', 'DDB Local CPU %', 'other CPU %'],
      rows,
      failures,
      notes: [
        `lower bound = 1C requests per order × ${LATENCY_MS} ms × orders / workers; 1C in flight = 1C requests × ${LATENCY_MS} ms / wall time (at most the number of workers)`,
        `requests and DynamoDB operations are the whole run's (plan check, collector, workers, finalize) divided by the orders; ${LINES} lines per order`,
        `collected s: the collector had registered and queued every order; last order s: the last order's outcome recorded; the rest is the finalize (reserves of the touched products)`,
        `CPU: this Node process (sandboxes, fauxqs and the handlers), DynamoDB Local's JVM and everything else on the machine (other work skews wall times), as % of one core over the wall time; ${cpus().length} cores`,
        ...(first ? [`1C requests of the N=${first.workers} run by kind: ${Object.entries(first.onecByKind).map(([k, v]) => `${k} ${v}`).join(', ')}`] : []),
        ...(first ? [`Goodwix requests: ${Object.entries(first.goodwixByKind).map(([k, v]) => `${k} ${v}`).join(', ')}`] : []),
        ...(first ? [`DynamoDB operations: ${Object.entries(first.dynamo.byCommand).map(([k, v]) => `${k.replace(/Command$/, '')} ${v}`).join(', ')}`] : []),
      ],
      data: { latencyMs: LATENCY_MS, linesPerOrder: LINES, results },
    };
  },
};
