/**
 * Wycheproof vectors for X25519, Ed25519, AES-256-GCM and HKDF, on both providers
 * (test/vectors/wycheproof/, see test/vectors/README.md). Invalid cases must be rejected.
 *
 * X25519 'acceptable' cases, decided per flag:
 *  - ZeroSharedSecret (with LowOrderPublic / SmallPublicKey): REJECTED with BAD_KEY. RFC 7748 §6.1
 *    allows the all-zero check and we require it: a low-order peer key would otherwise make the
 *    "shared" secret a constant an attacker knows.
 *  - Twist, NonCanonicalPublic, EdgeCase*, SpecialPublicKey, Ktv: ACCEPTED and the result must be
 *    the listed one. RFC 7748 §5 defines X25519 on the twist and on non-canonical u (reduced mod p,
 *    top bit masked), and §7 recommends accepting them; the result is what matters.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROVIDERS, samizdatCode } from '../../test/support/providers.ts';
import { caseName, hex, loadWycheproof, type WycheproofTest } from '../../test/support/vectors.ts';
import { concatBytes, toHex } from './bytes.ts';
import type { HkdfHash } from './provider.ts';

interface XdhTest extends WycheproofTest {
  readonly public: string;
  readonly private: string;
  readonly shared: string;
}
interface EddsaGroup {
  readonly publicKey: { readonly pk: string };
  readonly tests: readonly (WycheproofTest & { msg: string; sig: string })[];
}
interface AeadTest extends WycheproofTest {
  readonly key: string;
  readonly iv: string;
  readonly aad: string;
  readonly msg: string;
  readonly ct: string;
  readonly tag: string;
}
interface HkdfTest extends WycheproofTest {
  readonly ikm: string;
  readonly salt: string;
  readonly info: string;
  readonly size: number;
  readonly okm: string;
}

const x25519File = loadWycheproof<{ tests: readonly XdhTest[] }>('x25519_test.json');
const ed25519File = loadWycheproof<EddsaGroup>('ed25519_test.json');
const aesGcmFile = loadWycheproof<{ keySize: number; ivSize: number; tagSize: number; tests: readonly AeadTest[] }>(
  'aes_gcm_test.json',
);
const hkdfFiles: readonly [HkdfHash, string][] = [
  ['sha256', 'hkdf_sha256_test.json'],
  ['sha512', 'hkdf_sha512_test.json'],
];

for (const provider of PROVIDERS) {
  describe(`Wycheproof (${provider.name})`, () => {
    it('x25519_test.json: every case, zero shared secrets rejected', () => {
      let rejected = 0;
      let checked = 0;
      for (const t of x25519File.testGroups.flatMap((g) => g.tests)) {
        const key = provider.importPrivateKey('x25519', hex(t.private));
        if (t.flags?.includes('ZeroSharedSecret')) {
          assert.equal(t.shared, '00'.repeat(32), caseName(t));
          assert.throws(() => provider.x25519(key, hex(t.public)), samizdatCode('BAD_KEY'), caseName(t));
          rejected++;
        } else {
          assert.notEqual(t.result, 'invalid', caseName(t));
          assert.equal(toHex(provider.x25519(key, hex(t.public))), t.shared, caseName(t));
          checked++;
        }
      }
      assert.equal(rejected + checked, x25519File.numberOfTests);
      assert.ok(rejected >= 30, `only ${rejected} zero-secret cases`);
    });

    it('ed25519_test.json: valid cases verify, invalid ones do not', () => {
      let count = 0;
      for (const group of ed25519File.testGroups) {
        const pk = hex(group.publicKey.pk);
        for (const t of group.tests) {
          assert.equal(provider.verify(pk, hex(t.msg), hex(t.sig)), t.result === 'valid', caseName(t));
          count++;
        }
      }
      assert.equal(count, ed25519File.numberOfTests);
    });

    it('aes_gcm_test.json (256-bit key, 96-bit nonce, 128-bit tag)', () => {
      let invalid = 0;
      for (const group of aesGcmFile.testGroups) {
        assert.deepEqual([group.keySize, group.ivSize, group.tagSize], [256, 96, 128]);
        for (const t of group.tests) {
          const [key, iv, aad, msg] = [hex(t.key), hex(t.iv), hex(t.aad), hex(t.msg)];
          const sealed = concatBytes(hex(t.ct), hex(t.tag));
          // Raw key bytes and the same key prepared once (aesGcmKey) must both give the vectors.
          for (const k of [key, provider.aesGcmKey(key)]) {
            if (t.result === 'valid') {
              assert.equal(toHex(provider.aesGcmSeal(k, iv, msg, aad)), toHex(sealed), caseName(t));
              assert.equal(toHex(provider.aesGcmOpen(k, iv, sealed, aad)), t.msg, caseName(t));
            } else {
              assert.throws(() => provider.aesGcmOpen(k, iv, sealed, aad), samizdatCode('DECRYPT_FAILED'), caseName(t));
            }
          }
          if (t.result !== 'valid') invalid++;
        }
      }
      assert.ok(invalid > 0);
    });

    for (const [hash, file] of hkdfFiles) {
      it(`${file}: valid outputs match, oversized requests refused`, () => {
        const data = loadWycheproof<{ tests: readonly HkdfTest[] }>(file);
        for (const t of data.testGroups.flatMap((g) => g.tests)) {
          const run = (): Uint8Array => provider.hkdf(hash, hex(t.ikm), hex(t.salt), hex(t.info), t.size);
          if (t.result === 'valid') assert.equal(toHex(run()), t.okm, caseName(t));
          else assert.throws(run, samizdatCode('INVALID_ARGUMENT'), caseName(t));
        }
      });
    }
  });
}
