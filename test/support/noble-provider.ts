/**
 * A second CryptoProvider on the pure-JavaScript @noble libraries, for differential tests and the
 * crypto benchmark. It is never used by the product: it exists so every primitive of the native
 * provider (src/crypto/node-provider.ts, OpenSSL) can be checked against an independent one.
 *
 * Libraries: @noble/curves (X25519, Ed25519), @noble/post-quantum (ML-KEM-768), @noble/hashes
 * (SHA-2, SHA-3, HMAC, HKDF, Argon2id) and @noble/ciphers (AES-256-GCM). @noble/ciphers is present
 * as a dependency of @noble/post-quantum; it is not (yet) a direct devDependency.
 *
 * It mirrors the native provider's contract: inputs asserted first, every failure a SamizdatError
 * with the same code, Ed25519 verification strict as in RFC 8032 (`zip215: false`), X25519
 * refusing an all-zero shared secret (RFC 7748 §6.1).
 */
import { gcm } from '@noble/ciphers/aes.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { argon2id } from '@noble/hashes/argon2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { SamizdatError } from '../../src/errors.ts';
import { assertBytes } from '../../src/crypto/bytes.ts';
import {
  SIZES,
  type AeadKey,
  type CryptoProvider,
  type HashAlgorithm,
  type HkdfHash,
  type KemEncapsulation,
  type KeyAlgorithm,
  type PasswordKdfParams,
  type PrivateKey,
} from '../../src/crypto/provider.ts';

const PRIVATE_LENGTH: Readonly<Record<KeyAlgorithm, number>> = { x25519: 32, ed25519: 32, 'ml-kem-768': 64 };
const PUBLIC_LENGTH: Readonly<Record<KeyAlgorithm, number>> = { x25519: 32, ed25519: 32, 'ml-kem-768': 1184 };

/** A private key held as raw bytes (plus the expanded ML-KEM decapsulation key). */
class NoblePrivateKey implements PrivateKey {
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: Uint8Array;
  readonly raw: Uint8Array;
  /** The 2,400-byte expanded ML-KEM decapsulation key; empty for the curve algorithms. */
  readonly expanded: Uint8Array;

  constructor(algorithm: KeyAlgorithm, raw: Uint8Array) {
    this.algorithm = algorithm;
    this.raw = Uint8Array.from(raw);
    if (algorithm === 'ml-kem-768') {
      const { publicKey, secretKey } = ml_kem768.keygen(this.raw);
      this.publicKey = publicKey;
      this.expanded = secretKey;
    } else {
      this.publicKey = algorithm === 'x25519' ? x25519.getPublicKey(this.raw) : ed25519.getPublicKey(this.raw);
      this.expanded = new Uint8Array(0);
    }
  }
}

function assertAlgorithm(algorithm: unknown): asserts algorithm is KeyAlgorithm {
  if (algorithm !== 'x25519' && algorithm !== 'ed25519' && algorithm !== 'ml-kem-768') {
    throw new SamizdatError('INVALID_ARGUMENT', `unknown key algorithm: ${String(algorithm)}`);
  }
}

/** The provider's own key object; `algorithm` undefined accepts any algorithm. */
function ownKey(key: PrivateKey, algorithm?: KeyAlgorithm): NoblePrivateKey {
  if (!(key instanceof NoblePrivateKey)) {
    throw new SamizdatError('INVALID_ARGUMENT', 'privateKey was not created by the noble provider');
  }
  if (algorithm !== undefined && key.algorithm !== algorithm) {
    throw new SamizdatError('INVALID_ARGUMENT', `privateKey must be ${algorithm}, got ${key.algorithm}`);
  }
  return key;
}

function assertPublicKey(algorithm: KeyAlgorithm, raw: unknown): asserts raw is Uint8Array {
  assertBytes('publicKey', raw);
  if (raw.length !== PUBLIC_LENGTH[algorithm]) {
    throw new SamizdatError('BAD_KEY', `${algorithm} public key must be ${PUBLIC_LENGTH[algorithm]} bytes, got ${raw.length}`);
  }
}

/** A noble hash function with its output length (the shape hmac and hkdf take). */
type NobleHash = typeof sha256 | typeof sha512;

function hashFn(algorithm: HkdfHash): NobleHash {
  if (algorithm === 'sha256') return sha256;
  if (algorithm === 'sha512') return sha512;
  throw new SamizdatError('INVALID_ARGUMENT', `unknown hash: ${String(algorithm)}`);
}

/** A prepared key of this provider: a private copy of its bytes. */
class NobleAeadKey implements AeadKey {
  readonly algorithm = 'aes-256-gcm';
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = Uint8Array.from(bytes);
  }
}

/** The raw bytes of a prepared key or of checked raw bytes; the nonce checked. */
function aeadKeyBytes(key: Uint8Array | AeadKey, nonce: Uint8Array): Uint8Array {
  assertBytes('nonce', nonce, SIZES.aesNonce);
  if (key instanceof NobleAeadKey) return key.bytes;
  if (!(key instanceof Uint8Array)) throw new SamizdatError('INVALID_ARGUMENT', 'key must be 32 bytes or a key made by this provider');
  assertBytes('key', key, SIZES.aesKey);
  return key;
}

/** Creates the @noble provider. */
export function createNobleCryptoProvider(): CryptoProvider {
  return {
    name: 'noble',

    randomBytes(length: number): Uint8Array {
      if (!Number.isInteger(length) || length < 0 || length > 65536) {
        throw new SamizdatError('INVALID_ARGUMENT', 'length must be an integer in 0..65536');
      }
      return randomBytes(length);
    },

    hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
      assertBytes('data', data);
      if (algorithm === 'sha3-256') return sha3_256(data);
      return hashFn(algorithm)(data);
    },

    hmac(algorithm: HkdfHash, key: Uint8Array, data: Uint8Array): Uint8Array {
      assertBytes('key', key);
      assertBytes('data', data);
      return hmac(hashFn(algorithm), key, data);
    },

    hkdf(algorithm: HkdfHash, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
      assertBytes('ikm', ikm);
      assertBytes('salt', salt);
      assertBytes('info', info);
      const hash = hashFn(algorithm);
      const max = hash.outputLen * 255;
      if (!Number.isInteger(length) || length < 1 || length > max) {
        throw new SamizdatError('INVALID_ARGUMENT', `length must be in 1..${max}`);
      }
      if (info.length > 1024) throw new SamizdatError('INVALID_ARGUMENT', 'info must be at most 1024 bytes');
      return hkdf(hash, ikm, salt, info, length);
    },

    generateKey(algorithm: KeyAlgorithm): PrivateKey {
      assertAlgorithm(algorithm);
      return new NoblePrivateKey(algorithm, randomBytes(PRIVATE_LENGTH[algorithm]));
    },

    importPrivateKey(algorithm: KeyAlgorithm, raw: Uint8Array): PrivateKey {
      assertAlgorithm(algorithm);
      assertBytes('raw', raw);
      if (raw.length !== PRIVATE_LENGTH[algorithm]) {
        throw new SamizdatError('BAD_KEY', `${algorithm} private key must be ${PRIVATE_LENGTH[algorithm]} bytes, got ${raw.length}`);
      }
      return new NoblePrivateKey(algorithm, raw);
    },

    exportPrivateKey(key: PrivateKey): Uint8Array {
      return Uint8Array.from(ownKey(key).raw);
    },

    x25519(privateKey: PrivateKey, peerPublicKey: Uint8Array): Uint8Array {
      const own = ownKey(privateKey, 'x25519');
      assertPublicKey('x25519', peerPublicKey);
      try {
        return x25519.getSharedSecret(own.raw, peerPublicKey);
      } catch (cause) {
        // noble refuses an all-zero result, as OpenSSL does (RFC 7748 §6.1).
        throw new SamizdatError('BAD_KEY', 'X25519 with this public key gives an all-zero secret', { cause });
      }
    },

    sign(privateKey: PrivateKey, message: Uint8Array): Uint8Array {
      const own = ownKey(privateKey, 'ed25519');
      assertBytes('message', message);
      return ed25519.sign(message, own.raw);
    },

    verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      assertBytes('message', message);
      if (!(publicKey instanceof Uint8Array) || publicKey.length !== SIZES.ed25519PublicKey) return false;
      if (!(signature instanceof Uint8Array) || signature.length !== SIZES.ed25519Signature) return false;
      try {
        return ed25519.verify(signature, message, publicKey, { zip215: false });
      } catch {
        return false;
      }
    },

    mlKemEncapsulate(publicKey: Uint8Array): KemEncapsulation {
      assertPublicKey('ml-kem-768', publicKey);
      try {
        const { sharedSecret, cipherText } = ml_kem768.encapsulate(publicKey);
        return { sharedSecret, ciphertext: cipherText };
      } catch (cause) {
        throw new SamizdatError('BAD_KEY', 'ML-KEM-768 encapsulation key failed its check', { cause });
      }
    },

    mlKemDecapsulate(privateKey: PrivateKey, ciphertext: Uint8Array): Uint8Array {
      const own = ownKey(privateKey, 'ml-kem-768');
      assertBytes('ciphertext', ciphertext);
      if (ciphertext.length !== SIZES.mlKemCiphertext) {
        throw new SamizdatError('MALFORMED', `ciphertext must be ${SIZES.mlKemCiphertext} bytes, got ${ciphertext.length}`);
      }
      return ml_kem768.decapsulate(ciphertext, own.expanded);
    },

    aesGcmKey(key: Uint8Array): AeadKey {
      assertBytes('key', key, SIZES.aesKey);
      return new NobleAeadKey(key);
    },

    aesGcmSeal(key: Uint8Array | AeadKey, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
      const bytes = aeadKeyBytes(key, nonce);
      assertBytes('plaintext', plaintext);
      assertBytes('aad', aad);
      return gcm(bytes, nonce, aad).encrypt(plaintext);
    },

    aesGcmOpen(key: Uint8Array | AeadKey, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
      const bytes = aeadKeyBytes(key, nonce);
      assertBytes('sealed', sealed);
      assertBytes('aad', aad);
      if (sealed.length < SIZES.aesTag) throw new SamizdatError('DECRYPT_FAILED', 'ciphertext is shorter than its tag');
      try {
        return gcm(bytes, nonce, aad).decrypt(sealed);
      } catch (cause) {
        throw new SamizdatError('DECRYPT_FAILED', 'authenticated decryption failed', { cause });
      }
    },

    passwordKdf(password: Uint8Array, salt: Uint8Array, params: PasswordKdfParams, length: number): Uint8Array {
      assertBytes('password', password);
      assertBytes('salt', salt);
      if (salt.length < 16) throw new SamizdatError('INVALID_ARGUMENT', 'salt must be at least 16 bytes');
      if (!Number.isInteger(length) || length < 16 || length > 64) {
        throw new SamizdatError('INVALID_ARGUMENT', 'length must be in 16..64');
      }
      try {
        return argon2id(password, salt, { m: params.memoryKiB, t: params.passes, p: params.parallelism, dkLen: length });
      } catch (cause) {
        throw new SamizdatError('INVALID_ARGUMENT', 'invalid Argon2id parameters', { cause });
      }
    },

    constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
      assertBytes('a', a);
      assertBytes('b', b);
      if (a.length !== b.length) return false;
      let diff = 0;
      for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
      return diff === 0;
    },
  };
}

/** ML-KEM-768 encapsulation with caller-chosen randomness `m` (for the FIPS 203 / Wycheproof vectors). */
export function nobleMlKemEncapsulateWith(publicKey: Uint8Array, m: Uint8Array): KemEncapsulation {
  const { sharedSecret, cipherText } = ml_kem768.encapsulate(publicKey, m);
  return { sharedSecret, ciphertext: cipherText };
}

/** ML-KEM-768 decapsulation with an expanded (2,400-byte) decapsulation key, which our providers never import. */
export function nobleMlKemDecapsulateExpanded(expandedKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return ml_kem768.decapsulate(ciphertext, expandedKey);
}

/** The expanded decapsulation key of a noble ML-KEM private key (for keygen vectors). */
export function nobleExpandedMlKemKey(key: PrivateKey): Uint8Array {
  return ownKey(key, 'ml-kem-768').expanded;
}
