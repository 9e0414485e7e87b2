import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { toHex, utf8 } from '../crypto/bytes.ts';
import { isSamizdatError } from '../errors.ts';
import { deriveAccountKeysFromSeed, type AccountKeys } from '../identity/account-keys.ts';
import { encodeAccountId } from '../identity/account-id.ts';
import { openProfileDb, PROFILE_DB_FILE, type ProfileDb } from './profile-db.ts';
import { PROFILE_DB_SCHEMA_VERSION, UNSENT_CHECK } from './profile-db-schema.ts';

const crypto = createNodeCryptoProvider();
const scratch = mkdtempSync(path.join(tmpdir(), 'samizdat-profile-db-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;

function account(): AccountKeys {
  return deriveAccountKeysFromSeed(crypto, crypto.randomBytes(32));
}

function fresh(keys: AccountKeys = account()): { file: string; keys: AccountKeys; open: (k?: AccountKeys) => ProfileDb } {
  const file = path.join(scratch, `p${++counter}-${PROFILE_DB_FILE}`);
  return { file, keys, open: (k = keys) => openProfileDb({ path: file, crypto, now: () => 1_700_000_000_000, account: k }) };
}

const PEER = account();
const SECRET_NAME = 'Zuleika Dobson';
const SECRET_TEXT = 'meet at the old library at nine';

function fill(db: ProfileDb): void {
  db.contacts.add(PEER.accountId, SECRET_NAME);
  db.messages.append(PEER.identityPublicKey, {
    id: 'ab'.repeat(16),
    direction: 'in',
    text: SECRET_TEXT,
    sentAt: 1,
    receivedAt: 2,
    state: 'received',
  });
  db.sessions.put(PEER.identityPublicKey, utf8('SESSION-STATE-MARKER'));
  db.prekeys.put('signed-x25519', 77, utf8('PREKEY-MARKER'));
  db.settings.set('requests', 'REQUESTS-SETTING-MARKER');
  db.settings.setCursor('12D3KooWCursorMemberMarker', 42n);
  db.seen.add(utf8('ENVELOPE-ID-MARKER'), 10);
  db.outbox.put({ peer: PEER.identityPublicKey, id: 'cd'.repeat(16), envelope: utf8('OUTBOX-ENVELOPE-MARKER'), depositKey: undefined, owner: { pid: 4242, started: 'OUTBOX-OWNER-MARKER', namespace: 'OUTBOX-NAMESPACE-MARKER' }, sealedAtMs: 4243 });
}

/** Every byte string that must never appear in the clear in the file. */
function needles(keys: AccountKeys): string[] {
  return [
    SECRET_NAME,
    SECRET_NAME.toLowerCase(),
    SECRET_TEXT,
    PEER.accountId,
    keys.accountId,
    toHex(PEER.identityPublicKey),
    'SESSION-STATE-MARKER',
    'PREKEY-MARKER',
    'OUTBOX-ENVELOPE-MARKER',
    'OUTBOX-OWNER-MARKER',
    'OUTBOX-NAMESPACE-MARKER',
    'REQUESTS-SETTING-MARKER',
    'requests',
    'CursorMemberMarker',
    'ENVELOPE-ID-MARKER',
  ];
}

function assertNoPlaintext(bytes: Uint8Array, keys: AccountKeys, where: string): void {
  const buf = Buffer.from(bytes);
  for (const needle of needles(keys)) assert.equal(buf.indexOf(needle), -1, `${needle} found in ${where}`);
  assert.equal(buf.indexOf(Buffer.from(PEER.identityPublicKey)), -1, `raw identity key found in ${where}`);
}

describe('profile database: life cycle', () => {
  it('creates the file with mode 0600 in WAL mode, at the current schema version', () => {
    const f = fresh();
    const db = f.open();
    fill(db);
    assert.equal(statSync(f.file).mode & 0o777, 0o600);
    assert.equal(statSync(`${f.file}-wal`).mode & 0o777, 0o600);
    db.close();
    const raw = new DatabaseSync(f.file, { readOnly: true });
    assert.equal(raw.prepare('PRAGMA journal_mode').get()?.['journal_mode'], 'wal');
    assert.equal(raw.prepare('PRAGMA user_version').get()?.['user_version'], PROFILE_DB_SCHEMA_VERSION);
    raw.close();
  });

  it('persists across close and reopen', () => {
    const f = fresh();
    const db = f.open();
    fill(db);
    db.close();
    const again = f.open();
    assert.equal(again.contacts.require(SECRET_NAME).accountId, PEER.accountId);
    assert.equal(again.messages.list(PEER.identityPublicKey)[0]?.text, SECRET_TEXT);
    assert.deepEqual(again.sessions.get(PEER.identityPublicKey), utf8('SESSION-STATE-MARKER'));
    assert.equal(again.settings.getCursor('12D3KooWCursorMemberMarker'), 42n);
    again.close();
  });

  it('a version 1 file gains the outbox and keeps its data', () => {
    const f = fresh();
    const db = f.open();
    fill(db);
    db.close();
    // Back to version 1, as a file written before the outbox existed.
    const raw = new DatabaseSync(f.file);
    raw.exec('DROP TABLE outbox; PRAGMA user_version = 1');
    raw.close();
    const again = f.open();
    assert.equal(again.messages.list(PEER.identityPublicKey)[0]?.text, SECRET_TEXT);
    assert.deepEqual([...again.outbox.entries()], []);
    again.outbox.put({ peer: PEER.identityPublicKey, id: 'ef'.repeat(16), envelope: utf8('x'), depositKey: undefined, owner: { pid: 1, started: '', namespace: '' }, sealedAtMs: undefined });
    assert.equal([...again.outbox.entries()].length, 1);
    again.close();
    const check = new DatabaseSync(f.file, { readOnly: true });
    assert.equal(check.prepare('PRAGMA user_version').get()?.['user_version'], PROFILE_DB_SCHEMA_VERSION);
    check.close();
  });

  it('a file from before version 3 has its sends left sending without an outbox row marked failed, once', () => {
    for (const from of [1, 2]) {
      const f = fresh();
      const db = f.open();
      fill(db);
      const out = (id: string, state: 'sending' | 'stored') => db.messages.append(PEER.identityPublicKey, { id, direction: 'out', text: `t-${id}`, sentAt: 3, receivedAt: 3, state });
      out('01'.repeat(16), 'sending'); // cut short by a crash: no outbox row
      out('02'.repeat(16), 'sending'); // in flight with its outbox row (version 2)
      out('03'.repeat(16), 'stored');
      db.outbox.put({ peer: PEER.identityPublicKey, id: '02'.repeat(16), envelope: utf8('x'), depositKey: undefined, owner: { pid: 1, started: '', namespace: '' }, sealedAtMs: 3 });
      db.close();
      const raw = new DatabaseSync(f.file);
      raw.exec(from === 1 ? 'DROP TABLE outbox; PRAGMA user_version = 1' : 'PRAGMA user_version = 2');
      raw.exec(`DELETE FROM meta WHERE name = '${UNSENT_CHECK}'`);
      raw.close();
      const again = f.open();
      const stateOf = (id: string) => again.messages.get(PEER.identityPublicKey, id)?.state;
      assert.equal(stateOf('01'.repeat(16)), 'failed');
      assert.equal(stateOf('02'.repeat(16)), from === 1 ? 'failed' : 'sending', 'a version 1 file has no outbox rows');
      assert.equal(stateOf('03'.repeat(16)), 'stored');
      assert.equal(stateOf('ab'.repeat(16)), 'received');
      // Once: a message recorded 'sending' later (by a bug, say) is not touched by the next open.
      again.messages.append(PEER.identityPublicKey, { id: '04'.repeat(16), direction: 'out', text: 'later', sentAt: 4, receivedAt: 4, state: 'sending' });
      again.close();
      const third = f.open();
      assert.equal(third.messages.get(PEER.identityPublicKey, '04'.repeat(16))?.state, 'sending');
      third.close();
    }
  });

  it('close is idempotent and later calls fail with STORAGE_FAILED', () => {
    const db = fresh().open();
    db.close();
    db.close();
    assert.throws(() => db.contacts.list(), (e) => isSamizdatError(e, 'STORAGE_FAILED'));
    assert.throws(() => db.transaction(() => 1), (e) => isSamizdatError(e, 'STORAGE_FAILED'));
  });

  it('refuses a file written under another account key with DECRYPT_FAILED, and reads nothing', () => {
    const f = fresh();
    const db = f.open();
    fill(db);
    db.close();
    assert.throws(() => f.open(account()), (e) => isSamizdatError(e, 'DECRYPT_FAILED'));
    const same = f.open();
    assert.equal(same.contacts.list().length, 1);
    same.close();
  });

  it('refuses a file from a newer schema with PROFILE_CORRUPT, and a non-database with STORAGE_FAILED', () => {
    const f = fresh();
    f.open().close();
    const raw = new DatabaseSync(f.file);
    raw.exec(`PRAGMA user_version = ${PROFILE_DB_SCHEMA_VERSION + 1}`);
    raw.close();
    assert.throws(() => f.open(), (e) => isSamizdatError(e, 'PROFILE_CORRUPT'));
    const junk = path.join(scratch, 'junk.db');
    writeFileSync(junk, 'this is not a database, only text long enough to fill the header page of one.'.repeat(20));
    assert.throws(
      () => openProfileDb({ path: junk, crypto, now: () => 0, account: account() }),
      (e) => isSamizdatError(e, 'STORAGE_FAILED'),
    );
  });
});

describe('profile database: encryption at rest', () => {
  it('the file and its WAL hold no name, text, Account ID, key material or setting in the clear', () => {
    const f = fresh();
    const db = f.open();
    fill(db);
    const wal = readFileSync(`${f.file}-wal`);
    assert.ok(wal.length > 0, 'the writes are in the WAL');
    assertNoPlaintext(wal, f.keys, 'the WAL');
    db.checkpoint();
    assertNoPlaintext(readFileSync(f.file), f.keys, 'the database file');
    db.close();
    assertNoPlaintext(readFileSync(f.file), f.keys, 'the database file after close');
  });

  it('every value column read straight from SQLite is a keyed hash or a sealed blob', () => {
    const f = fresh();
    const db = f.open();
    fill(db);
    db.close();
    const raw = new DatabaseSync(f.file, { readOnly: true });
    const tables = raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all();
    for (const { name } of tables) {
      for (const row of raw.prepare(`SELECT * FROM ${String(name)}`).all()) {
        for (const [column, value] of Object.entries(row)) {
          if (value instanceof Uint8Array) assertNoPlaintext(value, f.keys, `${String(name)}.${column}`);
          else if (typeof value === 'string') assert.ok(['key_check', 'bundle_sequence'].includes(value), `${String(name)}.${column} = ${value}`);
          else assert.equal(typeof value, 'number', `${String(name)}.${column}`);
        }
      }
    }
    raw.close();
  });

  it('a sealed body moved to another row fails to open with DECRYPT_FAILED', () => {
    const f = fresh();
    const db = f.open();
    const other = account();
    db.contacts.add(PEER.accountId, 'alice');
    db.contacts.add(other.accountId, 'bob');
    db.sessions.put(PEER.identityPublicKey, utf8('alice session'));
    db.sessions.put(other.identityPublicKey, utf8('bob session'));
    db.close();
    const raw = new DatabaseSync(f.file);
    for (const table of ['contact', 'session']) {
      const rows = raw.prepare(`SELECT key, body FROM ${table} ORDER BY key`).all();
      const [a, b] = rows;
      raw.prepare(`UPDATE ${table} SET body = ? WHERE key = ?`).run(b?.['body'] as Uint8Array, a?.['key'] as Uint8Array);
    }
    raw.close();
    const again = f.open();
    assert.throws(() => again.contacts.list(), (e) => isSamizdatError(e, 'DECRYPT_FAILED'));
    const results = [PEER, other].map((p) => {
      try {
        return again.sessions.get(p.identityPublicKey);
      } catch (e) {
        return e;
      }
    });
    assert.ok(results.some((r) => isSamizdatError(r, 'DECRYPT_FAILED')), 'one session must fail to open');
    again.close();
  });

  it('a name index moved to another contact does not open either', () => {
    const f = fresh();
    const db = f.open();
    const other = account();
    db.contacts.add(PEER.accountId, 'alice');
    db.contacts.add(other.accountId, 'bob');
    db.close();
    const raw = new DatabaseSync(f.file);
    const rows = raw.prepare('SELECT key, name_key FROM contact').all();
    raw.exec('UPDATE contact SET name_key = randomblob(32)');
    for (const [i, row] of rows.entries()) {
      const swapped = rows[(i + 1) % rows.length]?.['name_key'] as Uint8Array;
      raw.prepare('UPDATE contact SET name_key = ? WHERE key = ?').run(swapped, row['key'] as Uint8Array);
    }
    raw.close();
    const again = f.open();
    assert.throws(() => again.contacts.get('alice'), (e) => isSamizdatError(e, 'DECRYPT_FAILED'));
    again.close();
  });
});

describe('profile database: transactions', () => {
  it('commits all writes together or none', () => {
    const db = fresh().open();
    const other = account();
    assert.throws(
      () =>
        db.transaction(() => {
          db.contacts.add(PEER.accountId, 'alice');
          db.sessions.put(PEER.identityPublicKey, utf8('x'));
          db.contacts.add(other.accountId, 'ALICE'); // duplicate name: ALREADY_EXISTS
        }),
      (e) => isSamizdatError(e, 'ALREADY_EXISTS'),
    );
    assert.deepEqual(db.contacts.list(), []);
    assert.equal(db.sessions.get(PEER.identityPublicKey), undefined);
    const result = db.transaction(() => {
      db.contacts.add(PEER.accountId, 'alice');
      return db.prekeys.nextBundleSequence();
    });
    assert.equal(result, 1n);
    assert.equal(db.contacts.list().length, 1);
    db.close();
  });

  it('a caught failure inside a nested transaction rolls back only the inner part', () => {
    const db = fresh().open();
    db.transaction(() => {
      db.contacts.add(PEER.accountId, 'alice');
      assert.throws(() =>
        db.transaction(() => {
          db.settings.set('requests', 'off');
          throw new Error('inner failure');
        }),
      );
    });
    assert.equal(db.contacts.list().length, 1);
    assert.equal(db.settings.get('requests'), undefined);
    db.close();
  });

  it('refuses an async function', () => {
    const db = fresh().open();
    assert.throws(() => db.transaction(() => Promise.resolve(db.contacts.add(PEER.accountId, 'alice'))), (e) =>
      isSamizdatError(e, 'INVALID_ARGUMENT'),
    );
    assert.deepEqual(db.contacts.list(), []);
    db.close();
  });

  it('works on :memory: for callers that need no file', () => {
    const keys = account();
    const db = openProfileDb({ path: ':memory:', crypto, now: () => 5, account: keys });
    db.contacts.add(encodeAccountId(PEER.identityPublicKey), 'alice');
    assert.equal(db.contacts.require('alice').addedAt, 5);
    db.close();
  });
});
