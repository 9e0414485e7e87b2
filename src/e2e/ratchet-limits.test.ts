import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8 } from '../crypto/bytes.ts';
import { nodeProvider as p, samizdatCode } from '../../test/support/providers.ts';
import { isSamizdatError } from '../errors.ts';
import { kdfChain } from './ratchet-kdf.ts';
import {
  encodeRatchetState,
  MAX_SKIP,
  MAX_SKIPPED_MESSAGE_KEYS,
  ratchetDecrypt,
  ratchetEncrypt,
  SKIPPED_KEY_TTL_MS,
  type RatchetState,
} from './ratchet.ts';
import { ratchetPair } from '../../test/support/ratchet-pair.ts';

const NOW = 1_700_000_000_000;
const read = (b: Uint8Array): string => new TextDecoder().decode(b);

const session = (): { a: RatchetState; b: RatchetState } => ratchetPair();

/** Encrypts `count` messages from `state` without delivering them; returns them and the new state. */
function burst(state: RatchetState, count: number, nowMs = NOW, first = 0): { state: RatchetState; messages: Uint8Array[] } {
  const messages: Uint8Array[] = [];
  let s = state;
  for (let i = 0; i < count; i++) {
    const out = ratchetEncrypt(p, s, utf8(`m${first + i}`), nowMs);
    s = out.state;
    messages.push(out.message);
  }
  return { state: s, messages };
}

/**
 * The sender's state after `count` more messages nobody will see, without encrypting them: its
 * sending chain key run `count` steps and its counter moved on. (Encrypting 25,000 messages would
 * take seconds; the first test checks this gives exactly the state real encryption gives.)
 */
function fastForward(state: RatchetState, count: number): RatchetState {
  const chain = state.sending;
  assert.ok(chain !== undefined);
  let chainKey = chain.chainKey;
  for (let i = 0; i < count; i++) chainKey = kdfChain(p, chainKey).chainKey;
  return { ...state, sending: { ...chain, chainKey, count: chain.count + count } };
}

function rejectsUnchanged(state: RatchetState, message: Uint8Array, code: 'DECRYPT_FAILED' | 'TOO_MANY_SKIPPED', nowMs = NOW): void {
  const before = encodeRatchetState(p, state);
  assert.throws(() => ratchetDecrypt(p, state, message, nowMs), samizdatCode(code));
  assert.deepEqual(encodeRatchetState(p, state), before);
}

describe('ratchet: skipped-key limits', () => {
  it('fast-forwards a sending chain exactly as encrypting would (test helper check)', () => {
    const s = session();
    const real = burst(s.a, 3).state;
    const fast = fastForward(s.a, 3);
    assert.deepEqual(ratchetEncrypt(p, fast, utf8('x'), NOW).message, ratchetEncrypt(p, real, utf8('x'), NOW).message);
  });

  it('refuses a jump beyond MAX_SKIP in the current chain, state unchanged, and accepts exactly MAX_SKIP', () => {
    const s = session();
    const first = ratchetEncrypt(p, s.a, utf8('first'), NOW);
    s.b = ratchetDecrypt(p, s.b, first.message, NOW).state;
    // The receiver expects number 1; number 1 + MAX_SKIP skips exactly MAX_SKIP keys.
    const atLimit = fastForward(first.state, MAX_SKIP);
    const farthest = ratchetEncrypt(p, atLimit, utf8('farthest'), NOW).message;
    const tooFar = ratchetEncrypt(p, fastForward(atLimit, 1), utf8('too far'), NOW).message;
    rejectsUnchanged(s.b, tooFar, 'TOO_MANY_SKIPPED');
    const got = ratchetDecrypt(p, s.b, farthest, NOW);
    assert.equal(read(got.plaintext), 'farthest');
    assert.equal(got.state.skipped.entries.size, MAX_SKIPPED_MESSAGE_KEYS);
  });

  it('counts the rest of the old chain and the new chain together on a ratchet turn', () => {
    const s = session();
    const first = ratchetEncrypt(p, s.a, utf8('first'), NOW);
    s.b = ratchetDecrypt(p, s.b, first.message, NOW).state;
    // 15,000 more in the old chain (numbers 1..15,000), never delivered.
    const oldChain = fastForward(first.state, 15_000);
    const reply = ratchetEncrypt(p, s.b, utf8('reply'), NOW);
    s.b = reply.state;
    const aTurned = ratchetDecrypt(p, oldChain, reply.message, NOW).state;
    // New chain number 10,001: each part is under MAX_SKIP, together they are one over.
    const tooFar = ratchetEncrypt(p, fastForward(aTurned, MAX_SKIP - 15_000 + 1), utf8('too far'), NOW).message;
    rejectsUnchanged(s.b, tooFar, 'TOO_MANY_SKIPPED');
    // The state is still the one that reads the old chain.
    const late = ratchetEncrypt(p, first.state, utf8('second'), NOW).message;
    assert.equal(read(ratchetDecrypt(p, s.b, late, NOW).plaintext), 'second');
  });

  it(`keeps at most ${MAX_SKIPPED_MESSAGE_KEYS} skipped keys, dropping the oldest first`, () => {
    const s = session();
    // Messages 98..105 for real, then the sender jumps to 2,100.
    const early = burst(fastForward(s.a, 98), 8, NOW, 98);
    const late = burst(fastForward(early.state, MAX_SKIPPED_MESSAGE_KEYS + 100 - 106), 6, NOW, MAX_SKIPPED_MESSAGE_KEYS + 100);
    const message = (n: number): Uint8Array => {
      const m = n < 106 ? early.messages[n - 98] : late.messages[n - MAX_SKIPPED_MESSAGE_KEYS - 100];
      assert.ok(m !== undefined);
      return m;
    };
    // Receiving 2,100 skips numbers 0..2,099: only 100..2,099 are kept.
    let b = ratchetDecrypt(p, s.b, message(2100), NOW).state;
    assert.equal(b.skipped.entries.size, MAX_SKIPPED_MESSAGE_KEYS);
    rejectsUnchanged(b, message(99), 'DECRYPT_FAILED');
    assert.equal(read(ratchetDecrypt(p, b, message(100), NOW).plaintext), 'm100');
    // Receiving 2,105 adds four more (2,101..2,104) and pushes out the four oldest (100..103).
    b = ratchetDecrypt(p, b, message(2105), NOW).state;
    assert.equal(b.skipped.entries.size, MAX_SKIPPED_MESSAGE_KEYS);
    rejectsUnchanged(b, message(103), 'DECRYPT_FAILED');
    assert.equal(read(ratchetDecrypt(p, b, message(104), NOW).plaintext), 'm104');
    assert.equal(read(ratchetDecrypt(p, b, message(2101), NOW).plaintext), 'm2101');
  });

  it('forgets skipped keys SKIPPED_KEY_TTL_MS after storing them', () => {
    const s = session();
    const { messages } = burst(s.a, 4);
    const b = ratchetDecrypt(p, s.b, messages[3] ?? new Uint8Array(0), NOW).state;
    assert.equal(b.skipped.entries.size, 3);
    const justBefore = NOW + SKIPPED_KEY_TTL_MS - 1;
    assert.equal(read(ratchetDecrypt(p, b, messages[0] ?? new Uint8Array(0), justBefore).plaintext), 'm0');
    const expired = NOW + SKIPPED_KEY_TTL_MS;
    assert.throws(() => ratchetDecrypt(p, b, messages[1] ?? new Uint8Array(0), expired), (err: unknown) => isSamizdatError(err, 'DECRYPT_FAILED'));
    // Encrypting also purges: the state the client saves no longer holds expired keys.
    const reply = ratchetEncrypt(p, b, utf8('x'), expired);
    assert.equal(reply.state.skipped.entries.size, 0);
    assert.equal(b.skipped.entries.size, 3, 'the input state is unchanged');
  });
});
