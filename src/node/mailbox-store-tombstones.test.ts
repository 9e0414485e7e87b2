import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { toHex, utf8 } from '../crypto/bytes.ts';
import { isSamizdatError } from '../errors.ts';
import { openMailboxStore } from './mailbox-store.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './mailbox-store-schema.ts';
import { HOUR, T0, alice, bob, createStoreFixture, text } from '../../test/support/mailbox-store-fixture.ts';

const { crypto, freshPath, open, xorOfHashes } = createStoreFixture();

describe('mailbox store tombstones', () => {
  it('records a tombstone on delete: the id is refused by put and putReplica until it expires with the message', () => {
    const { store, clock } = open();
    const kept = store.put(alice, 'inbox', text('kept'), HOUR);
    const gone = store.put(alice, 'inbox', text('gone'), HOUR);
    const replica = store.get(alice, 'inbox', [gone.id])[0];
    assert.ok(replica !== undefined);
    assert.equal(store.delete(alice, 'inbox', [gone.id]), 1);
    assert.deepEqual(store.tombstones(alice, 'inbox').map(toHex), [toHex(gone.id)]);
    assert.deepEqual(store.tombstonesAfter(0, 10).map((t) => [toHex(t.id), t.expiresAtMs, t.namespace]), [[toHex(gone.id), gone.expiresAtMs, 'inbox']]);
    // A member that missed the delete pushes it back; a sender re-sends it: both refused.
    assert.equal(store.putReplica(replica), 'present');
    assert.equal(store.put(alice, 'inbox', text('gone'), HOUR).inserted, false);
    assert.deepEqual(store.ids(alice, 'inbox').map(toHex), [toHex(kept.id)]);
    assert.deepEqual(store.digestOf(alice, 'inbox'), { digest: xorOfHashes([kept.id]), count: 1 });
    // The tombstone is per mailbox: the same body in bob's inbox is a different id and is stored.
    assert.equal(store.put(bob, 'inbox', text('gone'), HOUR).inserted, true);
    // It expires with the message and is swept with it.
    clock.t = gone.expiresAtMs;
    assert.deepEqual(store.tombstones(alice, 'inbox'), []);
    assert.deepEqual(store.tombstonesAfter(0, 10), []);
    store.sweepExpired();
    assert.deepEqual(store.tombstoneAccounts(), []);
    assert.equal(store.putReplica({ ...replica, expiresAtMs: clock.t + HOUR }), 'inserted');
    store.close();
  });

  it('tombstones ids it never held for the longest TTL, pages them by seq, and keeps them across a reopen', () => {
    const { store, clock } = open({ maxTtlMs: 2 * HOUR });
    const late = store.put(alice, 'inbox', text('late replica'), HOUR);
    const replica = store.get(alice, 'inbox', [late.id])[0];
    assert.ok(replica !== undefined);
    const other = open({ maxTtlMs: 2 * HOUR });
    // A replicated delete arrives before the replica does.
    assert.equal(other.store.delete(alice, 'inbox', [late.id, new Uint8Array(32).fill(7), new Uint8Array(5)]), 0);
    assert.equal(other.store.putReplica(replica), 'present');
    const all = other.store.tombstonesAfter(0, 10);
    assert.equal(all.length, 2, 'ids of the wrong length are not tombstoned');
    assert.ok(all.every((t) => t.expiresAtMs === T0 + 2 * HOUR));
    assert.deepEqual(other.store.tombstonesAfter(0, 1).map((t) => t.seq), [all[0]?.seq]);
    assert.deepEqual(other.store.tombstonesAfter(all[0]?.seq ?? 0, 10).map((t) => t.seq), [all[1]?.seq]);
    assert.deepEqual(other.store.tombstoneAccounts().map(toHex), [toHex(alice)]);
    other.store.close();
    const reopened = openMailboxStore({ path: other.file, crypto, now: () => clock.t, limits: { maxTtlMs: 2 * HOUR } });
    assert.equal(reopened.putReplica(replica), 'present');
    assert.equal(reopened.dropAccount(alice), 0);
    assert.deepEqual(reopened.tombstoneAccounts(), [], 'dropAccount drops tombstones too');
    reopened.close();
    store.close();
  });

  it('migrates a version 1 database to the current schema (tombstones)', () => {
    const file = freshPath();
    const db = new DatabaseSync(file);
    db.exec(MIGRATIONS[0] ?? '');
    db.exec('PRAGMA user_version = 1');
    db.close();
    const { store } = open({}, file);
    const put = store.put(alice, 'inbox', text('x'), HOUR);
    assert.equal(store.delete(alice, 'inbox', [put.id]), 1);
    assert.equal(store.tombstones(alice, 'inbox').length, 1);
    store.close();
    const check = new DatabaseSync(file);
    assert.equal(check.prepare('PRAGMA user_version').get()?.['user_version'], SCHEMA_VERSION);
    check.close();
    assert.equal(SCHEMA_VERSION, 4);
  });

  it('keeps the owner\'s signed delete with its tombstones, for as long as they last', () => {
    const { store, clock } = open({ maxTtlMs: 2 * HOUR });
    const held = store.put(alice, 'inbox', text('held'), HOUR);
    const notHeld = new Uint8Array(32).fill(9);
    const auth = utf8('signed delete (opaque to the store)');
    const signedAtMs = T0 - HOUR / 2;
    assert.equal(store.delete(alice, 'inbox', [held.id, notHeld], { auth, ids: [held.id, notHeld], signedAtMs }), 1);
    const tombstones = store.tombstonesAfter(0, 10);
    assert.deepEqual(tombstones.map((t) => [toHex(t.id), t.expiresAtMs]), [
      [toHex(held.id), held.expiresAtMs],
      [toHex(notHeld), signedAtMs + 2 * HOUR], // a TTL from the signature, not from now
    ]);
    const key = tombstones[0]?.proof;
    assert.ok(key !== undefined && tombstones[1]?.proof !== undefined && toHex(tombstones[1].proof) === toHex(key));
    assert.deepEqual(store.deleteProof(key), { account: alice, namespace: 'inbox', auth, ids: [held.id, notHeld] });
    // Relayed again later, the same delete makes nothing last beyond a TTL from its signature.
    clock.t += HOUR / 4;
    store.delete(alice, 'inbox', [held.id, notHeld], { auth, ids: [held.id, notHeld], signedAtMs });
    assert.deepEqual(store.tombstonesAfter(0, 10).map((t) => t.expiresAtMs), [signedAtMs + 2 * HOUR, signedAtMs + 2 * HOUR]);
    // A delete without a proof (a test's, or an old tombstone's) still refuses the id, but has none to relay.
    store.delete(alice, 'inbox', [new Uint8Array(32).fill(3)]);
    assert.equal(store.tombstonesAfter(0, 10)[2]?.proof, undefined);
    clock.t = signedAtMs + 2 * HOUR;
    store.sweepExpired();
    assert.equal(store.deleteProof(key), undefined, 'gone with its last tombstone');
    assert.equal(store.delete(alice, 'inbox', [], { auth, ids: [], signedAtMs }), 0, 'an empty delete is nothing, proof or not');
    assert.throws(() => store.delete(alice, 'inbox', [held.id], { auth: new Uint8Array(0), ids: [held.id], signedAtMs }), (e) => isSamizdatError(e, 'INVALID_ARGUMENT'));
    assert.throws(() => store.delete(alice, 'inbox', [held.id], { auth, ids: [new Uint8Array(31)], signedAtMs }), (e) => isSamizdatError(e, 'INVALID_ARGUMENT'));
    store.close();
  });

  it('tombstones of ids a mailbox never held stop at its namespace\'s message cap; held ones do not', () => {
    const { store } = open({ maxConfigMessages: 3 });
    const strangers = Array.from({ length: 6 }, (_, i) => new Uint8Array(32).fill(0x40 + i));
    assert.equal(store.delete(alice, 'config', strangers), 0);
    assert.equal(store.tombstones(alice, 'config').length, 3, 'a delete of ids never held cannot fill the disk');
    assert.equal(store.tombstones(bob, 'config').length, 0);
    const held = [1, 2, 3].map((i) => store.put(alice, 'config', text(`item ${i}`), HOUR).id);
    assert.equal(store.delete(alice, 'config', held), 3);
    assert.equal(store.tombstones(alice, 'config').length, 6, 'every id it held is tombstoned, past the cap');
    store.close();
  });
});
