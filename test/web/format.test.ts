/**
 * The web app's pure parts, run under Node: times a peer chose are shown without throwing, and
 * the app knows every message state the server sends.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MESSAGE_STATES as SERVER_STATES } from '../../src/client/conversations.ts';
import { MAX_TIME_MS } from '../../src/e2e/content.ts';
import { fullTime, isoTime, STATE_DESCRIPTIONS, STATE_LABELS, when } from '../../web/src/format.ts';
import { MESSAGE_STATES, parseConversations, parseMessages } from '../../web/src/model.ts';

describe('web app: times and states', () => {
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
});
