import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { utf8 } from '../crypto/bytes.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { isSamizdatError } from '../errors.ts';
import { RatchetMessageSchema, RatchetStateRecordSchema } from '../wire/gen/samizdat/v1/ratchet_pb.ts';
import type { RatchetSkippedKey, RatchetStateRecord } from '../wire/gen/samizdat/v1/ratchet_pb.ts';
import { nobleProvider, nodeProvider as p, samizdatCode } from '../../test/support/providers.ts';
import { decodeRatchetMessage, ENCRYPTED_HEADER_LENGTH, encodeRatchetMessage } from './ratchet-header.ts';
import { deriveInitialKeys, kdfChain, kdfRoot, RATCHET_NONCE_LENGTH, syntheticNonce } from './ratchet-kdf.ts';
import {
  decodeRatchetState,
  encodeRatchetState,
  MAX_RATCHET_MESSAGE_BYTES,
  MAX_RATCHET_STATE_BYTES,
  MAX_SKIPPED_MESSAGE_KEYS,
  ratchetDecrypt,
  ratchetEncrypt,
  type RatchetState,
} from './ratchet.ts';
import { ratchetPair } from '../../test/support/ratchet-pair.ts';

const NOW = 1_700_000_000_000;
const read = (b: Uint8Array): string => new TextDecoder().decode(b);
const onlySamizdatErrors = (fn: () => unknown): void => {
  try {
    fn();
  } catch (err) {
    if (!isSamizdatError(err)) throw err;
  }
};

function session(pa: CryptoProvider = p, pb: CryptoProvider = p): { a: RatchetState; b: RatchetState } {
  return ratchetPair({ sender: pa, receiver: pb });
}

/** A session in mid-conversation, Bob holding skipped keys of two chains, plus the late messages. */
function busySession(): { a: RatchetState; b: RatchetState; late: Uint8Array[] } {
  let { a, b } = session();
  const late: Uint8Array[] = [];
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 3; i++) {
      const out = ratchetEncrypt(p, a, utf8(`late ${round}.${i}`), NOW);
      a = out.state;
      late.push(out.message);
    }
    const last = ratchetEncrypt(p, a, utf8('last'), NOW);
    a = last.state;
    b = ratchetDecrypt(p, b, last.message, NOW).state;
    const reply = ratchetEncrypt(p, b, utf8('reply'), NOW);
    b = reply.state;
    a = ratchetDecrypt(p, a, reply.message, NOW).state;
  }
  return { a, b, late };
}

describe('ratchet state codec', () => {
  it('round-trips fresh, receiving-side and busy states, and the decoded state carries on', () => {
    const fresh = session();
    for (const state of [fresh.a, fresh.b]) {
      const bytes = encodeRatchetState(p, state);
      assert.deepEqual(encodeRatchetState(p, decodeRatchetState(p, bytes)), bytes);
    }
    const busy = busySession();
    assert.equal(busy.b.skipped.entries.size, 6);
    const bytes = encodeRatchetState(p, busy.b);
    let b = decodeRatchetState(p, bytes);
    assert.deepEqual(encodeRatchetState(p, b), bytes);
    for (const [i, message] of busy.late.entries()) {
      const got = ratchetDecrypt(p, b, message, NOW);
      assert.equal(read(got.plaintext), `late ${Math.floor(i / 3)}.${i % 3}`);
      b = got.state;
    }
    const out = ratchetEncrypt(p, b, utf8('after restore'), NOW);
    assert.equal(read(ratchetDecrypt(p, busy.a, out.message, NOW).plaintext), 'after restore');
  });

  it('refuses states that are not ours: MALFORMED, or TOO_LARGE over the limit', () => {
    const good = encodeRatchetState(p, busySession().b);
    const variant = (change: (r: RatchetStateRecord, first: RatchetSkippedKey) => void): Uint8Array => {
      const r = fromBinary(RatchetStateRecordSchema, good);
      const first = r.skipped[0];
      assert.ok(first !== undefined);
      change(r, first);
      return toBinary(RatchetStateRecordSchema, r);
    };
    const malformed = [
      variant((r) => (r.version = 2)),
      variant((r) => (r.rootKey = new Uint8Array(31))),
      variant((r) => (r.dhPrivateKey = new Uint8Array(0))),
      variant((r) => (r.kemPrivateKey = new Uint8Array(32))),
      variant((r) => (r.kemCiphertext = new Uint8Array(0))), // a sending chain without its ciphertext
      variant((r) => (r.receivingHeaderKey = new Uint8Array(0))),
      variant((r) => (r.nextReceivingHeaderKey = new Uint8Array(0))),
      variant((r) => (r.associatedData = new Uint8Array(1025))),
      variant((r, first) => r.skipped.push(first)), // a duplicate
      variant((_, first) => (first.messageKey = new Uint8Array(32))),
      variant((_, first) => (first.createdAtMs = 2n ** 60n)),
      variant((r, first) => {
        r.skipped = Array.from({ length: MAX_SKIPPED_MESSAGE_KEYS + 1 }, (_, n) => ({ ...first, messageNumber: n }));
      }),
      new Uint8Array([0xff]),
    ];
    for (const [i, bytes] of malformed.entries()) {
      assert.throws(() => decodeRatchetState(p, bytes), samizdatCode('MALFORMED'), `case ${i}`);
    }
    assert.throws(() => decodeRatchetState(p, new Uint8Array(MAX_RATCHET_STATE_BYTES + 1)), samizdatCode('TOO_LARGE'));
  });

  it('a full state (2,000 skipped keys) fits in MAX_RATCHET_STATE_BYTES', () => {
    const { a, b } = session();
    let sender = a;
    let last: Uint8Array = new Uint8Array(0);
    for (let i = 0; i <= MAX_SKIPPED_MESSAGE_KEYS; i++) {
      const out = ratchetEncrypt(p, sender, utf8('x'), NOW);
      sender = out.state;
      last = out.message;
    }
    const full = ratchetDecrypt(p, b, last, NOW).state;
    assert.equal(full.skipped.entries.size, MAX_SKIPPED_MESSAGE_KEYS);
    const bytes = encodeRatchetState(p, full);
    assert.ok(bytes.length < MAX_RATCHET_STATE_BYTES * 0.8, `${bytes.length} bytes`);
    assert.deepEqual(encodeRatchetState(p, decodeRatchetState(p, bytes)), bytes);
  });

  it('raises only SamizdatError on random and on mutated bytes', () => {
    const valid = encodeRatchetState(p, busySession().b);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => onlySamizdatErrors(() => decodeRatchetState(p, bytes))),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.nat({ max: valid.length }), (at, mask, cut) => {
        const bytes = valid.slice(0, Math.max(cut, at + 1));
        bytes[at] = (bytes[at] ?? 0) ^ mask;
        onlySamizdatErrors(() => decodeRatchetState(p, bytes));
      }),
      { numRuns: 300 },
    );
  });
});

describe('ratchet message decoder', () => {
  const viaSchema = (m: { nonce: Uint8Array; header: Uint8Array; body: Uint8Array }): Uint8Array =>
    toBinary(RatchetMessageSchema, create(RatchetMessageSchema, { version: 1, ...m }));
  const validMessage = fc.record({
    nonce: fc.uint8Array({ minLength: RATCHET_NONCE_LENGTH, maxLength: RATCHET_NONCE_LENGTH }),
    header: fc.uint8Array({ minLength: ENCRYPTED_HEADER_LENGTH, maxLength: ENCRYPTED_HEADER_LENGTH }),
    body: fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 300 }), fc.uint8Array({ minLength: 16000, maxLength: 17000 })),
  });

  it('writes exactly the bytes of the generated RatchetMessage encoder, for any field lengths', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ maxLength: 20000 }), (nonce, header, body) => {
        assert.deepEqual(encodeRatchetMessage({ nonce, header, body }), viaSchema({ nonce, header, body }));
      }),
      { numRuns: 200 },
    );
  });

  it('decode(encode(x)) is x, and the largest message still decodes', () => {
    fc.assert(
      fc.property(validMessage, (m) => {
        const got = decodeRatchetMessage(encodeRatchetMessage(m));
        assert.deepEqual([got.nonce, got.header, got.body], [m.nonce, m.header, m.body]);
      }),
      { numRuns: 100 },
    );
    const body = new Uint8Array(MAX_RATCHET_MESSAGE_BYTES - encodeRatchetMessage({ nonce: new Uint8Array(12), header: new Uint8Array(2328), body: new Uint8Array(0) }).length - 4);
    const largest = encodeRatchetMessage({ nonce: new Uint8Array(12), header: new Uint8Array(2328), body });
    assert.equal(largest.length, MAX_RATCHET_MESSAGE_BYTES);
    assert.equal(decodeRatchetMessage(largest).body.length, body.length);
  });

  it('accepts a changed message only when the generated decoder reads it as the same canonical fields', () => {
    fc.assert(
      fc.property(validMessage, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }), fc.nat(), fc.integer({ min: -3, max: 3 }), (m, flips, cutAt, extra) => {
        const genuine = encodeRatchetMessage(m);
        // Flip bytes near the framing (the first 20 and around the body's tag) or anywhere.
        let bytes = genuine.slice();
        for (const [at, mask] of flips) {
          const spots = [at % 20, 2347 + (at % 8), at % bytes.length];
          const i = spots[at % spots.length] ?? 0;
          bytes[i] = (bytes[i] ?? 0) ^ mask;
        }
        if (extra > 0) bytes = new Uint8Array([...bytes, ...new Uint8Array(extra)]);
        if (extra < 0) bytes = bytes.subarray(0, Math.max(0, bytes.length - (cutAt % 40)));
        let got: ReturnType<typeof decodeRatchetMessage> | undefined;
        try {
          got = decodeRatchetMessage(bytes);
        } catch (err) {
          assert.ok(isSamizdatError(err, 'MALFORMED'), String(err));
          return;
        }
        const reference = fromBinary(RatchetMessageSchema, bytes);
        assert.deepEqual(viaSchema(reference), bytes);
        assert.equal(reference.version, 1);
        assert.deepEqual([got.nonce, got.header, got.body], [reference.nonce, reference.header, reference.body]);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses non-canonical encodings of a genuine message: MALFORMED', () => {
    const m = { nonce: new Uint8Array(12).fill(1), header: new Uint8Array(2328).fill(2), body: new Uint8Array(40).fill(3) };
    const genuine = encodeRatchetMessage(m);
    const bodyTagAt = 2 + 2 + 12 + 3 + 2328;
    assert.deepEqual([...genuine.subarray(bodyTagAt, bodyTagAt + 2)], [0x22, 40]);
    const tail = genuine.subarray(bodyTagAt + 2);
    const cases = [
      // body length as a two-byte varint
      new Uint8Array([...genuine.subarray(0, bodyTagAt), 0x22, 40 | 0x80, 0x00, ...tail]),
      // body before header
      new Uint8Array([...genuine.subarray(0, 16), ...genuine.subarray(bodyTagAt), ...genuine.subarray(16, bodyTagAt)]),
      // the version written twice
      new Uint8Array([0x08, 0x01, ...genuine]),
      // a trailing empty field of an unknown number
      new Uint8Array([...genuine, 0x2a, 0x00]),
    ];
    for (const [i, bytes] of cases.entries()) {
      assert.deepEqual(fromBinary(RatchetMessageSchema, bytes).body, m.body, `case ${i} parses`);
      assert.throws(() => decodeRatchetMessage(bytes), samizdatCode('MALFORMED'), `case ${i}`);
    }
  });

  it('raises only SamizdatError on random and mutated messages, and the state still works', () => {
    const { a, b } = busySession();
    const genuine = ratchetEncrypt(p, a, utf8('genuine'), NOW).message;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => onlySamizdatErrors(() => ratchetDecrypt(p, b, bytes, NOW))),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.nat({ max: genuine.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const bytes = genuine.slice();
        bytes[at] = (bytes[at] ?? 0) ^ mask;
        assert.throws(() => ratchetDecrypt(p, b, bytes, NOW), (err: unknown) => isSamizdatError(err));
      }),
      { numRuns: 300 },
    );
    assert.equal(read(ratchetDecrypt(p, b, genuine, NOW).plaintext), 'genuine');
  });
});

describe('ratchet across providers (@noble beside node:crypto)', () => {
  it('derives the same keys and nonces', () => {
    const k = new Uint8Array(32).fill(9);
    for (const [mine, theirs] of [
      [deriveInitialKeys(p, k), deriveInitialKeys(nobleProvider, k)],
      [kdfRoot(p, k, k, k), kdfRoot(nobleProvider, k, k, k)],
      [kdfChain(p, k), kdfChain(nobleProvider, k)],
      [syntheticNonce(p, k, k, k), syntheticNonce(nobleProvider, k, k, k)],
    ]) {
      assert.deepEqual(mine, theirs);
    }
  });

  it('encrypts to identical bytes from the same stored state', () => {
    const { a, b } = session();
    const bytes = encodeRatchetState(p, ratchetDecrypt(p, b, ratchetEncrypt(p, a, utf8('x'), NOW).message, NOW).state);
    const viaNode = ratchetEncrypt(p, decodeRatchetState(p, bytes), utf8('same input'), NOW);
    const viaNoble = ratchetEncrypt(nobleProvider, decodeRatchetState(nobleProvider, bytes), utf8('same input'), NOW);
    assert.deepEqual(viaNoble.message, viaNode.message);
    assert.deepEqual(encodeRatchetState(nobleProvider, viaNoble.state), encodeRatchetState(p, viaNode.state));
  });

  it('holds a conversation between a node:crypto party and a @noble party', () => {
    let { a, b } = session(p, nobleProvider);
    for (let i = 0; i < 3; i++) {
      const out = ratchetEncrypt(p, a, utf8(`to noble ${i}`), NOW);
      a = out.state;
      const got = ratchetDecrypt(nobleProvider, b, out.message, NOW);
      b = got.state;
      assert.equal(read(got.plaintext), `to noble ${i}`);
      const back = ratchetEncrypt(nobleProvider, b, utf8(`to node ${i}`), NOW);
      b = back.state;
      const got2 = ratchetDecrypt(p, a, back.message, NOW);
      a = got2.state;
      assert.equal(read(got2.plaintext), `to node ${i}`);
    }
  });
});
