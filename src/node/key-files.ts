/**
 * Long-term key material of a node or an authority, kept in its data directory: a 32-byte
 * Ed25519 seed (identity.key, mode 0600) whose public key is both the node ID and, through
 * libp2p, the peer ID. Created on first start, never overwritten.
 */
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { CryptoProvider, PrivateKey } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';

export const IDENTITY_KEY_FILE = 'identity.key';

export interface IdentityKeyFile {
  /** The raw 32-byte seed (libp2p builds the same key from it). */
  readonly seed: Uint8Array;
  readonly key: PrivateKey;
}

function createExclusive(file: string, bytes: Uint8Array): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Loads DIR/identity.key, creating the directory (0700) and a new key when absent. */
export function loadOrCreateIdentityKey(crypto: CryptoProvider, dir: string): IdentityKeyFile {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, IDENTITY_KEY_FILE);
  let seed: Uint8Array;
  try {
    seed = new Uint8Array(readFileSync(file));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SamizdatError('STORAGE_FAILED', `cannot read ${file}`, { cause });
    }
    seed = crypto.randomBytes(32);
    try {
      createExclusive(file, seed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateIdentityKey(crypto, dir);
      throw new SamizdatError('STORAGE_FAILED', `cannot write ${file}`, { cause: err });
    }
  }
  if (seed.length !== 32) throw new SamizdatError('STORAGE_FAILED', `${file} is damaged: expected 32 bytes, found ${seed.length}`);
  return { seed, key: crypto.importPrivateKey('ed25519', seed) };
}
