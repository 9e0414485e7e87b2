/**
 * Hybrid KEM: X25519 + ML-KEM-768, in the style of X-Wing (draft-connolly-cfrg-xwing-kem), over a
 * CryptoProvider. Secure as long as either X25519 or ML-KEM-768 is: recorded traffic stays closed
 * to a future quantum computer, and a flaw in the young ML-KEM code cannot weaken it below X25519.
 *
 * Formats (all lengths fixed):
 *   public key   = pk_X (32, X25519) || pk_M (1,184, ML-KEM-768 encapsulation key)       1,216 bytes
 *   private key  = sk_X (32, X25519 scalar) || sk_M (64, ML-KEM-768 seed d || z)            96 bytes
 *   ciphertext   = ct_X (32, ephemeral X25519 public key) || ct_M (1,088, ML-KEM ciphertext) 1,120 bytes
 *   shared secret                                                                           32 bytes
 *
 * A key pair can also be derived from one 32-byte seed (`deriveHybridKeyPair`):
 *   sk_X || sk_M = HKDF-SHA-512(ikm = seed, salt = "", info = SEED_LABEL, 96 bytes)
 * X-Wing expands its seed with SHAKE-256; the provider offers HKDF, which is an equally good PRF
 * here, so we use it and keep the provider small.
 *
 * Combiner (the exact formula):
 *   ss = SHA3-256(LABEL || ss_M || ss_X || ct_X || pk_X || ct_M || pk_M)
 * where LABEL is the 24 ASCII bytes "samizdat/hybrid-kem/v1/\x00" (COMBINER_LABEL below),
 * ss_X = X25519(eph, pk_X) and ss_M = ML-KEM-768 shared secret.
 *
 * Why it is at least as strong as X-Wing: X-Wing hashes SHA3-256(ss_M || ss_X || ct_X || pk_X ||
 * label). Ours hashes the same secret and public inputs plus ct_M and pk_M, under a distinct label.
 * Every field has a fixed length, so the encoding is injective and nothing can be shifted between
 * fields. With SHA3-256 as a random oracle, the output is uniform unless the adversary knows both
 * ss_M and ss_X, exactly as in X-Wing's proof; adding public values to the hash cannot help an
 * adversary. Hashing ct_M and pk_M as well makes the combiner the generic one (binding every
 * ciphertext and public key, as in Giacon-Heuer-Poettering and the KitchenSink combiner), so its
 * security no longer relies on ML-KEM's ciphertext-collision resistance (C2PRI), the extra
 * assumption X-Wing uses to leave them out. The cost is one SHA3 pass over 2.3 KB (~10 µs).
 */
import { SamizdatError } from '../errors.ts';
import { assertBytes, concatBytes, utf8 } from './bytes.ts';
import { SIZES, type CryptoProvider, type KemEncapsulation, type PrivateKey } from './provider.ts';

export const HYBRID_PUBLIC_KEY_LENGTH = SIZES.x25519PublicKey + SIZES.mlKemPublicKey; // 1,216
export const HYBRID_PRIVATE_KEY_LENGTH = SIZES.x25519PrivateKey + SIZES.mlKemPrivateSeed; // 96
export const HYBRID_CIPHERTEXT_LENGTH = SIZES.x25519PublicKey + SIZES.mlKemCiphertext; // 1,120
export const HYBRID_SHARED_SECRET_LENGTH = 32;
export const HYBRID_SEED_LENGTH = 32;

/** Domain label of the combiner: fixed length, versioned, NUL-terminated. */
export const COMBINER_LABEL: Uint8Array = utf8('samizdat/hybrid-kem/v1/\u0000');
/** HKDF info for deriving a key pair from a 32-byte seed. */
export const SEED_LABEL: Uint8Array = utf8('samizdat/hybrid-kem/v1/keygen');

/** A hybrid private key: the two component keys, held by the provider that made them. */
export interface HybridPrivateKey {
  readonly x25519: PrivateKey;
  readonly mlKem: PrivateKey;
  /** pk_X || pk_M, 1,216 bytes. */
  readonly publicKey: Uint8Array;
}

function fromParts(x25519: PrivateKey, mlKem: PrivateKey): HybridPrivateKey {
  return { x25519, mlKem, publicKey: concatBytes(x25519.publicKey, mlKem.publicKey) };
}

/** A fresh random hybrid key pair. */
export function generateHybridKeyPair(provider: CryptoProvider): HybridPrivateKey {
  return fromParts(provider.generateKey('x25519'), provider.generateKey('ml-kem-768'));
}

/** Builds a hybrid key from its 96-byte raw form sk_X || sk_M; BAD_KEY on a wrong length. */
export function importHybridPrivateKey(provider: CryptoProvider, raw: Uint8Array): HybridPrivateKey {
  assertBytes('raw', raw);
  if (raw.length !== HYBRID_PRIVATE_KEY_LENGTH) {
    throw new SamizdatError('BAD_KEY', `hybrid private key must be ${HYBRID_PRIVATE_KEY_LENGTH} bytes, got ${raw.length}`);
  }
  const x25519 = provider.importPrivateKey('x25519', raw.subarray(0, SIZES.x25519PrivateKey));
  const mlKem = provider.importPrivateKey('ml-kem-768', raw.subarray(SIZES.x25519PrivateKey));
  return fromParts(x25519, mlKem);
}

function assertHybridKey(key: unknown): asserts key is HybridPrivateKey {
  if (typeof key !== 'object' || key === null || !('x25519' in key) || !('mlKem' in key)) {
    throw new SamizdatError('INVALID_ARGUMENT', 'key must be a HybridPrivateKey');
  }
}

/** The 96-byte raw form sk_X || sk_M, for encrypted storage. Handle with care. */
export function exportHybridPrivateKey(provider: CryptoProvider, key: HybridPrivateKey): Uint8Array {
  assertHybridKey(key);
  return concatBytes(provider.exportPrivateKey(key.x25519), provider.exportPrivateKey(key.mlKem));
}

/** Derives a hybrid key pair deterministically from a 32-byte secret seed (see the module comment). */
export function deriveHybridKeyPair(provider: CryptoProvider, seed: Uint8Array): HybridPrivateKey {
  assertBytes('seed', seed, HYBRID_SEED_LENGTH);
  const raw = provider.hkdf('sha512', seed, new Uint8Array(0), SEED_LABEL, HYBRID_PRIVATE_KEY_LENGTH);
  return importHybridPrivateKey(provider, raw);
}

/** Splits a hybrid public key; BAD_KEY on a wrong length. */
function splitPublicKey(publicKey: Uint8Array): { pkX: Uint8Array; pkM: Uint8Array } {
  assertBytes('publicKey', publicKey);
  if (publicKey.length !== HYBRID_PUBLIC_KEY_LENGTH) {
    throw new SamizdatError('BAD_KEY', `hybrid public key must be ${HYBRID_PUBLIC_KEY_LENGTH} bytes, got ${publicKey.length}`);
  }
  return { pkX: publicKey.subarray(0, SIZES.x25519PublicKey), pkM: publicKey.subarray(SIZES.x25519PublicKey) };
}

/** The combiner of the module comment. */
function combine(
  provider: CryptoProvider,
  ssM: Uint8Array,
  ssX: Uint8Array,
  ctX: Uint8Array,
  pkX: Uint8Array,
  ctM: Uint8Array,
  pkM: Uint8Array,
): Uint8Array {
  return provider.hash('sha3-256', concatBytes(COMBINER_LABEL, ssM, ssX, ctX, pkX, ctM, pkM));
}

/**
 * Encapsulates to a hybrid public key: a fresh 32-byte shared secret and the 1,120-byte
 * ciphertext that carries it. BAD_KEY when the key has the wrong length, the ML-KEM part fails
 * the FIPS 203 modulus check, or the X25519 part is a low-order point.
 */
export function hybridEncapsulate(provider: CryptoProvider, publicKey: Uint8Array): KemEncapsulation {
  const { pkX, pkM } = splitPublicKey(publicKey);
  const ml = provider.mlKemEncapsulate(pkM);
  const ephemeral = provider.generateKey('x25519');
  const ssX = provider.x25519(ephemeral, pkX);
  const ctX = ephemeral.publicKey;
  const sharedSecret = combine(provider, ml.sharedSecret, ssX, ctX, pkX, ml.ciphertext, pkM);
  return { sharedSecret, ciphertext: concatBytes(ctX, ml.ciphertext) };
}

/**
 * Decapsulates a hybrid ciphertext. MALFORMED when it has the wrong length; BAD_KEY when its X25519
 * part is a low-order point. A tampered ML-KEM part gives an unrelated secret (implicit rejection),
 * so a tampered ciphertext shows up as a failed AEAD open on the first message.
 */
export function hybridDecapsulate(provider: CryptoProvider, key: HybridPrivateKey, ciphertext: Uint8Array): Uint8Array {
  assertHybridKey(key);
  assertBytes('ciphertext', ciphertext);
  if (ciphertext.length !== HYBRID_CIPHERTEXT_LENGTH) {
    throw new SamizdatError('MALFORMED', `hybrid ciphertext must be ${HYBRID_CIPHERTEXT_LENGTH} bytes, got ${ciphertext.length}`);
  }
  const ctX = ciphertext.subarray(0, SIZES.x25519PublicKey);
  const ctM = ciphertext.subarray(SIZES.x25519PublicKey);
  const ssM = provider.mlKemDecapsulate(key.mlKem, ctM);
  const ssX = provider.x25519(key.x25519, ctX, 'once'); // the sender's ephemeral
  return combine(provider, ssM, ssX, ctX, key.x25519.publicKey, ctM, key.mlKem.publicKey);
}
