/**
 * What a benchmark module in `bench/` exports, and what the runner (`bench/run.ts`) does with
 * it: prints `rows` as a table, writes the whole result to `bench/results/<name>.json`, and exits
 * non-zero when any benchmark reports `failures` (a budget exceeded, a check broken).
 *
 *     // bench/my-thing.ts
 *     export const benchmark: Benchmark = { name: 'my-thing', description: '…', async run() { … } };
 */
export type Cell = string | number | boolean | null;

export interface BenchmarkResult {
  /** Column order of the table (keys of `rows`) */
  readonly columns: readonly string[];
  readonly rows: readonly Readonly<Record<string, Cell>>[];
  /** Budget breaches and broken checks; any makes `npm run bench` fail */
  readonly failures: readonly string[];
  /** Lines printed under the table */
  readonly notes?: readonly string[];
  /** Anything else worth keeping in the JSON */
  readonly data?: unknown;
}

export interface Benchmark {
  /** Name on the command line and of the results file: lower-case, dashes */
  readonly name: string;
  readonly description: string;
  run(): Promise<BenchmarkResult>;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A plain-text table. */
export function formatTable(columns: readonly string[], rows: readonly Readonly<Record<string, Cell>>[]): string {
  const text = (v: Cell | undefined) => (v === null || v === undefined ? '' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => text(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => (/^-?[\d.,]+( \w+)?%?$/.test(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line([...columns]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(columns.map((c) => text(r[c]))))].join('\n');
}
