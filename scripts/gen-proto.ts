/**
 * Regenerates the protobuf codecs in src/wire/gen from the schemas in src/wire/proto, using the
 * `buf` and `protoc-gen-es` binaries installed from npm (no network). Usage: npm run gen
 * With `--out DIR` the code is written to DIR instead (the staleness test uses this).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const outIndex = process.argv.indexOf('--out');
const outArg = outIndex >= 0 ? process.argv[outIndex + 1] : undefined;
if (outIndex >= 0 && (outArg === undefined || outArg === '' || outArg.startsWith('-'))) {
  // buf.gen.yaml has `clean: true`: a defaulted output directory could be wiped.
  console.error('usage: node scripts/gen-proto.ts [--out DIR]');
  process.exit(2);
}
const out = outArg === undefined ? path.join(root, 'src/wire/gen') : path.resolve(outArg);

let template = path.join(root, 'buf.gen.yaml');
let scratch: string | undefined;
if (outIndex >= 0) {
  scratch = mkdtempSync(path.join(tmpdir(), 'samizdat-gen-'));
  template = path.join(scratch, 'buf.gen.yaml');
  const original = readFileSync(path.join(root, 'buf.gen.yaml'), 'utf8');
  // A JSON string is a valid YAML scalar, so any path (spaces, colons) survives; a function
  // replacement keeps `$` in the path literal.
  const text = original.replace('out: src/wire/gen', () => `out: ${JSON.stringify(out)}`);
  if (text === original) {
    rmSync(scratch, { recursive: true, force: true });
    console.error('buf.gen.yaml has no "out: src/wire/gen" line to redirect');
    process.exit(1);
  }
  writeFileSync(template, text);
}

const bin = path.join(root, 'node_modules/.bin');
const result = spawnSync(path.join(bin, 'buf'), ['generate', '--template', template], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
});
if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
if (result.status !== 0) {
  console.error('buf generate failed');
  process.exit(result.status ?? 1);
}
