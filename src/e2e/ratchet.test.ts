import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8 } from '../crypto/bytes.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { isSamizdatError } from '../errors.ts';
import { nodeProvider as p, samizdatCode } from '../../test/support/providers.ts';
import {
  encodeRatchetState,
  initReceiverRatchet,
  initSenderRatchet,
  MAX_RATCHET_MESSAGE_BYTES,
  MAX_RATCHET_PLAINTEXT_BYTES,
  ratchetDecrypt,
  ratchetEncrypt,
  type RatchetState,
} from './ratchet.ts';
import { ratchetPair } from '../../test/support/ratchet-pair.ts';

const NOW = 1_700_000_000_000;
const text = (s: string): Uint8Array => utf8(s);
const read = (b: Uint8Array): string => new TextDecoder().decode(b);
const flip = (bytes: Uint8Array, at: number, mask: number): void => {
  bytes[at] = (bytes[at] ?? 0) ^ mask;
};

interface Session {
  a: RatchetState;
  b: RatchetState;
}

function session(provider: CryptoProvider = p, ad: Uint8Array = text('alice|bob')): Session {
  return ratchetPair({ sender: provider, associatedData: ad });
}

/** Sends `msg` from s[from] to the other side and checks it arrives. */
function send(s: Session, from: 'a' | 'b', msg: string): Uint8Array {
  const to = from === 'a' ? 'b' : 'a';
  const sent = ratchetEncrypt(p, s[from], text(msg), NOW);
  s[from] = sent.state;
  const got = ratchetDecrypt(p, s[to], sent.message, NOW);
  s[to] = got.state;
  assert.equal(read(got.plaintext), msg);
  return sent.message;
}

/** Asserts that decrypting `message` with `state` fails with `code` and leaves `state` as it was. */
function rejects(state: RatchetState, message: Uint8Array, code: 'DECRYPT_FAILED' | 'MALFORMED' | 'TOO_LARGE' | 'TOO_MANY_SKIPPED'): void {
  const before = encodeRatchetState(p, state);
  assert.throws(() => ratchetDecrypt(p, state, message, NOW), samizdatCode(code));
  assert.deepEqual(encodeRatchetState(p, state), before, 'the state must not change');
}

describe('ratchet: conversation', () => {
  it('carries messages both ways, in bursts and alternating', () => {
    const s = session();
    send(s, 'a', 'hello');
    send(s, 'a', 'are you there?');
    send(s, 'b', 'yes');
    for (let i = 0; i < 5; i++) send(s, i % 2 === 0 ? 'a' : 'b', `turn ${i}`);
    for (let i = 0; i < 5; i++) send(s, 'b', `burst ${i}`);
    send(s, 'a', '');
    assert.equal(s.a.skipped.entries.size + s.b.skipped.entries.size, 0);
  });

  it('starts a new ratchet key pair and ML-KEM key pair on every turn', () => {
    const s = session();
    send(s, 'a', 'one');
    const dh1 = s.b.dhKey.publicKey;
    const kem1 = s.b.kemKey.publicKey;
    send(s, 'b', 'two');
    send(s, 'a', 'three');
    assert.notDeepEqual(s.b.dhKey.publicKey, dh1);
    assert.notDeepEqual(s.b.kemKey.publicKey, kem1);
  });

  it('never changes the state it is given', () => {
    const s = session();
    const a0 = encodeRatchetState(p, s.a);
    const b0 = encodeRatchetState(p, s.b);
    const sent = ratchetEncrypt(p, s.a, text('x'), NOW);
    ratchetDecrypt(p, s.b, sent.message, NOW);
    assert.deepEqual(encodeRatchetState(p, s.a), a0);
    assert.deepEqual(encodeRatchetState(p, s.b), b0);
  });

  it('refuses to send on the responder side before the first message', () => {
    const s = session();
    assert.throws(() => ratchetEncrypt(p, s.b, text('x'), NOW), samizdatCode('INVALID_ARGUMENT'));
  });

  it('checks its inputs', () => {
    const dh = p.generateKey('x25519');
    const kem = p.generateKey('ml-kem-768');
    const base = { sharedSecret: new Uint8Array(32), associatedData: new Uint8Array(0), peerDhPublic: dh.publicKey, peerKemPublic: kem.publicKey };
    assert.throws(() => initSenderRatchet(p, { ...base, sharedSecret: new Uint8Array(31) }), samizdatCode('INVALID_ARGUMENT'));
    assert.throws(() => initSenderRatchet(p, { ...base, associatedData: new Uint8Array(1025) }), samizdatCode('INVALID_ARGUMENT'));
    assert.throws(() => initSenderRatchet(p, { ...base, peerKemPublic: new Uint8Array(1183) }), samizdatCode('INVALID_ARGUMENT'));
    assert.throws(() => initSenderRatchet(p, { ...base, peerDhPublic: new Uint8Array(32) }), samizdatCode('BAD_KEY'));
    assert.throws(
      () => initReceiverRatchet(p, { sharedSecret: new Uint8Array(32), associatedData: new Uint8Array(0), ownDhKey: kem, ownKemKey: kem }),
      samizdatCode('INVALID_ARGUMENT'),
    );
    const s = session();
    assert.throws(() => ratchetEncrypt(p, s.a, text('x'), -1), samizdatCode('INVALID_ARGUMENT'));
    assert.throws(() => ratchetEncrypt(p, s.a, text('x'), 1.5), samizdatCode('INVALID_ARGUMENT'));
  });
});

describe('ratchet: rejected messages leave the state usable', () => {
  it('rejects a tampered byte anywhere in a turn message (framing included), then opens the genuine one', () => {
    const s = session();
    const sent = ratchetEncrypt(p, s.a, text('first of a turn'), NOW);
    const before = encodeRatchetState(p, s.b);
    const bad = sent.message.slice();
    for (let i = 0; i < bad.length; i++) {
      flip(bad, i, 0x01);
      assert.throws(
        () => ratchetDecrypt(p, s.b, bad, NOW),
        (err: unknown) => isSamizdatError(err, 'DECRYPT_FAILED') || isSamizdatError(err, 'MALFORMED'),
        `byte ${i}`,
      );
      flip(bad, i, 0x01);
    }
    assert.deepEqual(encodeRatchetState(p, s.b), before);
    assert.equal(read(ratchetDecrypt(p, s.b, sent.message, NOW).plaintext), 'first of a turn');
  });

  it('rejects tampering in the nonce, header and body regions with DECRYPT_FAILED, state unchanged', () => {
    const s = session();
    send(s, 'a', 'warm up');
    const sent = ratchetEncrypt(p, s.a, text('in a chain'), NOW);
    // The protobuf framing: version (bytes 0-1), nonce tag+len (2-3), nonce (4-15), header
    // tag+len (16-18), header (19-2346), body tag+len (2347-2348), body (2349-).
    assert.deepEqual([...sent.message.subarray(0, 4)], [0x08, 0x01, 0x12, 12]);
    assert.equal(sent.message[16], 0x1a);
    assert.equal(sent.message[2347], 0x22);
    const regions = [4, 10, 15, 19, 20, 1000, 2346, 2349, 2360, sent.message.length - 1];
    for (const at of regions) {
      const bad = sent.message.slice();
      flip(bad, at, 0x80);
      rejects(s.b, bad, 'DECRYPT_FAILED');
    }
    assert.equal(read(ratchetDecrypt(p, s.b, sent.message, NOW).plaintext), 'in a chain');
  });

  it('rejects a replay, in the current chain and across a turn', () => {
    const s = session();
    const m1 = send(s, 'a', 'one');
    rejects(s.b, m1, 'DECRYPT_FAILED');
    const m2 = send(s, 'a', 'two');
    send(s, 'b', 'reply');
    send(s, 'a', 'three');
    rejects(s.b, m1, 'DECRYPT_FAILED');
    rejects(s.b, m2, 'DECRYPT_FAILED');
  });

  it('rejects a replay of a late message whose skipped key was used', () => {
    const s = session();
    const late = ratchetEncrypt(p, s.a, text('late'), NOW);
    s.a = late.state;
    send(s, 'a', 'early');
    const got = ratchetDecrypt(p, s.b, late.message, NOW);
    assert.equal(read(got.plaintext), 'late');
    rejects(got.state, late.message, 'DECRYPT_FAILED');
  });

  it('rejects a message of another session, even one with the same prekeys and the same identities', () => {
    const dh = p.generateKey('x25519');
    const kem = p.generateKey('ml-kem-768');
    const ad = text('alice|bob');
    const start = (sharedSecret: Uint8Array): Session => ({
      a: initSenderRatchet(p, { sharedSecret, associatedData: ad, peerDhPublic: dh.publicKey, peerKemPublic: kem.publicKey }),
      b: initReceiverRatchet(p, { sharedSecret, associatedData: ad, ownDhKey: dh, ownKemKey: kem }),
    });
    const one = start(p.randomBytes(32));
    const two = start(p.randomBytes(32));
    const foreign = ratchetEncrypt(p, two.a, text('not yours'), NOW).message;
    rejects(one.b, foreign, 'DECRYPT_FAILED');
    send(one, 'a', 'hi');
    send(one, 'b', 'hi back');
    rejects(one.b, foreign, 'DECRYPT_FAILED');
    rejects(one.a, foreign, 'DECRYPT_FAILED');
  });

  it('rejects a message under other associated data (another pair of identities)', () => {
    const sharedSecret = p.randomBytes(32);
    const dh = p.generateKey('x25519');
    const kem = p.generateKey('ml-kem-768');
    const a = initSenderRatchet(p, { sharedSecret, associatedData: text('alice|bob'), peerDhPublic: dh.publicKey, peerKemPublic: kem.publicKey });
    const b = initReceiverRatchet(p, { sharedSecret, associatedData: text('mallory|bob'), ownDhKey: dh, ownKemKey: kem });
    rejects(b, ratchetEncrypt(p, a, text('x'), NOW).message, 'DECRYPT_FAILED');
  });

  it('rejects a message reflected back to its sender', () => {
    const s = session();
    send(s, 'a', 'one');
    const mine = ratchetEncrypt(p, s.a, text('two'), NOW);
    rejects(mine.state, mine.message, 'DECRYPT_FAILED');
  });

  it('rejects garbage as MALFORMED and oversize input as TOO_LARGE before parsing', () => {
    const s = session();
    rejects(s.b, new Uint8Array([0xff, 0xff, 0xff]), 'MALFORMED');
    rejects(s.b, new Uint8Array(0), 'MALFORMED');
    rejects(s.b, new Uint8Array(MAX_RATCHET_MESSAGE_BYTES + 1), 'TOO_LARGE');
    const sent = ratchetEncrypt(p, s.a, text('x'), NOW);
    rejects(s.b, sent.message.subarray(0, sent.message.length - 1), 'MALFORMED');
  });
});

describe('ratchet: sizes', () => {
  it('fills MAX_RATCHET_MESSAGE_BYTES exactly with the largest plaintext and refuses one byte more', () => {
    const s = session();
    const big = new Uint8Array(MAX_RATCHET_PLAINTEXT_BYTES).fill(7);
    const sent = ratchetEncrypt(p, s.a, big, NOW);
    assert.equal(sent.message.length, MAX_RATCHET_MESSAGE_BYTES);
    assert.deepEqual(ratchetDecrypt(p, s.b, sent.message, NOW).plaintext, big);
    assert.throws(() => ratchetEncrypt(p, s.a, new Uint8Array(MAX_RATCHET_PLAINTEXT_BYTES + 1), NOW), samizdatCode('TOO_LARGE'));
  });

  it('gives every message of a session the same overhead, whatever its counters', () => {
    const s = session();
    const lengths = new Set<number>();
    for (let i = 0; i < 3; i++) {
      lengths.add(send(s, 'a', 'sixteen bytes!!!').length);
      lengths.add(send(s, 'b', 'sixteen bytes!!!').length);
    }
    assert.deepEqual([...lengths], [2381]);
  });

  it('encrypts the same plaintext twice from one state to the same bytes (synthetic nonce), and differently otherwise', () => {
    const s = session();
    const one = ratchetEncrypt(p, s.a, text('same'), NOW).message;
    const two = ratchetEncrypt(p, s.a, text('same'), NOW).message;
    const other = ratchetEncrypt(p, s.a, text('diff'), NOW).message;
    assert.deepEqual(one, two);
    // Same message key, different content: the nonce (bytes 4..16) differs, so AES-GCM never reuses a nonce.
    assert.notDeepEqual(one.subarray(4, 16), other.subarray(4, 16));
  });
});
