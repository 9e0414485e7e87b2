import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { create, toBinary } from '@bufbuild/protobuf';
import { concatBytes, toHex, u32be, utf8, type CryptoProvider, type KeyAlgorithm, type PrivateKey } from '../crypto/index.ts';
import { isSamizdatError } from '../errors.ts';
import { signPrekeyBundle, verifyPrekeyBundle, type PrekeyBundle } from '../identity/index.ts';
import { HandshakeInitSchema } from '../wire/gen/samizdat/v1/envelope_pb.ts';
import { nobleMlKemEncapsulateWith } from '../../test/support/noble-provider.ts';
import { nobleProvider, nodeProvider } from '../../test/support/providers.ts';
import {
  HANDSHAKE_AD_LENGTH,
  MAX_HANDSHAKE_INIT_BYTES,
  decodeHandshakeInit,
  initiateHandshake,
  respondHandshake,
  type HandshakeIdentity,
  type PrekeyKind,
  type ResponderPrekeys,
} from './pqxdh.ts';
import { signIdentityBinding } from './pqxdh-identity.ts';
import { codeOf } from '../../test/support/error-code.ts';

const SEED_LENGTH: Readonly<Record<KeyAlgorithm, number>> = { x25519: 32, ed25519: 32, 'ml-kem-768': 64 };

/** A fixed key: the same raw bytes in every provider, so providers can be compared. */
function fixedKey(provider: CryptoProvider, algorithm: KeyAlgorithm, label: string): PrivateKey {
  const raw = nodeProvider.hkdf('sha256', utf8(label), new Uint8Array(0), utf8('pqxdh-test-key'), SEED_LENGTH[algorithm]);
  return provider.importPrivateKey(algorithm, raw);
}

interface Keys {
  readonly alice: HandshakeIdentity;
  readonly bob: HandshakeIdentity;
  readonly spk: PrivateKey;
  readonly pqspk: PrivateKey;
  readonly opk: readonly PrivateKey[];
  readonly opq: PrivateKey;
}

function keysIn(provider: CryptoProvider): Keys {
  return {
    alice: { identity: fixedKey(provider, 'ed25519', 'alice-ik'), identityX25519: fixedKey(provider, 'x25519', 'alice-ikx') },
    bob: { identity: fixedKey(provider, 'ed25519', 'bob-ik'), identityX25519: fixedKey(provider, 'x25519', 'bob-ikx') },
    spk: fixedKey(provider, 'x25519', 'bob-spk'),
    pqspk: fixedKey(provider, 'ml-kem-768', 'bob-pqspk'),
    opk: [fixedKey(provider, 'x25519', 'bob-opk-10'), fixedKey(provider, 'x25519', 'bob-opk-11')],
    opq: fixedKey(provider, 'ml-kem-768', 'bob-opq-20'),
  };
}

const provider = nodeProvider;
const K = keysIn(provider);

function bundleOf(keys: Keys, options: { opk?: boolean; opq?: boolean } = {}): PrekeyBundle {
  return {
    identityKey: keys.bob.identity.publicKey,
    identityX25519: keys.bob.identityX25519.publicKey,
    sequence: 1n,
    createdAtMs: 0,
    expiresAtMs: 1000,
    signedX25519Prekey: { id: 1, publicKey: keys.spk.publicKey },
    signedMlKemPrekey: { id: 2, publicKey: keys.pqspk.publicKey },
    oneTimeX25519Prekeys: options.opk === true ? keys.opk.map((k, i) => ({ id: 10 + i, publicKey: k.publicKey })) : [],
    oneTimeMlKemPrekeys: options.opq === true ? [{ id: 20, publicKey: keys.opq.publicKey }] : [],
  };
}

function prekeysOf(keys: Keys, drop: readonly string[] = []): ResponderPrekeys {
  const table = new Map<string, PrivateKey>([
    ['signed-x25519:1', keys.spk],
    ['signed-ml-kem:2', keys.pqspk],
    ['one-time-x25519:10', keys.opk[0] ?? keys.spk],
    ['one-time-x25519:11', keys.opk[1] ?? keys.spk],
    ['one-time-ml-kem:20', keys.opq],
  ]);
  for (const name of drop) table.delete(name);
  return { lookup: (kind: PrekeyKind, id: number) => table.get(`${kind}:${id}`) };
}

const VARIANTS = [
  { name: 'signed prekeys only', opk: false, opq: false },
  { name: 'one-time X25519 prekey', opk: true, opq: false },
  { name: 'one-time ML-KEM prekey', opk: false, opq: true },
  { name: 'both one-time prekeys', opk: true, opq: true },
];

for (const variant of VARIANTS) {
  test(`both sides derive the same SK and AD (${variant.name})`, () => {
    const alice = initiateHandshake(provider, K.alice, bundleOf(K, variant));
    const bob = respondHandshake(provider, K.bob, prekeysOf(K), alice.init);
    assert.equal(alice.sharedSecret.length, 32);
    assert.equal(alice.associatedData.length, HANDSHAKE_AD_LENGTH);
    assert.deepEqual(bob.sharedSecret, alice.sharedSecret);
    assert.deepEqual(bob.associatedData, alice.associatedData);
    assert.deepEqual(
      alice.associatedData.subarray(0, 128),
      concatBytes(K.alice.identity.publicKey, K.bob.identity.publicKey, K.alice.identityX25519.publicKey, K.bob.identityX25519.publicKey),
    );
    assert.deepEqual(bob.peerIdentity, K.alice.identity.publicKey);
    assert.deepEqual(bob.peerIdentityX25519, K.alice.identityX25519.publicKey);
    assert.deepEqual(alice.peerDhPublic, K.spk.publicKey);
    assert.deepEqual(alice.peerKemPublic, K.pqspk.publicKey);
    assert.equal(bob.ownDhKey, K.spk);
    assert.equal(bob.ownKemKey, K.pqspk);
    const init = decodeHandshakeInit(alice.init);
    assert.equal(bob.usedOneTimePrekeys.x25519, init.oneTimeX25519PrekeyId);
    assert.equal(bob.usedOneTimePrekeys.mlKem, variant.opq ? 20 : undefined);
    assert.equal(init.oneTimeX25519PrekeyId === undefined, !variant.opk);
    assert.ok(alice.init.length <= MAX_HANDSHAKE_INIT_BYTES);
  });
}

test('a bundle from signPrekeyBundle/verifyPrekeyBundle carries the X25519 identity through', () => {
  const signed = signPrekeyBundle(provider, K.bob.identity, { ...bundleOf(K, { opk: true, opq: true }) });
  const bundle = verifyPrekeyBundle(provider, signed, { expectedIdentity: K.bob.identity.publicKey, now: 500 });
  const alice = initiateHandshake(provider, K.alice, bundle);
  assert.deepEqual(respondHandshake(provider, K.bob, prekeysOf(K), alice.init).sharedSecret, alice.sharedSecret);
});

test('the largest HandshakeInit (every id a 5-byte varint) is 1,283 bytes', () => {
  const bundle = bundleOf(K, { opk: true, opq: true });
  const big = {
    ...bundle,
    signedX25519Prekey: { ...bundle.signedX25519Prekey, id: 0xffffffff },
    signedMlKemPrekey: { ...bundle.signedMlKemPrekey, id: 0xffffffff },
    oneTimeX25519Prekeys: [{ id: 0xffffffff, publicKey: K.spk.publicKey }],
    oneTimeMlKemPrekeys: [{ id: 0xffffffff, publicKey: K.opq.publicKey }],
  };
  assert.equal(initiateHandshake(provider, K.alice, big).init.length, 1283);
});

test('every handshake is fresh, and one-time prekeys are picked among those offered', () => {
  const seen = new Set<number | undefined>();
  const secrets = new Set<string>();
  for (let i = 0; i < 24; i++) {
    const alice = initiateHandshake(provider, K.alice, bundleOf(K, { opk: true }));
    secrets.add(toHex(alice.sharedSecret));
    seen.add(decodeHandshakeInit(alice.init).oneTimeX25519PrekeyId);
  }
  assert.equal(secrets.size, 24);
  assert.deepEqual([...seen].sort(), [10, 11]);
});

test('every single-byte change of the init is an error or a different SK and AD', () => {
  const alice = initiateHandshake(provider, K.alice, bundleOf(K, { opk: true, opq: true }));
  const codes = new Map<string, number>();
  for (let i = 0; i < alice.init.length; i++) {
    const tampered = alice.init.slice();
    tampered[i] = (tampered[i] ?? 0) ^ (i % 2 === 0 ? 0x01 : 0x80);
    let outcome: string;
    try {
      const bob = respondHandshake(provider, K.bob, prekeysOf(K), tampered);
      assert.notDeepEqual(bob.sharedSecret, alice.sharedSecret, `byte ${i}`);
      assert.notDeepEqual(bob.associatedData, alice.associatedData, `byte ${i}`);
      outcome = 'different key';
    } catch (err) {
      assert.ok(isSamizdatError(err), `byte ${i}: ${String(err)}`);
      assert.ok(['MALFORMED', 'BAD_SIGNATURE', 'UNKNOWN_PREKEY', 'BAD_KEY', 'TOO_LARGE'].includes(err.code), `byte ${i}: ${err.code}`);
      outcome = err.code;
    }
    codes.set(outcome, (codes.get(outcome) ?? 0) + 1);
  }
  // Identity and binding flips fail the binding; key and ciphertext flips change the key.
  assert.ok((codes.get('BAD_SIGNATURE') ?? 0) >= 128, JSON.stringify([...codes]));
  assert.ok((codes.get('different key') ?? 0) >= 1088, JSON.stringify([...codes]));
});

function reencode(init: Uint8Array, change: Partial<ReturnType<typeof decodeHandshakeInit>>): Uint8Array {
  const decoded = decodeHandshakeInit(init);
  return toBinary(HandshakeInitSchema, create(HandshakeInitSchema, { ...decoded, ...change }));
}

test('a wrong identity binding is BAD_SIGNATURE', () => {
  const alice = initiateHandshake(provider, K.alice, bundleOf(K));
  const mallory = { identity: provider.generateKey('ed25519'), identityX25519: provider.generateKey('x25519') };
  const cases = [
    // Mallory's signature under Alice's identity.
    { identityBinding: signIdentityBinding(provider, mallory) },
    // Alice's binding with another X25519 key.
    { identityX25519: mallory.identityX25519.publicKey },
    // Mallory claims Alice's X25519 key with Alice's binding: the binding names Alice.
    { identityKey: mallory.identity.publicKey },
    { identityBinding: new Uint8Array(64) },
  ];
  for (const change of cases) {
    assert.equal(codeOf(() => respondHandshake(provider, K.bob, prekeysOf(K), reencode(alice.init, change))), 'BAD_SIGNATURE');
  }
});

test("Mallory binding Alice's X25519 key to her own identity learns nothing and Bob's key differs", () => {
  // Unknown key share: Mallory signs a binding of Alice's IKx with her own Ed25519 key and swaps
  // identities. The binding verifies, but AD (and so SK) names Mallory, so Alice's first message
  // fails at Bob; Mallory lacks Alice's X25519 key and cannot compute either secret.
  const alice = initiateHandshake(provider, K.alice, bundleOf(K));
  const malloryIdentity = provider.generateKey('ed25519');
  const forgedBinding = provider.sign(malloryIdentity, concatBytes(utf8('samizdat/v1/identity-binding'), K.alice.identityX25519.publicKey));
  const swapped = reencode(alice.init, { identityKey: malloryIdentity.publicKey, identityBinding: forgedBinding });
  const bob = respondHandshake(provider, K.bob, prekeysOf(K), swapped);
  assert.deepEqual(bob.peerIdentity, malloryIdentity.publicKey);
  assert.notDeepEqual(bob.sharedSecret, alice.sharedSecret);
});

test('an unknown prekey id is UNKNOWN_PREKEY; a wrong-algorithm lookup is INVALID_ARGUMENT', () => {
  const alice = initiateHandshake(provider, K.alice, bundleOf(K, { opk: true, opq: true }));
  const usedOpk = `one-time-x25519:${decodeHandshakeInit(alice.init).oneTimeX25519PrekeyId}`;
  for (const drop of ['signed-x25519:1', 'signed-ml-kem:2', usedOpk, 'one-time-ml-kem:20']) {
    assert.equal(codeOf(() => respondHandshake(provider, K.bob, prekeysOf(K, [drop]), alice.init)), 'UNKNOWN_PREKEY', drop);
  }
  const wrong: ResponderPrekeys = { lookup: () => K.spk };
  assert.equal(codeOf(() => respondHandshake(provider, K.bob, wrong, alice.init)), 'INVALID_ARGUMENT');
});

test('bad arguments are INVALID_ARGUMENT', () => {
  const bundle = bundleOf(K);
  const bad: unknown[] = [
    { ...bundle, identityX25519: new Uint8Array(31) },
    { ...bundle, signedMlKemPrekey: { id: 2, publicKey: new Uint8Array(32) } },
    { ...bundle, oneTimeX25519Prekeys: [{ id: -1, publicKey: K.spk.publicKey }] },
    null,
  ];
  for (const b of bad) assert.equal(codeOf(() => initiateHandshake(provider, K.alice, b as PrekeyBundle)), 'INVALID_ARGUMENT');
  const swappedKeys = { identity: K.alice.identityX25519, identityX25519: K.alice.identity };
  assert.equal(codeOf(() => initiateHandshake(provider, swappedKeys, bundle)), 'INVALID_ARGUMENT');
  assert.equal(codeOf(() => respondHandshake(provider, K.bob, {} as ResponderPrekeys, new Uint8Array(0))), 'INVALID_ARGUMENT');
});

test('property: random bytes and random corruptions raise only SamizdatError', () => {
  const prekeys = prekeysOf(K);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: MAX_HANDSHAKE_INIT_BYTES + 16 }), (bytes) => {
      assert.notEqual(codeOf(() => respondHandshake(provider, K.bob, prekeys, bytes)), 'ok');
    }),
    { numRuns: 300 },
  );
  const alice = initiateHandshake(provider, K.alice, bundleOf(K, { opk: true, opq: true }));
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(alice.init.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.nat(8),
      (edits, cut) => {
        const tampered = alice.init.slice(0, alice.init.length - cut);
        for (const [at, xor] of edits) if (at < tampered.length) tampered[at] = (tampered[at] ?? 0) ^ xor;
        try {
          const bob = respondHandshake(provider, K.bob, prekeys, tampered);
          assert.notDeepEqual(bob.sharedSecret, alice.sharedSecret);
        } catch (err) {
          assert.ok(isSamizdatError(err), String(err));
        }
      },
    ),
    { numRuns: 200 },
  );
});

/** The noble provider with every random choice fixed, so a handshake is reproducible. */
function fixedRandomness(base: CryptoProvider): CryptoProvider {
  let counter = 0;
  const stream = (length: number): Uint8Array =>
    base.hkdf('sha256', utf8('pqxdh-test-rng'), new Uint8Array(0), u32be(counter++), length);
  return {
    ...base,
    name: `${base.name}-fixed`,
    randomBytes: stream,
    generateKey: (algorithm) => base.importPrivateKey(algorithm, stream(SEED_LENGTH[algorithm])),
    mlKemEncapsulate: (publicKey) => nobleMlKemEncapsulateWith(publicKey, stream(32)),
  };
}

/** Pinned outputs of the fixed handshake below: any change to the format or key schedule shows here. */
const KNOWN_ANSWER = {
  initSha256: '606fbba7b74318deb99144cbf281c6e9cf35f7a32d7e5cb4e1ca5aef31c4b0cf',
  sharedSecret: 'c3f7764a3f6ff9838d1d914066bd0276e72dcf40aa26003c401c0ccdd1b03ed4',
  associatedData: [
    'e21dbdcf8d860209f627f02ac88773ccd5583d17ca39f599ee787f241c423707',
    '7410991970e7a5ae75d08ff7e019655e2fd36ebf8ed50a95bc23da5a09529a62',
    'da1c167458dab9d0e5c6a90167d7a71f915d05bf414e320229327181308b1c18',
    '835093289dfb183a2c4314b13b8d86f9118f89f9e6d097178da3cd7c35c68b3b',
    '86f2994644e815be5f3df020008b731730da68010cd6d85868f67cdc6c6e2f13',
  ].join(''),
};

test('known answer: fixed keys and randomness give pinned outputs, the same with both providers', () => {
  const nobleKeys = keysIn(nobleProvider);
  const alice = initiateHandshake(fixedRandomness(nobleProvider), nobleKeys.alice, bundleOf(nobleKeys, { opk: true, opq: true }));
  assert.deepEqual(
    {
      initSha256: toHex(nodeProvider.hash('sha256', alice.init)),
      sharedSecret: toHex(alice.sharedSecret),
      associatedData: toHex(alice.associatedData),
    },
    KNOWN_ANSWER,
  );
  // Bob on either provider derives the same.
  for (const [p, keys] of [[nodeProvider, K], [nobleProvider, nobleKeys]] as const) {
    const bob = respondHandshake(p, keys.bob, prekeysOf(keys), alice.init);
    assert.deepEqual(bob.sharedSecret, alice.sharedSecret, p.name);
    assert.deepEqual(bob.associatedData, alice.associatedData, p.name);
  }
  // Alice on the native provider, Bob on noble.
  const native = initiateHandshake(nodeProvider, K.alice, bundleOf(K, { opk: true, opq: true }));
  assert.deepEqual(respondHandshake(nobleProvider, nobleKeys.bob, prekeysOf(nobleKeys), native.init).sharedSecret, native.sharedSecret);
});

test('SK and AD follow the formulas of the module comment', () => {
  const alice = initiateHandshake(provider, K.alice, bundleOf(K, { opk: true, opq: true }));
  const m = decodeHandshakeInit(alice.init);
  const opkIndex = (m.oneTimeX25519PrekeyId ?? 0) - 10;
  const opk = K.opk[opkIndex];
  assert.ok(opk !== undefined);
  const dh = [
    provider.x25519(K.spk, K.alice.identityX25519.publicKey),
    provider.x25519(K.bob.identityX25519, m.ephemeralKey),
    provider.x25519(K.spk, m.ephemeralKey),
    provider.x25519(opk, m.ephemeralKey),
  ];
  const ss = provider.mlKemDecapsulate(K.opq, m.kemCiphertext);
  const transcript = concatBytes(
    utf8('samizdat/v1/pqxdh/transcript'),
    K.alice.identity.publicKey,
    K.alice.identityX25519.publicKey,
    m.ephemeralKey,
    K.bob.identity.publicKey,
    K.bob.identityX25519.publicKey,
    u32be(1),
    K.spk.publicKey,
    u32be(2),
    K.pqspk.publicKey,
    new Uint8Array([1]),
    u32be(10 + opkIndex),
    opk.publicKey,
    new Uint8Array([1]),
    u32be(20),
    K.opq.publicKey,
    m.kemCiphertext,
  );
  const ad = concatBytes(
    K.alice.identity.publicKey,
    K.bob.identity.publicKey,
    K.alice.identityX25519.publicKey,
    K.bob.identityX25519.publicKey,
    provider.hash('sha256', transcript),
  );
  const sk = provider.hkdf(
    'sha256',
    concatBytes(new Uint8Array(32).fill(0xff), ...dh, ss),
    new Uint8Array(32),
    concatBytes(utf8('samizdat/v1/pqxdh/x25519-sha256-mlkem768'), ad),
    32,
  );
  assert.deepEqual(alice.associatedData, ad);
  assert.deepEqual(alice.sharedSecret, sk);
});
