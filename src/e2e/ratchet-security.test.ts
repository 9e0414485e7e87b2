/**
 * Forward secrecy, healing after compromise, and the hybrid property: an attacker who breaks
 * X25519 (a quantum computer) but not ML-KEM-768, or the other way round, cannot follow a ratchet
 * turn. The attacker re-derives keys with the exported KDF functions of ratchet-kdf.ts; every
 * attack is also run with full knowledge as a control, which must succeed, so a test cannot pass
 * because the attacker code is wrong.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8 } from '../crypto/bytes.ts';
import { nodeProvider as p, samizdatCode } from '../../test/support/providers.ts';
import { decodeRatchetMessage, tryOpenHeader, type RatchetHeader } from './ratchet-header.ts';
import { bodyAad, deriveInitialKeys, headerAad, kdfChain, kdfRoot, splitMessageKey } from './ratchet-kdf.ts';
import { RATCHET_VERSION } from './ratchet-limits.ts';
import {
  decodeRatchetState,
  encodeRatchetState,
  initReceiverRatchet,
  initSenderRatchet,
  ratchetDecrypt,
  ratchetEncrypt,
  type RatchetState,
} from './ratchet.ts';

const NOW = 1_700_000_000_000;
const AD = utf8('alice|bob');
const read = (b: Uint8Array): string => new TextDecoder().decode(b);

interface Session {
  a: RatchetState;
  b: RatchetState;
  sharedSecret: Uint8Array;
  bobDh: ReturnType<typeof p.generateKey>;
  bobKem: ReturnType<typeof p.generateKey>;
}

function session(): Session {
  const sharedSecret = p.randomBytes(32);
  const bobDh = p.generateKey('x25519');
  const bobKem = p.generateKey('ml-kem-768');
  return {
    a: initSenderRatchet(p, { sharedSecret, associatedData: AD, peerDhPublic: bobDh.publicKey, peerKemPublic: bobKem.publicKey }),
    b: initReceiverRatchet(p, { sharedSecret, associatedData: AD, ownDhKey: bobDh, ownKemKey: bobKem }),
    sharedSecret,
    bobDh,
    bobKem,
  };
}

function send(s: Session, from: 'a' | 'b', msg: string): Uint8Array {
  const to = from === 'a' ? 'b' : 'a';
  const sent = ratchetEncrypt(p, s[from], utf8(msg), NOW);
  s[from] = sent.state;
  const got = ratchetDecrypt(p, s[to], sent.message, NOW);
  s[to] = got.state;
  assert.equal(read(got.plaintext), msg);
  return sent.message;
}

/** The header of `message` under a header key the attacker holds. */
function openHeader(message: Uint8Array, headerKey: Uint8Array): RatchetHeader {
  const header = tryOpenHeader(p, headerKey, decodeRatchetMessage(message), headerAad(RATCHET_VERSION, AD));
  assert.ok(header !== undefined, 'the attacker holds this header key');
  return header;
}

/** The attacker's attempt at the body of message 0 of a chain: undefined when it does not open. */
function tryBody(message: Uint8Array, chainKey: Uint8Array): string | undefined {
  const wire = decodeRatchetMessage(message);
  const { bodyKey } = splitMessageKey(kdfChain(p, chainKey).messageKey);
  try {
    return read(p.aesGcmOpen(bodyKey, wire.nonce, wire.body, bodyAad(headerAad(RATCHET_VERSION, AD), wire.nonce, wire.header)));
  } catch {
    return undefined;
  }
}

describe('ratchet: forward secrecy', () => {
  it('cannot decrypt a message again once it has been decrypted', () => {
    const s = session();
    send(s, 'a', 'one');
    const saved = ratchetEncrypt(p, s.a, utf8('saved'), NOW);
    s.a = saved.state;
    const before = s.b.receiving;
    assert.ok(before !== undefined);
    const got = ratchetDecrypt(p, s.b, saved.message, NOW);
    assert.equal(read(got.plaintext), 'saved');
    assert.throws(() => ratchetDecrypt(p, got.state, saved.message, NOW), samizdatCode('DECRYPT_FAILED'));
    // The stored state keeps neither the chain key nor the message key that opened it.
    const stored = Buffer.from(encodeRatchetState(p, got.state));
    assert.equal(stored.indexOf(Buffer.from(before.chainKey)), -1);
    assert.equal(stored.indexOf(Buffer.from(kdfChain(p, before.chainKey).messageKey)), -1);
    // Nor after a round trip.
    s.b = got.state;
    send(s, 'b', 'reply');
    send(s, 'a', 'more');
    assert.throws(() => ratchetDecrypt(p, s.b, saved.message, NOW), samizdatCode('DECRYPT_FAILED'));
  });
});

describe('ratchet: healing after compromise', () => {
  it("a full copy of Bob's state reads nothing of Alice's after one round trip", () => {
    const s = session();
    send(s, 'a', 'hello');
    send(s, 'b', 'hi'); // Alice's next message starts a new chain to Bob's current keys
    const copy = decodeRatchetState(p, encodeRatchetState(p, s.b));
    const m1 = send(s, 'a', 'still readable by the thief');
    // Control: the copy is a real compromise; it reads Alice's next message...
    const followed = ratchetDecrypt(p, copy, m1, NOW);
    assert.equal(read(followed.plaintext), 'still readable by the thief');
    send(s, 'b', 'round');
    const m3 = send(s, 'a', 'healed');
    // ...but neither the copy nor the copy that followed along reads what comes after the round trip.
    assert.throws(() => ratchetDecrypt(p, copy, m3, NOW), samizdatCode('DECRYPT_FAILED'));
    assert.throws(() => ratchetDecrypt(p, followed.state, m3, NOW), samizdatCode('DECRYPT_FAILED'));
  });
});

describe('ratchet: hybrid (X25519 + ML-KEM-768) turns', () => {
  type Knows = 'both' | 'x25519 only' | 'ml-kem only';

  it('an attacker with the session secret needs both the X25519 and the ML-KEM secret of the first turn', () => {
    const s = session();
    const sent = ratchetEncrypt(p, s.a, utf8('first message'), NOW);
    // The attacker knows the handshake's secret, so the first header key and root key...
    const initial = deriveInitialKeys(p, s.sharedSecret);
    const header = openHeader(sent.message, initial.initiatorHeaderKey);
    const attack = (knows: Knows): string | undefined => {
      // ...plus the X25519 secret (Alice's ratchet key against Bob's prekey) and/or the ML-KEM one
      // (Bob's prekey decapsulating Alice's ciphertext). What it does not know, it must guess with
      // what it can compute itself: its own key against the public one, its own encapsulation.
      const dh = knows === 'ml-kem only' ? p.x25519(p.generateKey('x25519'), s.bobDh.publicKey) : p.x25519(s.a.dhKey, s.bobDh.publicKey);
      const kem =
        knows === 'x25519 only'
          ? p.mlKemEncapsulate(s.bobKem.publicKey).sharedSecret
          : p.mlKemDecapsulate(s.bobKem, header.kemCiphertext);
      return tryBody(sent.message, kdfRoot(p, initial.rootKey, dh, kem).chainKey);
    };
    assert.equal(attack('both'), 'first message', 'control: full knowledge reads it');
    assert.equal(attack('x25519 only'), undefined);
    assert.equal(attack('ml-kem only'), undefined);
  });

  it("after a state compromise, a turn heals against an attacker who breaks only one of the two", () => {
    const s = session();
    send(s, 'a', 'hello');
    // The attacker steals Bob's whole state here: root key, header keys, ratchet private keys.
    const stolen = decodeRatchetState(p, encodeRatchetState(p, s.b));
    send(s, 'b', 'reply'); // Alice turns: her next chain goes to Bob's stolen keys
    const m2 = send(s, 'a', 'alice, to the stolen keys');
    const aliceKem = s.a.kemKey; // Alice's ML-KEM key of this chain; Bob encapsulates to it next
    // Bob turned on m2 with fresh keys; his next chain mixes in a new X25519 and a new ML-KEM secret.
    const m3 = send(s, 'b', 'bob, after the turn');

    // Alice's chain after the theft is still open to the thief: it was made to the stolen keys.
    const h2 = openHeader(m2, stolen.nextReceivingHeaderKey);
    const recv = kdfRoot(
      p,
      stolen.rootKey,
      p.x25519(stolen.dhKey, h2.dhPublic),
      p.mlKemDecapsulate(stolen.kemKey, h2.kemCiphertext),
    );
    assert.equal(tryBody(m2, recv.chainKey), 'alice, to the stolen keys');

    // Bob's next chain: root KDF over X25519(Bob's new key, Alice's) and the ML-KEM secret he
    // encapsulated to Alice's new ML-KEM key. The test hands the attacker the real secret of the
    // primitive it breaks (Bob's new X25519 private key, or Alice's ML-KEM private key).
    const h3 = openHeader(m3, stolen.nextSendingHeaderKey);
    const attack = (knows: Knows): string | undefined => {
      const dh = knows === 'ml-kem only' ? p.x25519(p.generateKey('x25519'), h2.dhPublic) : p.x25519(s.b.dhKey, h2.dhPublic);
      const kem =
        knows === 'x25519 only' ? p.mlKemEncapsulate(h2.kemPublic).sharedSecret : p.mlKemDecapsulate(aliceKem, h3.kemCiphertext);
      return tryBody(m3, kdfRoot(p, recv.rootKey, dh, kem).chainKey);
    };
    assert.equal(attack('both'), 'bob, after the turn', 'control: breaking both reads it');
    assert.equal(attack('x25519 only'), undefined, 'a quantum attacker who breaks X25519 alone is locked out');
    assert.equal(attack('ml-kem only'), undefined, 'an attacker who breaks ML-KEM alone is locked out');
  });
});
