/**
 * Onion key ids and the key ring a relay reads its private onion keys from (README "Keys").
 * The node keeps keys on disk with rotation (src/node/onion-key-store.ts); the in-memory ring
 * here is for tests and devnets. Pure; no I/O.
 */
import {
  HYBRID_CIPHERTEXT_LENGTH,
  HYBRID_PUBLIC_KEY_LENGTH,
  hybridDecapsulate,
  assertBytes,
  concatBytes,
  toHex,
  utf8,
  type CryptoProvider,
  type HybridPrivateKey,
} from '../crypto/index.ts';
import { SamizdatError } from '../errors.ts';

/** Length of a key id: the first 8 bytes of a SHA-256. */
export const ONION_KEY_ID_LENGTH = 8;

const KEY_ID_LABEL = utf8('samizdat/v1/onion-key-id');

/** key_id = first 8 bytes of SHA-256("samizdat/v1/onion-key-id" || hybrid public key). */
export function onionKeyId(crypto: CryptoProvider, hybridPublicKey: Uint8Array): Uint8Array {
  assertBytes('hybridPublicKey', hybridPublicKey, HYBRID_PUBLIC_KEY_LENGTH);
  return crypto.hash('sha256', concatBytes(KEY_ID_LABEL, hybridPublicKey)).slice(0, ONION_KEY_ID_LENGTH);
}

/**
 * The HKDF `info` binding a layer's keys to its onion key and KEM ciphertext:
 * key_id || SHA-256(kem ciphertext). The README's key_id || ciphertext is 1,128 bytes, over
 * HKDF-SHA256's 1,024-byte info limit in the provider (OpenSSL); hashing binds the same bytes.
 */
export function kdfInfo(crypto: CryptoProvider, keyId: Uint8Array, kemCiphertext: Uint8Array): Uint8Array {
  return concatBytes(keyId, crypto.hash('sha256', kemCiphertext));
}

/** Where a relay finds its onion private keys. */
export interface OnionKeyRing {
  /** The key published in the node's current descriptor. */
  current(): { keyId: Uint8Array; key: HybridPrivateKey };
  /** The key named by `keyId`, or undefined if unknown or already deleted. */
  find(keyId: Uint8Array): HybridPrivateKey | undefined;
  /**
   * Optional: when the key named by `keyId` will be deleted (ms since the epoch). The replay
   * cache keeps a layer's hash until then; without it the relay assumes
   * DEFAULT_REPLAY_TTL_MS (replay-cache.ts).
   */
  expiresAtMs?(keyId: Uint8Array): number | undefined;
}

/** One key set given to an in-memory ring. */
export interface OnionKeySet {
  readonly key: HybridPrivateKey;
  /** When the ring should report the key as deleted (default: never, for tests). */
  readonly expiresAtMs?: number;
}

/** An in-memory ring: the most recently added key is current; `retire` deletes one at once. */
export interface MemoryOnionKeyRing extends OnionKeyRing {
  expiresAtMs(keyId: Uint8Array): number | undefined;
  /** Adds a key set and makes it current; returns its key id. */
  add(set: OnionKeySet): Uint8Array;
  /** Forgets the key named by `keyId` (layers made for it then fail with BAD_KEY). */
  retire(keyId: Uint8Array): void;
}

interface Entry {
  readonly keyId: Uint8Array;
  readonly key: HybridPrivateKey;
  readonly expiresAtMs: number | undefined;
}

/** An in-memory OnionKeyRing holding `initial` (the last one current). */
export function createOnionKeyRing(crypto: CryptoProvider, initial: readonly OnionKeySet[]): MemoryOnionKeyRing {
  const entries = new Map<string, Entry>();
  let currentHex: string | undefined;
  const ring: MemoryOnionKeyRing = {
    current() {
      const entry = currentHex === undefined ? undefined : entries.get(currentHex);
      if (entry === undefined) throw new SamizdatError('BAD_KEY', 'the onion key ring holds no current key');
      return { keyId: entry.keyId, key: entry.key };
    },
    find(keyId) {
      return entries.get(toHex(keyId))?.key;
    },
    expiresAtMs(keyId) {
      return entries.get(toHex(keyId))?.expiresAtMs;
    },
    add(set) {
      const keyId = onionKeyId(crypto, set.key.publicKey);
      const hex = toHex(keyId);
      entries.set(hex, { keyId, key: set.key, expiresAtMs: set.expiresAtMs });
      currentHex = hex;
      return keyId;
    },
    retire(keyId) {
      const hex = toHex(keyId);
      entries.delete(hex);
      if (currentHex === hex) currentHex = [...entries.keys()].at(-1);
    },
  };
  for (const set of initial) ring.add(set);
  return ring;
}

/**
 * The hop side of every onion KEM (create layers and target layers alike): checks the key id and
 * ciphertext lengths (MALFORMED), finds the named key (BAD_KEY when unknown or retired) and
 * decapsulates the shared secret.
 */
export function decapsulateWithRing(crypto: CryptoProvider, ring: OnionKeyRing, keyId: Uint8Array, kemCiphertext: Uint8Array): Uint8Array {
  if (keyId.length !== ONION_KEY_ID_LENGTH) throw new SamizdatError('MALFORMED', `key_id must be ${ONION_KEY_ID_LENGTH} bytes`);
  if (kemCiphertext.length !== HYBRID_CIPHERTEXT_LENGTH) {
    throw new SamizdatError('MALFORMED', `kem_ciphertext must be ${HYBRID_CIPHERTEXT_LENGTH} bytes`);
  }
  const key = ring.find(keyId);
  if (key === undefined) throw new SamizdatError('BAD_KEY', 'unknown or retired onion key id');
  return hybridDecapsulate(crypto, key, kemCiphertext);
}
