/** The committed code in src/wire/gen must be exactly what scripts/gen-proto.ts makes from src/wire/proto. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';

const root = path.resolve(import.meta.dirname, '../..');
const committed = path.join(root, 'src/wire/gen');

/** Paths of all files under `dir`, relative to it, sorted. */
function filesUnder(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(dir, prefix))) {
    const rel = path.join(prefix, name);
    if (statSync(path.join(dir, rel)).isDirectory()) out.push(...filesUnder(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

it('generated protobuf code is up to date (run npm run gen if this fails)', () => {
  const fresh = mkdtempSync(path.join(tmpdir(), 'samizdat-gen-fresh-'));
  try {
    const result = spawnSync(process.execPath, [path.join(root, 'scripts/gen-proto.ts'), '--out', fresh], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, `scripts/gen-proto.ts failed: ${result.stderr}`);
    const expected = filesUnder(fresh);
    assert.deepEqual(filesUnder(committed), expected, 'src/wire/gen has other files than the schemas make: run npm run gen');
    for (const rel of expected) {
      const same = readFileSync(path.join(committed, rel)).equals(readFileSync(path.join(fresh, rel)));
      assert.ok(same, `src/wire/gen/${rel} is stale: run npm run gen`);
    }
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
});
