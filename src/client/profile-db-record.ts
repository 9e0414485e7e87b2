/**
 * Shared plumbing of the profile database's stores: the context each store receives, the JSON
 * form of a sealed record and its checked readers, and argument checks. A record that opened
 * (so it was written by this account's key) but does not parse is PROFILE_CORRUPT: a bug or a
 * file from a newer version, never silently read as something else.
 */
import type { SQLOutputValue, StatementSync } from 'node:sqlite';
import { SamizdatError } from '../errors.ts';
import { fromHex, toHex, utf8 } from '../crypto/bytes.ts';
import type { ProfileCipher, SealedTable } from './profile-db-cipher.ts';
import { MAX_TIME_MS } from '../e2e/content.ts';
import { MESSAGE_ID_BYTES } from './profile-db-limits.ts';

/** What every store of one open database shares. */
export interface DbContext {
  readonly cipher: ProfileCipher;
  readonly now: () => number;
  /** The profile's own Ed25519 identity public key. */
  readonly selfIdentity: Uint8Array;
  /** A prepared statement, made once per database and reused; STORAGE_FAILED once closed. */
  stmt(sql: string): StatementSync;
  /** Runs `fn` atomically (nested calls become savepoints). */
  transaction<T>(fn: () => T): T;
}

export type Row = Record<string, SQLOutputValue>;

/** Serializes a record (JSON) for sealing; bytes as hex, bigints as decimal strings. */
export function encodeRecord(value: Readonly<Record<string, unknown>>): Uint8Array {
  return utf8(JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? toHex(v) : typeof v === 'bigint' ? v.toString() : v)));
}

export interface RecordReader {
  /** Whether the record has the field (for fields added after records were first written). */
  has(name: string): boolean;
  string(name: string): string;
  /** A safe integer (times, counters). */
  int(name: string): number;
  boolean(name: string): boolean;
  bigint(name: string): bigint;
  bytes(name: string, length?: number): Uint8Array;
  optionalBytes(name: string, length?: number): Uint8Array | undefined;
  oneOf<T extends string>(name: string, values: readonly T[]): T;
}

function damaged(table: SealedTable, what: string, cause?: unknown): SamizdatError {
  return new SamizdatError('PROFILE_CORRUPT', `a ${table} record in profile.db is damaged (${what})`, {
    detail: { table },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Parses the plaintext of a sealed record; every field read is checked. */
export function decodeRecord(table: SealedTable, plaintext: Uint8Array): RecordReader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch (cause) {
    throw damaged(table, 'not JSON', cause);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw damaged(table, 'not an object');
  const record = parsed as Record<string, unknown>;
  const field = (name: string): unknown => (Object.hasOwn(record, name) ? record[name] : undefined);
  const hex = (name: string, length: number | undefined): Uint8Array => {
    const v = field(name);
    if (typeof v !== 'string' || !/^([0-9a-f]{2})*$/.test(v)) throw damaged(table, name);
    const bytes = fromHex(v);
    if (length !== undefined && bytes.length !== length) throw damaged(table, name);
    return bytes;
  };
  return {
    has: (name) => field(name) !== undefined,
    string(name) {
      const v = field(name);
      if (typeof v !== 'string') throw damaged(table, name);
      return v;
    },
    int(name) {
      const v = field(name);
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw damaged(table, name);
      return v;
    },
    boolean(name) {
      const v = field(name);
      if (typeof v !== 'boolean') throw damaged(table, name);
      return v;
    },
    bigint(name) {
      const v = field(name);
      if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(v)) throw damaged(table, name);
      return BigInt(v);
    },
    bytes: (name, length) => hex(name, length),
    optionalBytes: (name, length) => (field(name) === undefined ? undefined : hex(name, length)),
    oneOf<T extends string>(name: string, values: readonly T[]): T {
      const v = field(name);
      const found = values.find((x) => x === v);
      if (found === undefined) throw damaged(table, name);
      return found;
    },
  };
}

/** A BLOB column of a row (node:sqlite returns Uint8Array). */
export function rowBytes(row: Row | undefined, column: string): Uint8Array {
  const v = row?.[column];
  if (!(v instanceof Uint8Array)) throw new SamizdatError('PROFILE_CORRUPT', `profile.db column ${column} is not a blob`);
  return v;
}

/** An INTEGER column of a row. */
export function rowInt(row: Row | undefined, column: string): number {
  const v = row?.[column];
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  throw new SamizdatError('PROFILE_CORRUPT', `profile.db column ${column} is not an integer`);
}

/** INVALID_ARGUMENT unless `value` is a safe integer >= 0 (milliseconds since the epoch). */
/** A message ID as its bytes: 32 lower-case hex digits, INVALID_ARGUMENT otherwise. */
export function checkMessageId(id: unknown): Uint8Array {
  if (typeof id !== 'string' || !new RegExp(`^[0-9a-f]{${MESSAGE_ID_BYTES * 2}}$`).test(id)) {
    throw new SamizdatError('INVALID_ARGUMENT', `a message ID must be ${MESSAGE_ID_BYTES * 2} lower-case hex digits`);
  }
  return fromHex(id);
}

export function checkTime(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_TIME_MS) {
    throw new SamizdatError('INVALID_ARGUMENT', `${name} must be an integer in 0..${MAX_TIME_MS} (milliseconds, a time a Date can hold)`);
  }
  return value;
}

/** A list limit: default when absent, INVALID_ARGUMENT outside 1..max. */
export function checkLimit(value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new SamizdatError('INVALID_ARGUMENT', `limit must be an integer in 1..${max}`);
  }
  return value;
}

/** TOO_LARGE when a string's UTF-8 form exceeds `max` bytes; INVALID_ARGUMENT for a non-string. */
export function checkText(name: string, value: unknown, max: number): Uint8Array {
  if (typeof value !== 'string') throw new SamizdatError('INVALID_ARGUMENT', `${name} must be a string`);
  const bytes = utf8(value);
  if (bytes.length > max) {
    throw new SamizdatError('TOO_LARGE', `${name} is ${bytes.length} bytes; the limit is ${max}`, { detail: { limit: max, actual: bytes.length } });
  }
  return bytes;
}
