/**
 * Codecs of what travels end to end (src/wire/proto/samizdat/v1/envelope.proto):
 *  - SessionMessage: the content of a sealed envelope between two accounts, either a prekey
 *    message (HandshakeInit and the first ratchet message) or a ratchet message;
 *  - ChatContent: the plaintext a ratchet message carries in a 1:1 chat.
 * Encoders assert their input (INVALID_ARGUMENT); decoders take untrusted bytes and raise only
 * TOO_LARGE or MALFORMED. Pure; no I/O.
 */
import { create } from '@bufbuild/protobuf';
import { assertBytes, type CryptoProvider } from '../crypto/index.ts';
import { SamizdatError } from '../errors.ts';
import { ChatContentSchema, SessionMessageSchema } from '../wire/gen/samizdat/v1/envelope_pb.ts';
import { decodeMessage, encodeMessage } from '../wire/index.ts';
import { MAX_HANDSHAKE_INIT_BYTES } from './pqxdh.ts';
import { MAX_ENVELOPE_CONTENT_BYTES } from './sealed-envelope.ts';

/** Bytes of a chat message id. */
export const MESSAGE_ID_LENGTH = 16;
/**
 * Longest text of one chat message, in UTF-8 bytes: 16 KiB, about 8 pages of prose. Enough for any
 * chat message; longer writing goes as an attachment. It keeps a text message well inside one
 * envelope (MAX_ENVELOPE_CONTENT_BYTES) whatever the ratchet and handshake add.
 */
export const MAX_TEXT_BYTES = 16 * 1024;
/** Largest encoded ChatContent: the longest text plus the id, the time and protobuf tags. */
export const MAX_CHAT_CONTENT_BYTES = MAX_TEXT_BYTES + 64;
/** Largest encoded SessionMessage: what the biggest envelope carries. */
export const MAX_SESSION_MESSAGE_BYTES = MAX_ENVELOPE_CONTENT_BYTES;

export type ChatBody =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'request-accepted' }
  /** A body of a kind this version does not know (sent by a newer client). Cannot be encoded. */
  | { readonly kind: 'unknown' };

export interface ChatContent {
  /** 16 random bytes (newMessageId). */
  readonly messageId: Uint8Array;
  /** The sender's clock, milliseconds since the Unix epoch. */
  readonly sentAtMs: number;
  readonly body: ChatBody;
  /** The sender's contact deposit key (32-byte Ed25519 seed), for accepted contacts only. */
  readonly depositKey?: Uint8Array;
}

/** Length of a contact deposit key (an Ed25519 seed). */
export const DEPOSIT_KEY_LENGTH = 32;

export type SessionMessage =
  | { readonly kind: 'prekey'; readonly handshakeInit: Uint8Array; readonly ratchetMessage: Uint8Array }
  | { readonly kind: 'ratchet'; readonly ratchetMessage: Uint8Array };

/** A fresh random message id. */
export function newMessageId(provider: CryptoProvider): Uint8Array {
  return provider.randomBytes(MESSAGE_ID_LENGTH);
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Serializes `content`; INVALID_ARGUMENT for a bad id, time or body, TOO_LARGE for a long text. */
export function encodeChatContent(content: ChatContent): Uint8Array {
  if (typeof content !== 'object' || content === null) throw new SamizdatError('INVALID_ARGUMENT', 'content must be an object');
  assertBytes('content.messageId', content.messageId, MESSAGE_ID_LENGTH);
  if (!Number.isSafeInteger(content.sentAtMs) || content.sentAtMs < 0 || content.sentAtMs > MAX_TIME_MS) {
    throw new SamizdatError('INVALID_ARGUMENT', 'content.sentAtMs must be an integer in 0..MAX_TIME_MS (ms since epoch)');
  }
  const body = content.body as Partial<ChatBody> | null | undefined;
  let wireBody: { case: 'text'; value: string } | { case: 'requestAccepted'; value: object };
  if (body?.kind === 'text' && typeof body.text === 'string') {
    if (!body.text.isWellFormed()) throw new SamizdatError('INVALID_ARGUMENT', 'text must be well-formed Unicode (no lone surrogates)');
    const length = utf8Length(body.text);
    if (length > MAX_TEXT_BYTES) {
      throw new SamizdatError('TOO_LARGE', `text of ${length} bytes exceeds ${MAX_TEXT_BYTES}`, {
        detail: { limit: MAX_TEXT_BYTES, actual: length },
      });
    }
    wireBody = { case: 'text', value: body.text };
  } else if (body?.kind === 'request-accepted') {
    wireBody = { case: 'requestAccepted', value: {} };
  } else {
    throw new SamizdatError('INVALID_ARGUMENT', 'content.body must be a text or request-accepted body');
  }
  if (content.depositKey !== undefined) assertBytes('content.depositKey', content.depositKey, DEPOSIT_KEY_LENGTH);
  return encodeMessage(
    ChatContentSchema,
    create(ChatContentSchema, { messageId: content.messageId, sentAtMs: BigInt(content.sentAtMs), body: wireBody, depositKey: content.depositKey ?? new Uint8Array(0) }),
    { maxBytes: MAX_CHAT_CONTENT_BYTES },
  );
}

/**
 * The latest time a message may carry: the last millisecond a JavaScript Date can hold
 * (8.64e15 ms after the epoch, ECMA-262 "Time Values and Time Range"). A later sent_at_ms could
 * be stored but not shown: every date formatter throws on it.
 */
export const MAX_TIME_MS = 8_640_000_000_000_000;

/**
 * Parses a ChatContent from untrusted bytes. TOO_LARGE over MAX_CHAT_CONTENT_BYTES or a text over
 * MAX_TEXT_BYTES; MALFORMED for bad protobuf, invalid UTF-8, a wrong-size id, a time beyond MAX_TIME_MS
 * or no body. A body of an unknown kind decodes as `{ kind: 'unknown' }`.
 */
export function decodeChatContent(bytes: Uint8Array): ChatContent {
  const msg = decodeMessage(ChatContentSchema, bytes, { maxBytes: MAX_CHAT_CONTENT_BYTES });
  if (msg.messageId.length !== MESSAGE_ID_LENGTH) {
    throw new SamizdatError('MALFORMED', `message id must be ${MESSAGE_ID_LENGTH} bytes`);
  }
  if (msg.sentAtMs > BigInt(MAX_TIME_MS)) throw new SamizdatError('MALFORMED', 'sent_at_ms is beyond the latest date a message may carry');
  let body: ChatBody;
  switch (msg.body.case) {
    case 'text': {
      const length = utf8Length(msg.body.value);
      if (length > MAX_TEXT_BYTES) {
        throw new SamizdatError('TOO_LARGE', `text of ${length} bytes exceeds ${MAX_TEXT_BYTES}`, {
          detail: { limit: MAX_TEXT_BYTES, actual: length },
        });
      }
      body = { kind: 'text', text: msg.body.value };
      break;
    }
    case 'requestAccepted':
      body = { kind: 'request-accepted' };
      break;
    default:
      // No body at all is as useless as an unknown one; both come from a newer or broken client.
      body = { kind: 'unknown' };
  }
  if (msg.depositKey.length !== 0 && msg.depositKey.length !== DEPOSIT_KEY_LENGTH) {
    throw new SamizdatError('MALFORMED', `deposit key must be ${DEPOSIT_KEY_LENGTH} bytes`);
  }
  const base = { messageId: msg.messageId.slice(), sentAtMs: Number(msg.sentAtMs), body };
  return msg.depositKey.length === 0 ? base : { ...base, depositKey: msg.depositKey.slice() };
}

function assertPart(name: string, value: unknown, max: number, allowEmpty: boolean): asserts value is Uint8Array {
  assertBytes(name, value);
  if (!allowEmpty && value.length === 0) throw new SamizdatError('INVALID_ARGUMENT', `${name} must not be empty`);
  if (value.length > max) {
    throw new SamizdatError('TOO_LARGE', `${name} of ${value.length} bytes exceeds ${max}`, { detail: { limit: max, actual: value.length } });
  }
}

/** Serializes a SessionMessage; TOO_LARGE past MAX_SESSION_MESSAGE_BYTES. */
export function encodeSessionMessage(message: SessionMessage): Uint8Array {
  if (typeof message !== 'object' || message === null) throw new SamizdatError('INVALID_ARGUMENT', 'message must be an object');
  let wire;
  if (message.kind === 'prekey') {
    assertPart('message.handshakeInit', message.handshakeInit, MAX_HANDSHAKE_INIT_BYTES, false);
    assertPart('message.ratchetMessage', message.ratchetMessage, MAX_SESSION_MESSAGE_BYTES, false);
    wire = create(SessionMessageSchema, {
      message: { case: 'prekeyMessage', value: { handshakeInit: message.handshakeInit, ratchetMessage: message.ratchetMessage } },
    });
  } else if (message.kind === 'ratchet') {
    assertPart('message.ratchetMessage', message.ratchetMessage, MAX_SESSION_MESSAGE_BYTES, false);
    wire = create(SessionMessageSchema, { message: { case: 'ratchetMessage', value: message.ratchetMessage } });
  } else {
    throw new SamizdatError('INVALID_ARGUMENT', "message.kind must be 'prekey' or 'ratchet'");
  }
  return encodeMessage(SessionMessageSchema, wire, { maxBytes: MAX_SESSION_MESSAGE_BYTES });
}

/**
 * Parses a SessionMessage from untrusted bytes (an opened envelope's content). TOO_LARGE past
 * MAX_SESSION_MESSAGE_BYTES; MALFORMED for bad protobuf, no message, an empty part or a
 * handshake larger than MAX_HANDSHAKE_INIT_BYTES. The parts are copies, not views.
 */
export function decodeSessionMessage(bytes: Uint8Array): SessionMessage {
  const msg = decodeMessage(SessionMessageSchema, bytes, { maxBytes: MAX_SESSION_MESSAGE_BYTES });
  switch (msg.message.case) {
    case 'prekeyMessage': {
      const { handshakeInit, ratchetMessage } = msg.message.value;
      if (handshakeInit.length === 0 || ratchetMessage.length === 0) {
        throw new SamizdatError('MALFORMED', 'a prekey message needs a handshake and a ratchet message');
      }
      if (handshakeInit.length > MAX_HANDSHAKE_INIT_BYTES) {
        throw new SamizdatError('MALFORMED', `handshake of ${handshakeInit.length} bytes exceeds ${MAX_HANDSHAKE_INIT_BYTES}`);
      }
      return { kind: 'prekey', handshakeInit: handshakeInit.slice(), ratchetMessage: ratchetMessage.slice() };
    }
    case 'ratchetMessage':
      if (msg.message.value.length === 0) throw new SamizdatError('MALFORMED', 'empty ratchet message');
      return { kind: 'ratchet', ratchetMessage: msg.message.value.slice() };
    default:
      throw new SamizdatError('MALFORMED', 'session message has no message');
  }
}
