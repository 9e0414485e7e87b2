import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { utf8 } from '../crypto/bytes.ts';
import { isSamizdatError, type ErrorCode } from '../errors.ts';
import { deriveAccountKeysFromSeed, type AccountKeys } from '../identity/account-keys.ts';
import { MAX_ENVELOPE_BYTES } from '../e2e/sealed-envelope.ts';
import { MAX_PREKEY_MATERIAL_BYTES, MAX_SETTING_VALUE_BYTES } from './profile-db-limits.ts';
import { openProfileDb, type ProfileDb } from './profile-db.ts';

const crypto = createNodeCryptoProvider();
const account = (): AccountKeys => deriveAccountKeysFromSeed(crypto, crypto.randomBytes(32));
const SELF = account();
const ALICE = account().identityPublicKey;
const BOB = account().identityPublicKey;
const code = (c: ErrorCode) => (e: unknown) => isSamizdatError(e, c);

function open(clock: { now: number } = { now: 0 }): ProfileDb {
  return openProfileDb({ path: ':memory:', crypto, now: () => clock.now, account: SELF });
}

describe('sessions', () => {
  it('get, put (replace) and delete opaque state per peer', () => {
    const db = open();
    assert.equal(db.sessions.get(ALICE), undefined);
    db.sessions.put(ALICE, utf8('v1'));
    db.sessions.put(BOB, utf8('bob'));
    db.sessions.put(ALICE, utf8('v2'));
    assert.deepEqual(db.sessions.get(ALICE), utf8('v2'));
    assert.deepEqual(db.sessions.get(BOB), utf8('bob'));
    assert.equal(db.sessions.delete(ALICE), true);
    assert.equal(db.sessions.delete(ALICE), false);
    assert.equal(db.sessions.get(ALICE), undefined);
    assert.throws(() => db.sessions.put(new Uint8Array(5), utf8('x')), code('INVALID_ARGUMENT'));
    db.close();
  });
});

describe('prekeys', () => {
  it('put, get, list with creation times (oldest first), delete', () => {
    const clock = { now: 100 };
    const db = open(clock);
    db.prekeys.put('signed-x25519', 7, utf8('sx7'));
    clock.now = 200;
    db.prekeys.put('one-time-x25519', 1, utf8('ot1'));
    db.prekeys.put('one-time-x25519', 0xffffffff, utf8('otmax'));
    clock.now = 300;
    db.prekeys.put('signed-ml-kem', 7, new Uint8Array(MAX_PREKEY_MATERIAL_BYTES));
    assert.deepEqual(db.prekeys.get('signed-x25519', 7), { kind: 'signed-x25519', id: 7, createdAt: 100, material: utf8('sx7') });
    assert.equal(db.prekeys.get('signed-ml-kem', 7)?.material.length, MAX_PREKEY_MATERIAL_BYTES);
    assert.equal(db.prekeys.get('one-time-ml-kem', 7), undefined);
    assert.deepEqual(db.prekeys.list(), [
      { kind: 'signed-x25519', id: 7, createdAt: 100 },
      { kind: 'one-time-x25519', id: 1, createdAt: 200 },
      { kind: 'one-time-x25519', id: 0xffffffff, createdAt: 200 },
      { kind: 'signed-ml-kem', id: 7, createdAt: 300 },
    ]);
    assert.deepEqual(db.prekeys.list('one-time-x25519').map((p) => p.id), [1, 0xffffffff]);
    assert.equal(db.prekeys.delete('one-time-x25519', 1), true);
    assert.equal(db.prekeys.delete('one-time-x25519', 1), false);
    assert.equal(db.prekeys.list('one-time-x25519').length, 1);
    assert.throws(() => db.prekeys.put('signed-x25519', -1, utf8('x')), code('INVALID_ARGUMENT'));
    assert.throws(() => db.prekeys.put('bogus' as never, 1, utf8('x')), code('INVALID_ARGUMENT'));
    assert.throws(() => db.prekeys.put('signed-x25519', 1, new Uint8Array(MAX_PREKEY_MATERIAL_BYTES + 1)), code('TOO_LARGE'));
    db.close();
  });

  it('the bundle sequence starts at 0 and only moves up', () => {
    const db = open();
    assert.equal(db.prekeys.bundleSequence(), 0n);
    assert.equal(db.prekeys.nextBundleSequence(), 1n);
    assert.equal(db.prekeys.nextBundleSequence(), 2n);
    assert.equal(db.prekeys.bundleSequence(), 2n);
    db.close();
  });
});

describe('seen envelope IDs', () => {
  it('add says whether an ID is new; prune forgets expired ones', () => {
    const db = open();
    const a = utf8('envelope-a');
    const b = utf8('envelope-b');
    assert.equal(db.seen.add(a, 100), true);
    assert.equal(db.seen.add(a, 50), false);
    assert.equal(db.seen.add(b, 200), true);
    assert.equal(db.seen.has(a), true);
    assert.equal(db.seen.prune(99), 0);
    assert.equal(db.seen.prune(100), 1);
    assert.equal(db.seen.has(a), false);
    assert.equal(db.seen.has(b), true);
    assert.equal(db.seen.add(b, 300), false); // a later expiry extends the entry
    assert.equal(db.seen.prune(250), 0);
    assert.equal(db.seen.has(b), true);
    assert.throws(() => db.seen.add(new Uint8Array(0), 1), code('INVALID_ARGUMENT'));
    assert.throws(() => db.seen.add(new Uint8Array(65), 1), code('INVALID_ARGUMENT'));
    db.close();
  });
});

describe('settings and cursors', () => {
  it('get, set, delete strings; cursors are bigints per swarm member', () => {
    const db = open();
    assert.equal(db.settings.get('requests'), undefined);
    db.settings.set('requests', 'off');
    db.settings.set('requests', 'on');
    assert.equal(db.settings.get('requests'), 'on');
    assert.equal(db.settings.delete('requests'), true);
    assert.equal(db.settings.delete('requests'), false);
    assert.equal(db.settings.getCursor('12D3KooWA'), undefined);
    db.settings.setCursor('12D3KooWA', 2n ** 64n - 1n);
    db.settings.setCursor('12D3KooWB', 0n);
    assert.equal(db.settings.getCursor('12D3KooWA'), 2n ** 64n - 1n);
    assert.equal(db.settings.getCursor('12D3KooWB'), 0n);
    // A setting and a cursor with the same text are different keys.
    assert.equal(db.settings.get('12D3KooWA'), undefined);
    assert.throws(() => db.settings.setCursor('x', -1n), code('INVALID_ARGUMENT'));
    assert.throws(() => db.settings.set('', 'x'), code('INVALID_ARGUMENT'));
    assert.throws(() => db.settings.set('big', 'x'.repeat(MAX_SETTING_VALUE_BYTES + 1)), code('TOO_LARGE'));
    db.close();
  });
});

describe('outbox', () => {
  const entry = (peer: Uint8Array, id: string) => ({
    peer,
    id,
    envelope: crypto.randomBytes(3000),
    depositKey: crypto.randomBytes(32),
    owner: { pid: 1234, started: 'boot:99', namespace: 'pid:[4026531836]' },
    sealedAtMs: 1_795_000_000_000,
  });

  it('put (replace), get, entries and remove, each entry under its (peer, message ID)', () => {
    const db = open();
    const a = entry(ALICE, '01'.repeat(16));
    // b as a row written before the start time and namespace were kept
    const b = { ...entry(BOB, '01'.repeat(16)), depositKey: undefined, sealedAtMs: undefined, owner: { pid: 7, started: '', namespace: '' } };
    db.outbox.put(a);
    db.outbox.put(b);
    assert.deepEqual(db.outbox.get(ALICE, a.id), a);
    assert.deepEqual(db.outbox.get(BOB, b.id), b);
    const moved = { ...a, owner: { pid: 99, started: '', namespace: '' } };
    db.outbox.put(moved);
    assert.deepEqual(db.outbox.get(ALICE, a.id), moved);
    assert.equal([...db.outbox.entries()].length, 2);
    assert.equal(db.outbox.remove(ALICE, a.id), true);
    assert.equal(db.outbox.remove(ALICE, a.id), false);
    assert.equal(db.outbox.get(ALICE, a.id), undefined);
    assert.deepEqual([...db.outbox.entries()], [b]);
    db.close();
  });

  it('entries reads every row, a page at a time, also while rows are removed', () => {
    const db = open();
    const ids = Array.from({ length: 150 }, (_, i) => i.toString(16).padStart(32, '0'));
    for (const id of ids) db.outbox.put(entry(ALICE, id));
    assert.deepEqual([...db.outbox.entries()].map((e) => e.id).sort(), ids);
    const seen: string[] = [];
    for (const e of db.outbox.entries()) {
      seen.push(e.id);
      db.outbox.remove(ALICE, e.id);
    }
    assert.deepEqual(seen.sort(), ids);
    assert.deepEqual([...db.outbox.entries()], []);
    db.close();
  });

  it('refuses bad entries with INVALID_ARGUMENT and writes nothing', () => {
    const db = open();
    const good = entry(ALICE, '02'.repeat(16));
    const bad = [
      { ...good, peer: new Uint8Array(5) },
      { ...good, id: 'XY'.repeat(16) },
      { ...good, envelope: new Uint8Array(0) },
      { ...good, envelope: new Uint8Array(MAX_ENVELOPE_BYTES + 1) },
      { ...good, depositKey: new Uint8Array(31) },
      { ...good, owner: { pid: 0, started: '', namespace: '' } },
      { ...good, owner: { pid: 1.5, started: '', namespace: '' } },
      { ...good, owner: { pid: 7, started: 'x'.repeat(257), namespace: '' } },
      { ...good, owner: { pid: 7, started: '', namespace: 'x'.repeat(257) } },
      { ...good, sealedAtMs: -1 },
      { ...good, sealedAtMs: 1.5 },
    ];
    for (const e of bad) assert.throws(() => db.outbox.put(e), code('INVALID_ARGUMENT'));
    assert.deepEqual([...db.outbox.entries()], []);
    db.close();
  });
});
