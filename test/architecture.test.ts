import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LAYERS, checkFile, importsOf } from './layers.ts';

const root = path.resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (name.endsWith('.ts')) out.push(full);
  }
  return out;
}

describe('layer rules (DESIGN.md §2)', () => {
  it('every source file imports only along the layer direction', () => {
    const problems = sourceFiles(path.join(root, 'src')).flatMap((file) =>
      checkFile(path.relative(root, file), readFileSync(file, 'utf8')),
    );
    assert.deepEqual(problems, []);
  });

  it('has a folder for every layer', () => {
    for (const layer of LAYERS) assert.ok(statSync(path.join(root, 'src', layer)).isDirectory(), layer);
  });

  it('flags an import against the direction', () => {
    const problems = checkFile('src/crypto/x.ts', "import { startNode } from '../node/service.ts';\n");
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /against the layer direction/);
  });

  it('flags I/O in a pure layer and crypto libraries outside src/crypto', () => {
    assert.equal(checkFile('src/identity/x.ts', "import { readFileSync } from 'node:fs';").length, 1);
    assert.equal(checkFile('src/e2e/x.ts', "import { x25519 } from '@noble/curves/ed25519.js';").length, 1);
    assert.equal(checkFile('src/client/x.ts', "import * as c from 'node:crypto';").length, 1);
    assert.deepEqual(checkFile('src/crypto/x.ts', "import * as c from 'node:crypto';"), []);
  });

  it('allows the layer direction, src/errors.ts and tests importing test support', () => {
    assert.deepEqual(checkFile('src/node/x.ts', "import { a } from '../onion/a.ts';\nimport { E } from '../errors.ts';"), []);
    assert.deepEqual(checkFile('src/crypto/x.test.ts', "import { p } from '../../test/support/noble-provider.ts';"), []);
  });

  it('finds static, re-export, side-effect and dynamic imports', () => {
    const text = "import a from './a.ts';\nexport { b } from './b.ts';\nimport './c.ts';\nconst d = await import('./d.ts');\nimport type { E } from './e.ts';";
    assert.deepEqual(importsOf(text).sort(), ['./a.ts', './b.ts', './c.ts', './d.ts', './e.ts']);
  });
});
