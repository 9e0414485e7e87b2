/** Shapes, measurement helpers and output of `npm run bench`. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** One measured value; `peer` and `ratio` only where a side-by-side comparison exists. */
export interface BenchRow {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly peer?: string;
  /** value / peer value for rates (higher is better), peer / value for times; > 1 means ours wins. */
  readonly ratio?: number;
  readonly target?: string;
}

export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  run(): Promise<readonly BenchRow[]>;
}

export interface BenchResult {
  readonly suite: string;
  readonly rows: readonly BenchRow[];
  readonly machine: { readonly node: string; readonly cpus: number; readonly date: string };
}

/**
 * Runs `fn` repeatedly for about `ms` milliseconds (after a warm-up) and returns operations per
 * second. Short timings are batched so the clock is read rarely.
 */
export function opsPerSecond(fn: () => unknown, ms = 400): number {
  const warmUntil = performance.now() + ms / 4;
  while (performance.now() < warmUntil) fn();
  let count = 0;
  let batch = 1;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < batch; i++) fn();
    count += batch;
    elapsed = performance.now() - start;
    if (elapsed < ms / 20) batch *= 2;
  }
  return (count * 1000) / elapsed;
}

/** Rounds to 3 significant digits for display and JSON. */
export function round3(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return Number(value.toFixed(digits));
}

/** Prints the rows as an aligned table. */
export function printTable(suite: string, rows: readonly BenchRow[]): void {
  const header = ['metric', 'value', 'unit', 'peer', 'ratio', 'target'];
  const cells = rows.map((r) => [
    r.metric,
    String(round3(r.value)),
    r.unit,
    r.peer ?? '',
    r.ratio === undefined ? '' : String(round3(r.ratio)),
    r.target ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]): string => c.map((s, i) => s.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  console.log(`\n== ${suite}`);
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const c of cells) console.log(line(c));
}

/** Writes bench/results/SUITE.json. */
export function writeResult(dir: string, result: BenchResult): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${result.suite}.json`);
  const rows = result.rows.map((r) => ({
    ...r,
    value: round3(r.value),
    ...(r.ratio === undefined ? {} : { ratio: round3(r.ratio) }),
  }));
  writeFileSync(file, `${JSON.stringify({ ...result, rows }, null, 2)}\n`);
  return file;
}
