/**
 * `npm run bench [-- <name>…]`: runs the named benchmarks of `bench/*.ts` (every one without
 * names; `--list` lists them). Each prints a table; its result goes to
 * `bench/results/<name>.json`. Exits 1 when a benchmark reports failures (e.g. a budget) or
 * throws. Benchmark modules export `benchmark` (bench/lib/benchmark.ts).
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatTable, type Benchmark } from './lib/benchmark.ts';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const RESULTS_DIR = join(BENCH_DIR, 'results');

async function discover(): Promise<Benchmark[]> {
  const files = (await readdir(BENCH_DIR)).filter((f) => f.endsWith('.ts') && f !== 'run.ts').sort();
  const found: Benchmark[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(BENCH_DIR, file)).href)) as { benchmark?: Benchmark };
    if (!mod.benchmark || typeof mod.benchmark.run !== 'function') {
      console.warn(`bench/${file}: exports no \`benchmark\`; skipped`);
      continue;
    }
    found.push(mod.benchmark);
  }
  return found;
}

async function main(argv: readonly string[]): Promise<number> {
  const all = await discover();
  if (argv.includes('--list')) {
    for (const b of all) console.log(`${b.name.padEnd(20)} ${b.description}`);
    return 0;
  }
  const names = argv.filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !all.some((b) => b.name === n));
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${all.map((b) => b.name).join(', ')}`);
    return 2;
  }
  const selected = names.length ? all.filter((b) => names.includes(b.name)) : all;
  await mkdir(RESULTS_DIR, { recursive: true });
  let failed = 0;
  for (const b of selected) {
    console.log(`\n# ${b.name}: ${b.description}\n`);
    const startedAt = new Date();
    try {
      const result = await b.run();
      console.log(formatTable(result.columns, result.rows));
      for (const note of result.notes ?? []) console.log(`  note: ${note}`);
      for (const failure of result.failures) console.log(`  FAIL: ${failure}`);
      if (result.failures.length) failed += 1;
      const file = join(RESULTS_DIR, `${basename(b.name)}.json`);
      const record = { name: b.name, description: b.description, startedAt: startedAt.toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`, ...result };
      await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
      console.log(`  → ${file.slice(BENCH_DIR.length - 'bench/'.length)}`);
    } catch (error) {
      failed += 1;
      console.error(`  ERROR: ${b.name} threw: ${(error as Error).stack ?? String(error)}`);
    }
  }
  console.log(`\n${selected.length - failed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
