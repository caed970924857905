/**
 * `npm run chaos` — the full chaos configuration (test/chaos/harness.ts), printing its figures.
 *
 *   npm run chaos                          # 500 orders, 10 rounds, seed from the clock (printed)
 *   npm run chaos -- --seed 7 --orders 400 --rounds 10 --workers 4
 *   npm run chaos -- --fast --seed 7       # the configuration `npm test` runs
 *   npm run chaos -- --json report.json    # also write the report as JSON
 *
 * Exits 1 when an invariant breaks; the output names the seed and the command that replays it.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// The functions' CloudWatch metrics (EMF lines on stdout) would bury the figures.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
const { FAST, FULL, formatReport, runChaos } = await import('./harness.ts');

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    orders: { type: 'string' },
    rounds: { type: 'string' },
    workers: { type: 'string' },
    fast: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

const base = values.fast ? FAST : FULL;
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 1_000_000;
const options = {
  ...base,
  seed,
  ...(values.orders !== undefined ? { orders: Number(values.orders) } : {}),
  ...(values.rounds !== undefined ? { rounds: Number(values.rounds) } : {}),
  ...(values.workers !== undefined ? { workerConcurrency: Number(values.workers) } : {}),
  ...(values.quiet ? {} : { log: (line: string) => console.log(line) }),
};
for (const [name, n] of [['seed', options.seed], ['orders', options.orders], ['rounds', options.rounds], ['workers', options.workerConcurrency]] as const) {
  if (!Number.isInteger(n) || n < (name === 'seed' ? 0 : 1)) {
    console.error(`--${name} must be a whole number${name === 'seed' ? '' : ' ≥ 1'}`);
    process.exit(2);
  }
}

console.log(`chaos: seed ${seed}, ${options.orders} orders, ${options.rounds} rounds, ${options.workerConcurrency} worker(s) (${values.fast ? 'fast' : 'full'} configuration)`);
const report = await runChaos(options);
console.log(formatReport(report));
if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
process.exitCode = report.problems.length ? 1 : 0;
