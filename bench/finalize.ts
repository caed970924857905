/**
 * The finalize of a big run: one run exports orders touching BENCH_FINALIZE_PRODUCTS (2,000)
 * distinct products, with Goodwix answering every request after BENCH_FINALIZE_LATENCY_MS
 * (150 ms, the sandbox's latency fault), and the run must close with every product's reserves
 * pushed. The finalize pushes reserves a page at a time, `concurrency` Goodwix requests at once,
 * and hands the rest off to a finalize message when its invocation has less than 60 s left;
 * the worker's timeout is counted down as Lambda does (local runtime `workerTimeoutSeconds`).
 *
 * Scenarios (rows): the production settings (8 at once, 120 s); a 75 s timeout, which leaves
 * each invocation 15 s of finalize, so the finalize goes on in messages of its own; with
 * BENCH_FINALIZE_SEQUENTIAL=1 also one request at a time (what the finalize did before: 2,000 ×
 * 150 ms = 300 s, more than two whole worker timeouts).
 *
 * Columns: the run's wall time (API request → drained queues), the finalize's (last order done
 * → run closed), worker invocations in all and those carrying a finalize message, Goodwix
 * reserve pushes (each product once unless a page was repeated).
 */
import type { SQSEvent } from 'aws-lambda';
import { bulkProducts, demoBuyers } from '#local/demo/supplier';
import type { QueueHandler } from '#local/runtime/runtime';
import { envInt, startBenchStack } from './lib/stack.ts';
import type { Benchmark, BenchmarkResult } from './lib/benchmark.ts';

const PRODUCTS = envInt('BENCH_FINALIZE_PRODUCTS', 2000);
const LATENCY_MS = envInt('BENCH_FINALIZE_LATENCY_MS', 150);
const LINES_PER_ORDER = 100;
const SEQUENTIAL = envInt('BENCH_FINALIZE_SEQUENTIAL', 0) === 1;

interface Scenario {
  readonly concurrency: number;
  readonly timeoutSeconds: number;
}

interface Measurement extends Scenario {
  readonly status: string;
  readonly summary: string;
  readonly wallMs: number;
  readonly finalizeMs: number;
  readonly invocations: number;
  readonly finalizeInvocations: number;
  readonly pushes: number;
  readonly distinctPushes: number;
  readonly orders: number;
}

async function measure(scenario: Scenario): Promise<Measurement> {
  let invocations = 0;
  let finalizeInvocations = 0;
  const stack = await startBenchStack({
    onec: { extraProducts: PRODUCTS, stockScale: 10 },
    goodwix: { extraProducts: PRODUCTS },
    runtime: {
      workerConcurrency: 4,
      workerTimeoutSeconds: scenario.timeoutSeconds,
      visibilityTimeoutSeconds: 600,
      testHooks: {
        workerPorts: (wiring) => ({ ...wiring, ports: { ...wiring.ports, finalizeTuning: { concurrency: scenario.concurrency } } }),
        invocation: (name, handler): QueueHandler => async (event: SQSEvent, context) => {
          if (name === 'worker') {
            invocations += 1;
            if (event.Records.some((r) => r.body.includes('"kind":"finalize"'))) finalizeInvocations += 1;
          }
          return handler(event, context);
        },
      },
    },
  });
  try {
    const products = bulkProducts(PRODUCTS);
    const buyer = demoBuyers[0]!; // an auto-confirming price list: the orders are confirmed at once
    for (let i = 0; i < products.length; i += LINES_PER_ORDER) {
      stack.goodwix.actions.placeOrder({ buyerId: buyer.goodwixId, lines: products.slice(i, i + LINES_PER_ORDER).map((p) => ({ productId: p.goodwixId, quantity: 1 })) });
    }
    stack.goodwix.faults.set({ latencyMs: LATENCY_MS });
    stack.goodwix.stats.reset();
    const { run, wallMs } = await stack.exchange();
    // 20 orders: the run's first page of outcomes holds them all.
    const orders = run.orders as { items: { at: string }[] };
    const lastDone = Math.max(...orders.items.map((o) => Date.parse(o.at)));
    const pushes = stack.goodwix.stats.requests.filter((r) => r.method === 'PUT' && /\/reserves\/\d+$/.test(r.path) && r.status === 200);
    return {
      ...scenario,
      status: String(run.status),
      summary: String(run.summary ?? ''),
      wallMs,
      finalizeMs: Date.parse(String(run.endedAt)) - lastDone,
      invocations,
      finalizeInvocations,
      pushes: pushes.length,
      distinctPushes: new Set(pushes.map((r) => r.path)).size,
      orders: orders.items.length,
    };
  } finally {
    await stack.close();
  }
}

const s = (ms: number) => (ms / 1000).toFixed(1);

export const benchmark: Benchmark = {
  name: 'finalize',
  description: `a run touching ${PRODUCTS} products closes with Goodwix answering in ${LATENCY_MS} ms: reserves pushed side by side, the finalize continued in messages of its own when short of time`,
  async run(): Promise<BenchmarkResult> {
    const scenarios: Scenario[] = [
      { concurrency: 8, timeoutSeconds: 120 },
      { concurrency: 8, timeoutSeconds: 75 },
      ...(SEQUENTIAL ? [{ concurrency: 1, timeoutSeconds: 120 }] : []),
    ];
    const results: Measurement[] = [];
    for (const scenario of scenarios) results.push(await measure(scenario));
    const failures: string[] = [];
    for (const m of results) {
      const label = `concurrency ${m.concurrency}, timeout ${m.timeoutSeconds} s`;
      if (m.status !== 'completed') failures.push(`${label}: run ended ${m.status} (${m.summary})`);
      if (m.distinctPushes !== PRODUCTS) failures.push(`${label}: reserves of ${m.distinctPushes} of ${PRODUCTS} products pushed`);
    }
    return {
      columns: ['products', 'GW latency ms', 'push concurrency', 'worker timeout s', 'status', 'run wall s', 'finalize s', 'worker invocations', 'finalize invocations', 'reserve pushes'],
      rows: results.map((m) => ({
        products: PRODUCTS,
        'GW latency ms': LATENCY_MS,
        'push concurrency': m.concurrency,
        'worker timeout s': m.timeoutSeconds,
        status: m.status,
        'run wall s': s(m.wallMs),
        'finalize s': s(m.finalizeMs),
        'worker invocations': m.invocations,
        'finalize invocations': m.finalizeInvocations,
        'reserve pushes': m.pushes,
      })),
      failures,
      notes: [
        `${PRODUCTS / LINES_PER_ORDER} orders of ${LINES_PER_ORDER} distinct products each, exported by the run; 4 worker invocations at once; Goodwix's latency applies to every request`,
        'finalize s: from the last order\'s outcome to the run closed (reserves of every product read from 1C and pushed to Goodwix)',
        'finalize invocations: worker invocations that carried a finalize continuation (the finalize had less than 60 s left where it was)',
        `lower bound of the pushes alone: ${PRODUCTS} × ${LATENCY_MS} ms / concurrency = ${s((PRODUCTS * LATENCY_MS) / 8)} s at 8, ${s(PRODUCTS * LATENCY_MS)} s one at a time`,
      ],
      data: { latencyMs: LATENCY_MS, products: PRODUCTS, results },
    };
  },
};
