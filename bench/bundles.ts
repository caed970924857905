/**
 * Lambda bundles: each function bundled as the stack packages it (`buildFunctionBundle`,
 * `infra/bundling.ts`), its minified size against the 512 KiB budget, gzip and source-map sizes, the biggest packages
 * in it, and its module init time: the `import()` of the bundle in a fresh Node process with the
 * environment the stack sets (this machine's Node; Lambda runs Node 22 on ARM64) against the
 * 60 ms budget. The budget is held by the CPU time of the import (median of `INIT_RUNS`), which
 * other work on the machine barely moves, and by its wall time when the machine was quiet
 * enough to measure one (`QUIET_OTHER_LOAD_PERCENT`). Fails on a bundle over a budget, or on a
 * static import of a module left out of the bundle.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { BUNDLE_BUDGET_BYTES, BUNDLING, FUNCTION_NAMES, INIT_BUDGET_MS, NODE_OPTIONS, buildFunctionBundle, type FunctionName } from '../infra/bundling.ts';
import { median, type Benchmark, type BenchmarkResult } from './lib/benchmark.ts';
import { machineBusySeconds } from './lib/cpu.ts';

const run = promisify(execFile);
/** Fresh-process imports per bundle; the median of 21 is steady even when a few runs are hit by load. */
const INIT_RUNS = 21;
/**
 * Other work on the machine (% of one core, besides the bench) under which wall times are judged
 * against the budget. Above it the probes wait for a core: wall time measures the queue, not the
 * bundle, and only the CPU time is judged (the table still shows both).
 */
const QUIET_OTHER_LOAD_PERCENT = 50;
const KiB = 1024;

/** A plausible Lambda environment: every variable any function's config reads. */
export const BENCH_ENVIRONMENT: Readonly<Record<string, string>> = {
  AWS_REGION: 'eu-central-1',
  AWS_ACCESS_KEY_ID: 'AKIABENCHBENCHBENCH0',
  AWS_SECRET_ACCESS_KEY: 'bench-secret-bench-secret-bench-secret00',
  AWS_SESSION_TOKEN: 'bench',
  TABLE_NAME: 'bench-table',
  EVENT_BUS_NAME: 'bench-bus',
  RUN_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/bench-runs.fifo',
  ORDER_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/bench-orders.fifo',
  LOCK_TTL_SECONDS: '900',
  RUN_RETENTION_DAYS: '90',
  SECRETS_CACHE_SECONDS: '300',
  SECRETS_PREFIX: 'goodwix-1c-exchange/bench/',
  MAX_RECEIVE_COUNT: '6',
  POWERTOOLS_SERVICE_NAME: 'goodwix-1c-exchange',
  POWERTOOLS_METRICS_NAMESPACE: 'Goodwix1CExchange',
  POWERTOOLS_LOG_LEVEL: 'WARN',
  NODE_OPTIONS,
  // Lambda's Node 22 never prints the SDK's "Node 20 support ends" warning; this machine's Node 20 would, at init.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/**
 * Wall time of the import, CPU time of the process over it (all its threads: compile, GC), and,
 * on Linux, how long its main thread was ready to run but waited for a core (the third figure of
 * /proc/thread-self/schedstat): what other work on the machine added to the wall time.
 * Node's ESM loader is warmed first with an empty module: Lambda's runtime client is itself an ES
 * module, so its loader is up before it imports the handler, and that one-time cost is not the
 * bundle's.
 */
const INIT_PROBE = `const { readFileSync } = await import('node:fs'); const waited = () => { try { return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6; } catch { return NaN; } }; await import('data:text/javascript,export default 1'); const w0 = waited(); const t0 = performance.now(); const c0 = process.cpuUsage(); await import(process.argv[1]); const c = process.cpuUsage(c0); const ms = performance.now() - t0; const w = waited() - w0; process.stdout.write(JSON.stringify({ ms, cpuMs: (c.user + c.system) / 1000, waitMs: Number.isFinite(w) ? w : null }));`;

interface InitSample {
  readonly ms: number;
  readonly cpuMs: number;
  /** Main thread runnable but not running (Linux); null elsewhere */
  readonly waitMs: number | null;
}

async function initOnce(bundle: string): Promise<InitSample> {
  const env = { PATH: process.env['PATH'] ?? '', ...BENCH_ENVIRONMENT };
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', INIT_PROBE, pathToFileURL(bundle).href], { env, timeout: 30_000 });
  return JSON.parse(stdout) as InitSample;
}

/**
 * `INIT_RUNS` imports of each bundle, each in a fresh process, one at a time, taking the bundles
 * in turn (a burst of load elsewhere on the machine then falls on all of them alike).
 */
async function initTimes(files: readonly string[]): Promise<InitSample[][]> {
  const samples: InitSample[][] = files.map(() => []);
  for (let i = 0; i < INIT_RUNS; i += 1) for (const [k, file] of files.entries()) samples[k]!.push(await initOnce(file));
  return samples;
}

/** CPU seconds of this process and its finished children (the probes), from /proc/self/stat; null elsewhere. */
function ownCpuSeconds(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    // utime, stime, cutime, cstime (fields 14–17 of proc(5); clock ticks of 1/100 s)
    return (fields[11]! + fields[12]! + fields[13]! + fields[14]!) / 100;
  } catch {
    return null;
  }
}

/** What else the machine did over a stretch: busy CPU not spent by this process or its probes, % of one core. */
function otherLoad(): { stop(): number | null } {
  const machine0 = machineBusySeconds();
  const own0 = ownCpuSeconds();
  const t0 = Date.now();
  return {
    stop() {
      const machine1 = machineBusySeconds();
      const own1 = ownCpuSeconds();
      if (machine0 === null || machine1 === null || own0 === null || own1 === null) return null;
      return Math.max(0, Math.round(((machine1 - machine0 - (own1 - own0)) / ((Date.now() - t0) / 1000)) * 100));
    },
  };
}

function packageOf(path: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return m ? m[1]! : path.split('/').slice(0, 2).join('/');
}

interface BundleReport {
  readonly name: FunctionName;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly mapBytes: number;
  initMs: number[];
  initCpuMs: number[];
  initWaitMs: number[];
  readonly file: string;
  readonly topPackages: { package: string; bytes: number }[];
  readonly staticExternals: string[];
}

async function measure(name: FunctionName, dir: string): Promise<BundleReport> {
  const bundle = await buildFunctionBundle(name, join(dir, name));
  const outfile = bundle.file;
  const output = Object.values(bundle.metafile.outputs).find((o) => o.entryPoint);
  if (!output) throw new Error(`${name}: esbuild produced no entry output`);
  const code = await readFile(outfile);
  const byPackage = new Map<string, number>();
  for (const [path, input] of Object.entries(output.inputs)) byPackage.set(packageOf(path), (byPackage.get(packageOf(path)) ?? 0) + input.bytesInOutput);
  const externals = new Set<string>(BUNDLING.externalModules);
  return {
    name,
    bytes: code.byteLength,
    gzipBytes: gzipSync(code).byteLength,
    mapBytes: (await stat(`${outfile}.map`)).size,
    initMs: [],
    initCpuMs: [],
    initWaitMs: [],
    file: outfile,
    topPackages: [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([p, bytes]) => ({ package: p, bytes })),
    staticExternals: output.imports.filter((i) => i.external && externals.has(i.path) && i.kind !== 'dynamic-import').map((i) => `${i.path} (${i.kind})`),
  };
}

export const benchmark: Benchmark = {
  name: 'bundles',
  description: `Lambda bundle size per function (budget ${BUNDLE_BUDGET_BYTES / KiB} KiB minified) and module init time (budget ${INIT_BUDGET_MS} ms)`,
  async run(): Promise<BenchmarkResult> {
    const dir = await mkdtemp(join(tmpdir(), 'gw1c-bundles-'));
    try {
      const reports: BundleReport[] = [];
      for (const name of FUNCTION_NAMES) reports.push(await measure(name, dir));
      const meter = otherLoad();
      const samples = await initTimes(reports.map((r) => r.file));
      const others = meter.stop();
      for (const [k, r] of reports.entries()) {
        r.initMs = samples[k]!.map((x) => x.ms);
        r.initCpuMs = samples[k]!.map((x) => x.cpuMs);
        r.initWaitMs = samples[k]!.flatMap((x) => (x.waitMs === null ? [] : [x.waitMs]));
      }
      const failures: string[] = [];
      const wallJudged = others !== null && others <= QUIET_OTHER_LOAD_PERCENT;
      const overInit = (r: BundleReport) => median(r.initCpuMs) > INIT_BUDGET_MS || (wallJudged && median(r.initMs) > INIT_BUDGET_MS);
      for (const r of reports) {
        if (r.bytes > BUNDLE_BUDGET_BYTES) failures.push(`${r.name}: ${(r.bytes / KiB).toFixed(1)} KiB minified, over the ${BUNDLE_BUDGET_BYTES / KiB} KiB budget by ${((r.bytes - BUNDLE_BUDGET_BYTES) / KiB).toFixed(1)} KiB`);
        if (median(r.initCpuMs) > INIT_BUDGET_MS) failures.push(`${r.name}: module init ${median(r.initCpuMs).toFixed(1)} ms of CPU (median of ${r.initCpuMs.length}), over the ${INIT_BUDGET_MS} ms budget`);
        if (wallJudged && median(r.initMs) > INIT_BUDGET_MS) failures.push(`${r.name}: module init ${median(r.initMs).toFixed(1)} ms wall (median of ${r.initMs.length}, machine quiet), over the ${INIT_BUDGET_MS} ms budget`);
        if (r.staticExternals.length) failures.push(`${r.name}: imports statically what the bundle leaves out: ${r.staticExternals.join(', ')}`);
      }
      return {
        columns: ['function', 'minified KiB', 'budget', 'gzip KiB', 'map KiB', 'init CPU ms (median)', 'init CPU ms (min)', 'init ms (median)', 'init ms (min)', 'waited for a core ms (median)', 'largest packages (KiB)'],
        rows: reports.map((r) => ({
          function: r.name,
          'minified KiB': (r.bytes / KiB).toFixed(1),
          budget: r.bytes > BUNDLE_BUDGET_BYTES || overInit(r) ? 'OVER' : 'ok',
          'gzip KiB': (r.gzipBytes / KiB).toFixed(1),
          'map KiB': (r.mapBytes / KiB).toFixed(1),
          'init CPU ms (median)': median(r.initCpuMs).toFixed(1),
          'init CPU ms (min)': Math.min(...r.initCpuMs).toFixed(1),
          'init ms (median)': median(r.initMs).toFixed(1),
          'init ms (min)': Math.min(...r.initMs).toFixed(1),
          'waited for a core ms (median)': r.initWaitMs.length ? median(r.initWaitMs).toFixed(1) : '?',
          'largest packages (KiB)': r.topPackages.slice(0, 4).map((p) => `${p.package} ${(p.bytes / KiB).toFixed(0)}`).join(', '),
        })),
        failures,
        notes: [
          `bundled like the stack: ESM, minified, ${BUNDLING.target}, source maps, AWS SDK bundled except ${BUNDLING.externalModules.length} modules Lambda never loads (credential providers, event-stream serde: infra/bundling.ts)`,
          `init = import() of the bundle with the functions' environment in a fresh process, ${INIT_RUNS} runs each; CPU = the process's CPU time over the import (all its threads); Node ${process.version} on ${process.platform}-${process.arch} (Lambda: Node 22, arm64)`,
          `budget ${INIT_BUDGET_MS} ms on the median CPU time, and on the median wall time when the rest of the machine used ≤ ${QUIET_OTHER_LOAD_PERCENT} % of a core`,
          `other work on the machine while measuring init: ${others ?? '?'} % of one core${wallJudged ? '' : ' — wall times not judged (they measure the wait for a core); CPU times are inflated by it too (shared caches and cores), re-run on a quiet machine before reading a CPU FAIL as a regression'}`,
        ],
        data: reports,
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
