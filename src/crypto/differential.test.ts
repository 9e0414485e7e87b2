/**
 * Differential tests: the native provider (OpenSSL) and the @noble provider must agree on random
 * inputs, and each must accept what the other produces.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nobleProvider as noble, nodeProvider as native } from '../../test/support/providers.ts';
import type { HashAlgorithm, HkdfHash } from './provider.ts';

const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max });
const key32 = bytes(32, 32);
const RUNS = { numRuns: 100 };

describe('node and noble providers agree', () => {
  it('X25519: public keys and shared secrets', () => {
    fc.assert(
      fc.property(key32, key32, (a, b) => {
        const [na, nb] = [native.importPrivateKey('x25519', a), native.importPrivateKey('x25519', b)];
        const [ja, jb] = [noble.importPrivateKey('x25519', a), noble.importPrivateKey('x25519', b)];
        assert.deepEqual(na.publicKey, ja.publicKey);
        const shared = native.x25519(na, jb.publicKey);
        assert.deepEqual(noble.x25519(jb, na.publicKey), shared);
        assert.deepEqual(noble.x25519(ja, nb.publicKey), shared);
      }),
      RUNS,
    );
  });

  it('Ed25519: identical deterministic signatures that cross-verify', () => {
    fc.assert(
      fc.property(key32, bytes(0, 300), (seed, message) => {
        const n = native.importPrivateKey('ed25519', seed);
        const j = noble.importPrivateKey('ed25519', seed);
        assert.deepEqual(n.publicKey, j.publicKey);
        const signature = native.sign(n, message);
        assert.deepEqual(noble.sign(j, message), signature);
        assert.equal(noble.verify(n.publicKey, message, signature), true);
        assert.equal(native.verify(j.publicKey, message, signature), true);
      }),
      RUNS,
    );
  });

  it('Ed25519: random signatures and keys are judged alike', () => {
    fc.assert(
      fc.property(key32, bytes(0, 64), bytes(64, 64), (pk, message, sig) => {
        assert.equal(native.verify(pk, message, sig), noble.verify(pk, message, sig));
      }),
      { numRuns: 200 },
    );
  });

  it('ML-KEM-768: same seed, same key; node -> noble and noble -> node', () => {
    fc.assert(
      fc.property(bytes(64, 64), (seed) => {
        const n = native.importPrivateKey('ml-kem-768', seed);
        const j = noble.importPrivateKey('ml-kem-768', seed);
        assert.deepEqual(n.publicKey, j.publicKey);
        const a = native.mlKemEncapsulate(j.publicKey);
        assert.deepEqual(noble.mlKemDecapsulate(j, a.ciphertext), a.sharedSecret);
        const b = noble.mlKemEncapsulate(n.publicKey);
        assert.deepEqual(native.mlKemDecapsulate(n, b.ciphertext), b.sharedSecret);
        // Implicit rejection agrees too: a random ciphertext gives the same pseudorandom key.
        const junk = native.randomBytes(1088);
        assert.deepEqual(native.mlKemDecapsulate(n, junk), noble.mlKemDecapsulate(j, junk));
      }),
      { numRuns: 50 },
    );
  });

  it('hashes, HMAC and HKDF', () => {
    const hashes: readonly HashAlgorithm[] = ['sha256', 'sha512', 'sha3-256'];
    const macs: readonly HkdfHash[] = ['sha256', 'sha512'];
    fc.assert(
      fc.property(bytes(0, 300), bytes(0, 100), bytes(0, 64), fc.integer({ min: 1, max: 255 * 32 }), (data, key, info, length) => {
        for (const h of hashes) assert.deepEqual(native.hash(h, data), noble.hash(h, data));
        for (const h of macs) {
          assert.deepEqual(native.hmac(h, key, data), noble.hmac(h, key, data));
          assert.deepEqual(native.hkdf(h, data, key, info, length), noble.hkdf(h, data, key, info, length));
        }
      }),
      RUNS,
    );
  });

  it('AES-256-GCM', () => {
    fc.assert(
      fc.property(key32, bytes(12, 12), bytes(0, 600), bytes(0, 40), (key, nonce, plaintext, aad) => {
        const sealed = native.aesGcmSeal(key, nonce, plaintext, aad);
        assert.deepEqual(noble.aesGcmSeal(key, nonce, plaintext, aad), sealed);
        assert.deepEqual(noble.aesGcmOpen(key, nonce, sealed, aad), plaintext);
        // Prepared keys (aesGcmKey) seal and open the same as raw bytes, in both providers.
        assert.deepEqual(native.aesGcmSeal(native.aesGcmKey(key), nonce, plaintext, aad), sealed);
        assert.deepEqual(noble.aesGcmOpen(noble.aesGcmKey(key), nonce, sealed, aad), plaintext);
      }),
      RUNS,
    );
  });

  it('Argon2id (small parameters)', () => {
    fc.assert(
      fc.property(bytes(0, 40), bytes(16, 32), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), (pw, salt, passes, parallelism) => {
        const params = { memoryKiB: 64, passes, parallelism };
        assert.deepEqual(native.passwordKdf(pw, salt, params, 32), noble.passwordKdf(pw, salt, params, 32));
      }),
      { numRuns: 20 },
    );
  });

  it('constant-time equality', () => {
    fc.assert(
      fc.property(bytes(0, 40), bytes(0, 40), (a, b) => {
        assert.equal(native.constantTimeEqual(a, b), noble.constantTimeEqual(a, b));
        assert.equal(native.constantTimeEqual(a, Uint8Array.from(a)), true);
      }),
      RUNS,
    );
  });
});
