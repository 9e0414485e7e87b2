/**
 * The web app's pure parts, run under Node: times a peer chose are shown without throwing, and
 * the app knows every message state the server sends, and a list survives an item it cannot read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MESSAGE_STATES as SERVER_STATES } from '../../src/client/conversations.ts';
import { MAX_TIME_MS } from '../../src/e2e/content.ts';
import { fullTime, isoTime, STATE_DESCRIPTIONS, STATE_LABELS, when } from '../../web/src/format.ts';
import { MESSAGE_STATES, parseConversations, parseMessages } from '../../web/src/model.ts';

describe('web app: times, states and lists', () => {
  it('a time no Date can hold shows as nothing instead of throwing; the latest one a message may carry shows', () => {
    for (const ms of [MAX_TIME_MS + 1, 9e15, Number.MAX_SAFE_INTEGER, Number.NaN, Infinity]) {
      assert.equal(when(ms), '');
      assert.equal(fullTime(ms), '');
      assert.equal(isoTime(ms), '');
    }
    assert.equal(isoTime(MAX_TIME_MS), '+275760-09-13T00:00:00.000Z');
    assert.notEqual(when(MAX_TIME_MS), '');
    assert.notEqual(fullTime(0), '');
  });

  it('knows, labels and parses every message state the server sends, held included', () => {
    for (const state of SERVER_STATES) {
      assert.ok((MESSAGE_STATES as readonly string[]).includes(state), state);
      assert.ok(STATE_LABELS[state].length > 0 && STATE_DESCRIPTIONS[state].length > 0, state);
    }
    const held = { id: 'ab'.repeat(16), direction: 'in', text: '', sentAt: 1, receivedAt: 2, state: 'held', seq: 1 };
    assert.equal(parseMessages([held])[0]?.state, 'held');
    const conversation = { accountId: 'sz1x', name: 'bob', verified: true, state: 'accepted', last: { text: '', direction: 'in', sentAt: 1, state: 'held' } };
    assert.equal(parseConversations([conversation])[0]?.last?.state, 'held');
  });

  it('a list keeps the items that parse: one odd row does not blank it, and a non-list is still refused', () => {
    const good = { id: 'ab'.repeat(16), direction: 'out', text: 'hi', sentAt: 1, receivedAt: null, state: 'stored', seq: 1 };
    const odd = { ...good, id: 'cd'.repeat(16), state: 'a-state-from-a-newer-server' };
    const warned: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warned.push(args);
    try {
      assert.deepEqual(parseMessages([good, odd, 'not an object']).map((m) => m.id), [good.id]);
      assert.equal(warned.length, 1, 'the left-out items are logged once');
    } finally {
      console.warn = warn;
    }
    assert.throws(() => parseMessages({ messages: [good] }), (err: unknown) => (err as { code?: string }).code === 'MALFORMED');
    const conversation = { accountId: 'sz1x', name: null, verified: false, state: 'request', last: null };
    assert.equal(parseConversations([conversation, { ...conversation, verified: 'yes' }]).length, 1);
  });
});
