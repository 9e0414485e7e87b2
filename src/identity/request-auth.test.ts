import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, u64be, utf8 } from '../crypto/bytes.ts';
import { isSamizdatError } from '../errors.ts';
import { PROVIDERS, samizdatCode } from '../../test/support/providers.ts';
import {
  OWNER_AUTH_MAX_SKEW_MS,
  deleteRequestDigest,
  ownerAuthMessage,
  retrieveRequestDigest,
  signOwnerAuth,
  storeRequestDigest,
  verifyOwnerAuth,
  type OwnerAuthScope,
} from './request-auth.ts';

const NOW = 1_750_000_000_000;

for (const crypto of PROVIDERS) {
  describe(`owner request auth (${crypto.name})`, () => {
    const key = crypto.generateKey('ed25519');
    const scope: OwnerAuthScope = {
      method: 'retrieve',
      namespace: 'inbox',
      account: key.publicKey,
      requestDigest: retrieveRequestDigest(crypto, 5n, 10, 1_000),
    };

    it('signs the documented layout', () => {
      const nonce = new Uint8Array(16).fill(7);
      const expected = concatBytes(
        utf8('samizdat/v1/mailbox-auth'),
        utf8('retrieve'),
        new Uint8Array([0]),
        utf8('inbox'),
        new Uint8Array([0]),
        key.publicKey,
        u64be(BigInt(NOW)),
        nonce,
        scope.requestDigest,
      );
      assert.deepEqual(ownerAuthMessage(scope, BigInt(NOW), nonce), expected);
      const proof = signOwnerAuth(crypto, key, { ...scope, timestampMs: NOW, nonce });
      assert.ok(crypto.verify(key.publicKey, expected, proof.signature));
    });

    it('signs the timestamp in whole seconds (the exact skew would fingerprint the client)', () => {
      assert.equal(NOW % 1_000, 0);
      const proof = signOwnerAuth(crypto, key, { ...scope, timestampMs: NOW + 999 });
      assert.equal(proof.timestampMs, BigInt(NOW));
      verifyOwnerAuth(crypto, proof, scope, NOW + 999);
    });

    it('verifies its own signature at the edges of the clock window', () => {
      const proof = signOwnerAuth(crypto, key, { ...scope, timestampMs: NOW });
      assert.equal(proof.nonce.length, 16);
      verifyOwnerAuth(crypto, proof, scope, NOW);
      verifyOwnerAuth(crypto, proof, scope, NOW + OWNER_AUTH_MAX_SKEW_MS);
      verifyOwnerAuth(crypto, proof, scope, NOW - OWNER_AUTH_MAX_SKEW_MS);
    });

    it('CLOCK_SKEW beyond ±60 s, with the skew in the detail', () => {
      const proof = signOwnerAuth(crypto, key, { ...scope, timestampMs: NOW });
      assert.throws(() => verifyOwnerAuth(crypto, proof, scope, NOW + OWNER_AUTH_MAX_SKEW_MS + 1), (err: unknown) => {
        assert.ok(isSamizdatError(err, 'CLOCK_SKEW'));
        assert.equal(err.detail['skewMs'], -(OWNER_AUTH_MAX_SKEW_MS + 1));
        return true;
      });
      assert.throws(() => verifyOwnerAuth(crypto, proof, scope, NOW - OWNER_AUTH_MAX_SKEW_MS - 1), samizdatCode('CLOCK_SKEW'));
    });

    it('BAD_SIGNATURE when any signed field changes', () => {
      const proof = signOwnerAuth(crypto, key, { ...scope, timestampMs: NOW });
      const other = crypto.generateKey('ed25519');
      const variants: OwnerAuthScope[] = [
        { ...scope, method: 'delete' },
        { ...scope, namespace: 'config' },
        { ...scope, account: other.publicKey },
        { ...scope, requestDigest: retrieveRequestDigest(crypto, 5n, 11, 1_000) },
      ];
      for (const v of variants) assert.throws(() => verifyOwnerAuth(crypto, proof, v, NOW), samizdatCode('BAD_SIGNATURE'));
      assert.throws(() => verifyOwnerAuth(crypto, { ...proof, timestampMs: proof.timestampMs + 1n }, scope, NOW), samizdatCode('BAD_SIGNATURE'));
      const nonce = proof.nonce.slice();
      nonce[0] = (nonce[0] ?? 0) ^ 1;
      assert.throws(() => verifyOwnerAuth(crypto, { ...proof, nonce }, scope, NOW), samizdatCode('BAD_SIGNATURE'));
      assert.throws(() => verifyOwnerAuth(crypto, undefined, scope, NOW), samizdatCode('BAD_SIGNATURE'));
    });

    it('MALFORMED for wrong field sizes; INVALID_ARGUMENT for a key that is not the account', () => {
      const proof = signOwnerAuth(crypto, key, { ...scope, timestampMs: NOW });
      assert.throws(() => verifyOwnerAuth(crypto, { ...proof, nonce: new Uint8Array(15) }, scope, NOW), samizdatCode('MALFORMED'));
      assert.throws(() => verifyOwnerAuth(crypto, { ...proof, signature: new Uint8Array(63) }, scope, NOW), samizdatCode('MALFORMED'));
      const other = crypto.generateKey('ed25519');
      assert.throws(() => signOwnerAuth(crypto, other, { ...scope, timestampMs: NOW }), samizdatCode('INVALID_ARGUMENT'));
      assert.throws(() => signOwnerAuth(crypto, key, { ...scope, namespace: 'in\u0000box', timestampMs: NOW }), samizdatCode('INVALID_ARGUMENT'));
    });

    it('request digests bind every field; delete digests ignore ID order', () => {
      const a = crypto.randomBytes(32);
      const b = crypto.randomBytes(32);
      assert.deepEqual(deleteRequestDigest(crypto, [a, b]), deleteRequestDigest(crypto, [b, a]));
      assert.notDeepEqual(deleteRequestDigest(crypto, [a]), deleteRequestDigest(crypto, [a, b]));
      assert.notDeepEqual(storeRequestDigest(crypto, utf8('x'), 1n), storeRequestDigest(crypto, utf8('x'), 2n));
      assert.notDeepEqual(storeRequestDigest(crypto, utf8('x'), 1n), storeRequestDigest(crypto, utf8('y'), 1n));
      assert.notDeepEqual(retrieveRequestDigest(crypto, 0n, 1, 0), retrieveRequestDigest(crypto, 0n, 0, 1));
    });

    it('random proofs raise only typed errors', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (nonce, signature, timestampMs) => {
          try {
            verifyOwnerAuth(crypto, { nonce, signature, timestampMs }, scope, NOW);
            return false;
          } catch (err) {
            return isSamizdatError(err, 'MALFORMED') || isSamizdatError(err, 'BAD_SIGNATURE');
          }
        }),
        { numRuns: 200 },
      );
    });
  });
}
