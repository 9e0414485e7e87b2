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
const out = outIndex >= 0 ? path.resolve(process.argv[outIndex + 1] ?? '') : path.join(root, 'src/wire/gen');

let template = path.join(root, 'buf.gen.yaml');
let scratch: string | undefined;
if (outIndex >= 0) {
  scratch = mkdtempSync(path.join(tmpdir(), 'samizdat-gen-'));
  template = path.join(scratch, 'buf.gen.yaml');
  const text = readFileSync(path.join(root, 'buf.gen.yaml'), 'utf8').replace('out: src/wire/gen', `out: ${out}`);
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
