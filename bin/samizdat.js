#!/usr/bin/env node
// Entry point of the `samizdat` command. Written in plain JavaScript that any Node can parse, so
// that on a machine whose own Node is older than 24 it can hand over to the Node 24 installed by
// the `node@24` devDependency (node_modules/node) instead of failing on TypeScript sources.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);

if (major >= 24) {
  const { main } = await import(pathToFileURL(path.join(root, 'src/cli/main.ts')).href);
  process.exitCode = await main(process.argv.slice(2));
} else {
  const pinned = path.join(root, 'node_modules/node/bin/node');
  if (!existsSync(pinned)) {
    process.stderr.write(`samizdat needs Node.js 24 or newer (this is ${process.version}); run \`npm install\` first.\n`);
    process.exit(1);
  }
  const child = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}
