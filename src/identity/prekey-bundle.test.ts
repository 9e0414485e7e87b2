import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { create, toBinary } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import type { PrivateKey } from '../crypto/provider.ts';
import { concatBytes, utf8 } from '../crypto/bytes.ts';
import type { ErrorCode } from '../errors.ts';
import { PrekeyBundleBodySchema, SignedPrekeyBundleSchema } from '../wire/gen/samizdat/v1/identity_pb.ts';
import { signPrekeyBundle, verifyPrekeyBundle } from './prekey-bundle.ts';
import type { PrekeyBundleFields } from './prekey-bundle.ts';
import {
  MAX_ONE_TIME_ML_KEM_PREKEYS,
  MAX_ONE_TIME_X25519_PREKEYS,
  MAX_PREKEY_BUNDLE_BYTES,
  MAX_PREKEY_BUNDLE_LIFETIME_MS,
  PREKEY_BUNDLE_MAX_CLOCK_SKEW_MS,
} from './prekey-bundle-limits.ts';
import { codeOf } from '../../test/support/error-code.ts';

const provider = createNodeCryptoProvider();
const identity = provider.generateKey('ed25519');
const other = provider.generateKey('ed25519');
const NOW = 1_750_000_000_000;
const HOUR = 3_600_000;
const mlKemKeys = Array.from({ length: MAX_ONE_TIME_ML_KEM_PREKEYS + 1 }, () => provider.generateKey('ml-kem-768').publicKey);
const x25519Key = (): Uint8Array => provider.generateKey('x25519').publicKey;

const FIELDS: PrekeyBundleFields = {
  identityX25519: x25519Key(),
  sequence: 7n,
  createdAtMs: NOW - HOUR,
  expiresAtMs: NOW + 24 * HOUR,
  signedX25519Prekey: { id: 1, publicKey: x25519Key() },
  signedMlKemPrekey: { id: 2, publicKey: mlKemKeys[0] ?? new Uint8Array(0) },
  oneTimeX25519Prekeys: [
    { id: 10, publicKey: x25519Key() },
    { id: 11, publicKey: x25519Key() },
  ],
  oneTimeMlKemPrekeys: [{ id: 20, publicKey: mlKemKeys[1] ?? new Uint8Array(0) }],
};
const OPTIONS = { expectedIdentity: identity.publicKey, now: NOW };
const BUNDLE = signPrekeyBundle(provider, identity, FIELDS);

type BodyInit = MessageInitShape<typeof PrekeyBundleBodySchema>;

/** Signs an arbitrary body the way signPrekeyBundle does, to test what the verifier does with it. */
function signRaw(key: PrivateKey, body: BodyInit): Uint8Array {
  const bodyBytes = toBinary(PrekeyBundleBodySchema, create(PrekeyBundleBodySchema, body));
  const signature = provider.sign(key, concatBytes(utf8('samizdat/v1/prekey-bundle'), bodyBytes));
  return toBinary(SignedPrekeyBundleSchema, create(SignedPrekeyBundleSchema, { body: bodyBytes, signature }));
}

/** A valid wire body with some fields replaced (the cast lets a test drop a required field). */
function wireBody(overrides: Partial<BodyInit> = {}): BodyInit {
  return {
    identityKey: identity.publicKey,
    identityX25519: FIELDS.identityX25519,
    sequence: FIELDS.sequence,
    createdAtMs: BigInt(FIELDS.createdAtMs),
    expiresAtMs: BigInt(FIELDS.expiresAtMs),
    signedX25519Prekey: FIELDS.signedX25519Prekey,
    signedMlKemPrekey: FIELDS.signedMlKemPrekey,
    ...overrides,
  } as BodyInit;
}

test('a signed bundle verifies and gives back its fields', () => {
  const bundle = verifyPrekeyBundle(provider, BUNDLE, OPTIONS);
  assert.deepEqual(bundle, { ...FIELDS, identityKey: identity.publicKey });
  assert.deepEqual(verifyPrekeyBundle(provider, BUNDLE, { ...OPTIONS, minSequence: 7n }).sequence, 7n);
  const minimal = signPrekeyBundle(provider, identity, {
    ...FIELDS,
    oneTimeX25519Prekeys: [],
    oneTimeMlKemPrekeys: [],
  });
  assert.deepEqual(verifyPrekeyBundle(provider, minimal, OPTIONS).oneTimeMlKemPrekeys, []);
});

test('every single-byte change is rejected', () => {
  for (let i = 0; i < BUNDLE.length; i++) {
    for (const flip of [0x01, 0x80, 0xff]) {
      const tampered = BUNDLE.slice();
      tampered[i] = (tampered[i] ?? 0) ^ flip;
      const code = codeOf(() => verifyPrekeyBundle(provider, tampered, OPTIONS));
      assert.ok(code === 'BAD_SIGNATURE' || code === 'MALFORMED', `byte ${i} ^ ${flip}: ${code}`);
    }
  }
});

test('truncation, extension and non-canonical wrappers are rejected', () => {
  for (const length of [0, 1, 10, BUNDLE.length - 1]) {
    assert.notEqual(codeOf(() => verifyPrekeyBundle(provider, BUNDLE.slice(0, length), OPTIONS)), 'ok');
  }
  const unknownField = concatBytes(BUNDLE, new Uint8Array([0x18, 0x01]));
  assert.equal(codeOf(() => verifyPrekeyBundle(provider, unknownField, OPTIONS)), 'MALFORMED');
  const zeroLengthPrefix = concatBytes(new Uint8Array([0x0a, 0x00]), BUNDLE);
  assert.equal(codeOf(() => verifyPrekeyBundle(provider, zeroLengthPrefix, OPTIONS)), 'MALFORMED');
});

test('a bundle of another account is BAD_SIGNATURE', () => {
  assert.equal(codeOf(() => verifyPrekeyBundle(provider, BUNDLE, { ...OPTIONS, expectedIdentity: other.publicKey })), 'BAD_SIGNATURE');
  // Signed by `other` but naming `identity`, checked against either key.
  const mislabeled = signRaw(other, wireBody());
  assert.equal(codeOf(() => verifyPrekeyBundle(provider, mislabeled, OPTIONS)), 'BAD_SIGNATURE');
  assert.equal(codeOf(() => verifyPrekeyBundle(provider, mislabeled, { ...OPTIONS, expectedIdentity: other.publicKey })), 'BAD_SIGNATURE');
});

test('expiry, not-yet-valid and rollback', () => {
  const at = (now: number, minSequence?: bigint): ErrorCode | 'ok' =>
    codeOf(() => verifyPrekeyBundle(provider, BUNDLE, minSequence === undefined ? { ...OPTIONS, now } : { ...OPTIONS, now, minSequence }));
  assert.equal(at(FIELDS.expiresAtMs - 1), 'ok');
  assert.equal(at(FIELDS.expiresAtMs), 'EXPIRED');
  assert.equal(at(FIELDS.createdAtMs - PREKEY_BUNDLE_MAX_CLOCK_SKEW_MS), 'ok');
  assert.equal(at(FIELDS.createdAtMs - PREKEY_BUNDLE_MAX_CLOCK_SKEW_MS - 1), 'EXPIRED');
  assert.equal(at(NOW, 6n), 'ok');
  assert.equal(at(NOW, 8n), 'ROLLBACK');
  assert.equal(at(NOW, 2n ** 64n - 1n), 'ROLLBACK');
});

test('the signer refuses fields outside the limits', () => {
  const bad: Partial<PrekeyBundleFields>[] = [
    { identityX25519: new Uint8Array(31) },
    { identityX25519: undefined as unknown as Uint8Array },
    { sequence: -1n },
    { sequence: 2n ** 64n },
    { createdAtMs: -1 },
    { createdAtMs: 1.5 },
    { expiresAtMs: FIELDS.createdAtMs },
    { expiresAtMs: FIELDS.createdAtMs + MAX_PREKEY_BUNDLE_LIFETIME_MS + 1 },
    { signedX25519Prekey: { id: 1, publicKey: new Uint8Array(31) } },
    { signedMlKemPrekey: { id: 2, publicKey: new Uint8Array(32) } },
    { signedX25519Prekey: { id: -1, publicKey: x25519Key() } },
    { signedX25519Prekey: { id: 2 ** 32, publicKey: x25519Key() } },
    { oneTimeX25519Prekeys: [{ id: 3, publicKey: x25519Key() }, { id: 3, publicKey: x25519Key() }] },
    { oneTimeX25519Prekeys: Array.from({ length: MAX_ONE_TIME_X25519_PREKEYS + 1 }, (_, id) => ({ id, publicKey: x25519Key() })) },
    { oneTimeMlKemPrekeys: mlKemKeys.map((publicKey, id) => ({ id, publicKey })) },
  ];
  for (const change of bad) {
    assert.equal(codeOf(() => signPrekeyBundle(provider, identity, { ...FIELDS, ...change })), 'INVALID_ARGUMENT', JSON.stringify(change, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  }
  assert.equal(codeOf(() => signPrekeyBundle(provider, provider.generateKey('x25519'), FIELDS)), 'INVALID_ARGUMENT');
});

test('the largest legal bundle fits under MAX_PREKEY_BUNDLE_BYTES; bigger input is TOO_LARGE', () => {
  const largest = signPrekeyBundle(provider, identity, {
    ...FIELDS,
    sequence: 2n ** 64n - 1n,
    signedX25519Prekey: { id: 0xffffffff, publicKey: x25519Key() },
    oneTimeX25519Prekeys: Array.from({ length: MAX_ONE_TIME_X25519_PREKEYS }, (_, i) => ({ id: 0xffffffff - i, publicKey: x25519Key() })),
    oneTimeMlKemPrekeys: mlKemKeys.slice(0, MAX_ONE_TIME_ML_KEM_PREKEYS).map((publicKey, i) => ({ id: 0xffffffff - i, publicKey })),
  });
  assert.ok(largest.length <= MAX_PREKEY_BUNDLE_BYTES, `${largest.length} bytes`);
  assert.equal(verifyPrekeyBundle(provider, largest, OPTIONS).oneTimeMlKemPrekeys.length, MAX_ONE_TIME_ML_KEM_PREKEYS);
  const huge = new Uint8Array(MAX_PREKEY_BUNDLE_BYTES + 1);
  assert.equal(codeOf(() => verifyPrekeyBundle(provider, huge, OPTIONS)), 'TOO_LARGE');
});

test('signed but invalid bodies are refused after the signature check', () => {
  const cases: [Partial<BodyInit>, ErrorCode][] = [
    [{ signedMlKemPrekey: undefined }, 'MALFORMED'],
    [{ identityX25519: new Uint8Array(0) }, 'MALFORMED'],
    [{ identityX25519: new Uint8Array(33) }, 'MALFORMED'],
    [{ signedX25519Prekey: { id: 1, publicKey: new Uint8Array(33) } }, 'MALFORMED'],
    [{ expiresAtMs: 2n ** 63n }, 'MALFORMED'],
    [{ expiresAtMs: BigInt(FIELDS.createdAtMs) }, 'MALFORMED'],
    [{ oneTimeMlKemPrekeys: mlKemKeys.map((publicKey, id) => ({ id, publicKey })) }, 'TOO_LARGE'],
    [{ oneTimeX25519Prekeys: [{ id: 5, publicKey: x25519Key() }, { id: 5, publicKey: x25519Key() }] }, 'MALFORMED'],
  ];
  for (const [change, code] of cases) {
    assert.equal(codeOf(() => verifyPrekeyBundle(provider, signRaw(identity, wireBody(change)), OPTIONS)), code);
  }
  const garbageBody = (() => {
    const body = new Uint8Array([0xff, 0xff, 0xff]);
    const signature = provider.sign(identity, concatBytes(utf8('samizdat/v1/prekey-bundle'), body));
    return toBinary(SignedPrekeyBundleSchema, create(SignedPrekeyBundleSchema, { body, signature }));
  })();
  assert.equal(codeOf(() => verifyPrekeyBundle(provider, garbageBody, OPTIONS)), 'MALFORMED');
});

test('bad options are INVALID_ARGUMENT', () => {
  assert.equal(codeOf(() => verifyPrekeyBundle(provider, BUNDLE, { ...OPTIONS, now: Number.NaN })), 'INVALID_ARGUMENT');
  assert.equal(codeOf(() => verifyPrekeyBundle(provider, BUNDLE, { ...OPTIONS, expectedIdentity: new Uint8Array(31) })), 'INVALID_ARGUMENT');
  assert.equal(codeOf(() => verifyPrekeyBundle(provider, BUNDLE, { ...OPTIONS, minSequence: -1n })), 'INVALID_ARGUMENT');
});

test('property: random bytes and random corruptions raise only SamizdatError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
      assert.notEqual(codeOf(() => verifyPrekeyBundle(provider, bytes, OPTIONS)), 'ok');
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(BUNDLE.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }),
      (edits) => {
        const tampered = BUNDLE.slice();
        for (const [at, xor] of edits) tampered[at] = (tampered[at] ?? 0) ^ xor;
        const changed = tampered.some((b, i) => b !== BUNDLE[i]);
        const code = codeOf(() => verifyPrekeyBundle(provider, tampered, OPTIONS));
        assert.ok(!changed || code !== 'ok');
      },
    ),
    { numRuns: 500 },
  );
});
