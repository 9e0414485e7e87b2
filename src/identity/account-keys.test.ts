import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import vectors from '../../test/vectors/identity.json' with { type: 'json' };
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { fromHex, toHex, utf8 } from '../crypto/bytes.ts';
import { isSamizdatError } from '../errors.ts';
import { decodeAccountId } from './account-id.ts';
import { ACCOUNT_KEY_LABELS, deriveAccountKeys, deriveAccountKeysFromSeed } from './account-keys.ts';
import { recoveryPhraseToSeed } from './recovery-phrase.ts';

const provider = createNodeCryptoProvider();

/** BIP-39 decoding written out here, independent of @scure/bip39: 24 x 11 bits = 256 + 8. */
function independentEntropy(phrase: string): Uint8Array {
  let bits = '';
  for (const word of phrase.split(' ')) {
    const index = wordlist.indexOf(word);
    assert.ok(index >= 0);
    bits += index.toString(2).padStart(11, '0');
  }
  const entropy = Uint8Array.from({ length: 32 }, (_, i) => Number.parseInt(bits.slice(i * 8, i * 8 + 8), 2));
  assert.equal(Number.parseInt(bits.slice(256), 2), sha256(entropy)[0], 'BIP-39 checksum');
  return entropy;
}

function nobleKey(seed: Uint8Array, label: string, length: number): Uint8Array {
  return hkdf(sha256, seed, utf8('samizdat/v1/account-keys'), utf8(label), length);
}

test('vectors: phrase -> seed -> keys -> Account ID, recomputed with @noble', () => {
  assert.ok(vectors.vectors.length >= 2);
  for (const v of vectors.vectors) {
    const entropy = independentEntropy(v.phrase);
    assert.equal(toHex(entropy), v.entropy);
    const seed = hkdf(sha256, entropy, utf8('samizdat/v1/recovery-seed'), new Uint8Array(0), 32);
    assert.equal(toHex(seed), v.seed);
    const identityPublic = ed25519.getPublicKey(nobleKey(seed, 'samizdat/v1/identity-ed25519', 32));
    assert.equal(toHex(identityPublic), v.identityPublicKey);
    assert.deepEqual(decodeAccountId(v.accountId), identityPublic);
    assert.equal(toHex(nobleKey(seed, 'samizdat/v1/profile-key', 32)), v.profileKey);
    assert.equal(toHex(x25519.getPublicKey(nobleKey(seed, 'samizdat/v1/mailbox-x25519', 32))), v.mailboxX25519PublicKey);
    const kem = ml_kem768.keygen(nobleKey(seed, 'samizdat/v1/mailbox-ml-kem-768', 64));
    assert.equal(toHex(sha256(kem.publicKey)), v.mailboxMlKemPublicKeySha256);

    // And the code under test gives the same.
    const keys = deriveAccountKeys(provider, v.phrase);
    assert.equal(keys.accountId, v.accountId);
    assert.equal(toHex(keys.identityPublicKey), v.identityPublicKey);
    assert.equal(toHex(keys.profileKey), v.profileKey);
    assert.equal(toHex(keys.mailboxX25519.publicKey), v.mailboxX25519PublicKey);
    assert.deepEqual(keys.mailboxMlKem.publicKey, kem.publicKey);
  }
});

test('restore: the same phrase gives the same keys, private halves included', () => {
  const phrase = vectors.vectors[1]?.phrase ?? '';
  const a = deriveAccountKeys(provider, phrase);
  const b = deriveAccountKeys(provider, `  ${phrase.toUpperCase()} `);
  assert.equal(a.accountId, b.accountId);
  assert.deepEqual(a.profileKey, b.profileKey);
  for (const name of ['identity', 'mailboxX25519', 'mailboxMlKem'] as const) {
    assert.deepEqual(provider.exportPrivateKey(a[name]), provider.exportPrivateKey(b[name]), name);
  }
  const signature = provider.sign(a.identity, utf8('hello'));
  assert.ok(provider.verify(b.identityPublicKey, utf8('hello'), signature));
});

test('the derived keys work and are distinct', () => {
  const keys = deriveAccountKeysFromSeed(provider, fromHex(vectors.vectors[0]?.seed ?? ''));
  const peer = provider.generateKey('x25519');
  assert.deepEqual(provider.x25519(keys.mailboxX25519, peer.publicKey), provider.x25519(peer, keys.mailboxX25519.publicKey));
  const { sharedSecret, ciphertext } = provider.mlKemEncapsulate(keys.mailboxMlKem.publicKey);
  assert.deepEqual(provider.mlKemDecapsulate(keys.mailboxMlKem, ciphertext), sharedSecret);
  const labels = Object.values(ACCOUNT_KEY_LABELS);
  assert.equal(new Set(labels).size, labels.length);
  const raw = [keys.profileKey, provider.exportPrivateKey(keys.identity), provider.exportPrivateKey(keys.mailboxX25519)];
  assert.equal(new Set(raw.map(toHex)).size, raw.length);
});

test('different phrases give different accounts; bad input is refused', () => {
  const a = deriveAccountKeysFromSeed(provider, recoveryPhraseToSeed(provider, vectors.vectors[0]?.phrase ?? ''));
  const b = deriveAccountKeysFromSeed(provider, recoveryPhraseToSeed(provider, vectors.vectors[1]?.phrase ?? ''));
  assert.notEqual(a.accountId, b.accountId);
  assert.throws(() => deriveAccountKeys(provider, 'abandon abandon'), (err) => isSamizdatError(err, 'BAD_PHRASE'));
  assert.throws(() => deriveAccountKeysFromSeed(provider, new Uint8Array(31)), (err) => isSamizdatError(err, 'INVALID_ARGUMENT'));
});
