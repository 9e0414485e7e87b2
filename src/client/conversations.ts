/**
 * Messages in the profile database, one conversation per peer identity key. A message row is
 * found by the blind index of (peer, message ID), so a peer that repeats an ID can only collide
 * with its own messages; `conversation` is the peer's blind index and `seq` the order in which
 * this device recorded the messages. The sealed body (every field, including the text and the
 * times) is bound to both indexes, so it cannot be moved to another conversation or message.
 */
import { SamizdatError } from '../errors.ts';
import { assertBytes, concatBytes, fromHex } from '../crypto/bytes.ts';
import { SIZES } from '../crypto/provider.ts';
import {
  DEFAULT_MESSAGE_LIST_LIMIT,
  MAX_MESSAGE_LIST_LIMIT,
  MAX_MESSAGE_TEXT_BYTES,
} from './profile-db-limits.ts';
import { checkLimit, checkMessageId, checkText, checkTime, decodeRecord, encodeRecord, rowBytes, rowInt, type DbContext, type Row } from './profile-db-record.ts';

export type MessageDirection = 'in' | 'out';
/**
 * 'sending', 'stored' (in the recipient's swarm) and 'failed' are outgoing; 'received' is incoming,
 * and 'held' an incoming message from a verified contact whose keys changed, kept out of sight
 * until the user verifies them again.
 */
export type MessageState = 'sending' | 'stored' | 'failed' | 'received' | 'held';

const DIRECTIONS: readonly MessageDirection[] = ['in', 'out'];
/** Every state a message can be in (the web app's model must know each: test/web/format.test.ts). */
export const MESSAGE_STATES: readonly MessageState[] = ['sending', 'stored', 'failed', 'received', 'held'];
const STATES_OF: Readonly<Record<MessageDirection, readonly MessageState[]>> = {
  in: ['received', 'held'],
  out: ['sending', 'stored', 'failed'],
};

export interface MessageRecord {
  /** 16 random bytes as 32 lower-case hex digits, chosen by the sender. */
  readonly id: string;
  readonly direction: MessageDirection;
  readonly text: string;
  /** The sender's clock, milliseconds since the epoch. */
  readonly sentAt: number;
  /** When this device recorded the message (for 'out': when it was written). */
  readonly receivedAt: number;
  readonly state: MessageState;
}

export interface StoredMessage extends MessageRecord {
  /** The order in which this device recorded messages (grows across all conversations). */
  readonly seq: number;
  /** The peer's Ed25519 identity public key: whose conversation this is. */
  readonly peer: Uint8Array;
}

export interface ListOptions {
  /** At most this many (default DEFAULT_MESSAGE_LIST_LIMIT, at most MAX_MESSAGE_LIST_LIMIT). */
  readonly limit?: number;
  /** Only messages recorded before this seq (to page back). */
  readonly beforeSeq?: number;
}

export interface MessageStore {
  /** Records a message; false (and nothing written) when this conversation already has its ID. */
  append(peer: Uint8Array, message: MessageRecord): boolean;
  get(peer: Uint8Array, id: string): StoredMessage | undefined;
  /** Changes a message's state; false when the conversation has no such ID. */
  updateState(peer: Uint8Array, id: string, state: MessageState): boolean;
  /** The newest messages of one conversation, oldest first. */
  list(peer: Uint8Array, options?: ListOptions): StoredMessage[];
  /** The newest messages across all conversations, newest first (for an inbox). */
  recent(options?: { readonly limit?: number }): StoredMessage[];
  /** The newest message of each conversation, newest conversation first. */
  conversations(options?: { readonly limit?: number }): StoredMessage[];
  /** Deletes a conversation's messages; returns how many. */
  removeConversation(peer: Uint8Array): number;
  /** Every message of every conversation, in the order recorded, read a page at a time. */
  all(): Generator<StoredMessage>;
}

function checkState(direction: MessageDirection, state: unknown): MessageState {
  const allowed = STATES_OF[direction];
  const found = allowed.find((s) => s === state);
  if (found === undefined) {
    throw new SamizdatError('INVALID_ARGUMENT', `an ${direction === 'in' ? 'incoming' : 'outgoing'} message's state must be one of ${allowed.join(', ')}`);
  }
  return found;
}

function checkRecord(message: MessageRecord): MessageRecord {
  if (typeof message !== 'object' || message === null) throw new SamizdatError('INVALID_ARGUMENT', 'message must be an object');
  checkMessageId(message.id);
  const direction = DIRECTIONS.find((d) => d === message.direction);
  if (direction === undefined) throw new SamizdatError('INVALID_ARGUMENT', 'direction must be "in" or "out"');
  checkText('text', message.text, MAX_MESSAGE_TEXT_BYTES);
  return {
    id: message.id,
    direction,
    text: message.text,
    sentAt: checkTime('sentAt', message.sentAt),
    receivedAt: checkTime('receivedAt', message.receivedAt),
    state: checkState(direction, message.state),
  };
}

const COLUMNS = 'seq, key, conversation, body';

export function createMessageStore(ctx: DbContext): MessageStore {
  const { cipher } = ctx;
  const conversationIndex = (peer: Uint8Array): Uint8Array => cipher.index('conversation', peer);
  const messageIndex = (peer: Uint8Array, id: Uint8Array): Uint8Array => cipher.index('message', peer, id);
  const checkPeer = (peer: Uint8Array): void => assertBytes('peer', peer, SIZES.ed25519PublicKey);

  function seal(key: Uint8Array, conversation: Uint8Array, peer: Uint8Array, m: MessageRecord): Uint8Array {
    const record = { v: 1, peer, id: m.id, direction: m.direction, text: m.text, sentAt: m.sentAt, receivedAt: m.receivedAt, state: m.state };
    return cipher.seal('message', concatBytes(key, conversation), encodeRecord(record));
  }

  function open(row: Row): StoredMessage {
    const aadKey = concatBytes(rowBytes(row, 'key'), rowBytes(row, 'conversation'));
    const r = decodeRecord('message', cipher.open('message', aadKey, rowBytes(row, 'body')));
    return {
      seq: rowInt(row, 'seq'),
      peer: r.bytes('peer', SIZES.ed25519PublicKey),
      id: r.string('id'),
      direction: r.oneOf('direction', DIRECTIONS),
      text: r.string('text'),
      sentAt: r.int('sentAt'),
      receivedAt: r.int('receivedAt'),
      state: r.oneOf('state', MESSAGE_STATES),
    };
  }

  function get(peer: Uint8Array, id: string): StoredMessage | undefined {
    checkPeer(peer);
    const row = ctx.stmt(`SELECT ${COLUMNS} FROM message WHERE key = ?`).get(messageIndex(peer, checkMessageId(id)));
    return row === undefined ? undefined : open(row);
  }

  return {
    append(peer, message) {
      checkPeer(peer);
      const m = checkRecord(message);
      const key = messageIndex(peer, fromHex(m.id));
      const conversation = conversationIndex(peer);
      const result = ctx
        .stmt('INSERT INTO message (key, conversation, body) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING')
        .run(key, conversation, seal(key, conversation, peer, m));
      return Number(result.changes) === 1;
    },

    get,

    updateState(peer, id, state) {
      return ctx.transaction(() => {
        const current = get(peer, id);
        if (current === undefined) return false;
        const next: MessageRecord = { ...current, state: checkState(current.direction, state) };
        const key = messageIndex(peer, fromHex(id));
        ctx.stmt('UPDATE message SET body = ? WHERE key = ?').run(seal(key, conversationIndex(peer), peer, next), key);
        return true;
      });
    },

    list(peer, options = {}) {
      checkPeer(peer);
      const limit = checkLimit(options.limit, DEFAULT_MESSAGE_LIST_LIMIT, MAX_MESSAGE_LIST_LIMIT);
      const before = options.beforeSeq ?? Number.MAX_SAFE_INTEGER;
      if (!Number.isSafeInteger(before)) throw new SamizdatError('INVALID_ARGUMENT', 'beforeSeq must be a safe integer');
      const rows = ctx
        .stmt(`SELECT ${COLUMNS} FROM message WHERE conversation = ? AND seq < ? ORDER BY seq DESC LIMIT ?`)
        .all(conversationIndex(peer), before, limit);
      return rows.map(open).reverse();
    },

    recent(options = {}) {
      const limit = checkLimit(options.limit, DEFAULT_MESSAGE_LIST_LIMIT, MAX_MESSAGE_LIST_LIMIT);
      return ctx.stmt(`SELECT ${COLUMNS} FROM message ORDER BY seq DESC LIMIT ?`).all(limit).map(open);
    },

    conversations(options = {}) {
      const limit = checkLimit(options.limit, DEFAULT_MESSAGE_LIST_LIMIT, MAX_MESSAGE_LIST_LIMIT);
      const rows = ctx
        .stmt(
          `SELECT ${COLUMNS} FROM message WHERE seq IN (SELECT max(seq) FROM message GROUP BY conversation) ORDER BY seq DESC LIMIT ?`,
        )
        .all(limit);
      return rows.map(open);
    },

    removeConversation(peer) {
      checkPeer(peer);
      return Number(ctx.stmt('DELETE FROM message WHERE conversation = ?').run(conversationIndex(peer)).changes);
    },

    *all() {
      let after = -1;
      for (;;) {
        const rows = ctx.stmt(`SELECT ${COLUMNS} FROM message WHERE seq > ? ORDER BY seq LIMIT ?`).all(after, MAX_MESSAGE_LIST_LIMIT);
        for (const row of rows) yield open(row);
        const last = rows.at(-1);
        if (last === undefined || rows.length < MAX_MESSAGE_LIST_LIMIT) return;
        after = rowInt(last, 'seq');
      }
    },
  };
}
