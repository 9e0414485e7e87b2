/**
 * The profile database: one SQLite file (`profile.db`, mode 0600, WAL) in the profile directory,
 * holding contacts, conversations, ratchet sessions, prekeys, seen envelope IDs and settings,
 * every piece of user data sealed under a key derived from the account's profileKey
 * (profile-db-cipher.ts; what the file still shows is listed in profile-db-schema.ts).
 *
 * The key comes from the recovery phrase, so the file is exactly as protected as the account
 * file beside it: by the passphrase when one is set, otherwise by that file's mode 0600.
 *
 * Life cycle: openProfileDb (creates, migrates and checks the key; a wrong key is refused with
 * DECRYPT_FAILED before anything is read), then the stores, then close() (checkpoints the WAL so
 * deleted secrets do not linger in it, and wipes the keys). Each store call is atomic on its own;
 * `transaction(fn)` makes several calls atomic together.
 */
import path from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { utf8 } from '../crypto/bytes.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import type { AccountKeys } from '../identity/account-keys.ts';
import { openAccount } from './account.ts';
import { createContactStore, type ContactStore } from './contacts.ts';
import { createMessageStore, type MessageStore } from './conversations.ts';
import { createOutboxStore, type OutboxStore } from './outbox.ts';
import { createProfileCipher } from './profile-db-cipher.ts';
import { createPrekeyStore, createSessionStore, type PrekeyStore, type SessionStore } from './profile-db-keys.ts';
import { type DbContext } from './profile-db-record.ts';
import { PROFILE_DB_FILE, UNSENT_CHECK, openProfileDatabase } from './profile-db-schema.ts';
import { createSeenStore, createSettingsStore, type SeenStore, type SettingsStore } from './profile-db-state.ts';
import { createProfileStore } from './profile-store.ts';

export { PROFILE_DB_FILE } from './profile-db-schema.ts';

export interface ProfileDbOptions {
  /** The database file, or ':memory:'. */
  readonly path: string;
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  /** The account that owns the data: its profileKey keys the file; its own ID cannot be a contact. */
  readonly account: Pick<AccountKeys, 'profileKey' | 'identityPublicKey'>;
}

export interface ProfileDb {
  readonly path: string;
  readonly contacts: ContactStore;
  readonly messages: MessageStore;
  readonly sessions: SessionStore;
  readonly prekeys: PrekeyStore;
  readonly seen: SeenStore;
  readonly settings: SettingsStore;
  /** Sends in flight (outbox.ts). */
  readonly outbox: OutboxStore;
  /**
   * Runs `fn` (synchronous) in one transaction: all its writes land or none do. Nested calls are
   * savepoints. Takes the write lock at once, so two processes cannot interleave.
   */
  transaction<T>(fn: () => T): T;
  /** Copies the write-ahead log into the file and truncates it. */
  checkpoint(): void;
  /** Checkpoints, closes and wipes the keys; later calls fail with STORAGE_FAILED. Idempotent. */
  close(): void;
}

const KEY_CHECK = 'key_check';
const KEY_CHECK_PLAINTEXT = 'samizdat profile.db key check v1';

function isPromiseLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Opens (creating if needed) a profile database. STORAGE_FAILED, PROFILE_CORRUPT or DECRYPT_FAILED. */
export function openProfileDb(options: ProfileDbOptions): ProfileDb {
  if (typeof options.path !== 'string' || options.path.length === 0) {
    throw new SamizdatError('INVALID_ARGUMENT', 'path must be a file path or ":memory:"');
  }
  if (typeof options.now !== 'function') throw new SamizdatError('INVALID_ARGUMENT', 'now must be a function');
  const cipher = createProfileCipher(options.crypto, options.account.profileKey);
  const selfIdentity = Uint8Array.from(options.account.identityPublicKey);
  let db: DatabaseSync | undefined;
  try {
    db = openProfileDatabase(options.path);
  } catch (err) {
    cipher.wipe();
    throw err;
  }
  const statements = new Map<string, StatementSync>();
  let depth = 0;

  function live(): DatabaseSync {
    if (db === undefined) throw new SamizdatError('STORAGE_FAILED', 'the profile database is closed');
    return db;
  }

  function stmt(sql: string): StatementSync {
    const conn = live();
    let s = statements.get(sql);
    if (s === undefined) {
      s = conn.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  }

  function transaction<T>(fn: () => T): T {
    const conn = live();
    const savepoint = depth === 0 ? undefined : `sp${depth}`;
    conn.exec(savepoint === undefined ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${savepoint}`);
    depth += 1;
    let result: T;
    try {
      result = fn();
      if (isPromiseLike(result)) throw new SamizdatError('INVALID_ARGUMENT', 'a profile database transaction must be synchronous');
    } catch (err) {
      depth -= 1;
      try {
        conn.exec(savepoint === undefined ? 'ROLLBACK' : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
      } catch {
        // the first error is the one to report
      }
      throw err;
    }
    depth -= 1;
    try {
      conn.exec(savepoint === undefined ? 'COMMIT' : `RELEASE ${savepoint}`);
    } catch (err) {
      if (savepoint === undefined && conn.isTransaction) conn.exec('ROLLBACK');
      throw err;
    }
    return result;
  }

  const ctx: DbContext = { cipher, now: options.now, selfIdentity, stmt, transaction };

  function checkKey(): void {
    const label = utf8(KEY_CHECK);
    stmt('INSERT INTO meta (name, body) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(
      KEY_CHECK,
      cipher.seal('meta', label, utf8(KEY_CHECK_PLAINTEXT)),
    );
    const row = stmt('SELECT body FROM meta WHERE name = ?').get(KEY_CHECK);
    const body = row?.['body'];
    let plain: Uint8Array | undefined;
    try {
      if (body instanceof Uint8Array) plain = cipher.open('meta', label, body);
    } catch (cause) {
      if (!isSamizdatError(cause, 'DECRYPT_FAILED')) throw cause;
    }
    if (plain === undefined || new TextDecoder().decode(plain) !== KEY_CHECK_PLAINTEXT) {
      throw new SamizdatError('DECRYPT_FAILED', `${options.path} was written under another account's key; it does not belong to this account`);
    }
  }

  function close(): void {
    if (db === undefined) return;
    const conn = db;
    db = undefined;
    statements.clear();
    try {
      if (conn.isTransaction) conn.exec('ROLLBACK');
      conn.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch {
      // another process may hold the database; its own close will checkpoint
    } finally {
      conn.close();
      cipher.wipe();
    }
  }

  const messages = createMessageStore(ctx);
  const outbox = createOutboxStore(ctx);

  /** Schema version 3's one pass (profile-db-schema.ts): sends cut short before the outbox existed. */
  function failUnsentWithoutOutbox(): void {
    transaction(() => {
      if (stmt('SELECT name FROM meta WHERE name = ?').get(UNSENT_CHECK) === undefined) return;
      for (const m of messages.all()) {
        if (m.direction === 'out' && m.state === 'sending' && outbox.get(m.peer, m.id) === undefined) messages.updateState(m.peer, m.id, 'failed');
      }
      stmt('DELETE FROM meta WHERE name = ?').run(UNSENT_CHECK);
    });
  }

  try {
    checkKey();
    failUnsentWithoutOutbox();
  } catch (err) {
    close();
    throw err;
  }

  return {
    path: options.path,
    contacts: createContactStore(ctx),
    messages,
    sessions: createSessionStore(ctx),
    prekeys: createPrekeyStore(ctx),
    seen: createSeenStore(ctx),
    settings: createSettingsStore(ctx),
    outbox,
    transaction,
    checkpoint() {
      live().exec('PRAGMA wal_checkpoint(TRUNCATE)');
    },
    close,
  };
}

export interface OpenedProfile {
  readonly keys: AccountKeys;
  readonly db: ProfileDb;
}

export interface OpenProfileOptions {
  /** The profile directory (holding account.json). */
  readonly dir: string;
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  /** Needed when the account file is encrypted (WRONG_PASSPHRASE otherwise). */
  readonly passphrase: string | undefined;
}

/**
 * Opens the account of a profile directory and its database: PROFILE_MISSING when the directory
 * has no account (nothing is created then), WRONG_PASSPHRASE, PROFILE_CORRUPT, DECRYPT_FAILED.
 * The caller closes `db`.
 */
export function openAccountProfile(options: OpenProfileOptions): OpenedProfile {
  const store = createProfileStore({ dir: options.dir, crypto: options.crypto });
  const keys = openAccount({ crypto: options.crypto, store, now: options.now }, options.passphrase);
  const db = openProfileDb({ path: path.join(store.dir, PROFILE_DB_FILE), crypto: options.crypto, now: options.now, account: keys });
  return { keys, db };
}
