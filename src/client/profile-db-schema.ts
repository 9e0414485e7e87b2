/**
 * The on-disk schema of the profile database (`profile.db`) and its migrations. As in the mailbox
 * store (src/node/mailbox-store-schema.ts), the schema version lives in SQLite's
 * `PRAGMA user_version`, and each migration moves it up by one inside its own transaction, so a
 * crash during an upgrade leaves the previous version intact.
 *
 * What the file shows without the key: the number of contacts, conversations, messages per
 * conversation, sessions, prekeys per kind, settings, remembered envelope IDs and sends in
 * flight, the order in which messages were recorded, and the expiry times of remembered envelope
 * IDs. Everything else (names, Account IDs, identity keys, message text and times, ratchet
 * state, prekeys, settings, envelopes in flight) is sealed (profile-db-cipher.ts), and rows are
 * found by keyed hashes, never by a plain value.
 */
import { chmodSync, closeSync, constants, openSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { SamizdatError } from '../errors.ts';

/** The database's file name inside a profile directory. */
export const PROFILE_DB_FILE = 'profile.db';

/**
 * Version 1. Every `key` column is an HMAC-SHA256 "blind index" (profile-db-cipher.ts); every
 * `body` is an AES-256-GCM blob bound to its table and row key.
 * - `meta`: the key check (a known constant sealed under the database key, so a wrong key is
 *   refused at open) and the prekey bundle sequence. Names here are fixed labels, not user data.
 * - `contact`: one row per contact; `name_key` indexes the case-folded name (UNIQUE).
 * - `session`: one opaque ratchet state per peer.
 * - `message`: `seq` orders messages in the order this device recorded them; AUTOINCREMENT so a
 *   seq is never reused. `conversation` is the peer's keyed hash; `key` covers (peer, message ID).
 * - `prekey`: private prekey material; `kind` is a small code (KIND_CODES in profile-db-keys.ts).
 * - `seen`: IDs of retrieved envelopes until they expire, so a message is not delivered twice.
 * - `setting`: small string settings and per-swarm-member retrieve cursors.
 */
const V1 = `
CREATE TABLE meta (name TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE contact (key BLOB PRIMARY KEY, name_key BLOB NOT NULL UNIQUE, body BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE session (key BLOB PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE message (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  key BLOB NOT NULL UNIQUE,
  conversation BLOB NOT NULL,
  body BLOB NOT NULL
);
CREATE INDEX message_by_conversation ON message (conversation, seq);
CREATE TABLE prekey (key BLOB PRIMARY KEY, kind INTEGER NOT NULL, body BLOB NOT NULL) WITHOUT ROWID;
CREATE INDEX prekey_by_kind ON prekey (kind);
CREATE TABLE seen (key BLOB PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX seen_by_expiry ON seen (expires_at);
CREATE TABLE setting (key BLOB PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;
`;

/**
 * Version 2. `outbox`: one row per outgoing envelope not yet confirmed in the recipient's swarm
 * (outbox.ts): the sealed envelope and the process sending it, so a later process can finish a
 * send that a crashed one left in state 'sending'. The file shows how many sends are in flight.
 */
const V2 = `
CREATE TABLE outbox (key BLOB PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;
`;

/** The `meta` row by which version 3 asks openProfileDb for its one pass over the messages. */
export const UNSENT_CHECK = 'unsent_check';

/**
 * Version 3. No new table: it leaves a `meta` row asking openProfileDb (which holds the key the
 * messages are sealed under) to mark 'failed', once, every outgoing message in state 'sending'
 * that has no outbox row. Since version 2 each such message gets its row in the transaction that
 * records it, so these are sends a crash cut short before the outbox existed: nothing can deliver
 * them, and without this they would show 'sending' forever.
 */
const V3 = `
INSERT INTO meta (name, body) VALUES ('${UNSENT_CHECK}', x'') ON CONFLICT (name) DO NOTHING;
`;

/** Migration i takes the schema from version i to version i + 1. Append; never edit a shipped one. */
export const PROFILE_DB_MIGRATIONS: readonly string[] = [V1, V2, V3];

/** The schema version this code writes. */
export const PROFILE_DB_SCHEMA_VERSION = PROFILE_DB_MIGRATIONS.length;

/** How long a statement waits for another process's write lock (two commands at once). */
export const PROFILE_DB_BUSY_TIMEOUT_MS = 5_000;

function userVersion(db: DatabaseSync): number {
  const version = db.prepare('PRAGMA user_version').get()?.['user_version'];
  if (typeof version !== 'number') throw new SamizdatError('STORAGE_FAILED', 'cannot read the profile database schema version');
  return version;
}

/** Brings `db` to PROFILE_DB_SCHEMA_VERSION; PROFILE_CORRUPT for a file written by a newer version. */
export function migrateProfileDb(db: DatabaseSync): void {
  const from = userVersion(db);
  if (from > PROFILE_DB_SCHEMA_VERSION) {
    throw new SamizdatError(
      'PROFILE_CORRUPT',
      `profile.db has schema version ${from}; this version of samizdat knows up to ${PROFILE_DB_SCHEMA_VERSION}`,
      { detail: { version: from, known: PROFILE_DB_SCHEMA_VERSION } },
    );
  }
  for (let v = from; v < PROFILE_DB_SCHEMA_VERSION; v++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      // Another process may have migrated between our read and our lock.
      if (userVersion(db) === v) {
        db.exec(PROFILE_DB_MIGRATIONS[v] ?? '');
        db.exec(`PRAGMA user_version = ${v + 1}`);
      }
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
}

/** Creates the file with mode 0600 if it does not exist, and narrows the mode if it does. */
function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') throw cause;
  }
  chmodSync(path, 0o600);
}

/**
 * Opens (creating with mode 0600) and configures the database file, or ':memory:':
 * - WAL with `synchronous=FULL`: every commit is fsynced. A client writes little, and a ratchet
 *   state lost to a power cut after its message went out would make the next message reuse a
 *   message key, so durability wins over speed here (the node's store chooses NORMAL).
 *   SQLite creates the -wal and -shm files with the database file's mode, so they are 0600 too.
 * - `secure_delete=ON`: deleted rows are overwritten with zeros, so a deleted ratchet state or
 *   prekey does not linger in free pages (forward secrecy would otherwise end at the disk).
 *   The WAL may hold old page images until a checkpoint; close() checkpoints and truncates it.
 * Throws STORAGE_FAILED when the file cannot be opened or is not a database.
 */
export function openProfileDatabase(path: string): DatabaseSync {
  let db: DatabaseSync | undefined;
  try {
    if (path !== ':memory:') createPrivateFile(path);
    db = new DatabaseSync(path, { timeout: PROFILE_DB_BUSY_TIMEOUT_MS });
    const mode = db.prepare('PRAGMA journal_mode = WAL').get()?.['journal_mode'];
    if (mode !== 'wal' && !(path === ':memory:' && mode === 'memory')) {
      throw new SamizdatError('STORAGE_FAILED', `could not switch profile.db to WAL mode (got ${String(mode)})`);
    }
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA secure_delete = ON');
    migrateProfileDb(db);
    return db;
  } catch (cause) {
    try {
      db?.close();
    } catch {
      // already failing; the first error is the one to report
    }
    if (cause instanceof SamizdatError) throw cause;
    const text = cause instanceof Error ? cause.message : String(cause);
    throw new SamizdatError('STORAGE_FAILED', `cannot open ${path}: ${text}`, { cause });
  }
}
