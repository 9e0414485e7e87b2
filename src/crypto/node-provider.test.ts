/**
 * The native provider's handling of peers' public keys: a key used 'once' (PeerKeyUse) gives the
 * same results as a 'reused' one, the memo of the latest 'once' X25519 key never answers for other
 * bytes (even the same array changed in place), and keys go in through one-line PEM unchanged.
 * Prepared AES-256-GCM keys hold their own copy and are refused by another provider.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nobleProvider as noble, nodeProvider as native } from '../../test/support/providers.ts';
import { isSamizdatError } from '../errors.ts';
import { utf8 } from './bytes.ts';

describe('node provider: peers public keys', () => {
  it("'once' and 'reused' X25519 keys agree, with each other and with @noble", () => {
    const own = native.generateKey('x25519');
    const ownNoble = noble.importPrivateKey('x25519', native.exportPrivateKey(own));
    const peers = Array.from({ length: 4 }, () => native.generateKey('x25519').publicKey);
    // The same key twice in a row (the memo answers), another, then the first again.
    for (const peer of [peers[0], peers[0], peers[1], peers[0], peers[2], peers[3], peers[3]]) {
      if (peer === undefined) throw new Error('no peer');
      const once = native.x25519(own, peer, 'once');
      assert.deepEqual(once, native.x25519(own, peer, 'reused'));
      assert.deepEqual(once, noble.x25519(ownNoble, peer));
    }
  });

  it("the latest 'once' X25519 key is matched by its bytes, not by its array", () => {
    const own = native.generateKey('x25519');
    const ownNoble = noble.importPrivateKey('x25519', native.exportPrivateKey(own));
    const peer = native.generateKey('x25519').publicKey.slice();
    const first = native.x25519(own, peer, 'once');
    peer.set(native.generateKey('x25519').publicKey); // the caller reuses its array
    const second = native.x25519(own, peer, 'once');
    assert.notDeepEqual(second, first);
    assert.deepEqual(second, noble.x25519(ownNoble, peer));
  });

  it("an ML-KEM-768 encapsulation to a 'once' key decapsulates, in both providers", () => {
    for (let i = 0; i < 8; i++) {
      const key = native.generateKey('ml-kem-768');
      const sent = native.mlKemEncapsulate(key.publicKey, 'once');
      assert.deepEqual(native.mlKemDecapsulate(key, sent.ciphertext), sent.sharedSecret);
      const seed = native.exportPrivateKey(key);
      assert.deepEqual(noble.mlKemDecapsulate(noble.importPrivateKey('ml-kem-768', seed), sent.ciphertext), sent.sharedSecret);
      // And the other way: a key @noble made, imported here.
      const fromNoble = noble.generateKey('ml-kem-768');
      const back = native.mlKemEncapsulate(fromNoble.publicKey, 'once');
      assert.deepEqual(noble.mlKemDecapsulate(fromNoble, back.ciphertext), back.sharedSecret);
    }
  });

  it('Ed25519 keys imported from one-line PEM verify exactly their own signatures', () => {
    for (let i = 0; i < 16; i++) {
      const key = native.generateKey('ed25519');
      const message = native.randomBytes(40);
      const signature = native.sign(key, message);
      assert.equal(native.verify(key.publicKey, message, signature), true);
      assert.equal(native.verify(native.generateKey('ed25519').publicKey, message, signature), false);
    }
  });
});

describe('node provider: prepared AES-256-GCM keys', () => {
  const provider = native;

  it('keep their own copy of the key: wiping the bytes afterwards changes nothing', () => {
    const bytes = provider.randomBytes(32);
    const nonce = provider.randomBytes(12);
    const expected = provider.aesGcmSeal(bytes, nonce, utf8('layer'), new Uint8Array(0));
    const prepared = provider.aesGcmKey(bytes);
    bytes.fill(0);
    assert.deepEqual(provider.aesGcmSeal(prepared, nonce, utf8('layer'), new Uint8Array(0)), expected);
  });

  it('refuse a key of the wrong length, and a key another provider prepared', () => {
    assert.throws(() => provider.aesGcmKey(new Uint8Array(16)), (err) => isSamizdatError(err, 'INVALID_ARGUMENT'));
    const foreign = noble.aesGcmKey(new Uint8Array(32));
    const nonce = new Uint8Array(12);
    assert.throws(() => provider.aesGcmSeal(foreign, nonce, new Uint8Array(1), new Uint8Array(0)), (err) => isSamizdatError(err, 'INVALID_ARGUMENT'));
    assert.throws(() => provider.aesGcmOpen(foreign, nonce, new Uint8Array(17), new Uint8Array(0)), (err) => isSamizdatError(err, 'INVALID_ARGUMENT'));
  });
});
