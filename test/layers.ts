/**
 * The layer rules of DESIGN.md §2 as data, and a checker over source text. Used by
 * architecture.test.ts; kept separate so the checker itself is tested on synthetic files.
 */
import path from 'node:path';

export const LAYERS = ['crypto', 'wire', 'identity', 'directory', 'swarm', 'onion', 'node', 'e2e', 'mesh', 'client', 'cli', 'web', 'devnet'] as const;
export type Layer = (typeof LAYERS)[number];

const BELOW_DIRECTORY: readonly Layer[] = ['crypto', 'wire', 'identity'];
const BELOW_ONION: readonly Layer[] = [...BELOW_DIRECTORY, 'directory', 'swarm'];
const CLIENT_SIDE: readonly Layer[] = [...BELOW_ONION, 'onion', 'e2e', 'mesh', 'client'];

/** Which layers each layer may import (besides itself and src/errors.ts). */
export const MAY_IMPORT: Readonly<Record<Layer, readonly Layer[]>> = {
  crypto: [],
  wire: ['crypto'],
  identity: ['crypto', 'wire'],
  directory: BELOW_DIRECTORY,
  swarm: [...BELOW_DIRECTORY, 'directory'],
  onion: BELOW_ONION,
  node: [...BELOW_ONION, 'onion'],
  e2e: BELOW_DIRECTORY,
  mesh: [...BELOW_ONION, 'onion', 'e2e'],
  client: [...BELOW_ONION, 'onion', 'e2e', 'mesh'],
  web: CLIENT_SIDE,
  devnet: [...CLIENT_SIDE, 'node'],
  cli: [...CLIENT_SIDE, 'node', 'web', 'devnet'],
};

/** Pure layers do no I/O: no `node:*` module at all (crypto may use node:crypto only). */
export const PURE: readonly Layer[] = ['crypto', 'wire', 'identity', 'swarm', 'e2e'];

/** Only these layers may import a crypto library directly; everyone else uses the provider. */
const CRYPTO_LIBRARIES = /^(@noble\/|@scure\/bip32|node:crypto$|crypto$)/;

const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(])import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

/** The import specifiers in a source text. */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec !== undefined) out.push(spec);
  }
  return out;
}

/** The layer of a path relative to the project root, or undefined outside src/<layer>/. */
export function layerOf(relPath: string): Layer | undefined {
  const parts = relPath.split(path.sep).join('/').split('/');
  if (parts[0] !== 'src' || parts.length < 3) return undefined;
  return LAYERS.find((l) => l === parts[1]);
}

/** Violations of the layer rules by one file (path relative to the root, POSIX or native). */
export function checkFile(relPath: string, source: string): string[] {
  const layer = layerOf(relPath);
  if (layer === undefined) return [];
  const isTest = relPath.endsWith('.test.ts');
  const problems: string[] = [];
  for (const spec of importsOf(source)) {
    if (spec.startsWith('.')) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(relPath.split(path.sep).join('/')), spec));
      if (target === 'src/errors.ts') continue;
      if (target.startsWith('test/') && isTest) continue;
      const targetLayer = layerOf(target);
      if (targetLayer === undefined) {
        problems.push(`${relPath} imports ${spec}, outside any layer`);
      } else if (targetLayer !== layer && !MAY_IMPORT[layer].includes(targetLayer)) {
        problems.push(`${relPath} (${layer}) imports ${spec} (${targetLayer}) against the layer direction`);
      }
      continue;
    }
    if (isTest) continue;
    if (CRYPTO_LIBRARIES.test(spec) && layer !== 'crypto') {
      problems.push(`${relPath} imports ${spec}; only src/crypto may use crypto libraries`);
    }
    if (spec.startsWith('node:') && PURE.includes(layer) && !(layer === 'crypto' && spec === 'node:crypto')) {
      problems.push(`${relPath} imports ${spec}, but ${layer} is a pure layer (no I/O)`);
    }
  }
  return problems;
}
