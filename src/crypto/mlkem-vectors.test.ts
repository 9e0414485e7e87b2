/**
 * ML-KEM-768 vectors from Wycheproof (derived from the FIPS 203 / NIST round-3 seeds plus the
 * CCTV modulus and strcmp cases), on both providers where the provider's interface allows:
 *  - keygen from seed: the 64-byte seed d || z must give ek (and, for noble, the expanded dk);
 *  - mlkem_768_test: seed -> ek, decapsulate(c) = K; wrong-length keys and ciphertexts refused;
 *  - encaps: with the vector's randomness m (noble only: node:crypto takes no caller randomness)
 *    c and K must match; every invalid encapsulation key (modulus overflow, unreduced
 *    coefficients, wrong length) must be refused by BOTH providers' mlKemEncapsulate with BAD_KEY;
 *  - semi-expanded decaps: the vectors give only the 2,400-byte expanded dk, which our providers
 *    never import (they hold seeds), so they are checked against noble directly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  nobleExpandedMlKemKey,
  nobleMlKemDecapsulateExpanded,
  nobleMlKemEncapsulateWith,
} from '../../test/support/noble-provider.ts';
import { PROVIDERS, nobleProvider, samizdatCode } from '../../test/support/providers.ts';
import { caseName, hex, loadWycheproof, type WycheproofTest } from '../../test/support/vectors.ts';
import { toHex } from './bytes.ts';

interface KeygenTest extends WycheproofTest {
  readonly seed: string;
  readonly ek: string;
  readonly dk: string;
}
interface DecapsTest extends WycheproofTest {
  readonly seed: string;
  readonly ek?: string;
  readonly c: string;
  readonly K: string;
}
interface EncapsTest extends WycheproofTest {
  readonly m: string;
  readonly ek: string;
  readonly c: string;
  readonly K: string;
}
interface ExpandedTest extends WycheproofTest {
  readonly dk: string;
  readonly c: string;
  readonly K: string;
}

const tests = <T>(file: string): readonly T[] => loadWycheproof<{ tests: readonly T[] }>(file).testGroups.flatMap((g) => g.tests);
const keygen = tests<KeygenTest>('mlkem_768_keygen_seed_test.json');
const decaps = tests<DecapsTest>('mlkem_768_test.json');
const encaps = tests<EncapsTest>('mlkem_768_encaps_test.json');
const expanded = tests<ExpandedTest>('mlkem_768_semi_expanded_decaps_test.json');
const lower = (s: string): string => s.toLowerCase();

for (const provider of PROVIDERS) {
  describe(`ML-KEM-768 vectors (${provider.name})`, () => {
    it('keygen from seed reproduces ek', () => {
      for (const t of keygen) {
        const key = provider.importPrivateKey('ml-kem-768', hex(t.seed));
        assert.equal(toHex(key.publicKey), lower(t.ek), caseName(t));
        assert.equal(toHex(provider.exportPrivateKey(key)), lower(t.seed), caseName(t));
        if (provider === nobleProvider) assert.equal(toHex(nobleExpandedMlKemKey(key)), lower(t.dk), caseName(t));
      }
    });

    it('decapsulation from seed gives K; bad lengths refused', () => {
      let valid = 0;
      for (const t of decaps) {
        const seed = hex(t.seed);
        if (seed.length !== 64) {
          assert.equal(t.result, 'invalid', caseName(t));
          assert.throws(() => provider.importPrivateKey('ml-kem-768', seed), samizdatCode('BAD_KEY'), caseName(t));
          continue;
        }
        const key = provider.importPrivateKey('ml-kem-768', seed);
        if (t.ek !== undefined) assert.equal(toHex(key.publicKey), lower(t.ek), caseName(t));
        if (t.result === 'valid') {
          assert.equal(toHex(provider.mlKemDecapsulate(key, hex(t.c))), lower(t.K), caseName(t));
          valid++;
        } else {
          assert.notEqual(hex(t.c).length, 1088, caseName(t));
          assert.throws(() => provider.mlKemDecapsulate(key, hex(t.c)), samizdatCode('MALFORMED'), caseName(t));
        }
      }
      assert.ok(valid >= 10);
    });

    it('encapsulation: valid keys accepted, every invalid key refused with BAD_KEY', () => {
      let invalid = 0;
      for (const t of encaps) {
        const ek = hex(t.ek);
        if (t.result === 'valid') {
          const { sharedSecret, ciphertext } = provider.mlKemEncapsulate(ek);
          assert.equal(sharedSecret.length, 32, caseName(t));
          assert.equal(ciphertext.length, 1088, caseName(t));
        } else {
          assert.throws(() => provider.mlKemEncapsulate(ek), samizdatCode('BAD_KEY'), caseName(t));
          invalid++;
        }
      }
      assert.ok(invalid >= 100);
    });
  });
}

describe('ML-KEM-768 vectors (noble with the vectors\' randomness)', () => {
  it('encapsulation with m gives c and K', () => {
    for (const t of encaps.filter((x) => x.result === 'valid')) {
      const { sharedSecret, ciphertext } = nobleMlKemEncapsulateWith(hex(t.ek), hex(t.m));
      assert.equal(toHex(ciphertext), lower(t.c), caseName(t));
      assert.equal(toHex(sharedSecret), lower(t.K), caseName(t));
    }
  });

  it('semi-expanded decapsulation keys', () => {
    for (const t of expanded) {
      const run = (): string => toHex(nobleMlKemDecapsulateExpanded(hex(t.dk), hex(t.c)));
      if (t.result === 'valid') assert.equal(run(), lower(t.K), caseName(t));
      else assert.throws(run, caseName(t));
    }
  });
});
