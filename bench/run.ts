/**
 * `npm run bench [-- SUITE ...]`: runs every suite in bench/suites (or the named ones), prints a
 * table for each and writes bench/results/SUITE.json.
 */
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { printTable, writeResult, type BenchSuite } from './report.ts';

const suitesDir = path.join(import.meta.dirname, 'suites');
const resultsDir = path.join(import.meta.dirname, 'results');
const available = readdirSync(suitesDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}

for (const name of wanted.length > 0 ? wanted : available) {
  const mod = (await import(pathToFileURL(path.join(suitesDir, `${name}.ts`)).href)) as { suite: BenchSuite };
  console.log(`running ${name}: ${mod.suite.description}`);
  const rows = await mod.suite.run();
  printTable(name, rows);
  const file = writeResult(resultsDir, {
    suite: name,
    rows,
    machine: { node: process.version, cpus: os.availableParallelism(), date: new Date().toISOString() },
  });
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
