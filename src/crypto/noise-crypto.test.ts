import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { asCrypto, pureJsCrypto } from '@chainsafe/libp2p-noise/crypto';
import { Uint8ArrayList } from 'uint8arraylist';
import { NATIVE_CHACHA_MIN_BYTES, createNoiseCrypto } from './noise-crypto.ts';

/** A plain Uint8Array copy, so Buffers and Uint8Arrays from different implementations compare by content. */
const flat = (bytes: Uint8Array | Uint8ArrayList): Uint8Array => Uint8Array.from(bytes instanceof Uint8Array ? bytes : bytes.subarray());

describe('noise crypto (ChaCha20-Poly1305 with cached key objects)', () => {
  const sizes = [0, 1, 100, NATIVE_CHACHA_MIN_BYTES - 1, NATIVE_CHACHA_MIN_BYTES, 1_300, 5_000, 65_519];

  it('produces the same ciphertext as two independent implementations, for every size class', () => {
    const crypto = createNoiseCrypto();
    for (const size of sizes) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const ad = randomBytes(size % 3 === 0 ? 0 : 32);
      const plaintext = randomBytes(size);
      const ours = flat(crypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key));
      assert.deepEqual(ours, flat(pureJsCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key)), `size ${size} vs noble`);
      assert.deepEqual(ours, flat(asCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key)), `size ${size} vs wasm`);
      assert.deepEqual(flat(crypto.chaCha20Poly1305Decrypt(ours, nonce, ad, key)), Uint8Array.from(plaintext));
    }
  });

  it('accepts a plaintext split across a Uint8ArrayList (how Yamux hands over a frame)', () => {
    const crypto = createNoiseCrypto();
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const parts = new Uint8ArrayList(randomBytes(12), randomBytes(4_000));
    const sealed = crypto.chaCha20Poly1305Encrypt(parts, nonce, new Uint8Array(0), key);
    assert.deepEqual(flat(sealed), flat(pureJsCrypto.chaCha20Poly1305Encrypt(parts.subarray(), nonce, new Uint8Array(0), key)));
    const opened = crypto.chaCha20Poly1305Decrypt(new Uint8ArrayList(flat(sealed).subarray(0, 100), flat(sealed).subarray(100)), nonce, new Uint8Array(0), key);
    assert.deepEqual(flat(opened), flat(parts));
  });

  it('rejects a changed byte, a wrong key, a wrong nonce and wrong associated data', () => {
    const crypto = createNoiseCrypto();
    for (const size of [200, 3_000]) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const ad = randomBytes(16);
      const sealed = Uint8Array.from(flat(crypto.chaCha20Poly1305Encrypt(randomBytes(size), nonce, ad, key)));
      for (const at of [0, size - 1, size, sealed.length - 1]) {
        const changed = sealed.slice();
        changed[at]! ^= 0x01;
        assert.throws(() => crypto.chaCha20Poly1305Decrypt(changed, nonce, ad, key), `size ${size}, byte ${at}`);
      }
      assert.throws(() => crypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, randomBytes(32)));
      assert.throws(() => crypto.chaCha20Poly1305Decrypt(sealed, randomBytes(12), ad, key));
      assert.throws(() => crypto.chaCha20Poly1305Decrypt(sealed, nonce, randomBytes(16), key));
      assert.throws(() => crypto.chaCha20Poly1305Decrypt(sealed.subarray(0, 10), nonce, ad, key));
    }
  });

  it('keeps one key object per key: a second key in the same instance is not confused with the first', () => {
    const crypto = createNoiseCrypto();
    const a = randomBytes(32);
    const b = randomBytes(32);
    const nonce = new Uint8Array(12);
    const plaintext = randomBytes(2_000);
    const sealedA = flat(crypto.chaCha20Poly1305Encrypt(plaintext, nonce, new Uint8Array(0), a));
    const sealedB = flat(crypto.chaCha20Poly1305Encrypt(plaintext, nonce, new Uint8Array(0), b));
    assert.notDeepEqual(sealedA, sealedB);
    assert.throws(() => crypto.chaCha20Poly1305Decrypt(sealedA, nonce, new Uint8Array(0), b));
  });
});
