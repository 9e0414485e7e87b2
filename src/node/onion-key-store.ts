/**
 * A node's onion keys on disk, with rotation (DESIGN.md §4, issue 4): a new hybrid X25519 +
 * ML-KEM-768 key every `rotationMs`; the previous ones stay usable for `overlapMs` (clients may
 * hold a consensus that still lists them) and are then deleted from disk and memory, so a
 * recorded onion layer cannot be opened later even with the node's disk.
 * Files: DIR/onion-keys/<key id hex>.json, mode 0600, {"createdAtMs": ..., "key": "<96-byte hex>"}.
 */
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fromHex, toHex } from '../crypto/bytes.ts';
import { exportHybridPrivateKey, generateHybridKeyPair, importHybridPrivateKey, type HybridPrivateKey } from '../crypto/hybrid-kem.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import { onionKeyId, type OnionKeyRing } from '../onion/index.ts';

/** How often the store checks whether a rotation or a deletion is due. */
const CHECK_INTERVAL_MAX_MS = 60_000;

interface StoredKey {
  readonly keyId: Uint8Array;
  readonly keyIdHex: string;
  readonly key: HybridPrivateKey;
  readonly createdAtMs: number;
}

export interface OnionKeyStoreOptions {
  readonly dir: string;
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  readonly rotationMs: number;
  /** How long a replaced key still opens layers; at least the life of a consensus that lists it. */
  readonly overlapMs: number;
  /** Called after a rotation or deletion, so the node can publish its new descriptor. */
  readonly onRotate?: () => void;
}

export interface OnionKeyStore extends OnionKeyRing {
  /** When the key named by `keyId` will be deleted (the replay cache keeps entries until then). */
  expiresAtMs(keyId: Uint8Array): number | undefined;
  /** Every key still held (newest first), for tests and metrics. */
  held(): readonly { keyId: Uint8Array; createdAtMs: number }[];
  /** Rotates and deletes as due now; returns true when the current key changed. */
  maintain(): boolean;
  start(): void;
  stop(): void;
}

export function openOnionKeyStore(options: OnionKeyStoreOptions): OnionKeyStore {
  const { crypto, now } = options;
  const dir = path.join(options.dir, 'onion-keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let keys: StoredKey[] = [];

  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    try {
      const json = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as { createdAtMs: number; key: string };
      const key = importHybridPrivateKey(crypto, fromHex(json.key));
      const keyId = onionKeyId(crypto, key.publicKey);
      keys.push({ keyId, keyIdHex: toHex(keyId), key, createdAtMs: json.createdAtMs });
    } catch (cause) {
      throw new SamizdatError('STORAGE_FAILED', `onion key file ${name} is damaged`, { cause });
    }
  }

  const add = (): StoredKey => {
    const key = generateHybridKeyPair(crypto);
    const keyId = onionKeyId(crypto, key.publicKey);
    const stored = { keyId, keyIdHex: toHex(keyId), key, createdAtMs: now() };
    // Written to a temporary name, synced, then renamed: a crash never leaves a half-written key.
    const file = path.join(dir, `${stored.keyIdHex}.json`);
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    try {
      writeSync(fd, JSON.stringify({ createdAtMs: stored.createdAtMs, key: toHex(exportHybridPrivateKey(crypto, key)) }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    keys.push(stored);
    return stored;
  };

  const sortNewestFirst = (): void => {
    keys.sort((a, b) => b.createdAtMs - a.createdAtMs);
  };

  const maintain = (): boolean => {
    sortNewestFirst();
    const t = now();
    let changed = false;
    const newest = keys[0];
    if (newest === undefined || t - newest.createdAtMs >= options.rotationMs) {
      add();
      sortNewestFirst();
      changed = true;
    }
    // A key stops being current when the next one is made; it is deleted overlapMs after that.
    const keep: StoredKey[] = [];
    keys.forEach((k, i) => {
      const replacedAt = i === 0 ? Infinity : (keys[i - 1]?.createdAtMs ?? Infinity);
      if (t - replacedAt >= options.overlapMs) {
        rmSync(path.join(dir, `${k.keyIdHex}.json`), { force: true });
        changed = true;
      } else {
        keep.push(k);
      }
    });
    keys = keep;
    return changed;
  };

  maintain();
  let timer: NodeJS.Timeout | undefined;

  /** When key i (newest first) is deleted: overlapMs after the next one replaced it. */
  const expiryOf = (i: number): number => {
    const replacedAt = i === 0 ? (keys[0]?.createdAtMs ?? 0) + options.rotationMs : (keys[i - 1]?.createdAtMs ?? 0);
    return replacedAt + options.overlapMs;
  };

  return {
    current() {
      const k = keys[0];
      if (k === undefined) throw new SamizdatError('INTERNAL', 'no onion key');
      return { keyId: k.keyId, key: k.key };
    },
    find(keyId: Uint8Array) {
      const hex = toHex(keyId);
      const i = keys.findIndex((k) => k.keyIdHex === hex);
      if (i < 0) return undefined;
      // Past its expiry a key is gone, whenever the maintenance timer next runs: the replay caches
      // forget layers made for it at that time (expiresAtMs), so it must not open any after.
      if (now() >= expiryOf(i)) {
        if (maintain()) options.onRotate?.();
        return undefined;
      }
      return keys[i]?.key;
    },
    expiresAtMs(keyId: Uint8Array) {
      const hex = toHex(keyId);
      const i = keys.findIndex((k) => k.keyIdHex === hex);
      return i < 0 ? undefined : expiryOf(i);
    },
    held: () => keys.map((k) => ({ keyId: k.keyId, createdAtMs: k.createdAtMs })),
    maintain,
    start() {
      const every = Math.max(250, Math.min(CHECK_INTERVAL_MAX_MS, options.rotationMs / 4, options.overlapMs / 4));
      timer = setInterval(() => {
        if (maintain()) options.onRotate?.();
      }, every);
      timer.unref();
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}
