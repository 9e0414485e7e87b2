/**
 * Sends in flight, in the profile database: for each outgoing envelope not yet confirmed in the
 * recipient's swarm (a text message, or the note that a request was accepted), the sealed
 * envelope, the recipient's deposit key it was written with, and the process sending it. The
 * messenger writes the row in the same transaction as the ratchet state (and a text's message, in
 * state 'sending'), and removes it in the same transaction as the outcome ('stored' or 'failed'). A row whose process has ended is a send that a crash cut
 * short: the next process finishes it (Messenger.prepare) with the same envelope, so the message
 * goes out once, under the ratchet state that was saved for it.
 */
import { SamizdatError } from '../errors.ts';
import { assertBytes } from '../crypto/bytes.ts';
import { SIZES } from '../crypto/provider.ts';
import { MAX_ENVELOPE_BYTES } from '../e2e/sealed-envelope.ts';
import { checkMessageId, decodeRecord, encodeRecord, rowBytes, type DbContext, type Row } from './profile-db-record.ts';
import type { ProcessMark } from './process-liveness.ts';

export interface OutboxEntry {
  /** The recipient's Ed25519 identity public key. */
  readonly peer: Uint8Array;
  /** The message ID (32 hex digits), as in the message store (a control note has no message row). */
  readonly id: string;
  /** The sealed envelope, exactly as deposited. */
  readonly envelope: Uint8Array;
  /** The recipient's deposit key the envelope's proof is made with (a stranger's deposit pays work). */
  readonly depositKey: Uint8Array | undefined;
  /** The process delivering it. */
  readonly owner: ProcessMark;
  /**
   * When the envelope was sealed (ms since the epoch); undefined in rows written before it was
   * kept. A send older than OUTBOX_MAX_AGE_MS is not resumed (outbox-delivery.ts).
   */
  readonly sealedAtMs: number | undefined;
}

export interface OutboxStore {
  /** Records (or replaces) the entry of (peer, id). */
  put(entry: OutboxEntry): void;
  get(peer: Uint8Array, id: string): OutboxEntry | undefined;
  /** False when there was none. */
  remove(peer: Uint8Array, id: string): boolean;
  /** Every entry, read a page at a time in key order (so rows added or removed meanwhile are safe). */
  entries(): Generator<OutboxEntry>;
}

/** Rows read at a time by `entries`. */
const PAGE_ROWS = 64;

function checkEntry(entry: OutboxEntry): void {
  assertBytes('peer', entry.peer, SIZES.ed25519PublicKey);
  checkMessageId(entry.id);
  assertBytes('envelope', entry.envelope);
  if (entry.envelope.length === 0 || entry.envelope.length > MAX_ENVELOPE_BYTES) {
    throw new SamizdatError('INVALID_ARGUMENT', `an envelope must be 1..${MAX_ENVELOPE_BYTES} bytes`);
  }
  if (entry.depositKey !== undefined) assertBytes('depositKey', entry.depositKey, 32);
  const { pid, started, namespace } = entry.owner;
  if (!Number.isSafeInteger(pid) || pid <= 0 || typeof started !== 'string' || started.length > 256 || typeof namespace !== 'string' || namespace.length > 256) {
    throw new SamizdatError('INVALID_ARGUMENT', 'owner must name a process (a positive pid, and a start mark and a namespace of at most 256 characters)');
  }
  if (entry.sealedAtMs !== undefined && (!Number.isSafeInteger(entry.sealedAtMs) || entry.sealedAtMs < 0)) {
    throw new SamizdatError('INVALID_ARGUMENT', 'sealedAtMs must be a non-negative integer');
  }
}

export function createOutboxStore(ctx: DbContext): OutboxStore {
  const { cipher } = ctx;
  const index = (peer: Uint8Array, id: string): Uint8Array => {
    assertBytes('peer', peer, SIZES.ed25519PublicKey);
    return cipher.index('outbox', peer, checkMessageId(id));
  };

  function open(row: Row): OutboxEntry {
    const key = rowBytes(row, 'key');
    const r = decodeRecord('outbox', cipher.open('outbox', key, rowBytes(row, 'body')));
    const depositKey = r.optionalBytes('depositKey', 32);
    return {
      peer: r.bytes('peer', SIZES.ed25519PublicKey),
      id: r.string('id'),
      envelope: r.bytes('envelope'),
      depositKey,
      owner: { pid: r.int('pid'), started: r.string('started'), namespace: r.has('pidNamespace') ? r.string('pidNamespace') : '' },
      sealedAtMs: r.has('sealedAt') ? r.int('sealedAt') : undefined,
    };
  }

  return {
    put(entry) {
      checkEntry(entry);
      const key = index(entry.peer, entry.id);
      const record = {
        v: 1,
        peer: entry.peer,
        id: entry.id,
        envelope: entry.envelope,
        ...(entry.depositKey === undefined ? {} : { depositKey: entry.depositKey }),
        pid: entry.owner.pid,
        started: entry.owner.started,
        ...(entry.owner.namespace === '' ? {} : { pidNamespace: entry.owner.namespace }),
        ...(entry.sealedAtMs === undefined ? {} : { sealedAt: entry.sealedAtMs }),
      };
      const body = cipher.seal('outbox', key, encodeRecord(record));
      ctx.stmt('INSERT INTO outbox (key, body) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET body = excluded.body').run(key, body);
    },

    get(peer, id) {
      const row = ctx.stmt('SELECT key, body FROM outbox WHERE key = ?').get(index(peer, id));
      return row === undefined ? undefined : open(row);
    },

    remove(peer, id) {
      return Number(ctx.stmt('DELETE FROM outbox WHERE key = ?').run(index(peer, id)).changes) === 1;
    },

    *entries() {
      let after: Uint8Array = new Uint8Array(0);
      for (;;) {
        const rows = ctx.stmt('SELECT key, body FROM outbox WHERE key > ? ORDER BY key LIMIT ?').all(after, PAGE_ROWS);
        for (const row of rows) yield open(row);
        const last = rows.at(-1);
        if (last === undefined || rows.length < PAGE_ROWS) return;
        after = rowBytes(last, 'key');
      }
    },
  };
}
