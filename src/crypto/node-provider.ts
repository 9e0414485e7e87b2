/**
 * The native crypto provider, on `node:crypto` (OpenSSL 3.5 in Node 24). Own private keys stay
 * inside `KeyObject`s; peers' raw public keys are imported through fixed DER prefixes (der.ts) and
 * kept in a per-provider cache (node-public-keys.ts).
 */
import * as nodeCrypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SamizdatError } from '../errors.ts';
import { assertBytes, concatBytes } from './bytes.ts';
import { PublicKeyCache } from './node-public-keys.ts';
import { PKCS8_PREFIX, RAW_PRIVATE_LENGTH, RAW_PUBLIC_LENGTH } from './der.ts';
import {
  SIZES,
  type AeadKey,
  type CryptoProvider,
  type HashAlgorithm,
  type HkdfHash,
  type KemEncapsulation,
  type KeyAlgorithm,
  type PasswordKdfParams,
  type PeerKeyUse,
  type PrivateKey,
} from './provider.ts';

const ALGORITHMS: readonly KeyAlgorithm[] = ['x25519', 'ed25519', 'ml-kem-768'];

/**
 * Raw public key of a KeyObject (private or public). Node 24's `raw-public` export reads the key
 * straight from OpenSSL; an SPKI DER export runs OpenSSL's encoder framework, which cost about as
 * much as generating an X25519 key (the keygen rows of `npm run bench -- crypto` rose by half or
 * more when key generation stopped asking for DER).
 */
function rawPublic(key: KeyObject): Uint8Array {
  const publicKey = key.type === 'public' ? key : nodeCrypto.createPublicKey(key);
  return new Uint8Array(publicKey.export({ format: 'raw-public' }));
}

/** A private key held as an OpenSSL KeyObject. */
class NodePrivateKey implements PrivateKey {
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: Uint8Array;
  readonly keyObject: KeyObject;

  /** `publicKey`: the public half when the caller already has it (a fresh pair). */
  constructor(algorithm: KeyAlgorithm, keyObject: KeyObject, publicKey?: KeyObject) {
    this.algorithm = algorithm;
    this.keyObject = keyObject;
    this.publicKey = rawPublic(publicKey ?? keyObject);
    if (this.publicKey.length !== RAW_PUBLIC_LENGTH[algorithm]) {
      throw new SamizdatError('INTERNAL', `${algorithm} public key has ${this.publicKey.length} bytes`);
    }
  }
}

function assertAlgorithm(algorithm: unknown): asserts algorithm is KeyAlgorithm {
  if (!ALGORITHMS.includes(algorithm as KeyAlgorithm)) {
    throw new SamizdatError('INVALID_ARGUMENT', `unknown key algorithm: ${String(algorithm)}`);
  }
}

/** The provider's own key object; `algorithm` undefined accepts any algorithm. */
function ownKey(key: PrivateKey, algorithm?: KeyAlgorithm): NodePrivateKey {
  if (!(key instanceof NodePrivateKey)) {
    throw new SamizdatError('INVALID_ARGUMENT', 'privateKey was not created by the node provider');
  }
  if (algorithm !== undefined && key.algorithm !== algorithm) {
    throw new SamizdatError('INVALID_ARGUMENT', `privateKey must be ${algorithm}, got ${key.algorithm}`);
  }
  return key;
}

/**
 * Raw secret key bytes as a KeyObject for this one call. On Node 24, createCipheriv and hkdfSync
 * handed a KeyObject run about 3.5x faster than handed bytes: the bytes path spends most of its
 * time in type checks. Making the KeyObject costs about 1 µs. Not cached, so a caller that reuses
 * or wipes its Uint8Array never meets a stale key.
 */
function secretKey(bytes: Uint8Array): KeyObject {
  return nodeCrypto.createSecretKey(bytes);
}

function asBytes(buffer: Buffer | ArrayBuffer): Uint8Array {
  return buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
}

function assertHash(algorithm: unknown): asserts algorithm is HkdfHash {
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new SamizdatError('INVALID_ARGUMENT', `unknown hash: ${String(algorithm)}`);
  }
}

/** Argon2id bounds: RFC 9106 §3.1 minimums, and a 4 GiB memory ceiling so a bad value cannot exhaust RAM. */
function assertKdfParams(params: PasswordKdfParams): void {
  const { memoryKiB, passes, parallelism } = params;
  const ok =
    Number.isInteger(parallelism) && parallelism >= 1 && parallelism <= 255 &&
    Number.isInteger(passes) && passes >= 1 && passes <= 64 &&
    Number.isInteger(memoryKiB) && memoryKiB >= 8 * parallelism && memoryKiB <= 4 * 1024 * 1024;
  if (!ok) throw new SamizdatError('INVALID_ARGUMENT', 'Argon2id parameters out of range', { detail: { ...params } });
}

/** An AES-256-GCM key as a KeyObject, made once (aesGcmKey). */
class NodeAeadKey implements AeadKey {
  readonly algorithm = 'aes-256-gcm';
  readonly keyObject: KeyObject;

  constructor(keyObject: KeyObject) {
    this.keyObject = keyObject;
  }
}

/** The KeyObject of a prepared key, or of checked raw bytes (made for this one call). */
function aeadKeyObject(key: Uint8Array | AeadKey, nonce: Uint8Array): KeyObject {
  assertBytes('nonce', nonce, SIZES.aesNonce);
  if (key instanceof NodeAeadKey) return key.keyObject;
  if (!(key instanceof Uint8Array)) throw new SamizdatError('INVALID_ARGUMENT', 'key must be 32 bytes or a key made by this provider');
  assertBytes('key', key, SIZES.aesKey);
  return secretKey(key);
}

/** Creates the native provider. Stateless; one per process is enough, but nothing forces that. */
export function createNodeCryptoProvider(): CryptoProvider {
  const peers = new PublicKeyCache();
  return {
    name: 'node',

    randomBytes(length: number): Uint8Array {
      if (!Number.isInteger(length) || length < 0 || length > 65536) {
        throw new SamizdatError('INVALID_ARGUMENT', 'length must be an integer in 0..65536');
      }
      return asBytes(nodeCrypto.randomBytes(length));
    },

    hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
      assertBytes('data', data);
      if (algorithm !== 'sha256' && algorithm !== 'sha512' && algorithm !== 'sha3-256') {
        throw new SamizdatError('INVALID_ARGUMENT', `unknown hash: ${String(algorithm)}`);
      }
      return asBytes(nodeCrypto.hash(algorithm, data, 'buffer'));
    },

    hmac(algorithm: HkdfHash, key: Uint8Array, data: Uint8Array): Uint8Array {
      assertHash(algorithm);
      assertBytes('key', key);
      assertBytes('data', data);
      return asBytes(nodeCrypto.createHmac(algorithm, secretKey(key)).update(data).digest());
    },

    hkdf(algorithm: HkdfHash, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
      assertBytes('ikm', ikm);
      assertBytes('salt', salt);
      assertBytes('info', info);
      assertHash(algorithm);
      const max = (algorithm === 'sha256' ? 32 : 64) * 255;
      if (!Number.isInteger(length) || length < 1 || length > max) {
        throw new SamizdatError('INVALID_ARGUMENT', `length must be in 1..${max}`);
      }
      if (info.length > 1024) throw new SamizdatError('INVALID_ARGUMENT', 'info must be at most 1024 bytes');
      return asBytes(nodeCrypto.hkdfSync(algorithm, secretKey(ikm), salt, info, length));
    },

    generateKey(algorithm: KeyAlgorithm): PrivateKey {
      assertAlgorithm(algorithm);
      // The literal cast lets one overload accept every algorithm (ML-KEM included: OpenSSL keeps
      // the seed of a generated key, so exportPrivateKey still gives the 64-byte d || z). No
      // encoding options: both halves come back as KeyObjects, the public one read raw.
      const pair = nodeCrypto.generateKeyPairSync(algorithm as 'x25519');
      return new NodePrivateKey(algorithm, pair.privateKey, pair.publicKey);
    },

    importPrivateKey(algorithm: KeyAlgorithm, raw: Uint8Array): PrivateKey {
      assertAlgorithm(algorithm);
      assertBytes('raw', raw);
      if (raw.length !== RAW_PRIVATE_LENGTH[algorithm]) {
        throw new SamizdatError('BAD_KEY', `${algorithm} private key must be ${RAW_PRIVATE_LENGTH[algorithm]} bytes, got ${raw.length}`);
      }
      try {
        const der = Buffer.from(concatBytes(PKCS8_PREFIX[algorithm], raw));
        return new NodePrivateKey(algorithm, nodeCrypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
      } catch (cause) {
        throw new SamizdatError('BAD_KEY', `invalid ${algorithm} private key`, { cause });
      }
    },

    exportPrivateKey(key: PrivateKey): Uint8Array {
      const own = ownKey(key);
      // raw-seed / raw-private read the bytes OpenSSL holds; no PKCS#8 encoder involved.
      if (own.algorithm === 'ml-kem-768') {
        let seed: Buffer;
        try {
          seed = own.keyObject.export({ format: 'raw-seed' });
        } catch (cause) {
          throw new SamizdatError('BAD_KEY', 'ML-KEM private key has no seed to export', { cause });
        }
        if (seed.length !== RAW_PRIVATE_LENGTH['ml-kem-768']) throw new SamizdatError('BAD_KEY', 'ML-KEM private key has no seed to export');
        return new Uint8Array(seed);
      }
      const raw = own.keyObject.export({ format: 'raw-private' });
      if (raw.length !== RAW_PRIVATE_LENGTH[own.algorithm]) {
        throw new SamizdatError('INTERNAL', `${own.algorithm} private key has ${raw.length} bytes`);
      }
      return new Uint8Array(raw);
    },

    x25519(privateKey: PrivateKey, peerPublicKey: Uint8Array, use?: PeerKeyUse): Uint8Array {
      const own = ownKey(privateKey, 'x25519');
      const publicKey = peers.get('x25519', peerPublicKey, use);
      try {
        return asBytes(nodeCrypto.diffieHellman({ privateKey: own.keyObject, publicKey }));
      } catch (cause) {
        // OpenSSL refuses an all-zero shared secret (RFC 7748 §6.1): the peer sent a low-order point.
        throw new SamizdatError('BAD_KEY', 'X25519 with this public key gives an all-zero secret', { cause });
      }
    },

    sign(privateKey: PrivateKey, message: Uint8Array): Uint8Array {
      const own = ownKey(privateKey, 'ed25519');
      assertBytes('message', message);
      return asBytes(nodeCrypto.sign(null, message, own.keyObject));
    },

    verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      assertBytes('message', message);
      if (!(publicKey instanceof Uint8Array) || publicKey.length !== SIZES.ed25519PublicKey) return false;
      if (!(signature instanceof Uint8Array) || signature.length !== SIZES.ed25519Signature) return false;
      let key: KeyObject;
      try {
        key = peers.get('ed25519', publicKey);
      } catch {
        return false;
      }
      try {
        return nodeCrypto.verify(null, message, key, signature);
      } catch {
        return false;
      }
    },

    mlKemEncapsulate(publicKey: Uint8Array, use?: PeerKeyUse): KemEncapsulation {
      const key = peers.get('ml-kem-768', publicKey, use);
      try {
        const { sharedKey, ciphertext } = nodeCrypto.encapsulate(key);
        return { sharedSecret: asBytes(sharedKey), ciphertext: asBytes(ciphertext) };
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
      try {
        return asBytes(nodeCrypto.decapsulate(own.keyObject, ciphertext));
      } catch (cause) {
        throw new SamizdatError('INTERNAL', 'ML-KEM-768 decapsulation failed', { cause });
      }
    },

    aesGcmKey(key: Uint8Array): AeadKey {
      assertBytes('key', key, SIZES.aesKey);
      return new NodeAeadKey(secretKey(key));
    },

    aesGcmSeal(key: Uint8Array | AeadKey, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
      const keyObject = aeadKeyObject(key, nonce);
      assertBytes('plaintext', plaintext);
      assertBytes('aad', aad);
      const cipher = nodeCrypto.createCipheriv('aes-256-gcm', keyObject, nonce, { authTagLength: SIZES.aesTag });
      cipher.setAAD(aad);
      const body = cipher.update(plaintext);
      const final = cipher.final();
      return concatBytes(body, final, cipher.getAuthTag());
    },

    aesGcmOpen(key: Uint8Array | AeadKey, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
      const keyObject = aeadKeyObject(key, nonce);
      assertBytes('sealed', sealed);
      assertBytes('aad', aad);
      if (sealed.length < SIZES.aesTag) throw new SamizdatError('DECRYPT_FAILED', 'ciphertext is shorter than its tag');
      const tagAt = sealed.length - SIZES.aesTag;
      try {
        const decipher = nodeCrypto.createDecipheriv('aes-256-gcm', keyObject, nonce, { authTagLength: SIZES.aesTag });
        decipher.setAAD(aad);
        decipher.setAuthTag(sealed.subarray(tagAt));
        const body = decipher.update(sealed.subarray(0, tagAt));
        const final = decipher.final(); // empty for GCM, where update gives every byte
        return final.length === 0 ? asBytes(body) : concatBytes(body, final);
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
      assertKdfParams(params);
      return asBytes(
        nodeCrypto.argon2Sync('argon2id', {
          message: password,
          nonce: salt,
          memory: params.memoryKiB,
          passes: params.passes,
          parallelism: params.parallelism,
          tagLength: length,
        }),
      );
    },

    constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
      assertBytes('a', a);
      assertBytes('b', b);
      if (a.length !== b.length) return false;
      return nodeCrypto.timingSafeEqual(a, b);
    },
  };
}
