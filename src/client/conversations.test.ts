import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { isSamizdatError, type ErrorCode } from '../errors.ts';
import { deriveAccountKeysFromSeed, type AccountKeys } from '../identity/account-keys.ts';
import type { MessageRecord } from './conversations.ts';
import { MAX_MESSAGE_LIST_LIMIT, MAX_MESSAGE_TEXT_BYTES } from './profile-db-limits.ts';
import { openProfileDb, type ProfileDb } from './profile-db.ts';

const crypto = createNodeCryptoProvider();
const account = (): AccountKeys => deriveAccountKeysFromSeed(crypto, crypto.randomBytes(32));
const SELF = account();
const ALICE = account().identityPublicKey;
const BOB = account().identityPublicKey;
const code = (c: ErrorCode) => (e: unknown) => isSamizdatError(e, c);

function open(): ProfileDb {
  return openProfileDb({ path: ':memory:', crypto, now: () => 0, account: SELF });
}

let idCounter = 0;
function msg(fields: Partial<MessageRecord> = {}): MessageRecord {
  idCounter += 1;
  return {
    id: idCounter.toString(16).padStart(32, '0'),
    direction: 'out',
    text: `message ${idCounter}`,
    sentAt: 1000 + idCounter,
    receivedAt: 1000 + idCounter,
    state: 'sending',
    ...fields,
  };
}

describe('messages', () => {
  it('append and list a conversation oldest first, with the newest `limit`', () => {
    const db = open();
    const sent = [msg(), msg({ direction: 'in', state: 'received', text: 'héllo 👋' }), msg()];
    for (const m of sent) assert.equal(db.messages.append(ALICE, m), true);
    db.messages.append(BOB, msg());
    const listed = db.messages.list(ALICE);
    assert.deepEqual(listed.map(({ seq: _seq, peer: _peer, ...rest }) => rest), sent);
    assert.ok(listed.every((m) => Buffer.from(m.peer).equals(Buffer.from(ALICE))));
    assert.deepEqual(db.messages.list(ALICE, { limit: 2 }).map((m) => m.id), [sent[1]?.id, sent[2]?.id]);
    const before = listed[2]?.seq ?? 0;
    assert.deepEqual(db.messages.list(ALICE, { beforeSeq: before }).map((m) => m.id), [sent[0]?.id, sent[1]?.id]);
    assert.deepEqual(db.messages.list(account().identityPublicKey), []);
    db.close();
  });

  it('a duplicate ID in the same conversation is ignored (false, no second row, first kept)', () => {
    const db = open();
    const first = msg({ text: 'first' });
    assert.equal(db.messages.append(ALICE, first), true);
    assert.equal(db.messages.append(ALICE, { ...first, text: 'replayed' }), false);
    assert.deepEqual(db.messages.list(ALICE).map((m) => m.text), ['first']);
    // The same ID from another peer is that peer's own message, not a duplicate.
    assert.equal(db.messages.append(BOB, { ...first, text: 'bob' }), true);
    assert.equal(db.messages.recent().length, 2);
    db.close();
  });

  it('updateState changes one message; states must fit the direction', () => {
    const db = open();
    const out = msg();
    const incoming = msg({ direction: 'in', state: 'received' });
    db.messages.append(ALICE, out);
    db.messages.append(ALICE, incoming);
    assert.equal(db.messages.updateState(ALICE, out.id, 'stored'), true);
    assert.equal(db.messages.get(ALICE, out.id)?.state, 'stored');
    assert.equal(db.messages.get(ALICE, out.id)?.text, out.text);
    assert.equal(db.messages.updateState(BOB, out.id, 'failed'), false);
    assert.equal(db.messages.updateState(ALICE, 'f'.repeat(32), 'failed'), false);
    assert.throws(() => db.messages.updateState(ALICE, out.id, 'received'), code('INVALID_ARGUMENT'));
    assert.throws(() => db.messages.updateState(ALICE, incoming.id, 'stored'), code('INVALID_ARGUMENT'));
    assert.throws(() => db.messages.append(ALICE, msg({ direction: 'in', state: 'sending' })), code('INVALID_ARGUMENT'));
    db.close();
  });

  it('recent lists across conversations newest first; conversations gives the newest of each', () => {
    const db = open();
    const a1 = msg();
    const b1 = msg();
    const a2 = msg();
    db.messages.append(ALICE, a1);
    db.messages.append(BOB, b1);
    db.messages.append(ALICE, a2);
    assert.deepEqual(db.messages.recent().map((m) => m.id), [a2.id, b1.id, a1.id]);
    assert.deepEqual(db.messages.recent({ limit: 1 }).map((m) => m.id), [a2.id]);
    assert.deepEqual(db.messages.conversations().map((m) => m.id), [a2.id, b1.id]);
    assert.equal(db.messages.removeConversation(ALICE), 2);
    assert.deepEqual(db.messages.recent().map((m) => m.id), [b1.id]);
    db.close();
  });

  it('all reads every message of every conversation in the order recorded, past one page', () => {
    const db = open();
    const recorded: string[] = [];
    db.transaction(() => {
      for (let i = 0; i < MAX_MESSAGE_LIST_LIMIT + 5; i++) {
        const m = msg();
        db.messages.append(i % 2 === 0 ? ALICE : BOB, m);
        recorded.push(m.id);
      }
    });
    assert.deepEqual([...db.messages.all()].map((m) => m.id), recorded);
    db.close();
  });

  it('checks its arguments', () => {
    const db = open();
    assert.throws(() => db.messages.append(ALICE, msg({ id: 'AB'.repeat(16) })), code('INVALID_ARGUMENT'));
    assert.throws(() => db.messages.append(ALICE, msg({ id: 'ab' })), code('INVALID_ARGUMENT'));
    assert.throws(() => db.messages.append(ALICE, msg({ sentAt: -1 })), code('INVALID_ARGUMENT'));
    assert.throws(() => db.messages.append(ALICE, msg({ direction: 'sideways' as never })), code('INVALID_ARGUMENT'));
    assert.throws(() => db.messages.append(ALICE, msg({ text: 'x'.repeat(MAX_MESSAGE_TEXT_BYTES + 1) })), code('TOO_LARGE'));
    assert.equal(db.messages.append(ALICE, msg({ text: 'x'.repeat(MAX_MESSAGE_TEXT_BYTES) })), true);
    assert.throws(() => db.messages.append(new Uint8Array(31), msg()), code('INVALID_ARGUMENT'));
    assert.throws(() => db.messages.list(ALICE, { limit: 0 }), code('INVALID_ARGUMENT'));
    assert.throws(() => db.messages.recent({ limit: MAX_MESSAGE_LIST_LIMIT + 1 }), code('INVALID_ARGUMENT'));
    db.close();
  });
});
