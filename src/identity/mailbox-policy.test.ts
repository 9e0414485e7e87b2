import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { concatBytes } from '../crypto/bytes.ts';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { isSamizdatError } from '../errors.ts';
import {
  MAILBOX_POLICY_TAG,
  MAX_MAILBOX_POLICY_BYTES,
  decodeMailboxPolicy,
  encodeMailboxPolicy,
  isMailboxPolicyPayload,
  openMailboxPolicy,
} from './mailbox-policy.ts';
import { signOwnerItem } from './owner-item.ts';

const crypto = createNodeCryptoProvider();
const owner = crypto.generateKey('ed25519');
const policy = { contactDepositKey: crypto.generateKey('ed25519').publicKey, refuseStrangers: true, sequence: 7n };

it('round-trips and is recognised by its tag', () => {
  const payload = encodeMailboxPolicy(policy);
  assert.ok(payload.length <= MAX_MAILBOX_POLICY_BYTES);
  assert.equal(isMailboxPolicyPayload(payload), true);
  assert.deepEqual(decodeMailboxPolicy(payload), policy);
  assert.equal(isMailboxPolicyPayload(new TextEncoder().encode('an encrypted backup')), false);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (key, refuseStrangers, sequence) => {
      const p = { contactDepositKey: key, refuseStrangers, sequence };
      assert.deepEqual(decodeMailboxPolicy(encodeMailboxPolicy(p)), p);
    }),
  );
});

it('opens only when the owner signed it in config', () => {
  const item = signOwnerItem(crypto, owner, 'config', encodeMailboxPolicy(policy));
  assert.deepEqual(openMailboxPolicy(crypto, owner.publicKey, item), policy);
  const forged = signOwnerItem(crypto, crypto.generateKey('ed25519'), 'config', encodeMailboxPolicy(policy));
  assert.throws(() => openMailboxPolicy(crypto, owner.publicKey, forged), (e) => isSamizdatError(e, 'BAD_SIGNATURE'));
  const inBundle = signOwnerItem(crypto, owner, 'bundle', encodeMailboxPolicy(policy));
  assert.throws(() => openMailboxPolicy(crypto, owner.publicKey, inBundle), (e) => isSamizdatError(e, 'BAD_SIGNATURE'));
  const notPolicy = signOwnerItem(crypto, owner, 'config', new TextEncoder().encode('settings backup'));
  assert.throws(() => openMailboxPolicy(crypto, owner.publicKey, notPolicy), (e) => isSamizdatError(e, 'MALFORMED'));
});

it('refuses bad fields when encoding', () => {
  assert.throws(() => encodeMailboxPolicy({ ...policy, contactDepositKey: new Uint8Array(31) }), (e) => isSamizdatError(e, 'INVALID_ARGUMENT'));
  assert.throws(() => encodeMailboxPolicy({ ...policy, sequence: -1n }), (e) => isSamizdatError(e, 'INVALID_ARGUMENT'));
  assert.throws(() => encodeMailboxPolicy({ ...policy, sequence: 2n ** 64n }), (e) => isSamizdatError(e, 'INVALID_ARGUMENT'));
});

it('random bytes, with or without the tag, raise only typed errors', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.uint8Array({ maxLength: 600 }), (tagged, bytes) => {
      const payload = tagged ? concatBytes(MAILBOX_POLICY_TAG, bytes) : bytes;
      try {
        const p = decodeMailboxPolicy(payload);
        assert.equal(p.contactDepositKey.length, 32);
      } catch (e) {
        assert.ok(isSamizdatError(e, 'MALFORMED') || isSamizdatError(e, 'TOO_LARGE'), String(e));
      }
      assert.throws(() => openMailboxPolicy(crypto, owner.publicKey, payload), (e) => isSamizdatError(e, 'MALFORMED') || isSamizdatError(e, 'BAD_SIGNATURE'));
    }),
  );
});
