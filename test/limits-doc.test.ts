import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';

const root = path.resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'gen' ? [] : sources(full);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [full] : [];
  });
}

it('docs/LIMITS.md names every exported MAX_* constant in src/', () => {
  const doc = readFileSync(path.join(root, 'docs/LIMITS.md'), 'utf8');
  const missing: string[] = [];
  for (const file of sources(path.join(root, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/export const (MAX_[A-Z0-9_]+)/g)) {
      if (!doc.includes(`\`${m[1]}\``)) missing.push(`${m[1]} (${path.relative(root, file)})`);
    }
  }
  assert.deepEqual(missing, [], 'add these limits to docs/LIMITS.md');
});
