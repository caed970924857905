/**
 * The whole local deployment for a benchmark: the 1C and Goodwix sandboxes and the local
 * runtime (DynamoDB Local, fauxqs, the real handlers) with the demo plan, all on 127.0.0.1 and
 * all stopped by `close()`. `exchange()` is "Выполнить обмен": a manual run through the control
 * API, waited for until both queues are quiet, timed from the request to the drained queues.
 */
import { startGoodwixSandbox, type GoodwixSandbox, type GoodwixSandboxOptions } from '#local/goodwix/sandbox';
import { startOneCSandbox, type OneCSandbox, type OneCSandboxOptions } from '#local/onec/sandbox';
import { DEMO_PLAN_ID } from '#local/runtime/demo-plan';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '#local/runtime/runtime';

export interface BenchStack {
  readonly onec: OneCSandbox;
  readonly goodwix: GoodwixSandbox;
  readonly runtime: LocalRuntime;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, any> | null }>;
  /** A manual run of the demo plan, start → drained queues; the run as the API shows it */
  exchange(options?: { timeoutMs?: number }): Promise<{ run: Record<string, any>; wallMs: number }>;
  close(): Promise<void>;
}

/** Quick client retries: a benchmark without faults should never wait on a back-off. */
export const BENCH_TUNING = { onecRetry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 }, goodwixMaxAttempts: 3, goodwixBackoff: { baseMs: 5, maxMs: 20 } } as const;

export async function startBenchStack(
  options: { onec?: OneCSandboxOptions; goodwix?: GoodwixSandboxOptions; runtime?: Omit<LocalRuntimeOptions, 'demo'> } = {},
): Promise<BenchStack> {
  const [onec, goodwix] = await Promise.all([startOneCSandbox({ seed: 'demo', ...options.onec }), startGoodwixSandbox({ seed: 'empty', ...options.goodwix })]);
  let runtime: LocalRuntime;
  try {
    runtime = await startLocalRuntime({
      tick: false,
      logLevel: 'SILENT',
      print: () => undefined,
      tuning: BENCH_TUNING,
      ...options.runtime,
      demo: { onecBaseUrl: onec.baseUrl, goodwixBaseUrl: goodwix.baseUrl },
    });
  } catch (error) {
    await Promise.all([onec.close(), goodwix.close()]);
    throw error;
  }

  const api: BenchStack['api'] = (method, path, body) => runtime.api(method, path, body);

  return {
    onec,
    goodwix,
    runtime,
    api,
    async exchange({ timeoutMs = 30 * 60_000 } = {}) {
      const t0 = performance.now();
      const started = await api('POST', `/plans/${DEMO_PLAN_ID}/runs`);
      if (started.status !== 202) throw new Error(`run not started: ${started.status} ${JSON.stringify(started.body)}`);
      await runtime.drain({ timeoutMs });
      const wallMs = performance.now() - t0;
      const run = (await api('GET', `/plans/${DEMO_PLAN_ID}/runs/${String(started.body!.runId)}`)).body!;
      if (run.status === 'running') throw new Error(`run ${String(run.runId)} still running after the queues drained`);
      return { run, wallMs };
    },
    async close() {
      await runtime.close();
      await Promise.all([onec.close(), goodwix.close()]);
    },
  };
}

/** 1C requests by `METHOD EntitySet[/Action]`, most first. */
export function onecBreakdown(onec: OneCSandbox): Record<string, number> {
  const by = new Map<string, number>();
  for (const r of onec.stats.requests) {
    const action = /\/(Post|Unpost|Balance)(?:\(|$)/.exec(r.path)?.[1];
    const key = `${r.method} ${r.entitySet ?? r.path}${action ? `/${action}` : /\(.*\)$/.test(r.path) ? '(key)' : ''}`;
    by.set(key, (by.get(key) ?? 0) + 1);
  }
  return Object.fromEntries([...by].sort((a, b) => b[1] - a[1]));
}

/** Goodwix requests by `METHOD path` with ids replaced by `{id}`, most first. */
export function goodwixBreakdown(goodwix: GoodwixSandbox): Record<string, number> {
  const by = new Map<string, number>();
  for (const r of goodwix.stats.requests) {
    const key = `${r.method} ${r.path.replace(/\/\d+(?=\/|$)/g, '/{id}')}`;
    by.set(key, (by.get(key) ?? 0) + 1);
  }
  return Object.fromEntries([...by].sort((a, b) => b[1] - a[1]));
}

/** An integer from the environment (`BENCH_…`), or the default. */
export function envInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, not "${text}"`);
  return n;
}

/** A list of positive integers from the environment (`BENCH_…=1,4,8`), or the default. */
export function envInts(name: string, fallback: readonly number[]): number[] {
  const text = process.env[name];
  if (text === undefined || text === '') return [...fallback];
  const list = text.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) throw new RangeError(`${name} must be a comma-separated list of positive integers, not "${text}"`);
  return list;
}
