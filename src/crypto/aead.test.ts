/** AES-256-GCM sealer: unique nonces, exhaustion, tamper detection; single-use-key helpers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROVIDERS, samizdatCode } from '../../test/support/providers.ts';
import {
  AEAD_OVERHEAD,
  FRESH_KEY_OVERHEAD,
  MAX_MESSAGES_PER_KEY,
  createAeadSealer,
  openAead,
  openWithFreshKey,
  sealWithFreshKey,
} from './aead.ts';
import { toHex, utf8 } from './bytes.ts';

for (const provider of PROVIDERS) {
  describe(`AEAD (${provider.name})`, () => {
    const key = provider.randomBytes(32);

    it('seals and opens with associated data; output carries its nonce', () => {
      const sealer = createAeadSealer(provider, key);
      const sealed = sealer.seal(utf8('hello'), utf8('header'));
      assert.equal(sealed.length, 5 + AEAD_OVERHEAD);
      assert.deepEqual(openAead(provider, key, sealed, utf8('header')), utf8('hello'));
      assert.equal(sealer.sealedCount, 1);
      assert.equal(sealer.remaining, MAX_MESSAGES_PER_KEY - 1);
    });

    it('never repeats a nonce over many seals; nonce = prefix || counter', () => {
      const sealer = createAeadSealer(provider, key, { prefix: Uint8Array.of(0, 0, 0, 1) });
      const seen = new Set<string>();
      for (let i = 0; i < 5000; i++) {
        const nonce = sealer.seal(new Uint8Array(0)).subarray(0, 12);
        const text = toHex(nonce);
        assert.ok(!seen.has(text), `nonce ${text} repeated`);
        seen.add(text);
        if (i === 258) assert.equal(text, '00000001' + (258).toString(16).padStart(16, '0'));
      }
    });

    it('raises NONCE_EXHAUSTED at the limit, and keeps refusing', () => {
      const sealer = createAeadSealer(provider, key, { maxMessages: 3 });
      for (let i = 0; i < 3; i++) sealer.seal(utf8('x'));
      assert.equal(sealer.remaining, 0);
      assert.throws(() => sealer.seal(utf8('x')), samizdatCode('NONCE_EXHAUSTED'));
      assert.throws(() => sealer.seal(utf8('x')), samizdatCode('NONCE_EXHAUSTED'));
      assert.throws(() => createAeadSealer(provider, key, { maxMessages: MAX_MESSAGES_PER_KEY + 1 }), samizdatCode('INVALID_ARGUMENT'));
      assert.throws(() => createAeadSealer(provider, key, { maxMessages: 0 }), samizdatCode('INVALID_ARGUMENT'));
    });

    it('rejects every tampered byte, a wrong key, wrong associated data and short input with DECRYPT_FAILED', () => {
      const sealed = createAeadSealer(provider, key).seal(utf8('attack at dawn'), utf8('aad'));
      for (let i = 0; i < sealed.length; i++) {
        const bad = Uint8Array.from(sealed);
        bad[i] = (bad[i] ?? 0) ^ 0x01;
        assert.throws(() => openAead(provider, key, bad, utf8('aad')), samizdatCode('DECRYPT_FAILED'), `byte ${i}`);
      }
      assert.throws(() => openAead(provider, provider.randomBytes(32), sealed, utf8('aad')), samizdatCode('DECRYPT_FAILED'));
      assert.throws(() => openAead(provider, key, sealed, utf8('aaD')), samizdatCode('DECRYPT_FAILED'));
      assert.throws(() => openAead(provider, key, sealed.subarray(0, AEAD_OVERHEAD - 1)), samizdatCode('DECRYPT_FAILED'));
    });

    it('a sealer is not affected by later changes to the caller\'s key or prefix arrays', () => {
      const myKey = Uint8Array.from(key);
      const prefix = Uint8Array.of(9, 9, 9, 9);
      const sealer = createAeadSealer(provider, myKey, { prefix });
      myKey.fill(0);
      prefix.fill(0);
      const sealed = sealer.seal(utf8('p'));
      assert.equal(toHex(sealed.subarray(0, 4)), '09090909');
      assert.deepEqual(openAead(provider, key, sealed), utf8('p'));
    });

    it('single-use keys: seal and open with the tag as the only overhead', () => {
      const oneTime = provider.randomBytes(32);
      const sealed = sealWithFreshKey(provider, oneTime, utf8('layer'), utf8('hop 1'));
      assert.equal(sealed.length, 5 + FRESH_KEY_OVERHEAD);
      assert.deepEqual(openWithFreshKey(provider, oneTime, sealed, utf8('hop 1')), utf8('layer'));
      assert.throws(() => openWithFreshKey(provider, oneTime, sealed, utf8('hop 2')), samizdatCode('DECRYPT_FAILED'));
    });
  });
}
