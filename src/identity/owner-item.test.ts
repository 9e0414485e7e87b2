import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { isSamizdatError } from '../errors.ts';
import { openOwnerItem, signOwnerItem } from './owner-item.ts';

const crypto = createNodeCryptoProvider();
const owner = crypto.generateKey('ed25519');
const other = crypto.generateKey('ed25519');
const payload = new TextEncoder().encode('prekey bundle bytes');

it('an owner item opens only for its account and namespace, untampered', () => {
  const item = signOwnerItem(crypto, owner, 'bundle', payload);
  assert.deepEqual(openOwnerItem(crypto, owner.publicKey, 'bundle', item), payload);
  assert.throws(() => openOwnerItem(crypto, owner.publicKey, 'config', item), (e) => isSamizdatError(e, 'BAD_SIGNATURE'));
  assert.throws(() => openOwnerItem(crypto, other.publicKey, 'bundle', item), (e) => isSamizdatError(e, 'BAD_SIGNATURE'));
  const forged = signOwnerItem(crypto, other, 'bundle', payload);
  assert.throws(() => openOwnerItem(crypto, owner.publicKey, 'bundle', forged), (e) => isSamizdatError(e, 'BAD_SIGNATURE'));
  for (let i = 0; i < item.length; i += 7) {
    const bad = item.slice();
    bad[i] = (bad[i] ?? 0) ^ 1;
    assert.throws(() => openOwnerItem(crypto, owner.publicKey, 'bundle', bad), (e) => isSamizdatError(e, 'BAD_SIGNATURE'));
  }
});

it('random bytes raise only typed errors', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      assert.throws(() => openOwnerItem(crypto, owner.publicKey, 'config', bytes), (e) => isSamizdatError(e, 'BAD_SIGNATURE') || isSamizdatError(e, 'MALFORMED'));
    }),
  );
});
