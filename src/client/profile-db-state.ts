/**
 * Small bookkeeping in the profile database: envelope IDs already retrieved (so a message that
 * several swarm members return, or one returned again after a restart, is delivered once), and
 * settings: short strings such as `requests` = on/off, and the retrieve cursor of each swarm
 * member. IDs and setting names are stored as blind indexes, since a mailbox ID or a node ID in
 * the clear would tie this file to an account's swarm; only the expiry of a seen ID is plain,
 * for pruning.
 */
import { SamizdatError } from '../errors.ts';
import { assertBytes, utf8 } from '../crypto/bytes.ts';
import { MAX_SEEN_ID_BYTES, MAX_SETTING_NAME_CHARS, MAX_SETTING_VALUE_BYTES } from './profile-db-limits.ts';
import { checkText, checkTime, rowBytes, rowInt, type DbContext } from './profile-db-record.ts';

export interface SeenStore {
  /** Remembers `id` until `expiresAt`; true when it was new, false when already remembered. */
  add(id: Uint8Array, expiresAt: number): boolean;
  has(id: Uint8Array): boolean;
  /** Forgets the IDs that expired at or before `now`; returns how many. */
  prune(now: number): number;
}

export interface SettingsStore {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  /** False when it was not set. */
  delete(name: string): boolean;
  /** The retrieve cursor this profile last reached at swarm member `memberId` (a peer ID). */
  getCursor(memberId: string): bigint | undefined;
  setCursor(memberId: string, cursor: bigint): void;
}

function checkSeenId(id: unknown): Uint8Array {
  assertBytes('id', id);
  if (id.length === 0 || id.length > MAX_SEEN_ID_BYTES) {
    throw new SamizdatError('INVALID_ARGUMENT', `an envelope ID must be 1..${MAX_SEEN_ID_BYTES} bytes`);
  }
  return id;
}

function checkName(what: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || [...name].length > MAX_SETTING_NAME_CHARS) {
    throw new SamizdatError('INVALID_ARGUMENT', `${what} must be a string of 1..${MAX_SETTING_NAME_CHARS} characters`);
  }
  return name;
}

export function createSeenStore(ctx: DbContext): SeenStore {
  const index = (id: Uint8Array): Uint8Array => ctx.cipher.index('seen', checkSeenId(id));
  return {
    add(id, expiresAt) {
      const key = index(id);
      checkTime('expiresAt', expiresAt);
      return ctx.transaction(() => {
        const row = ctx.stmt('SELECT expires_at FROM seen WHERE key = ?').get(key);
        if (row === undefined) {
          ctx.stmt('INSERT INTO seen (key, expires_at) VALUES (?, ?)').run(key, expiresAt);
          return true;
        }
        // Keep the later expiry: a copy that lives longer must stay recognised as long.
        if (expiresAt > rowInt(row, 'expires_at')) ctx.stmt('UPDATE seen SET expires_at = ? WHERE key = ?').run(expiresAt, key);
        return false;
      });
    },
    has(id) {
      return ctx.stmt('SELECT 1 AS found FROM seen WHERE key = ?').get(index(id)) !== undefined;
    },
    prune(now) {
      return Number(ctx.stmt('DELETE FROM seen WHERE expires_at <= ?').run(checkTime('now', now)).changes);
    },
  };
}

export function createSettingsStore(ctx: DbContext): SettingsStore {
  const { cipher } = ctx;

  function read(key: Uint8Array): string | undefined {
    const row = ctx.stmt('SELECT body FROM setting WHERE key = ?').get(key);
    return row === undefined ? undefined : new TextDecoder().decode(cipher.open('setting', key, rowBytes(row, 'body')));
  }

  function write(key: Uint8Array, value: string): void {
    const body = cipher.seal('setting', key, checkText('value', value, MAX_SETTING_VALUE_BYTES));
    ctx.stmt('INSERT INTO setting (key, body) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET body = excluded.body').run(key, body);
  }

  const settingKey = (name: string): Uint8Array => cipher.index('setting', utf8(checkName('a setting name', name)));
  const cursorKey = (memberId: string): Uint8Array => cipher.index('cursor', utf8(checkName('a swarm member ID', memberId)));

  return {
    get: (name) => read(settingKey(name)),
    set: (name, value) => write(settingKey(name), value),
    delete: (name) => Number(ctx.stmt('DELETE FROM setting WHERE key = ?').run(settingKey(name)).changes) === 1,
    getCursor(memberId) {
      const text = read(cursorKey(memberId));
      if (text === undefined) return undefined;
      if (!/^(0|[1-9][0-9]{0,19})$/.test(text)) throw new SamizdatError('PROFILE_CORRUPT', 'a retrieve cursor in profile.db is damaged');
      return BigInt(text);
    },
    setCursor(memberId, cursor) {
      if (typeof cursor !== 'bigint' || cursor < 0n || cursor > 0xffffffffffffffffn) {
        throw new SamizdatError('INVALID_ARGUMENT', 'cursor must be an unsigned 64-bit bigint');
      }
      write(cursorKey(memberId), cursor.toString());
    },
  };
}
