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
}

export interface OutboxStore {
  /** Records (or replaces) the entry of (peer, id). */
  put(entry: OutboxEntry): void;
  get(peer: Uint8Array, id: string): OutboxEntry | undefined;
  /** False when there was none. */
  remove(peer: Uint8Array, id: string): boolean;
  /** Up to `limit` entries, in no particular order. */
  list(limit: number): OutboxEntry[];
}

function checkEntry(entry: OutboxEntry): void {
  assertBytes('peer', entry.peer, SIZES.ed25519PublicKey);
  checkMessageId(entry.id);
  assertBytes('envelope', entry.envelope);
  if (entry.envelope.length === 0 || entry.envelope.length > MAX_ENVELOPE_BYTES) {
    throw new SamizdatError('INVALID_ARGUMENT', `an envelope must be 1..${MAX_ENVELOPE_BYTES} bytes`);
  }
  if (entry.depositKey !== undefined) assertBytes('depositKey', entry.depositKey, 32);
  const { pid, started } = entry.owner;
  if (!Number.isSafeInteger(pid) || pid <= 0 || typeof started !== 'string' || started.length > 256) {
    throw new SamizdatError('INVALID_ARGUMENT', 'owner must name a process (a positive pid and a start mark of at most 256 characters)');
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
      owner: { pid: r.int('pid'), started: r.string('started') },
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

    list(limit) {
      if (!Number.isSafeInteger(limit) || limit < 1) throw new SamizdatError('INVALID_ARGUMENT', 'limit must be a positive integer');
      return ctx.stmt('SELECT key, body FROM outbox LIMIT ?').all(limit).map(open);
    },
  };
}
