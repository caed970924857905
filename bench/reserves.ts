/**
 * Reserves of the whole catalog, every run, paying only for what changed: a catalog of
 * BENCH_RESERVES_PRODUCTS (10,000) products on both sides, BENCH_RESERVES_RESERVED (2,000) of
 * them reserved in 1C by orders a manager entered there (100 rows an order, posted, on the
 * plan's warehouse), no Goodwix order at all. A first run tells Goodwix all of them; then a
 * manager changes BENCH_RESERVES_CHANGED (20) products in 1C — half get a new quantity, half
 * are cancelled in their order (their reserve goes away) — and the measured run must write to
 * Goodwix exactly those products, with 1C answering in BENCH_RESERVES_LATENCY_MS (50) and the
 * register balances costing what the sandbox's timing model says (`balanceFullMs` =
 * BENCH_RESERVES_BALANCE_FULL_MS, 15,000: the middle of the 12–25 s a live base took for an
 * unconditioned balance, scaled by the share of the register's records the Condition admits).
 *
 * Rows: the first run (everything new to Goodwix), the measured run, and one idle run after it.
 * Columns: 1C requests (and the balance reads among them, with the register records they summed),
 * Goodwix writes (reserve replacements), the run's wall time. Then what one unconditioned
 * balance of the same register costs in the model, read directly.
 * Fails when the measured run writes other than the changed products, the idle run writes
 * anything, or the runs do not complete.
 */
import { bulkProducts, demoOneC } from '#local/demo/supplier';
import { OneCManager } from '#local/onec/manager';
import { OneCTrade } from '#onec/trade';
import { OneCClient } from '#onec/client';
import { reserveRegisterSpec } from '#onec/fields';
import { eq, guid } from '#onec/filter';
import { line, orderInput } from '../test/support/onec-orders.ts';
import { envInt, onecBreakdown, startBenchStack, type BenchStack } from './lib/stack.ts';
import type { Benchmark, BenchmarkResult } from './lib/benchmark.ts';

const PRODUCTS = envInt('BENCH_RESERVES_PRODUCTS', 10_000);
const RESERVED = envInt('BENCH_RESERVES_RESERVED', 2_000);
const CHANGED = envInt('BENCH_RESERVES_CHANGED', 20);
const LATENCY_MS = envInt('BENCH_RESERVES_LATENCY_MS', 50);
const BALANCE_FULL_MS = envInt('BENCH_RESERVES_BALANCE_FULL_MS', 15_000);
const ROWS_PER_ORDER = 100;

interface RunRow {
  readonly run: string;
  readonly status: string;
  readonly summary: string;
  readonly onec: number;
  readonly balances: number;
  readonly balanceRecords: number;
  readonly goodwixWrites: number;
  readonly changed: number;
  readonly wallMs: number;
  readonly onecByKind: Record<string, number>;
}

async function measuredRun(stack: BenchStack, label: string, changed: number): Promise<RunRow> {
  stack.onec.stats.reset();
  stack.goodwix.stats.reset();
  const { run, wallMs } = await stack.exchange();
  const balances = stack.onec.stats.requests.filter((r) => /\/Balance\(/.test(r.path));
  return {
    run: label,
    status: String(run.status),
    summary: String(run.summary ?? ''),
    onec: stack.onec.stats.requests.length,
    balances: balances.length,
    balanceRecords: balances.reduce((n, r) => n + (r.balanceRecords ?? 0), 0),
    goodwixWrites: stack.goodwix.stats.requests.filter((r) => r.method === 'PUT' && /\/reserves\/\d+$/.test(r.path)).length,
    changed,
    wallMs,
    onecByKind: onecBreakdown(stack.onec),
  };
}

export const benchmark: Benchmark = {
  name: 'reserves',
  description: `Reserves reconciled every run: ${PRODUCTS} products, ${RESERVED} reserved in 1C, ${CHANGED} changed (1C at ${LATENCY_MS} ms, an unconditioned balance ${BALANCE_FULL_MS} ms)`,
  async run(): Promise<BenchmarkResult> {
    const stack = await startBenchStack({ onec: { extraProducts: PRODUCTS }, goodwix: { extraProducts: PRODUCTS } });
    const onec = OneCTrade.connect({ baseUrl: stack.onec.baseUrl, login: stack.onec.login, password: stack.onec.password, requestTimeoutMs: 120_000 });
    try {
      const products = bulkProducts(PRODUCTS).slice(0, RESERVED);
      const orders: string[] = [];
      for (let i = 0; i < products.length; i += ROWS_PER_ORDER) {
        const created = await onec.createOrder(orderInput(`MGR-${i / ROWS_PER_ORDER + 1}`, products.slice(i, i + ROWS_PER_ORDER).map((p) => line(p, '3')), { comment: 'entered in 1C' }));
        await onec.postOrder(created.ref);
        orders.push(created.ref);
      }
      const rows: RunRow[] = [];
      // The demo base's own order (4 drills) is reserved too: one more product on the first run.
      rows.push(await measuredRun(stack, 'first run (all new to Goodwix)', RESERVED + 1));

      // A manager's day in 1C: new quantities on half, the other half's rows cancelled.
      const manager = new OneCManager(onec);
      const half = Math.floor(CHANGED / 2);
      await manager.editRows(orders[0]!, (items) => items.map((r, i) => (i < half ? { ...r, quantity: '5', packageQuantity: '5' } : r)));
      await manager.editRows(orders[1]!, (items) => items.map((r, i) => (i < CHANGED - half ? { ...r, cancelled: true, cancelReason: demoOneC.cancelReasons.buyerRefused.ref } : r)));

      stack.onec.faults.set({ latencyMs: LATENCY_MS, balanceFullMs: BALANCE_FULL_MS });
      rows.push(await measuredRun(stack, `${CHANGED} changed in 1C`, CHANGED));
      rows.push(await measuredRun(stack, 'idle', 0));

      // What the same balance costs without a Condition, in the model (read directly, once).
      stack.onec.stats.reset();
      const t0 = performance.now();
      await onec.client.balance(reserveRegisterSpec.entitySet, { condition: eq(reserveRegisterSpec.dimensions.warehouse.odata, guid(demoOneC.warehouses.main.ref)), top: 1 });
      const conditionedMs = performance.now() - t0;
      const t1 = performance.now();
      const unconditioned = await fetch(new URL(`${OneCClient.balancePath(reserveRegisterSpec.entitySet, { condition: eq(reserveRegisterSpec.dimensions.warehouse.odata, guid(demoOneC.warehouses.main.ref)) }).replace(/Condition=[^,)]*,?/, '')}&$top=1&$format=json`, stack.onec.baseUrl), {
        headers: { authorization: `Basic ${Buffer.from(`${stack.onec.login}:${stack.onec.password}`).toString('base64')}` },
      });
      await unconditioned.text();
      const unconditionedMs = performance.now() - t1;
      const records = stack.onec.stats.requests.map((r) => r.balanceRecords ?? 0);

      const failures: string[] = [];
      for (const r of rows) if (r.status !== 'completed') failures.push(`${r.run}: ended ${r.status}: ${r.summary}`);
      const [, changedRun, idle] = rows;
      if (changedRun!.goodwixWrites !== CHANGED) failures.push(`${changedRun!.run}: ${changedRun!.goodwixWrites} Goodwix writes, expected exactly the ${CHANGED} changed products`);
      if (idle!.goodwixWrites !== 0) failures.push(`idle: ${idle!.goodwixWrites} Goodwix writes`);
      return {
        columns: ['run', '1C req', '1C balances', 'records summed', 'GW writes', 'changed', 'run s'],
        rows: rows.map((r) => ({
          run: r.run, '1C req': r.onec, '1C balances': r.balances, 'records summed': r.balanceRecords, 'GW writes': r.goodwixWrites, changed: r.changed, 'run s': (r.wallMs / 1000).toFixed(1),
        })),
        failures,
        notes: [
          `the balance model: a conditioned balance on the plan's warehouse took ${(conditionedMs / 1000).toFixed(1)} s (${records[0] ?? '?'} records summed), an unconditioned one ${(unconditionedMs / 1000).toFixed(1)} s (${records[1] ?? '?'} records); every reserve here is on the plan's warehouse, so the condition saves nothing: it saves the other warehouses' share of the register`,
          ...rows.map((r) => `${r.run}: ${r.summary}; 1C ${Object.entries(r.onecByKind).map(([k, v]) => `${k} ${v}`).join(', ')}`),
        ],
        data: { products: PRODUCTS, reserved: RESERVED, changed: CHANGED, latencyMs: LATENCY_MS, balanceFullMs: BALANCE_FULL_MS, conditionedMs, unconditionedMs, rows },
      };
    } finally {
      onec.close();
      await stack.close();
    }
  },
};
