/** Hybrid X25519 + ML-KEM-768 KEM: round trips, binding of every part, typed errors, both providers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROVIDERS, nobleProvider, nodeProvider, samizdatCode } from '../../test/support/providers.ts';
import { concatBytes, toHex } from './bytes.ts';
import {
  COMBINER_LABEL,
  HYBRID_CIPHERTEXT_LENGTH,
  HYBRID_PRIVATE_KEY_LENGTH,
  HYBRID_PUBLIC_KEY_LENGTH,
  deriveHybridKeyPair,
  exportHybridPrivateKey,
  generateHybridKeyPair,
  hybridDecapsulate,
  hybridEncapsulate,
  importHybridPrivateKey,
} from './hybrid-kem.ts';

/** A copy of `bytes` with bit 0 of byte `index` flipped. */
function flip(bytes: Uint8Array, index: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[index] = (out[index] ?? 0) ^ 1;
  return out;
}

for (const provider of PROVIDERS) {
  describe(`hybrid KEM (${provider.name})`, () => {
    const key = generateHybridKeyPair(provider);

    it('round-trips with the documented sizes', () => {
      assert.equal(key.publicKey.length, HYBRID_PUBLIC_KEY_LENGTH);
      const { sharedSecret, ciphertext } = hybridEncapsulate(provider, key.publicKey);
      assert.equal(sharedSecret.length, 32);
      assert.equal(ciphertext.length, HYBRID_CIPHERTEXT_LENGTH);
      assert.deepEqual(hybridDecapsulate(provider, key, ciphertext), sharedSecret);
    });

    it('export and import keep the key; a seed derives the same key every time', () => {
      const raw = exportHybridPrivateKey(provider, key);
      assert.equal(raw.length, HYBRID_PRIVATE_KEY_LENGTH);
      const again = importHybridPrivateKey(provider, raw);
      assert.deepEqual(again.publicKey, key.publicKey);
      const seed = new Uint8Array(32).fill(7);
      assert.deepEqual(deriveHybridKeyPair(provider, seed).publicKey, deriveHybridKeyPair(provider, seed).publicKey);
      assert.notDeepEqual(deriveHybridKeyPair(provider, seed).publicKey, deriveHybridKeyPair(provider, flip(seed, 0)).publicKey);
    });

    it('a changed byte in either ciphertext part changes the secret or fails', () => {
      const { sharedSecret, ciphertext } = hybridEncapsulate(provider, key.publicKey);
      // The X25519 part (every byte but the top bit of the last, which X25519 masks), and ML-KEM bytes across the ciphertext.
      const positions = [0, 1, 15, 30, 31, 32, 33, 100, 500, 1000, HYBRID_CIPHERTEXT_LENGTH - 1];
      for (const i of positions) {
        let other: Uint8Array | undefined;
        try {
          other = hybridDecapsulate(provider, key, flip(ciphertext, i));
        } catch (err) {
          assert.ok(samizdatCode('BAD_KEY')(err));
        }
        if (other !== undefined) assert.notDeepEqual(other, sharedSecret, `byte ${i}`);
      }
      // Flipping the masked top bit of ct_X changes nothing in X25519 but is bound by the hash.
      const masked = Uint8Array.from(ciphertext);
      masked[31] = (masked[31] ?? 0) ^ 0x80;
      assert.notDeepEqual(hybridDecapsulate(provider, key, masked), sharedSecret);
    });

    it('the right X25519 key with a wrong ML-KEM key (and the reverse) gives another secret', () => {
      const other = generateHybridKeyPair(provider);
      const { sharedSecret, ciphertext } = hybridEncapsulate(provider, key.publicKey);
      const wrongMlKem = { x25519: key.x25519, mlKem: other.mlKem, publicKey: concatBytes(key.x25519.publicKey, other.mlKem.publicKey) };
      const wrongX25519 = { x25519: other.x25519, mlKem: key.mlKem, publicKey: concatBytes(other.x25519.publicKey, key.mlKem.publicKey) };
      assert.notDeepEqual(hybridDecapsulate(provider, wrongMlKem, ciphertext), sharedSecret);
      assert.notDeepEqual(hybridDecapsulate(provider, wrongX25519, ciphertext), sharedSecret);
    });

    it('wrong lengths raise typed errors', () => {
      assert.throws(() => hybridEncapsulate(provider, key.publicKey.subarray(1)), samizdatCode('BAD_KEY'));
      assert.throws(() => hybridDecapsulate(provider, key, new Uint8Array(HYBRID_CIPHERTEXT_LENGTH - 1)), samizdatCode('MALFORMED'));
      assert.throws(() => importHybridPrivateKey(provider, new Uint8Array(95)), samizdatCode('BAD_KEY'));
      assert.throws(() => deriveHybridKeyPair(provider, new Uint8Array(31)), samizdatCode('INVALID_ARGUMENT'));
      assert.throws(() => hybridEncapsulate(provider, 'key' as unknown as Uint8Array), samizdatCode('INVALID_ARGUMENT'));
    });

    it('a low-order X25519 part of a public key or ciphertext is refused with BAD_KEY', () => {
      const lowOrder = concatBytes(new Uint8Array(32), key.mlKem.publicKey);
      assert.throws(() => hybridEncapsulate(provider, lowOrder), samizdatCode('BAD_KEY'));
      const { ciphertext } = hybridEncapsulate(provider, key.publicKey);
      const zeroed = Uint8Array.from(ciphertext);
      zeroed.fill(0, 0, 32);
      assert.throws(() => hybridDecapsulate(provider, key, zeroed), samizdatCode('BAD_KEY'));
    });
  });
}

describe('hybrid KEM across providers', () => {
  it('the secret is SHA3-256(label || ss_M || ss_X || ct_X || pk_X || ct_M || pk_M), recomputed with noble', () => {
    const key = generateHybridKeyPair(nodeProvider);
    const { sharedSecret, ciphertext } = hybridEncapsulate(nodeProvider, key.publicKey);
    const [ctX, ctM] = [ciphertext.subarray(0, 32), ciphertext.subarray(32)];
    const [pkX, pkM] = [key.publicKey.subarray(0, 32), key.publicKey.subarray(32)];
    const mirror = importHybridPrivateKey(nobleProvider, exportHybridPrivateKey(nodeProvider, key));
    const ssM = nobleProvider.mlKemDecapsulate(mirror.mlKem, ctM);
    const ssX = nobleProvider.x25519(mirror.x25519, ctX);
    assert.equal(COMBINER_LABEL.length, 24);
    const expected = nobleProvider.hash('sha3-256', concatBytes(COMBINER_LABEL, ssM, ssX, ctX, pkX, ctM, pkM));
    assert.equal(toHex(sharedSecret), toHex(expected));
  });

  it('node encapsulates, noble decapsulates, and the reverse, with keys from the same seed', () => {
    const seed = nodeProvider.randomBytes(32);
    const nodeKey = deriveHybridKeyPair(nodeProvider, seed);
    const nobleKey = deriveHybridKeyPair(nobleProvider, seed);
    assert.equal(toHex(nodeKey.publicKey), toHex(nobleKey.publicKey));
    const a = hybridEncapsulate(nodeProvider, nobleKey.publicKey);
    assert.deepEqual(hybridDecapsulate(nobleProvider, nobleKey, a.ciphertext), a.sharedSecret);
    const b = hybridEncapsulate(nobleProvider, nodeKey.publicKey);
    assert.deepEqual(hybridDecapsulate(nodeProvider, nodeKey, b.ciphertext), b.sharedSecret);
  });
});
