/** RFC 7748 (X25519) and RFC 8032 (Ed25519) test vectors, on both providers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROVIDERS } from '../../test/support/providers.ts';
import { hex, loadJson } from '../../test/support/vectors.ts';
import { toHex } from './bytes.ts';

interface Rfc7748 {
  readonly scalarMult: readonly { section: string; scalar: string; u: string; output: string }[];
  readonly diffieHellman: {
    alicePrivate: string;
    alicePublic: string;
    bobPrivate: string;
    bobPublic: string;
    shared: string;
  };
}

interface Rfc8032 {
  readonly vectors: readonly { name: string; secretKey: string; publicKey: string; message: string; signature: string }[];
}

const rfc7748 = loadJson<Rfc7748>('rfc7748.json');
const rfc8032 = loadJson<Rfc8032>('rfc8032.json');

for (const provider of PROVIDERS) {
  describe(`RFC 7748 X25519 (${provider.name})`, () => {
    for (const v of rfc7748.scalarMult) {
      it(`§${v.section}`, () => {
        const key = provider.importPrivateKey('x25519', hex(v.scalar));
        assert.equal(toHex(provider.x25519(key, hex(v.u))), v.output);
      });
    }

    it('§6.1 Alice and Bob', () => {
      const dh = rfc7748.diffieHellman;
      const alice = provider.importPrivateKey('x25519', hex(dh.alicePrivate));
      const bob = provider.importPrivateKey('x25519', hex(dh.bobPrivate));
      assert.equal(toHex(alice.publicKey), dh.alicePublic);
      assert.equal(toHex(bob.publicKey), dh.bobPublic);
      assert.equal(toHex(provider.x25519(alice, bob.publicKey)), dh.shared);
      assert.equal(toHex(provider.x25519(bob, alice.publicKey)), dh.shared);
    });
  });

  describe(`RFC 8032 §7.1 Ed25519 (${provider.name})`, () => {
    for (const v of rfc8032.vectors) {
      it(v.name, () => {
        const key = provider.importPrivateKey('ed25519', hex(v.secretKey));
        assert.equal(toHex(key.publicKey), v.publicKey);
        const signature = provider.sign(key, hex(v.message));
        assert.equal(toHex(signature), v.signature);
        assert.equal(provider.verify(key.publicKey, hex(v.message), signature), true);
        assert.deepEqual(provider.exportPrivateKey(key), hex(v.secretKey));
      });
    }
  });
}
