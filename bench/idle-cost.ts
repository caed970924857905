/**
 * Idle cost: what a run with nothing new costs 1C, Goodwix and DynamoDB, for 100, 1,000 and
 * 10,000 bound orders of which 10 % are open. 1C is read set-wise: the plan check's catalog
 * reads, the exchange's orders not closed in 1C as one filtered list, the posted shipments since
 * the oldest of them as another, and the reserve balance of the plan's warehouse (the
 * reconciliation) — a handful of requests whatever the number of open orders (pages of 5,000
 * orders, 2,000 shipments, 5,000 balance rows), never one per order nor per batch of orders.
 *
 * How the state is built, per size, on a fresh local deployment (1C at 0 ms while building):
 * * the open orders are real: created in Goodwix, exported by the exchange itself (1C
 *   documents posted with their reserves, bindings, Goodwix told the 1C numbers), then one more
 *   run, which sees the exchange's own Goodwix updates in the change feed (the echo columns:
 *   what it exchanged again) — after it, nothing is new;
 * * the closed orders are bindings written through `BindingRepository.save`, as the exchange
 *   writes them: a real exported binding's snapshot and history, `open: false`, status
 *   `closed`, an order id and 1C ref of their own. No 1C document or Goodwix order stands
 *   behind them: nothing in an idle run may read a closed order, and if anything did, the
 *   counts below would show it (DynamoDB items read, 1C requests).
 * Then the measured run: 1C answering in BENCH_IDLE_LATENCY_MS (50), counted from the API
 * request to drained queues.
 *
 * Fails when 1C requests exceed ONEC_MAX (10) plus a request per further page, Goodwix
 * requests exceed a constant, DynamoDB reads grow past the open index's pages, or the run
 * exchanged anything.
 *
 * Sizes: BENCH_IDLE_SIZES (100,1000,10000), BENCH_IDLE_OPEN_PERCENT (10).
 */
import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DEMO_PLAN_ID } from '#local/runtime/demo-plan';
import { createStoreContext } from '#store/client';
import { keys } from '#store/table';
import { BindingRepository, type Binding } from '#store/bindings';
import { cpuMeter, type CpuUse } from './lib/cpu.ts';
import { installDynamoCounter, type DynamoCounts } from './lib/dynamo-counter.ts';
import { envInt, envInts, goodwixBreakdown, onecBreakdown, startBenchStack, type BenchStack } from './lib/stack.ts';
import type { Benchmark, BenchmarkResult } from './lib/benchmark.ts';

const SIZES = envInts('BENCH_IDLE_SIZES', [100, 1000, 10_000]);
const OPEN_PERCENT = envInt('BENCH_IDLE_OPEN_PERCENT', 10);
const LATENCY_MS = envInt('BENCH_IDLE_LATENCY_MS', 50);

/**
 * 1C requests an idle run may take: the plan check (5 catalog reads by key), the open orders'
 * versions (one page per 5,000 orders not closed in 1C), the shipments since the oldest of them
 * (one page per 2,000), the reserve balance of the plan's warehouse (one page per 5,000 rows).
 */
const ONEC_MAX = 10;
const VERSION_PAGE = 5000;
/** Goodwix: the login, the catalog (plan check), the change feed's one empty page. */
const GOODWIX_MAX = 5;
/** DynamoDB reads besides the open index's pages (plan, lock, run, cursor, progress …). */
const DYNAMO_FIXED_READS = 20;
const OPEN_INDEX_PAGE = 500;

interface Measurement {
  readonly total: number;
  readonly open: number;
  readonly closed: number;
  readonly bindingsInTable: number;
  readonly buildMs: number;
  readonly echo: { orders: number; onec: number; goodwix: number };
  readonly idle: {
    readonly wallMs: number;
    readonly runStatus: string;
    readonly queued: number;
    readonly counters: Record<string, number>;
    readonly onec: number;
    readonly goodwix: number;
    readonly dynamo: DynamoCounts;
    readonly onecByKind: Record<string, number>;
    readonly goodwixByKind: Record<string, number>;
    readonly cpu: CpuUse;
  };
}

async function pool<T>(items: readonly T[], width: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await each(items[next++]!);
  }));
}

async function countBindings(stack: BenchStack): Promise<number> {
  const store = createStoreContext(stack.runtime.tableName, { endpoint: stack.runtime.dynamodbEndpoint });
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await store.client.send(new QueryCommand({
      TableName: store.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
      ExpressionAttributeValues: { ':pk': keys.planPk(DEMO_PLAN_ID), ':sk': keys.bindingSk('') }, Select: 'COUNT', ...(start ? { ExclusiveStartKey: start } : {}),
    }));
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  store.client.destroy();
  return count;
}

async function measure(total: number): Promise<Measurement> {
  const open = Math.round((total * OPEN_PERCENT) / 100);
  const closed = total - open;
  const counter = installDynamoCounter();
  try {
    const built = performance.now();
    const stack = await startBenchStack({ onec: { stockScale: 1000 }, runtime: { workerConcurrency: 8, visibilityTimeoutSeconds: 600 } });
    try {
      // Open orders: through the exchange.
      const { firstId } = stack.goodwix.actions.createOrders({ count: open, confirmed: true });
      const exported = await stack.exchange();
      if (exported.run.counters.exported !== open) throw new Error(`building: exported ${exported.run.counters.exported} of ${open}: ${JSON.stringify(exported.run.errors ?? exported.run.problems ?? [])}`);
      stack.onec.stats.reset();
      stack.goodwix.stats.reset();
      const echo = await stack.exchange();
      if (echo.run.status !== 'completed') throw new Error(`building: the run after the export ended ${String(echo.run.status)}`);
      // Each order the worker exchanges is read from Goodwix once.
      const echoed = { orders: stack.goodwix.stats.count({ method: 'GET', path: /\/orders\/\d+$/ }), onec: stack.onec.stats.requests.length, goodwix: stack.goodwix.stats.requests.length };

      // Closed orders: bindings as the exchange writes them, cloned from a real one.
      const bindings = new BindingRepository(createStoreContext(stack.runtime.tableName, { endpoint: stack.runtime.dynamodbEndpoint }));
      const template = await bindings.get(DEMO_PLAN_ID, String(firstId));
      if (!template?.onec || !template.base) throw new Error(`building: order ${firstId} has no binding with a snapshot`);
      const closedIds = Array.from({ length: closed }, (_, i) => i);
      await pool(closedIds, 16, async (i) => {
        const binding: Binding = {
          ...template,
          orderId: String(1_000_001 + i),
          onec: { ref: randomUUID(), number: `ТД00-9${String(i).padStart(5, '0')}`, date: template.onec!.date },
          base: { ...template.base!, status: 'closed' },
          status: 'closed',
          open: false,
          parked: null,
          needsPosting: false,
        };
        await bindings.save(binding, null);
      });
      const bindingsInTable = await countBindings(stack);
      const buildMs = performance.now() - built;

      // The measured run: nothing new.
      stack.onec.faults.set({ latencyMs: LATENCY_MS });
      stack.onec.stats.reset();
      stack.goodwix.stats.reset();
      counter.reset();
      const cpu = cpuMeter(stack.runtime.dynamodbPid);
      const { run, wallMs } = await stack.exchange();
      const used = cpu.stop(wallMs);
      return {
        total, open, closed, bindingsInTable, buildMs, echo: echoed,
        idle: {
          wallMs,
          runStatus: String(run.status),
          queued: (run.orders?.items?.length as number | undefined) ?? 0,
          counters: run.counters as Record<string, number>,
          onec: stack.onec.stats.requests.length,
          goodwix: stack.goodwix.stats.requests.length,
          dynamo: counter.snapshot(),
          onecByKind: onecBreakdown(stack.onec),
          goodwixByKind: goodwixBreakdown(stack.goodwix),
          cpu: used,
        },
      };
    } finally {
      await stack.close();
    }
  } finally {
    counter.uninstall();
  }
}

export const onecBudget = (open: number) => ONEC_MAX + Math.max(0, Math.ceil(open / VERSION_PAGE) - 1);
const dynamoReadBudget = (open: number) => Math.ceil(open / OPEN_INDEX_PAGE) + DYNAMO_FIXED_READS;

export const benchmark: Benchmark = {
  name: 'idle-cost',
  description: `A run with nothing new, ${SIZES.join(' / ')} bound orders of which ${OPEN_PERCENT} % open: requests to 1C and Goodwix, DynamoDB reads (1C at ${LATENCY_MS} ms)`,
  async run(): Promise<BenchmarkResult> {
    const results: Measurement[] = [];
    for (const total of SIZES) results.push(await measure(total));
    const failures: string[] = [];
    for (const m of results) {
      const at = `${m.total} bound, ${m.open} open`;
      const i = m.idle;
      if (i.runStatus !== 'completed') failures.push(`${at}: the idle run ended ${i.runStatus}`);
      if (i.queued !== 0 || Object.values(i.counters).some((n) => n !== 0)) failures.push(`${at}: the idle run exchanged orders (${i.queued} queued, ${JSON.stringify(i.counters)})`);
      if (m.bindingsInTable !== m.total) failures.push(`${at}: ${m.bindingsInTable} bindings in the table, expected ${m.total}`);
      if (i.onec > onecBudget(m.open)) failures.push(`${at}: ${i.onec} 1C requests, over ${onecBudget(m.open)}`);
      if (i.goodwix > GOODWIX_MAX) failures.push(`${at}: ${i.goodwix} Goodwix requests, over ${GOODWIX_MAX}`);
      if (i.dynamo.reads > dynamoReadBudget(m.open)) failures.push(`${at}: ${i.dynamo.reads} DynamoDB reads, over ceil(${m.open} / ${OPEN_INDEX_PAGE}) + ${DYNAMO_FIXED_READS} = ${dynamoReadBudget(m.open)}`);
      if (i.dynamo.itemsRead > m.open + DYNAMO_FIXED_READS) failures.push(`${at}: ${i.dynamo.itemsRead} DynamoDB items read for ${m.open} open orders`);
    }
    const kinds = (byKind: Record<string, number>, pattern: RegExp) => Object.entries(byKind).filter(([k]) => pattern.test(k)).reduce((sum, [, n]) => sum + n, 0);
    return {
      columns: ['bound', 'open', '1C req', '1C budget', '1C: versions', '1C: shipments', '1C: reserves', '1C: plan check', '1C req/open order', 'GW req', 'DDB reads', 'DDB items read', 'DDB writes', 'idle run s', 'other CPU %', 'echo orders', 'echo 1C req', 'build s'],
      rows: results.map((m) => ({
        bound: m.total,
        open: m.open,
        '1C req': m.idle.onec,
        '1C budget': onecBudget(m.open),
        '1C: versions': kinds(m.idle.onecByKind, /^GET Document_ЗаказКлиента$/),
        '1C: shipments': kinds(m.idle.onecByKind, /^GET Document_РеализацияТоваровУслуг/),
        '1C: reserves': kinds(m.idle.onecByKind, /\/Balance$/),
        '1C: plan check': kinds(m.idle.onecByKind, /^GET (Catalog_|\$metadata)/),
        '1C req/open order': (m.idle.onec / Math.max(1, m.open)).toFixed(2),
        'GW req': m.idle.goodwix,
        'DDB reads': m.idle.dynamo.reads,
        'DDB items read': m.idle.dynamo.itemsRead,
        'DDB writes': m.idle.dynamo.writes,
        'idle run s': (m.idle.wallMs / 1000).toFixed(1),
        'other CPU %': m.idle.cpu.restPercent,
        'echo orders': m.echo.orders,
        'echo 1C req': m.echo.onec,
        'build s': (m.buildMs / 1000).toFixed(0),
      })),
      failures,
      notes: [
        `1C budget = ${ONEC_MAX} (+1 per further ${VERSION_PAGE} open orders): the plan check, one list of the open orders, one of their shipments, the reserve balance`,
        `versions: the exchange's orders not closed in 1C, one filtered list (substringof on the stable key, Статус ne 'Закрыт'); shipments: posted shipments since the oldest of them with their rows' orders; open orders left out of the list are read by key`,
        `DynamoDB: reads are operations (Get/Query), items read what they returned; the open-bindings index is read ${OPEN_INDEX_PAGE} a page, closed bindings are not in it`,
        `echo: the run right after the export, before the measured one: orders it exchanged again, and its 1C requests. The exchange's own Goodwix updates come back through the change feed; an order still at the version the exchange left should not be exchanged again`,
        `idle run s: from the API request to drained queues, 1C answering in ${LATENCY_MS} ms; other CPU %: the rest of the machine during it (% of one core); build s: starting the deployment, exporting the open orders (1C at 0 ms, 8 workers), the echo run, writing the closed bindings`,
        ...results.map((m) => `${m.total} bound: 1C ${Object.entries(m.idle.onecByKind).map(([k, v]) => `${k} ${v}`).join(', ')}; Goodwix ${Object.entries(m.idle.goodwixByKind).map(([k, v]) => `${k} ${v}`).join(', ')}; DynamoDB ${Object.entries(m.idle.dynamo.byCommand).map(([k, v]) => `${k.replace(/Command$/, '')} ${v}`).join(', ')}`),
      ],
      data: { openPercent: OPEN_PERCENT, latencyMs: LATENCY_MS, onecMax: ONEC_MAX, results },
    };
  },
};
