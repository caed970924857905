/**
 * Lambda bundles: each function bundled as the stack packages it (`buildFunctionBundle`,
 * `infra/bundling.ts`), its minified size against the 512 KiB budget, gzip and source-map sizes, the biggest packages
 * in it, and its module init time: the `import()` of the bundle in a fresh Node process with the
 * environment the stack sets (median of several runs, this machine's Node; Lambda runs Node 22
 * on ARM64) against the 60 ms budget. Fails on a bundle over either budget, or on a static
 * import of a module left out of the bundle.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { BUNDLE_BUDGET_BYTES, BUNDLING, FUNCTION_NAMES, INIT_BUDGET_MS, NODE_OPTIONS, buildFunctionBundle, type FunctionName } from '../infra/bundling.ts';
import { median, type Benchmark, type BenchmarkResult } from './lib/benchmark.ts';

const run = promisify(execFile);
const INIT_RUNS = 7;
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
};

const INIT_PROBE = `const t0 = performance.now(); await import(process.argv[1]); process.stdout.write(JSON.stringify({ ms: performance.now() - t0 }));`;

async function initTimeMs(bundle: string): Promise<number[]> {
  const times: number[] = [];
  const env = { PATH: process.env['PATH'] ?? '', ...BENCH_ENVIRONMENT };
  for (let i = 0; i < INIT_RUNS; i += 1) {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', INIT_PROBE, pathToFileURL(bundle).href], { env, timeout: 30_000 });
    times.push((JSON.parse(stdout) as { ms: number }).ms);
  }
  return times;
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
  readonly initMs: number[];
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
    initMs: await initTimeMs(outfile),
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
      const failures: string[] = [];
      for (const r of reports) {
        if (r.bytes > BUNDLE_BUDGET_BYTES) failures.push(`${r.name}: ${(r.bytes / KiB).toFixed(1)} KiB minified, over the ${BUNDLE_BUDGET_BYTES / KiB} KiB budget by ${((r.bytes - BUNDLE_BUDGET_BYTES) / KiB).toFixed(1)} KiB`);
        if (median(r.initMs) > INIT_BUDGET_MS) failures.push(`${r.name}: module init ${median(r.initMs).toFixed(1)} ms (median of ${r.initMs.length}), over the ${INIT_BUDGET_MS} ms budget`);
        if (r.staticExternals.length) failures.push(`${r.name}: imports statically what the bundle leaves out: ${r.staticExternals.join(', ')}`);
      }
      return {
        columns: ['function', 'minified KiB', 'budget', 'gzip KiB', 'map KiB', 'init ms (median)', 'init ms (min)', 'largest packages (KiB)'],
        rows: reports.map((r) => ({
          function: r.name,
          'minified KiB': (r.bytes / KiB).toFixed(1),
          budget: r.bytes > BUNDLE_BUDGET_BYTES || median(r.initMs) > INIT_BUDGET_MS ? 'OVER' : 'ok',
          'gzip KiB': (r.gzipBytes / KiB).toFixed(1),
          'map KiB': (r.mapBytes / KiB).toFixed(1),
          'init ms (median)': median(r.initMs).toFixed(1),
          'init ms (min)': Math.min(...r.initMs).toFixed(1),
          'largest packages (KiB)': r.topPackages.slice(0, 4).map((p) => `${p.package} ${(p.bytes / KiB).toFixed(0)}`).join(', '),
        })),
        failures,
        notes: [
          `bundled like the stack: ESM, minified, ${BUNDLING.target}, source maps, AWS SDK bundled except ${BUNDLING.externalModules.length} modules Lambda never loads (credential providers, event-stream serde: infra/bundling.ts)`,
          `init = import() of the bundle with the functions' environment, ${INIT_RUNS} runs, Node ${process.version} on ${process.platform}-${process.arch} (Lambda: Node 22, arm64)`,
        ],
        data: reports,
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
