import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { create, toBinary } from '@bufbuild/protobuf';
import { ChatContentSchema, SessionMessageSchema } from '../wire/gen/samizdat/v1/envelope_pb.ts';
import { nodeProvider } from '../../test/support/providers.ts';
import {
  MAX_TIME_MS,
  MAX_CHAT_CONTENT_BYTES,
  MAX_SESSION_MESSAGE_BYTES,
  MAX_TEXT_BYTES,
  MESSAGE_ID_LENGTH,
  decodeChatContent,
  decodeSessionMessage,
  encodeChatContent,
  encodeSessionMessage,
  newMessageId,
  type ChatContent,
  type SessionMessage,
} from './content.ts';
import { MAX_HANDSHAKE_INIT_BYTES } from './pqxdh.ts';
import { codeOf } from '../../test/support/error-code.ts';

const ID = newMessageId(nodeProvider);
const chat = (body: ChatContent['body'], sentAtMs = 1_750_000_000_000): ChatContent => ({ messageId: ID, sentAtMs, body });

const arbChat: fc.Arbitrary<ChatContent> = fc.record({
  messageId: fc.uint8Array({ minLength: MESSAGE_ID_LENGTH, maxLength: MESSAGE_ID_LENGTH }),
  sentAtMs: fc.nat({ max: MAX_TIME_MS }),
  body: fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 200 }).map((text) => ({ kind: 'text' as const, text })),
    fc.constant({ kind: 'request-accepted' as const }),
  ),
}, { noNullPrototype: true });

const arbSession: fc.Arbitrary<SessionMessage> = fc.oneof(
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.uint8Array({ minLength: 1, maxLength: 300 }))
    .map(([handshakeInit, ratchetMessage]) => ({ kind: 'prekey' as const, handshakeInit, ratchetMessage })),
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((ratchetMessage) => ({ kind: 'ratchet' as const, ratchetMessage })),
);

test('property: chat content and session messages round-trip', () => {
  fc.assert(
    fc.property(arbChat, (content) => {
      assert.deepEqual(decodeChatContent(encodeChatContent(content)), content);
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(arbSession, (message) => {
      assert.deepEqual(decodeSessionMessage(encodeSessionMessage(message)), message);
    }),
    { numRuns: 300 },
  );
});

test('property: random bytes raise only SamizdatError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      codeOf(() => decodeChatContent(bytes));
      codeOf(() => decodeSessionMessage(bytes));
    }),
    { numRuns: 1000 },
  );
});

test('text limits: MAX_TEXT_BYTES of UTF-8 is fine, one byte more is TOO_LARGE', () => {
  const longest = 'é'.repeat(MAX_TEXT_BYTES / 2);
  const bytes = encodeChatContent(chat({ kind: 'text', text: longest }));
  assert.ok(bytes.length <= MAX_CHAT_CONTENT_BYTES);
  assert.deepEqual(decodeChatContent(bytes).body, { kind: 'text', text: longest });
  const encodedMax = encodeChatContent({ messageId: ID, sentAtMs: MAX_TIME_MS, body: { kind: 'text', text: 'x'.repeat(MAX_TEXT_BYTES) } });
  assert.ok(encodedMax.length <= MAX_CHAT_CONTENT_BYTES, `${encodedMax.length}`);
  assert.equal(codeOf(() => encodeChatContent(chat({ kind: 'text', text: `${longest}a` }))), 'TOO_LARGE');
  // A peer's over-long text (within the frame limit) is refused on decode.
  const peer = toBinary(ChatContentSchema, create(ChatContentSchema, { messageId: ID, body: { case: 'text', value: 'y'.repeat(MAX_TEXT_BYTES + 1) } }));
  assert.equal(codeOf(() => decodeChatContent(peer)), 'TOO_LARGE');
  const huge = toBinary(ChatContentSchema, create(ChatContentSchema, { messageId: ID, body: { case: 'text', value: 'y'.repeat(MAX_CHAT_CONTENT_BYTES) } }));
  assert.equal(codeOf(() => decodeChatContent(huge)), 'TOO_LARGE');
});

test('chat content decoding is strict about ids, times and UTF-8, lenient about new body kinds', () => {
  const wire = (init: Parameters<typeof create<typeof ChatContentSchema>>[1]): Uint8Array => toBinary(ChatContentSchema, create(ChatContentSchema, init));
  assert.equal(codeOf(() => decodeChatContent(wire({ messageId: new Uint8Array(15), body: { case: 'text', value: 'a' } }))), 'MALFORMED');
  assert.equal(codeOf(() => decodeChatContent(wire({ messageId: ID, sentAtMs: 2n ** 53n, body: { case: 'text', value: 'a' } }))), 'MALFORMED');
  // A time no Date can hold would break every place that shows it: refused, and the last one a Date holds is fine.
  assert.equal(codeOf(() => decodeChatContent(wire({ messageId: ID, sentAtMs: BigInt(MAX_TIME_MS) + 1n, body: { case: 'text', value: 'a' } }))), 'MALFORMED');
  assert.equal(decodeChatContent(wire({ messageId: ID, sentAtMs: BigInt(MAX_TIME_MS), body: { case: 'text', value: 'a' } })).sentAtMs, MAX_TIME_MS);
  assert.equal(new Date(MAX_TIME_MS).toISOString(), '+275760-09-13T00:00:00.000Z');
  assert.equal(codeOf(() => encodeChatContent(chat({ kind: 'text', text: 'a' }, MAX_TIME_MS + 1))), 'INVALID_ARGUMENT');
  // Field 10 (text) holding the invalid UTF-8 sequence C3 28.
  const badUtf8 = new Uint8Array([...wire({ messageId: ID }), 0x52, 0x02, 0xc3, 0x28]);
  assert.equal(codeOf(() => decodeChatContent(badUtf8)), 'MALFORMED');
  // A body of a later kind (field 12, an empty message) and no body at all.
  const newer = new Uint8Array([...wire({ messageId: ID, sentAtMs: 5n }), 0x62, 0x00]);
  assert.deepEqual(decodeChatContent(newer), { messageId: ID, sentAtMs: 5, body: { kind: 'unknown' } });
  assert.deepEqual(decodeChatContent(wire({ messageId: ID })).body, { kind: 'unknown' });
  assert.deepEqual(decodeChatContent(encodeChatContent(chat({ kind: 'request-accepted' }))).body, { kind: 'request-accepted' });
});

test('chat content encoding refuses bad input', () => {
  const bad: unknown[] = [
    chat({ kind: 'text', text: 'lone \ud800 surrogate' }),
    { ...chat({ kind: 'text', text: 'a' }), messageId: new Uint8Array(8) },
    chat({ kind: 'text', text: 'a' }, -1),
    chat({ kind: 'text', text: 'a' }, 1.5),
    chat({ kind: 'unknown' }),
    chat({ kind: 'text', text: 5 } as unknown as ChatContent['body']),
    null,
  ];
  for (const content of bad) assert.equal(codeOf(() => encodeChatContent(content as ChatContent)), 'INVALID_ARGUMENT');
});

test('session message limits and strictness', () => {
  const big = new Uint8Array(MAX_SESSION_MESSAGE_BYTES - 8);
  assert.equal(decodeSessionMessage(encodeSessionMessage({ kind: 'ratchet', ratchetMessage: big })).kind, 'ratchet');
  assert.equal(codeOf(() => encodeSessionMessage({ kind: 'ratchet', ratchetMessage: new Uint8Array(MAX_SESSION_MESSAGE_BYTES) })), 'TOO_LARGE');
  const init = new Uint8Array(MAX_HANDSHAKE_INIT_BYTES + 1);
  assert.equal(codeOf(() => encodeSessionMessage({ kind: 'prekey', handshakeInit: init, ratchetMessage: new Uint8Array(1) })), 'TOO_LARGE');
  assert.equal(codeOf(() => encodeSessionMessage({ kind: 'ratchet', ratchetMessage: new Uint8Array(0) })), 'INVALID_ARGUMENT');
  assert.equal(codeOf(() => encodeSessionMessage({ kind: 'other' } as unknown as SessionMessage)), 'INVALID_ARGUMENT');

  const wire = (init: Parameters<typeof create<typeof SessionMessageSchema>>[1]): Uint8Array => toBinary(SessionMessageSchema, create(SessionMessageSchema, init));
  assert.equal(codeOf(() => decodeSessionMessage(new Uint8Array(0))), 'MALFORMED');
  assert.equal(codeOf(() => decodeSessionMessage(wire({ message: { case: 'ratchetMessage', value: new Uint8Array(0) } }))), 'MALFORMED');
  const noInit = wire({ message: { case: 'prekeyMessage', value: { ratchetMessage: new Uint8Array(1) } } });
  assert.equal(codeOf(() => decodeSessionMessage(noInit)), 'MALFORMED');
  const bigInit = wire({ message: { case: 'prekeyMessage', value: { handshakeInit: init, ratchetMessage: new Uint8Array(1) } } });
  assert.equal(codeOf(() => decodeSessionMessage(bigInit)), 'MALFORMED');
  assert.equal(codeOf(() => decodeSessionMessage(new Uint8Array(MAX_SESSION_MESSAGE_BYTES + 1))), 'TOO_LARGE');
  // Decoded parts are copies: changing the input later does not change them.
  const bytes = encodeSessionMessage({ kind: 'ratchet', ratchetMessage: new Uint8Array([1, 2, 3]) });
  const decoded = decodeSessionMessage(bytes);
  bytes.fill(0);
  assert.deepEqual(decoded, { kind: 'ratchet', ratchetMessage: new Uint8Array([1, 2, 3]) });
});
