/**
 * The native provider's handling of peers' public keys: a key used 'once' (PeerKeyUse) gives the
 * same results as a 'reused' one, the memo of the latest 'once' X25519 key never answers for other
 * bytes (even the same array changed in place), and keys go in through one-line PEM unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nobleProvider as noble, nodeProvider as native } from '../../test/support/providers.ts';

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
