/**
 * The crypto provider: the only door to cryptographic primitives in Samizdat. Every other layer
 * receives a CryptoProvider and never touches `node:crypto` or a crypto library directly, so the
 * native implementation (node-provider.ts, OpenSSL) can be swapped or checked against a second one
 * (@noble, in the tests) without touching protocol code.
 *
 * Conventions: all inputs are asserted first and named in the error; all failures are
 * SamizdatErrors with a stable code; raw key formats are the ones of the RFCs and FIPS 203:
 *   X25519 private 32 bytes (RFC 7748 scalar), public 32 bytes;
 *   Ed25519 private 32-byte seed (RFC 8032), public 32 bytes, signature 64 bytes;
 *   ML-KEM-768 private 64-byte seed d||z (FIPS 203), public 1,184 bytes, ciphertext 1,088 bytes.
 */

export type KeyAlgorithm = 'x25519' | 'ed25519' | 'ml-kem-768';
export type HashAlgorithm = 'sha256' | 'sha512' | 'sha3-256';
export type HkdfHash = 'sha256' | 'sha512';

/**
 * A private key held by a provider. Opaque: the native provider keeps a `KeyObject` inside, so
 * the secret stays in OpenSSL memory until exported on purpose with `exportPrivateKey`.
 * A provider accepts only the private keys it created.
 */
export interface PrivateKey {
  readonly algorithm: KeyAlgorithm;
  /** The raw public key (32 bytes for X25519/Ed25519, 1,184 bytes for ML-KEM-768). */
  readonly publicKey: Uint8Array;
}

/** A symmetric key made by `aesGcmKey` of the same provider; opaque, its bytes stay inside. */
export interface AeadKey {
  readonly algorithm: 'aes-256-gcm';
}

/**
 * How often the caller will use a peer's public key. A provider may keep 'reused' keys (onion
 * keys, identity keys, prekeys) imported for the next call; a 'once' key (the ephemeral of an
 * onion layer, a ratchet turn's key) is imported for this call only, so it never pushes a reused
 * key out of that cache nor keeps memory alive after the call. Only speed depends on it.
 */
export type PeerKeyUse = 'reused' | 'once';

export interface KemEncapsulation {
  readonly sharedSecret: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** Parameters of the memory-hard password KDF (Argon2id, RFC 9106). */
export interface PasswordKdfParams {
  /** Memory in KiB. */
  readonly memoryKiB: number;
  /** Number of passes. */
  readonly passes: number;
  /** Degree of parallelism. */
  readonly parallelism: number;
}

export interface CryptoProvider {
  /** A short name for reports and benchmarks, e.g. "node" or "noble". */
  readonly name: string;

  /** `length` bytes from a cryptographically secure generator. */
  randomBytes(length: number): Uint8Array;
  hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array;
  hmac(algorithm: HkdfHash, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF (RFC 5869) extract-and-expand. */
  hkdf(algorithm: HkdfHash, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;

  generateKey(algorithm: KeyAlgorithm): PrivateKey;
  /** Builds a private key from its raw form (see the module comment); BAD_KEY if malformed. */
  importPrivateKey(algorithm: KeyAlgorithm, raw: Uint8Array): PrivateKey;
  /** The raw form of a private key, for encrypted storage. Handle with care. */
  exportPrivateKey(key: PrivateKey): Uint8Array;

  /**
   * X25519 (RFC 7748). BAD_KEY when the result is all zeros (a low-order peer point). `use`
   * (default 'reused'): see PeerKeyUse.
   */
  x25519(privateKey: PrivateKey, peerPublicKey: Uint8Array, use?: PeerKeyUse): Uint8Array;

  /** Ed25519 (RFC 8032) signature over `message`. */
  sign(privateKey: PrivateKey, message: Uint8Array): Uint8Array;
  /** Ed25519 verification; false for any invalid signature or key, never throws on bad bytes. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;

  /**
   * ML-KEM-768 (FIPS 203) encapsulation to a raw public key; BAD_KEY if it fails the check.
   * `use` (default 'reused'): see PeerKeyUse.
   */
  mlKemEncapsulate(publicKey: Uint8Array, use?: PeerKeyUse): KemEncapsulation;
  /** ML-KEM-768 decapsulation (implicit rejection: a bad ciphertext gives a pseudorandom key). */
  mlKemDecapsulate(privateKey: PrivateKey, ciphertext: Uint8Array): Uint8Array;

  /**
   * An AES-256-GCM key prepared once for the many seals and opens of a key that stays (a
   * circuit's layer keys): preparing raw key bytes on every call costs about as much as sealing a
   * few KB. Holds its own copy of the key; INVALID_ARGUMENT unless 32 bytes.
   */
  aesGcmKey(key: Uint8Array): AeadKey;
  /** AES-256-GCM seal: returns ciphertext || 16-byte tag. Use an AeadSealer for nonces. */
  aesGcmSeal(key: Uint8Array | AeadKey, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** AES-256-GCM open; DECRYPT_FAILED on any authentication failure. */
  aesGcmOpen(key: Uint8Array | AeadKey, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array;

  /** Argon2id (RFC 9106) password hashing, for keys derived from a passphrase. */
  passwordKdf(password: Uint8Array, salt: Uint8Array, params: PasswordKdfParams, length: number): Uint8Array;

  /** Constant-time equality of two byte arrays (false at once when lengths differ). */
  constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean;
}

/** Sizes fixed by the primitives (RFC 7748, RFC 8032, FIPS 203, SP 800-38D). */
export const SIZES = {
  x25519PublicKey: 32,
  x25519PrivateKey: 32,
  ed25519PublicKey: 32,
  ed25519PrivateKey: 32,
  ed25519Signature: 64,
  mlKemPublicKey: 1184,
  mlKemPrivateSeed: 64,
  mlKemCiphertext: 1088,
  mlKemSharedSecret: 32,
  aesKey: 32,
  aesNonce: 12,
  aesTag: 16,
} as const;
