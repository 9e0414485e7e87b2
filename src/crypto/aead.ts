/**
 * AES-256-GCM with nonces that cannot repeat under one key.
 *
 * Two ways to use it:
 *  - `createAeadSealer(provider, key)`: for a key that seals many messages (a ratchet chain, a
 *    profile store, a session). The sealer keeps a 64-bit counter; nonce = 4-byte prefix || 8-byte
 *    big-endian counter (the "deterministic construction" of NIST SP 800-38D §8.2.1). The output
 *    carries its nonce, so `openAead` needs no state. The sealer refuses to seal more than
 *    MAX_MESSAGES_PER_KEY messages (NONCE_EXHAUSTED); rekey before that.
 *  - `sealWithFreshKey` / `openWithFreshKey`: for a key used for exactly one message (an onion
 *    layer or sealed envelope keyed by a fresh KEM secret). The nonce is all zeros and is not sent:
 *    with a key that never seals twice, a fixed nonce is safe and saves 12 bytes per layer.
 *
 * Sealed format of the sealer: nonce (12) || ciphertext || tag (16).
 */
import { SamizdatError } from '../errors.ts';
import { assertBytes, concatBytes, u64be } from './bytes.ts';
import { SIZES, type CryptoProvider } from './provider.ts';

/** Length of the fixed nonce prefix; the other 8 bytes of the 12-byte nonce are the counter. */
export const AEAD_NONCE_PREFIX_LENGTH = 4;
/** Bytes a sealer adds to a plaintext: the nonce in front and the tag behind. */
export const AEAD_OVERHEAD = SIZES.aesNonce + SIZES.aesTag;
/** Bytes `sealWithFreshKey` adds: the tag only. */
export const FRESH_KEY_OVERHEAD = SIZES.aesTag;

/**
 * Messages one sealer may seal under one key: 2^32. NIST SP 800-38D §8.3 caps the invocations of
 * GCM under one key at 2^32 wherever a nonce could repeat by chance; our counter nonces cannot
 * repeat until 2^64, but we keep the 2^32 cap as a margin (it also bounds the data under one key
 * far below GCM's 2^64-block confidentiality limits). A key that seals 4 billion messages is long
 * overdue for rotation anyway.
 */
export const MAX_MESSAGES_PER_KEY = 2 ** 32;

const EMPTY = new Uint8Array(0);
const ZERO_NONCE = new Uint8Array(SIZES.aesNonce);

export interface AeadSealerOptions {
  /**
   * The 4-byte nonce prefix (default all zeros). Give each sender that shares a key its own
   * prefix (for example 0x00000000 for the initiator and 0x00000001 for the responder); two
   * sealers with the same key and prefix would repeat nonces.
   */
  readonly prefix?: Uint8Array;
  /** Messages allowed before NONCE_EXHAUSTED; at most MAX_MESSAGES_PER_KEY (lowered in tests). */
  readonly maxMessages?: number;
}

export interface AeadSealer {
  /** Seals `plaintext` (with optional associated data) under the next nonce. */
  seal(plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  /** How many messages this sealer has sealed. */
  readonly sealedCount: number;
  /** How many more it may seal before NONCE_EXHAUSTED. */
  readonly remaining: number;
}

/** Creates a counter-nonce sealer for one 32-byte key. */
export function createAeadSealer(provider: CryptoProvider, key: Uint8Array, options: AeadSealerOptions = {}): AeadSealer {
  assertBytes('key', key, SIZES.aesKey);
  const prefix = options.prefix ?? new Uint8Array(AEAD_NONCE_PREFIX_LENGTH);
  assertBytes('prefix', prefix, AEAD_NONCE_PREFIX_LENGTH);
  const limit = options.maxMessages ?? MAX_MESSAGES_PER_KEY;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_MESSAGES_PER_KEY) {
    throw new SamizdatError('INVALID_ARGUMENT', `maxMessages must be an integer in 1..${MAX_MESSAGES_PER_KEY}`);
  }
  // Private copies: a caller mutating its arrays later cannot rewind or change our nonces.
  const ownKey = Uint8Array.from(key);
  const ownPrefix = Uint8Array.from(prefix);
  let counter = 0;

  return {
    seal(plaintext: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
      assertBytes('plaintext', plaintext);
      assertBytes('aad', aad);
      if (counter >= limit) {
        throw new SamizdatError('NONCE_EXHAUSTED', 'this key has sealed its maximum number of messages; rekey', {
          detail: { limit },
        });
      }
      const nonce = concatBytes(ownPrefix, u64be(BigInt(counter)));
      counter += 1; // before sealing: a nonce is never handed out twice, even if sealing throws
      return concatBytes(nonce, provider.aesGcmSeal(ownKey, nonce, plaintext, aad));
    },
    get sealedCount(): number {
      return counter;
    },
    get remaining(): number {
      return limit - counter;
    },
  };
}

/** Opens the output of an AeadSealer; DECRYPT_FAILED when it is too short, tampered or under another key. */
export function openAead(provider: CryptoProvider, key: Uint8Array, sealed: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
  assertBytes('key', key, SIZES.aesKey);
  assertBytes('sealed', sealed);
  assertBytes('aad', aad);
  if (sealed.length < AEAD_OVERHEAD) {
    throw new SamizdatError('DECRYPT_FAILED', `sealed message must be at least ${AEAD_OVERHEAD} bytes`);
  }
  return provider.aesGcmOpen(key, sealed.subarray(0, SIZES.aesNonce), sealed.subarray(SIZES.aesNonce), aad);
}

/**
 * Seals one message under a key that is used for this message only (derived from a fresh KEM
 * secret, for example). Output: ciphertext || tag. NEVER call it twice with the same key.
 */
export function sealWithFreshKey(provider: CryptoProvider, key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
  return provider.aesGcmSeal(key, ZERO_NONCE, plaintext, aad);
}

/** Opens the output of `sealWithFreshKey`; DECRYPT_FAILED on any authentication failure. */
export function openWithFreshKey(provider: CryptoProvider, key: Uint8Array, sealed: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
  return provider.aesGcmOpen(key, ZERO_NONCE, sealed, aad);
}
