/**
 * Secret key material in the profile database: one ratchet session per peer (opaque bytes, the
 * e2e layer encodes them) and the private halves of this account's prekeys, plus the sequence
 * counter of the prekey bundles it publishes. Prekey IDs and times are sealed too: they appear in
 * the public bundle, so in the clear they would tie this file to its account.
 */
import { SamizdatError } from '../errors.ts';
import { assertBytes, concatBytes, u32be, u64be, utf8 } from '../crypto/bytes.ts';
import { SIZES } from '../crypto/provider.ts';
import { MAX_PREKEY_MATERIAL_BYTES, MAX_SESSION_STATE_BYTES } from './profile-db-limits.ts';
import { checkTime, rowBytes, rowInt, type DbContext, type Row } from './profile-db-record.ts';

export interface SessionStore {
  get(peer: Uint8Array): Uint8Array | undefined;
  /** Stores (or replaces) the session with `peer`. */
  put(peer: Uint8Array, state: Uint8Array): void;
  /** Deletes it; false when there was none. */
  delete(peer: Uint8Array): boolean;
}

export type PrekeyKind = 'signed-x25519' | 'signed-ml-kem' | 'one-time-x25519' | 'one-time-ml-kem';

/** The small integers stored in `prekey.kind`. Frozen: they are on disk. */
export const PREKEY_KIND_CODES: Readonly<Record<PrekeyKind, number>> = {
  'signed-x25519': 1,
  'signed-ml-kem': 2,
  'one-time-x25519': 3,
  'one-time-ml-kem': 4,
};

export interface PrekeyInfo {
  readonly kind: PrekeyKind;
  /** The uint32 id published in the bundle. */
  readonly id: number;
  readonly createdAt: number;
}

export interface StoredPrekey extends PrekeyInfo {
  /** The private key material (a copy). */
  readonly material: Uint8Array;
}

export interface PrekeyStore {
  /** Stores (or replaces) a prekey's private material, created now. */
  put(kind: PrekeyKind, id: number, material: Uint8Array): void;
  get(kind: PrekeyKind, id: number): StoredPrekey | undefined;
  /** Deletes a prekey; false when there was none. */
  delete(kind: PrekeyKind, id: number): boolean;
  /** The ids (of one kind, or all) with their creation times, oldest first, for rotation and expiry. */
  list(kind?: PrekeyKind): PrekeyInfo[];
  /** The sequence of the last bundle published (0n before the first). */
  bundleSequence(): bigint;
  /**
   * Moves the bundle sequence up, to at least `atLeast` (default: one more), and returns the new
   * value (atomic across processes).
   */
  nextBundleSequence(atLeast?: bigint): bigint;
}

const KINDS = Object.keys(PREKEY_KIND_CODES) as PrekeyKind[];

function checkKind(kind: unknown): PrekeyKind {
  const found = KINDS.find((k) => k === kind);
  if (found === undefined) throw new SamizdatError('INVALID_ARGUMENT', `prekey kind must be one of ${KINDS.join(', ')}`);
  return found;
}

function checkPrekeyId(id: unknown): number {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw new SamizdatError('INVALID_ARGUMENT', 'prekey id must be an unsigned 32-bit integer');
  }
  return id;
}

function checkMaterial(name: string, value: unknown, max: number): Uint8Array {
  assertBytes(name, value);
  if (value.length > max) {
    throw new SamizdatError('TOO_LARGE', `${name} is ${value.length} bytes; the limit is ${max}`, { detail: { limit: max, actual: value.length } });
  }
  return value;
}

function corrupt(what: string): SamizdatError {
  return new SamizdatError('PROFILE_CORRUPT', `a prekey record in profile.db is damaged (${what})`, { detail: { table: 'prekey' } });
}

export function createSessionStore(ctx: DbContext): SessionStore {
  const { cipher } = ctx;
  const index = (peer: Uint8Array): Uint8Array => {
    assertBytes('peer', peer, SIZES.ed25519PublicKey);
    return cipher.index('session', peer);
  };
  return {
    get(peer) {
      const key = index(peer);
      const row = ctx.stmt('SELECT body FROM session WHERE key = ?').get(key);
      return row === undefined ? undefined : cipher.open('session', key, rowBytes(row, 'body'));
    },
    put(peer, state) {
      const key = index(peer);
      const body = cipher.seal('session', key, checkMaterial('state', state, MAX_SESSION_STATE_BYTES));
      ctx.stmt('INSERT INTO session (key, body) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET body = excluded.body').run(key, body);
    },
    delete(peer) {
      return Number(ctx.stmt('DELETE FROM session WHERE key = ?').run(index(peer)).changes) === 1;
    },
  };
}

/** Sealed prekey plaintext: id (u32) || createdAt (u64) || material. */
const PREKEY_HEADER_BYTES = 12;
const BUNDLE_SEQUENCE = 'bundle_sequence';

export function createPrekeyStore(ctx: DbContext): PrekeyStore {
  const { cipher } = ctx;
  const index = (kind: PrekeyKind, id: number): Uint8Array => cipher.index('prekey', Uint8Array.of(PREKEY_KIND_CODES[kind]), u32be(id));
  const aadKey = (key: Uint8Array, code: number): Uint8Array => concatBytes(key, Uint8Array.of(code));

  function open(row: Row): StoredPrekey {
    const code = rowInt(row, 'kind');
    const kind = KINDS.find((k) => PREKEY_KIND_CODES[k] === code);
    if (kind === undefined) throw corrupt('kind');
    const plain = cipher.open('prekey', aadKey(rowBytes(row, 'key'), code), rowBytes(row, 'body'));
    if (plain.length < PREKEY_HEADER_BYTES) throw corrupt('too short');
    const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
    const createdAt = view.getBigUint64(4);
    if (createdAt > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('createdAt');
    return { kind, id: view.getUint32(0), createdAt: Number(createdAt), material: plain.slice(PREKEY_HEADER_BYTES) };
  }

  const metaKey = utf8(BUNDLE_SEQUENCE);
  function bundleSequence(): bigint {
    const row = ctx.stmt('SELECT body FROM meta WHERE name = ?').get(BUNDLE_SEQUENCE);
    if (row === undefined) return 0n;
    const plain = cipher.open('meta', metaKey, rowBytes(row, 'body'));
    if (plain.length !== 8) throw new SamizdatError('PROFILE_CORRUPT', 'the bundle sequence in profile.db is damaged');
    return new DataView(plain.buffer, plain.byteOffset, 8).getBigUint64(0);
  }

  return {
    put(kind, id, material) {
      const k = checkKind(kind);
      checkPrekeyId(id);
      checkMaterial('material', material, MAX_PREKEY_MATERIAL_BYTES);
      const createdAt = checkTime('now()', ctx.now());
      const key = index(k, id);
      const code = PREKEY_KIND_CODES[k];
      const body = cipher.seal('prekey', aadKey(key, code), concatBytes(u32be(id), u64be(BigInt(createdAt)), material));
      ctx
        .stmt('INSERT INTO prekey (key, kind, body) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, body = excluded.body')
        .run(key, code, body);
    },

    get(kind, id) {
      const row = ctx.stmt('SELECT key, kind, body FROM prekey WHERE key = ?').get(index(checkKind(kind), checkPrekeyId(id)));
      return row === undefined ? undefined : open(row);
    },

    delete(kind, id) {
      return Number(ctx.stmt('DELETE FROM prekey WHERE key = ?').run(index(checkKind(kind), checkPrekeyId(id))).changes) === 1;
    },

    list(kind) {
      const rows =
        kind === undefined
          ? ctx.stmt('SELECT key, kind, body FROM prekey').all()
          : ctx.stmt('SELECT key, kind, body FROM prekey WHERE kind = ?').all(PREKEY_KIND_CODES[checkKind(kind)]);
      return rows
        .map((row) => {
          const { kind: k, id, createdAt, material } = open(row);
          material.fill(0);
          return { kind: k, id, createdAt };
        })
        .sort((a, b) => a.createdAt - b.createdAt || PREKEY_KIND_CODES[a.kind] - PREKEY_KIND_CODES[b.kind] || a.id - b.id);
    },

    bundleSequence,

    nextBundleSequence(atLeast = 0n) {
      return ctx.transaction(() => {
        const plusOne = bundleSequence() + 1n;
        const next = plusOne > atLeast ? plusOne : atLeast;
        const body = cipher.seal('meta', metaKey, u64be(next));
        ctx.stmt('INSERT INTO meta (name, body) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET body = excluded.body').run(BUNDLE_SEQUENCE, body);
        return next;
      });
    },
  };
}
