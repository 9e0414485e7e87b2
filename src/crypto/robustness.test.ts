/**
 * Property tests: every crypto function given random bytes of random lengths (or values of the
 * wrong type) either works or raises a SamizdatError — never a raw TypeError or OpenSSL error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PROVIDERS } from '../../test/support/providers.ts';
import { isSamizdatError } from '../errors.ts';
import { createAeadSealer, openAead, openWithFreshKey, sealWithFreshKey } from './aead.ts';
import { fromHex } from './bytes.ts';
import { generateHybridKeyPair, hybridDecapsulate, hybridEncapsulate, importHybridPrivateKey } from './hybrid-kem.ts';
import type { CryptoProvider, KeyAlgorithm } from './provider.ts';

/** Runs `fn` and fails unless it returns or throws a SamizdatError. */
function onlyTyped(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    assert.ok(isSamizdatError(err), `raw error escaped from ${fn.toString()}: ${String(err)}`);
  }
}

/** Byte lengths near the interesting sizes, plus anything up to 1,300. */
const length = fc.oneof(
  fc.constantFrom(0, 1, 12, 15, 16, 31, 32, 33, 63, 64, 65, 95, 96, 97, 1087, 1088, 1089, 1119, 1120, 1121, 1183, 1184, 1185, 1215, 1216, 1217),
  fc.integer({ min: 0, max: 1300 }),
);
const anyBytes = length.chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
const notBytes = fc.constantFrom<unknown>(undefined, null, 42, 'abc', [1, 2, 3], {}, new ArrayBuffer(32), new Uint16Array(16));
const algorithms: readonly KeyAlgorithm[] = ['x25519', 'ed25519', 'ml-kem-768'];

function checkProvider(p: CryptoProvider): void {
  const keys = {
    x25519: p.generateKey('x25519'),
    ed25519: p.generateKey('ed25519'),
    mlKem: p.generateKey('ml-kem-768'),
    hybrid: generateHybridKeyPair(p),
  };
  fc.assert(
    fc.property(anyBytes, anyBytes, anyBytes, fc.integer({ min: -2, max: 70000 }), (a, b, c, n) => {
      for (const alg of algorithms) onlyTyped(() => p.importPrivateKey(alg, a));
      onlyTyped(() => p.x25519(keys.x25519, a));
      onlyTyped(() => p.x25519(keys.x25519, a, 'once'));
      onlyTyped(() => p.verify(a, b, c));
      onlyTyped(() => p.mlKemEncapsulate(a));
      onlyTyped(() => p.mlKemEncapsulate(a, 'once'));
      onlyTyped(() => p.mlKemDecapsulate(keys.mlKem, a));
      onlyTyped(() => p.aesGcmSeal(a, b, c, a));
      onlyTyped(() => p.aesGcmOpen(a, b, c, b));
      onlyTyped(() => p.hkdf('sha256', a, b, c, n));
      onlyTyped(() => p.hkdf('sha512', a, b, c, n));
      onlyTyped(() => p.randomBytes(n));
      onlyTyped(() => p.passwordKdf(a, b, { memoryKiB: n % 100, passes: n % 3, parallelism: n % 4 }, n % 80));
      onlyTyped(() => hybridEncapsulate(p, a));
      onlyTyped(() => hybridDecapsulate(p, keys.hybrid, a));
      onlyTyped(() => importHybridPrivateKey(p, a));
      onlyTyped(() => openAead(p, b.subarray(0, 32), a));
      onlyTyped(() => openWithFreshKey(p, a, b));
      onlyTyped(() => sealWithFreshKey(p, a, b));
      onlyTyped(() => createAeadSealer(p, a, { prefix: b }).seal(c));
      onlyTyped(() => p.constantTimeEqual(a, b));
    }),
    { numRuns: 150 },
  );
  fc.assert(
    fc.property(notBytes, (v) => {
      const x = v as Uint8Array;
      for (const alg of algorithms) onlyTyped(() => p.importPrivateKey(alg, x));
      onlyTyped(() => p.importPrivateKey(v as KeyAlgorithm, new Uint8Array(32)));
      onlyTyped(() => p.generateKey(v as KeyAlgorithm));
      onlyTyped(() => p.hash(v as 'sha256', new Uint8Array(1)));
      onlyTyped(() => p.hash('sha256', x));
      onlyTyped(() => p.hmac(v as 'sha256', new Uint8Array(1), new Uint8Array(1)));
      onlyTyped(() => p.hkdf(v as 'sha256', new Uint8Array(1), new Uint8Array(1), new Uint8Array(1), 32));
      onlyTyped(() => p.x25519(keys.x25519, x));
      onlyTyped(() => p.x25519(keys.x25519, x, 'once'));
      onlyTyped(() => p.x25519(v as typeof keys.x25519, new Uint8Array(32)));
      onlyTyped(() => p.sign(keys.ed25519, x));
      onlyTyped(() => p.sign(keys.x25519, new Uint8Array(1)));
      onlyTyped(() => p.verify(x, x, x));
      onlyTyped(() => p.mlKemEncapsulate(x));
      onlyTyped(() => p.mlKemEncapsulate(x, 'once'));
      onlyTyped(() => p.mlKemDecapsulate(keys.mlKem, x));
      onlyTyped(() => p.exportPrivateKey(v as typeof keys.x25519));
      onlyTyped(() => p.aesGcmSeal(x, x, x, x));
      onlyTyped(() => p.constantTimeEqual(x, x));
      onlyTyped(() => hybridEncapsulate(p, x));
      onlyTyped(() => hybridDecapsulate(p, v as typeof keys.hybrid, new Uint8Array(1120)));
      onlyTyped(() => openAead(p, x, x, x));
      onlyTyped(() => fromHex(v as string));
    }),
    { numRuns: 50 },
  );
}

describe('crypto functions raise only SamizdatError on bad input', () => {
  for (const provider of PROVIDERS) {
    it(`${provider.name} provider, hybrid KEM and AEAD`, () => checkProvider(provider));
  }
});

describe('generated keys survive export and import', () => {
  for (const provider of PROVIDERS) {
    it(`${provider.name} provider: the raw private key gives back the same public key, and the key works`, () => {
      for (const algorithm of ['x25519', 'ed25519', 'ml-kem-768'] as const) {
        const key = provider.generateKey(algorithm);
        const again = provider.importPrivateKey(algorithm, provider.exportPrivateKey(key));
        assert.deepEqual(again.publicKey, key.publicKey, algorithm);
      }
      const kem = provider.generateKey('ml-kem-768');
      const { sharedSecret, ciphertext } = provider.mlKemEncapsulate(kem.publicKey);
      const restored = provider.importPrivateKey('ml-kem-768', provider.exportPrivateKey(kem));
      assert.deepEqual(provider.mlKemDecapsulate(restored, ciphertext), sharedSecret);
    });
  }
});
