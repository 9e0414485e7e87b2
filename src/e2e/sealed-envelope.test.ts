import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  concatBytes,
  hybridEncapsulate,
  sealWithFreshKey,
  u32be,
  utf8,
  type CryptoProvider,
  type PrivateKey,
} from '../crypto/index.ts';
import type { ErrorCode } from '../errors.ts';
import type { Prekey } from '../identity/index.ts';
import { MAX_MESSAGE_BODY_BYTES } from '../wire/index.ts';
import { nobleProvider, nodeProvider } from '../../test/support/providers.ts';
import { signIdentityBinding, type HandshakeIdentity } from './pqxdh-identity.ts';
import {
  ENVELOPE_OVERHEAD,
  ENVELOPE_SIZES,
  MAX_ENVELOPE_BYTES,
  MAX_ENVELOPE_CONTENT_BYTES,
  openEnvelope,
  sealEnvelope,
  type OpenEnvelopeArgs,
} from './sealed-envelope.ts';
import { codeOf } from '../../test/support/error-code.ts';

const provider = nodeProvider;

interface Recipient extends HandshakeIdentity {
  readonly spk: PrivateKey;
  readonly pqspk: PrivateKey;
  readonly spkId: number;
  readonly pqId: number;
}

function newIdentity(p: CryptoProvider = provider): HandshakeIdentity {
  return { identity: p.generateKey('ed25519'), identityX25519: p.generateKey('x25519') };
}

function newRecipient(p: CryptoProvider = provider, spkId = 7, pqId = 8): Recipient {
  return { ...newIdentity(p), spk: p.generateKey('x25519'), pqspk: p.generateKey('ml-kem-768'), spkId, pqId };
}

const alice = newIdentity();
const bob = newRecipient();

function prekeysOf(r: Recipient): { x: Prekey; m: Prekey } {
  return { x: { id: r.spkId, publicKey: r.spk.publicKey }, m: { id: r.pqId, publicKey: r.pqspk.publicKey } };
}

function seal(content: Uint8Array, to: Recipient = bob, from: HandshakeIdentity = alice, p: CryptoProvider = provider): Uint8Array {
  const { x, m } = prekeysOf(to);
  return sealEnvelope(p, {
    sender: from,
    recipientIdentity: to.identity.publicKey,
    recipientX25519Prekey: x,
    recipientMlKemPrekey: m,
    content,
  });
}

function openArgs(envelope: Uint8Array, r: Recipient = bob): OpenEnvelopeArgs {
  return {
    recipient: r,
    lookupPrekey: (kind, id) => (kind === 'signed-x25519' ? (id === r.spkId ? r.spk : undefined) : id === r.pqId ? r.pqspk : undefined),
    envelope,
  };
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

test('round trip: the recipient gets the content and the authenticated sender', () => {
  const content = utf8('hello Bob, this is Alice');
  const opened = openEnvelope(provider, openArgs(seal(content)));
  assert.deepEqual(opened.content, content);
  assert.deepEqual(opened.senderIdentity, alice.identity.publicKey);
  assert.deepEqual(opened.senderIdentityX25519, alice.identityX25519.publicKey);
  assert.deepEqual(openEnvelope(provider, openArgs(seal(new Uint8Array(0)))).content, new Uint8Array(0));
});

test('sizes land exactly on the envelope sizes, the largest being the mailbox body limit', () => {
  assert.equal(ENVELOPE_OVERHEAD, 1289);
  assert.equal(MAX_ENVELOPE_BYTES, MAX_MESSAGE_BODY_BYTES);
  assert.equal(ENVELOPE_SIZES[ENVELOPE_SIZES.length - 1], MAX_ENVELOPE_BYTES);
  let previous = 0;
  for (const size of ENVELOPE_SIZES) {
    const largest: number = size - ENVELOPE_OVERHEAD - 1; // the padding marker takes one byte
    for (const length of [previous, largest]) {
      const envelope = seal(new Uint8Array(length).fill(0x41));
      assert.equal(envelope.length, size, `${length} bytes of content`);
      assert.equal(openEnvelope(provider, openArgs(envelope)).content.length, length);
    }
    previous = largest + 1;
  }
  assert.equal(previous - 1, MAX_ENVELOPE_CONTENT_BYTES);
  assert.equal(codeOf(() => seal(new Uint8Array(MAX_ENVELOPE_CONTENT_BYTES + 1))), 'TOO_LARGE');
});

test('the envelope shows neither the sender keys nor the plaintext', () => {
  const content = utf8('a secret that must not show up in the clear, repeated: 0123456789abcdef');
  for (let i = 0; i < 8; i++) {
    const envelope = seal(content);
    assert.ok(!contains(envelope, alice.identity.publicKey), 'sender Ed25519 key in the clear');
    assert.ok(!contains(envelope, alice.identityX25519.publicKey), 'sender X25519 key in the clear');
    for (let at = 0; at + 8 <= content.length; at += 8) assert.ok(!contains(envelope, content.subarray(at, at + 8)), 'plaintext in the clear');
    assert.ok(!contains(envelope, bob.identity.publicKey), 'recipient key in the clear');
  }
});

test('an envelope for another recipient does not open', () => {
  const envelope = seal(utf8('for Bob only'));
  // Carol holds Bob's prekeys (say she stole them) but is not Bob: IK_R is bound.
  const carol = { ...newRecipient(), spk: bob.spk, pqspk: bob.pqspk };
  assert.equal(codeOf(() => openEnvelope(provider, openArgs(envelope, carol))), 'DECRYPT_FAILED');
  // Dave has prekeys of the same ids but other keys.
  assert.equal(codeOf(() => openEnvelope(provider, openArgs(envelope, newRecipient()))), 'DECRYPT_FAILED');
  // Erin has no prekeys of those ids.
  assert.equal(codeOf(() => openEnvelope(provider, openArgs(envelope, newRecipient(provider, 1, 2)))), 'UNKNOWN_PREKEY');
});

test('every single-byte change fails: version MALFORMED, prekey ids UNKNOWN_PREKEY, the rest DECRYPT_FAILED', () => {
  const envelope = seal(utf8('flip me'));
  assert.equal(envelope.length, ENVELOPE_SIZES[0]);
  for (let i = 0; i < envelope.length; i++) {
    const tampered = envelope.slice();
    tampered[i] = (tampered[i] ?? 0) ^ (1 << (i % 8));
    const code = codeOf(() => openEnvelope(provider, openArgs(tampered)));
    const expected = i === 0 ? 'MALFORMED' : i <= 8 ? 'UNKNOWN_PREKEY' : 'DECRYPT_FAILED';
    assert.equal(code, expected, `byte ${i}`);
  }
  for (const length of [0, 1, envelope.length - 1, envelope.length + 1]) {
    const cut = concatBytes(envelope, new Uint8Array(1)).subarray(0, length);
    assert.equal(codeOf(() => openEnvelope(provider, openArgs(cut))), 'MALFORMED', `length ${length}`);
  }
  assert.equal(codeOf(() => openEnvelope(provider, openArgs(new Uint8Array(MAX_ENVELOPE_BYTES + 1)))), 'TOO_LARGE');
});

/** `content` padded as sealEnvelope does, to the content bucket of the smallest envelope size. */
function padded(content: Uint8Array, size = ENVELOPE_SIZES[0] ?? 0): Uint8Array {
  const out = new Uint8Array(size - ENVELOPE_OVERHEAD);
  out.set(content);
  out[content.length] = 0x80;
  return out;
}

/**
 * Builds an envelope by hand from the layout in the module comment, with any sender block, any
 * X25519 key for the static DH and any padded plaintext: what a forger can do.
 */
function handMade(to: Recipient, senderBlock: Uint8Array, staticKey: PrivateKey, plaintext: Uint8Array): Uint8Array {
  const kem = hybridEncapsulate(provider, concatBytes(to.spk.publicKey, to.pqspk.publicKey));
  const header = concatBytes(new Uint8Array([1]), u32be(to.spkId), u32be(to.pqId), kem.ciphertext);
  const ik = to.identity.publicKey;
  const okm = provider.hkdf('sha256', kem.sharedSecret, new Uint8Array(0), concatBytes(utf8('samizdat/v1/sealed-envelope/sender'), ik, header.subarray(0, 9)), 64);
  const sealedSender = sealWithFreshKey(provider, okm.subarray(32), senderBlock, concatBytes(ik, header));
  const info = concatBytes(utf8('samizdat/v1/sealed-envelope/content'), ik, senderBlock.subarray(0, 64), sealedSender);
  const k2 = provider.hkdf('sha256', provider.x25519(staticKey, to.spk.publicKey), okm.subarray(0, 32), info, 32);
  return concatBytes(header, sealedSender, sealWithFreshKey(provider, k2, plaintext, concatBytes(ik, header, sealedSender)));
}

const aliceBlock = concatBytes(alice.identity.publicKey, alice.identityX25519.publicKey, signIdentityBinding(provider, alice));

test('a forged sender fails: the static DH needs the claimed X25519 private key', () => {
  // The hand-made envelope follows the documented layout: with Alice's own key it opens.
  const genuine = openEnvelope(provider, openArgs(handMade(bob, aliceBlock, alice.identityX25519, padded(utf8('hi')))));
  assert.deepEqual(genuine.senderIdentity, alice.identity.publicKey);
  assert.deepEqual(genuine.content, utf8('hi'));

  const mallory = newIdentity();
  const forge = (block: Uint8Array): ErrorCode | 'ok' =>
    codeOf(() => openEnvelope(provider, openArgs(handMade(bob, block, mallory.identityX25519, padded(utf8('hi'))))));
  // Mallory replays Alice's public identity and binding but only has her own X25519 key.
  assert.equal(forge(aliceBlock), 'DECRYPT_FAILED');
  // Mallory claims Alice's Ed25519 identity with her own X25519 key: Alice's binding does not cover it.
  assert.equal(forge(concatBytes(alice.identity.publicKey, mallory.identityX25519.publicKey, signIdentityBinding(provider, alice))), 'BAD_SIGNATURE');
  // ... nor does a binding Mallory signs herself.
  assert.equal(forge(concatBytes(alice.identity.publicKey, mallory.identityX25519.publicKey, signIdentityBinding(provider, mallory))), 'BAD_SIGNATURE');
});

test('padding is checked strictly after decryption', () => {
  const open = (plaintext: Uint8Array): ErrorCode | 'ok' =>
    codeOf(() => openEnvelope(provider, openArgs(handMade(bob, aliceBlock, alice.identityX25519, plaintext))));
  assert.equal(open(padded(new Uint8Array(758).fill(1))), 'ok');
  assert.equal(open(new Uint8Array((ENVELOPE_SIZES[0] ?? 0) - ENVELOPE_OVERHEAD)), 'MALFORMED'); // no marker
  const trailing = padded(utf8('x'));
  trailing[trailing.length - 1] = 1;
  assert.equal(open(trailing), 'MALFORMED'); // a non-zero byte after the marker
  assert.equal(open(padded(utf8('x'), ENVELOPE_SIZES[1])), 'MALFORMED'); // fits a smaller size
});

test('the two providers interoperate', () => {
  const nobleBob = newRecipient(nobleProvider);
  const nobleAlice = newIdentity(nobleProvider);
  const content = utf8('across providers');
  assert.deepEqual(openEnvelope(nobleProvider, openArgs(seal(content, nobleBob, alice), nobleBob)).content, content);
  const fromNoble = seal(content, bob, nobleAlice, nobleProvider);
  assert.deepEqual(openEnvelope(provider, openArgs(fromNoble)).senderIdentity, nobleAlice.identity.publicKey);
});

test('bad arguments are INVALID_ARGUMENT', () => {
  const { x, m } = prekeysOf(bob);
  const base = { sender: alice, recipientIdentity: bob.identity.publicKey, recipientX25519Prekey: x, recipientMlKemPrekey: m, content: new Uint8Array(1) };
  const bad: unknown[] = [
    { ...base, recipientIdentity: new Uint8Array(31) },
    { ...base, recipientX25519Prekey: m },
    { ...base, recipientMlKemPrekey: { id: 2 ** 32, publicKey: m.publicKey } },
    { ...base, sender: { identity: alice.identityX25519, identityX25519: alice.identity } },
    { ...base, content: 'text' },
    null,
  ];
  for (const args of bad) assert.equal(codeOf(() => sealEnvelope(provider, args as Parameters<typeof sealEnvelope>[1])), 'INVALID_ARGUMENT');
  const wrongAlgorithm: OpenEnvelopeArgs = { ...openArgs(seal(new Uint8Array(1))), lookupPrekey: () => bob.identity };
  assert.equal(codeOf(() => openEnvelope(provider, wrongAlgorithm)), 'INVALID_ARGUMENT');
});

test('property: random bytes raise only SamizdatError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
      assert.notEqual(codeOf(() => openEnvelope(provider, openArgs(bytes))), 'ok');
    }),
    { numRuns: 300 },
  );
  // Random bodies behind a valid prefix reach the decryption.
  const prefix = concatBytes(new Uint8Array([1]), u32be(bob.spkId), u32be(bob.pqId));
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 2048 - 9, maxLength: 2048 - 9 }), (rest) => {
      assert.equal(codeOf(() => openEnvelope(provider, openArgs(concatBytes(prefix, rest)))), 'DECRYPT_FAILED');
    }),
    { numRuns: 100 },
  );
});
