/**
 * A/B comparison of one bench suite between a git revision (A) and the working tree (B), run
 * interleaved on the same machine: A then B, then B then A, and so on, so that a drift of the
 * machine during the runs weighs on both sides alike. Prints, per metric, each side's values and
 * medians and the ratio of the medians (B/A).
 *
 * Usage: node scripts/bench-ab.ts SUITE REV [--pairs N]   (default 3 pairs; REV: any commit-ish)
 *
 * A is checked out into a temporary git worktree that shares this tree's node_modules (so a
 * revision with other dependencies is not comparable this way) and is removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

interface Row {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const pairsAt = args.indexOf('--pairs');
const pairs = pairsAt >= 0 ? Number(args[pairsAt + 1]) : 3;
const [suite, rev] = args.filter((a, i) => !a.startsWith('--') && (pairsAt < 0 || i !== pairsAt + 1));
if (suite === undefined || rev === undefined || !/^[a-z0-9-]+$/.test(suite) || !Number.isSafeInteger(pairs) || pairs < 1) {
  console.error('usage: node scripts/bench-ab.ts SUITE REV [--pairs N]');
  process.exit(2);
}

function run(command: string, argv: readonly string[], cwd: string): string {
  const r = spawnSync(command, argv, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${command} ${argv.join(' ')} (in ${cwd}) exited with ${String(r.status ?? r.signal)}`);
  return r.stdout;
}

/** Runs the suite in `tree` and returns its rows. */
function runSuite(tree: string): Row[] {
  run(process.execPath, [path.join(tree, 'bench/run.ts'), suite ?? ''], tree);
  const result = JSON.parse(readFileSync(path.join(tree, 'bench/results', `${suite}.json`), 'utf8')) as { rows: Row[] };
  return result.rows;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

const scratch = mkdtempSync(path.join(tmpdir(), 'samizdat-ab-'));
const treeA = path.join(scratch, 'a');
run('git', ['worktree', 'add', '--detach', treeA, rev], root);
try {
  symlinkSync(path.join(root, 'node_modules'), path.join(treeA, 'node_modules'));
  const values = new Map<string, { unit: string; a: number[]; b: number[] }>();
  for (let i = 0; i < pairs; i++) {
    const order = i % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
    for (const side of order) {
      console.error(`pair ${i + 1}/${pairs}: ${side === 'a' ? rev : 'working tree'}`);
      for (const row of runSuite(side === 'a' ? treeA : root)) {
        const entry = values.get(row.metric) ?? { unit: row.unit, a: [], b: [] };
        entry[side].push(row.value);
        values.set(row.metric, entry);
      }
    }
  }
  console.log(`${suite}: A = ${rev}, B = working tree, ${pairs} interleaved pairs`);
  for (const [metric, { unit, a, b }] of values) {
    const ratio = a.length > 0 && b.length > 0 ? (median(b) / median(a)).toFixed(3) : '-';
    console.log(`${metric} [${unit}]\n  A ${a.join(' ')} (median ${median(a)})\n  B ${b.join(' ')} (median ${median(b)})  B/A ${ratio}`);
  }
} finally {
  spawnSync('git', ['worktree', 'remove', '--force', treeA], { cwd: root, stdio: 'inherit' });
  rmSync(scratch, { recursive: true, force: true });
}
