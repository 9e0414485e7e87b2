/**
 * The on-disk schema of the mailbox store and its migrations. The schema version lives in SQLite's
 * `PRAGMA user_version`; each migration moves it up by one inside its own transaction, so a crash
 * during an upgrade leaves the previous version intact.
 */
import { DatabaseSync } from 'node:sqlite';
import { SamizdatError } from '../errors.ts';

/**
 * Version 1.
 * - `message`: one row per stored item. `cursor` is the node-local sequence a client pages with;
 *   AUTOINCREMENT so a cursor is never reused after the newest row is deleted (a reused one would
 *   hide a new message from a client that already read past it). `id` is SHA-256 over namespace,
 *   account and body, so it is unique across all mailboxes. Only ciphertext and IDs: nothing here
 *   names a sender.
 * - `mailbox`: per (account, namespace) count, bytes and set digest (XOR of SHA-256(id)), updated
 *   in the same transaction as every change to `message`; a row with count 0 is removed.
 * - `nonce`: single-use owner-auth nonces, until they expire.
 * Namespaces are stored as small integers (NAMESPACE_CODES in mailbox-store.ts).
 */
const V1 = `
CREATE TABLE message (
  cursor INTEGER PRIMARY KEY AUTOINCREMENT,
  account BLOB NOT NULL,
  ns INTEGER NOT NULL,
  id BLOB NOT NULL,
  body BLOB NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX message_by_id ON message (id);
CREATE INDEX message_by_mailbox ON message (account, ns);
CREATE INDEX message_by_expiry ON message (expires_at);
CREATE TABLE mailbox (
  account BLOB NOT NULL,
  ns INTEGER NOT NULL,
  count INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  digest BLOB NOT NULL,
  PRIMARY KEY (account, ns)
) WITHOUT ROWID;
CREATE TABLE nonce (
  account BLOB NOT NULL,
  nonce BLOB NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (account, nonce)
) WITHOUT ROWID;
CREATE INDEX nonce_by_expiry ON nonce (expires_at);
`;

/**
 * Version 2.
 * - `tombstone`: one row per message ID the owner deleted (locally or through a replicated delete),
 *   kept until `expires_at` (the deleted message's expiry, or now + maxTtlMs when the ID was not
 *   held), so a put or a replica of that ID is refused and a member that missed the delete cannot
 *   copy the message back. Keyed by (account, ns, id), so one owner's delete cannot block an id
 *   of another mailbox. `seq` orders tombstones by creation; anti-entropy sends each peer the
 *   tombstones after the last `seq` it delivered (anti-entropy.ts).
 */
const V2 = `
CREATE TABLE tombstone (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  account BLOB NOT NULL,
  ns INTEGER NOT NULL,
  id BLOB NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX tombstone_by_mailbox ON tombstone (account, ns, id);
CREATE INDEX tombstone_by_expiry ON tombstone (expires_at);
`;

/**
 * Version 3.
 * - `delete_proof`: the owner's signed delete behind tombstones: the encoded OwnerAuth and every
 *   ID its request named (32 bytes each, concatenated), so this member can show any other that the
 *   owner asked (replication.ts, anti-entropy.ts). Keyed by the SHA-256 of the auth; kept until its
 *   last tombstone expires.
 * - `tombstone.proof`: the key of its delete_proof (NULL for a tombstone made before proofs were
 *   kept: it still refuses the ID here but is never forwarded). `tombstone.held`: 1 when this node
 *   held the message when it was deleted. Tombstones of IDs it did not hold (a late replica would be
 *   refused) are capped per mailbox at the namespace's message cap.
 */
const V3 = `
CREATE TABLE delete_proof (
  key BLOB PRIMARY KEY,
  account BLOB NOT NULL,
  ns INTEGER NOT NULL,
  auth BLOB NOT NULL,
  ids BLOB NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX delete_proof_by_expiry ON delete_proof (expires_at);
CREATE INDEX delete_proof_by_account ON delete_proof (account);
ALTER TABLE tombstone ADD COLUMN proof BLOB;
ALTER TABLE tombstone ADD COLUMN held INTEGER NOT NULL DEFAULT 1;
`;

/**
 * What one stored row costs besides its variable bytes (IDs, account, keys, indexes, page slack),
 * in the node's storage count. A round figure: a `message` row has a 32-byte account, a 32-byte
 * ID, two integers and entries in three indexes; a `tombstone` row has the same IDs and two
 * indexes. Counting it makes rows without a body (tombstones) use the quota too. The V4
 * migration writes this figure into its triggers, so changing it needs a new migration that
 * recreates them and recounts.
 */
export const STORED_ROW_OVERHEAD_BYTES = 128;

/**
 * Version 4.
 * - `storage`: one row holding the bytes this node stores, the sum over `message` (body + row
 *   overhead), `tombstone` (row overhead) and `delete_proof` (auth + IDs + row overhead). Kept by
 *   triggers, so every change to those tables, whatever code path makes it, moves the total in the
 *   same transaction, and a rolled-back write leaves it as it was. The store compares it with the
 *   node's quota before it takes an item (mailbox-aggregates.ts). Upserts of tombstones and
 *   proofs change no sizes; no statement updates a body or a proof's bytes today, but triggers on
 *   such updates keep the count right if one ever does (and `recursive_triggers`, set when the
 *   database opens, makes a REPLACE fire the delete triggers of the rows it removes).
 */
const V4 = `
CREATE TABLE storage (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  bytes INTEGER NOT NULL
);
INSERT INTO storage (id, bytes) VALUES (0,
  (SELECT coalesce(sum(length(body)), 0) + count(*) * ${STORED_ROW_OVERHEAD_BYTES} FROM message)
  + (SELECT count(*) * ${STORED_ROW_OVERHEAD_BYTES} FROM tombstone)
  + (SELECT coalesce(sum(length(auth) + length(ids)), 0) + count(*) * ${STORED_ROW_OVERHEAD_BYTES} FROM delete_proof));
CREATE TRIGGER storage_message_insert AFTER INSERT ON message BEGIN
  UPDATE storage SET bytes = bytes + length(NEW.body) + ${STORED_ROW_OVERHEAD_BYTES} WHERE id = 0;
END;
CREATE TRIGGER storage_message_delete AFTER DELETE ON message BEGIN
  UPDATE storage SET bytes = bytes - length(OLD.body) - ${STORED_ROW_OVERHEAD_BYTES} WHERE id = 0;
END;
CREATE TRIGGER storage_tombstone_insert AFTER INSERT ON tombstone BEGIN
  UPDATE storage SET bytes = bytes + ${STORED_ROW_OVERHEAD_BYTES} WHERE id = 0;
END;
CREATE TRIGGER storage_tombstone_delete AFTER DELETE ON tombstone BEGIN
  UPDATE storage SET bytes = bytes - ${STORED_ROW_OVERHEAD_BYTES} WHERE id = 0;
END;
CREATE TRIGGER storage_proof_insert AFTER INSERT ON delete_proof BEGIN
  UPDATE storage SET bytes = bytes + length(NEW.auth) + length(NEW.ids) + ${STORED_ROW_OVERHEAD_BYTES} WHERE id = 0;
END;
CREATE TRIGGER storage_proof_delete AFTER DELETE ON delete_proof BEGIN
  UPDATE storage SET bytes = bytes - length(OLD.auth) - length(OLD.ids) - ${STORED_ROW_OVERHEAD_BYTES} WHERE id = 0;
END;
CREATE TRIGGER storage_message_update AFTER UPDATE OF body ON message BEGIN
  UPDATE storage SET bytes = bytes + length(NEW.body) - length(OLD.body) WHERE id = 0;
END;
CREATE TRIGGER storage_proof_update AFTER UPDATE OF auth, ids ON delete_proof BEGIN
  UPDATE storage SET bytes = bytes + length(NEW.auth) + length(NEW.ids) - length(OLD.auth) - length(OLD.ids) WHERE id = 0;
END;
`;

/** Migration i takes the schema from version i to version i + 1. Append; never edit a shipped one. */
export const MIGRATIONS: readonly string[] = [V1, V2, V3, V4];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * WAL pages between automatic checkpoints: 10,000 (about 40 MiB) instead of SQLite's 1,000. In WAL
 * mode with synchronous=NORMAL a commit does not fsync, but a checkpoint does; at the default a put
 * stream checkpoints every couple of hundred puts and the fsyncs dominate (measured: about 3x fewer
 * puts per second on a virtual disk). Recovery after a crash replays at most this much log.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** The WAL file is truncated back to this size after a checkpoint, so a burst does not keep the disk. */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** SQLite's busy timeout: how long a statement waits for another connection's write lock. */
export const BUSY_TIMEOUT_MS = 5_000;

function userVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get();
  const version = row?.['user_version'];
  if (typeof version !== 'number') throw new SamizdatError('STORAGE_FAILED', 'cannot read the schema version');
  return version;
}

/** Brings `db` to SCHEMA_VERSION; STORAGE_FAILED for a file written by a newer version. */
export function migrate(db: DatabaseSync): void {
  const from = userVersion(db);
  if (from > SCHEMA_VERSION) {
    throw new SamizdatError('STORAGE_FAILED', `mailbox database has schema version ${from}; this node knows up to ${SCHEMA_VERSION}`, {
      detail: { version: from, known: SCHEMA_VERSION },
    });
  }
  for (let v = from; v < SCHEMA_VERSION; v++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(MIGRATIONS[v] ?? '');
      db.exec(`PRAGMA user_version = ${v + 1}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
}

/**
 * Opens the database file (or ':memory:') and configures it:
 * - `journal_mode=WAL` with `synchronous=NORMAL`: a commit appends to the write-ahead log and
 *   returns without fsync. Every committed transaction survives a crash of the process (even
 *   SIGKILL), because the log is in the operating system's page cache once COMMIT returns; only a
 *   power loss or kernel crash can lose the last transactions before the next checkpoint fsync.
 *   That is the trade-off for throughput (FULL would fsync every put, about 100x slower on a disk),
 *   and replication to k swarm members covers the loss of one node's newest writes.
 * - a busy timeout, so a second connection (a backup, an admin tool) waits instead of failing.
 * Throws STORAGE_FAILED when the file cannot be opened or is not a database.
 */
export function openDatabase(path: string): DatabaseSync {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
    const mode = db.prepare('PRAGMA journal_mode = WAL').get()?.['journal_mode'];
    if (mode !== 'wal' && !(path === ':memory:' && mode === 'memory')) {
      throw new SamizdatError('STORAGE_FAILED', `could not switch the mailbox database to WAL mode (got ${String(mode)})`);
    }
    db.exec('PRAGMA synchronous = NORMAL');
    // A REPLACE then fires the delete triggers of the rows it removes (the storage count, V4).
    db.exec('PRAGMA recursive_triggers = ON');
    db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    db.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    migrate(db);
    return db;
  } catch (cause) {
    try {
      db?.close();
    } catch {
      // already failing; the first error is the one to report
    }
    if (cause instanceof SamizdatError) throw cause;
    throw new SamizdatError('STORAGE_FAILED', `cannot open the mailbox database: ${errorText(cause)}`, { cause });
  }
}

/** A short description of an unknown error, for messages. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
