/**
 * The node's onion keys (X25519 + ML-KEM-768), published in its descriptor. Kept in
 * DIR/onion-keys.json (mode 0600) so a restart keeps the descriptor stable. Rotation with an
 * overlap, and deletion of old private keys, arrive with the onion-routing issue.
 */
import { closeSync, constants, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fromHex, toHex } from '../crypto/bytes.ts';
import type { CryptoProvider, PrivateKey } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';

export const ONION_KEY_FILE = 'onion-keys.json';

export interface OnionKeys {
  readonly x25519: PrivateKey;
  readonly mlKem: PrivateKey;
  readonly createdAtMs: number;
}

export function loadOrCreateOnionKeys(crypto: CryptoProvider, dir: string, now: () => number): OnionKeys {
  const file = path.join(dir, ONION_KEY_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw new SamizdatError('STORAGE_FAILED', `cannot read ${file}`, { cause });
  }
  if (text !== undefined) {
    try {
      const json = JSON.parse(text) as { x25519: string; mlKem: string; createdAtMs: number };
      return {
        x25519: crypto.importPrivateKey('x25519', fromHex(json.x25519)),
        mlKem: crypto.importPrivateKey('ml-kem-768', fromHex(json.mlKem)),
        createdAtMs: json.createdAtMs,
      };
    } catch (cause) {
      throw new SamizdatError('STORAGE_FAILED', `${file} is damaged`, { cause });
    }
  }
  const keys = { x25519: crypto.generateKey('x25519'), mlKem: crypto.generateKey('ml-kem-768'), createdAtMs: now() };
  const body = JSON.stringify({ x25519: toHex(crypto.exportPrivateKey(keys.x25519)), mlKem: toHex(crypto.exportPrivateKey(keys.mlKem)), createdAtMs: keys.createdAtMs });
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return keys;
}
