import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { isSamizdatError, type ErrorCode } from '../errors.ts';
import { deriveAccountKeysFromSeed, type AccountKeys } from '../identity/account-keys.ts';
import { checkContactName, foldContactName } from './contacts.ts';
import { openProfileDb, type ProfileDb } from './profile-db.ts';

const crypto = createNodeCryptoProvider();
const account = (): AccountKeys => deriveAccountKeysFromSeed(crypto, crypto.randomBytes(32));
const SELF = account();
const ALICE = account();
const BOB = account();

function open(now = 1_000): ProfileDb {
  return openProfileDb({ path: ':memory:', crypto, now: () => now, account: SELF });
}

const code = (c: ErrorCode) => (e: unknown) => isSamizdatError(e, c);

describe('contacts', () => {
  it('add, get by name (any case) or Account ID or key, list, with default fields', () => {
    const db = open(1234);
    const added = db.contacts.add(ALICE.accountId, '  Alice  ');
    assert.deepEqual(added, {
      name: 'Alice',
      accountId: ALICE.accountId,
      identityKey: ALICE.identityPublicKey,
      addedAt: 1234,
      verified: false,
      state: 'accepted',
      bundleSequence: 0n,
      identityX25519: undefined,
    });
    assert.deepEqual(db.contacts.get('alice'), added);
    assert.deepEqual(db.contacts.get('ALICE'), added);
    assert.deepEqual(db.contacts.get(ALICE.accountId), added);
    assert.deepEqual(db.contacts.get(` ${ALICE.accountId.toUpperCase()} `), added);
    assert.deepEqual(db.contacts.get(ALICE.identityPublicKey), added);
    assert.equal(db.contacts.get('nobody'), undefined);
    assert.equal(db.contacts.get(BOB.accountId), undefined);
    assert.equal(db.contacts.get('\u0000bad'), undefined);
    db.contacts.add(BOB.accountId, 'bob', { state: 'request' });
    assert.deepEqual(db.contacts.list().map((c) => [c.name, c.state]), [['Alice', 'accepted'], ['bob', 'request']]);
    db.close();
  });

  it('refuses a bad Account ID with the decoder\'s code and a message naming the problem', () => {
    const db = open();
    const typo = ALICE.accountId.slice(0, 20) + (ALICE.accountId[20] === 'q' ? 'p' : 'q') + ALICE.accountId.slice(21);
    assert.throws(() => db.contacts.add(typo, 'x'), (e) => isSamizdatError(e, 'BAD_CHECKSUM') && /not a valid Account ID/.test(e.message));
    assert.throws(() => db.contacts.add('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'x'), code('WRONG_PREFIX'));
    assert.throws(() => db.contacts.add('sz1', 'x'), code('MALFORMED'));
    assert.throws(() => db.contacts.add('', 'x'), code('MALFORMED'));
    assert.deepEqual(db.contacts.list(), []);
    db.close();
  });

  it('refuses duplicates by name (case-insensitive) or account, and adding oneself', () => {
    const db = open();
    db.contacts.add(ALICE.accountId, 'Alice');
    assert.throws(() => db.contacts.add(BOB.accountId, 'aLiCe'), code('ALREADY_EXISTS'));
    assert.throws(() => db.contacts.add(ALICE.accountId, 'other'), (e) => isSamizdatError(e, 'ALREADY_EXISTS') && /"Alice"/.test(e.message));
    assert.throws(() => db.contacts.add(SELF.accountId, 'me'), (e) => isSamizdatError(e, 'INVALID_ARGUMENT') && /own Account ID/.test(e.message));
    assert.equal(db.contacts.list().length, 1);
    db.close();
  });

  it('checks names: length, control and bidi characters, Account IDs', () => {
    assert.equal(checkContactName('x'.repeat(64)), 'x'.repeat(64));
    assert.equal(checkContactName('😀'.repeat(64)).length, 128); // 64 code points
    for (const bad of ['', '   ', 'x'.repeat(65), 'a\nb', 'a\u0007', 'evil\u202Egnp.exe', 'a\u2028b', ALICE.accountId]) {
      assert.throws(() => checkContactName(bad), code('INVALID_ARGUMENT'), JSON.stringify(bad));
    }
    assert.equal(foldContactName('STRASSE'), foldContactName('straße'));
    assert.equal(checkContactName('Cafe\u0301'), 'Café');
  });

  it('checkContactName accepts or refuses any string only with INVALID_ARGUMENT', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0, max: 0x10ffff })), { maxLength: 80 }),
        (points) => {
          const s = String.fromCodePoint(...points);
          try {
            const name = checkContactName(s);
            assert.ok([...name].length >= 1 && [...name].length <= 64);
          } catch (e) {
            assert.ok(isSamizdatError(e, 'INVALID_ARGUMENT'));
          }
        },
      ),
    );
  });

  it('rename keeps every other field; the new name must be free; case-only renames are allowed', () => {
    const db = open();
    const alice = db.contacts.add(ALICE.accountId, 'Alice');
    db.contacts.add(BOB.accountId, 'Bob');
    assert.throws(() => db.contacts.rename('alice', 'BOB'), code('ALREADY_EXISTS'));
    assert.throws(() => db.contacts.rename('carol', 'Dave'), code('NOT_FOUND'));
    assert.throws(() => db.contacts.rename('alice', ''), code('INVALID_ARGUMENT'));
    const renamed = db.contacts.rename(ALICE.accountId, 'Ally');
    assert.deepEqual(renamed, { ...alice, name: 'Ally' });
    assert.equal(db.contacts.get('alice'), undefined);
    assert.deepEqual(db.contacts.get('ally'), renamed);
    assert.equal(db.contacts.rename('ally', 'ALLY').name, 'ALLY');
    db.contacts.add(account().accountId, 'Alice'); // the old name is free again
    db.close();
  });

  it('update sets verified, state, X25519 key and bundle sequence, refusing a rollback', () => {
    const db = open();
    db.contacts.add(ALICE.accountId, 'Alice');
    const x = crypto.randomBytes(32);
    const updated = db.contacts.update('alice', { verified: true, state: 'blocked', bundleSequence: 5n, identityX25519: x });
    assert.equal(updated.verified, true);
    assert.equal(updated.state, 'blocked');
    assert.equal(updated.bundleSequence, 5n);
    assert.deepEqual(updated.identityX25519, x);
    assert.deepEqual(db.contacts.require(ALICE.identityPublicKey), updated);
    assert.throws(() => db.contacts.update('alice', { bundleSequence: 4n }), code('ROLLBACK'));
    assert.equal(db.contacts.update('alice', { bundleSequence: 5n }).bundleSequence, 5n);
    assert.equal(db.contacts.update('alice', { bundleSequence: 2n ** 64n - 1n }).bundleSequence, 2n ** 64n - 1n);
    assert.throws(() => db.contacts.update('alice', { bundleSequence: 2n ** 64n }), code('INVALID_ARGUMENT'));
    assert.throws(() => db.contacts.update('alice', { identityX25519: new Uint8Array(31) }), code('INVALID_ARGUMENT'));
    assert.throws(() => db.contacts.update('alice', { state: 'friend' as never }), code('INVALID_ARGUMENT'));
    assert.throws(() => db.contacts.update('nobody', { verified: true }), code('NOT_FOUND'));
    db.close();
  });

  it('remove by name or ID returns the contact and frees both name and account', () => {
    const db = open();
    const alice = db.contacts.add(ALICE.accountId, 'Alice');
    assert.deepEqual(db.contacts.remove('ALICE'), alice);
    assert.throws(() => db.contacts.remove('alice'), code('NOT_FOUND'));
    assert.throws(() => db.contacts.remove(ALICE.accountId), code('NOT_FOUND'));
    assert.throws(() => db.contacts.remove(`${ALICE.accountId.slice(0, -1)}${ALICE.accountId.endsWith('q') ? 'p' : 'q'}`), code('BAD_CHECKSUM'));
    db.contacts.add(ALICE.accountId, 'Alice');
    assert.equal(db.contacts.remove(ALICE.accountId).name, 'Alice');
    assert.deepEqual(db.contacts.list(), []);
    db.close();
  });
});
