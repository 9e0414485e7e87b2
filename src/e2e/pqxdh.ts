/**
 * The PQXDH-style handshake (DESIGN.md §5): how Alice, holding Bob's verified prekey bundle, agrees
 * a 32-byte secret with Bob while he is offline. It follows Signal's PQXDH specification with
 * ML-KEM-768 as the post-quantum KEM and Samizdat's keys:
 *
 *   Bob (responder): IK_B Ed25519 identity, IKx_B X25519 identity (bundle.identityX25519),
 *     SPK_B signed X25519 prekey, PQSPK_B signed ML-KEM-768 prekey, optionally OPK_B one-time
 *     X25519 prekey and OPQ_B one-time ML-KEM-768 prekey (used instead of PQSPK_B when present).
 *   Alice (initiator): IK_A Ed25519 identity, IKx_A X25519 identity, EK_A fresh X25519 key.
 *
 *   DH1 = DH(IKx_A, SPK_B)   DH2 = DH(EK_A, IKx_B)   DH3 = DH(EK_A, SPK_B)   DH4 = DH(EK_A, OPK_B)
 *   (CT, SS) = ML-KEM-768.Encaps(OPQ_B if offered, else PQSPK_B)
 *   SK = HKDF-SHA256(ikm = F || DH1 || DH2 || DH3 [|| DH4] || SS, salt = 32 zero bytes,
 *                    info = KDF_INFO || AD, 32 bytes)          F = 32 bytes of 0xFF
 *
 * Alice proves IKx_A belongs to IK_A with the identity binding (pqxdh-identity.ts); in PQXDH one
 * key does both jobs, here Ed25519 signs and X25519 agrees.
 *
 * AD (160 bytes) = IK_A || IK_B || IKx_A || IKx_B || SHA-256(transcript), where the transcript is
 * the fixed-layout concatenation
 *
 *   TRANSCRIPT_LABEL || IK_A || IKx_A || EK_A || IK_B || IKx_B || u32(SPK id) || SPK_B
 *   || u32(PQSPK id) || PQSPK_B || 0x00 | 0x01 || u32(OPK id) || OPK_B
 *   || 0x00 | 0x01 || u32(OPQ id) || OPQ_B || CT
 *
 * (a one-time key's id and key follow only a 0x01 flag; every other field has a fixed length, so
 * the encoding is injective). AD binds both identities of both sides, every prekey used and the
 * KEM ciphertext. PQXDH puts AD only into the first message's AEAD; we also feed it to the KDF,
 * so a change to any of these gives a different SK even where a caller forgets the AD. That
 * includes the ML-KEM public key, so no "re-encapsulation" between two keys is possible whatever
 * ML-KEM's binding properties (the issue raised by Bhargavan et al.'s formal analysis of PQXDH).
 *
 * Replays: a HandshakeInit that used a one-time prekey cannot be accepted twice once the caller
 * deletes the key (`usedOneTimePrekeys`); without one, the ratchet must drop duplicate messages.
 * Pure; no I/O.
 */
import { create } from '@bufbuild/protobuf';
import { SIZES, concatBytes, u32be, utf8, type CryptoProvider, type PrivateKey } from '../crypto/index.ts';
import { SamizdatError } from '../errors.ts';
import type { Prekey, PrekeyBundle } from '../identity/index.ts';
import { HandshakeInitSchema, type HandshakeInit } from '../wire/gen/samizdat/v1/envelope_pb.ts';
import { decodeMessage, encodeMessage } from '../wire/index.ts';
import { assertHandshakeIdentity, signIdentityBinding, verifyIdentityBinding, type HandshakeIdentity } from './pqxdh-identity.ts';
import { sameBytes } from '../crypto/bytes.ts';

export type { HandshakeIdentity } from './pqxdh-identity.ts';

/** HKDF info prefix of SK (PQXDH's "info": protocol, curve, hash, KEM). */
const KDF_INFO = utf8('samizdat/v1/pqxdh/x25519-sha256-mlkem768');
/** First bytes of the hashed transcript. */
const TRANSCRIPT_LABEL = utf8('samizdat/v1/pqxdh/transcript');
/** PQXDH's F: 32 0xFF bytes, so the KDF input never starts like an X25519 output of another protocol. */
const F = new Uint8Array(32).fill(0xff);
/** HKDF salt: zeros of the hash length, as in PQXDH. */
const SALT = new Uint8Array(32);

/** Bytes of the agreed secret SK. */
export const HANDSHAKE_SECRET_LENGTH = 32;
/** Bytes of the associated data AD: four identity keys and a 32-byte transcript hash. */
export const HANDSHAKE_AD_LENGTH = 4 * 32 + 32;
/**
 * Largest HandshakeInit accepted: 2 KiB. The largest canonical one is 1,283 bytes (three 32-byte
 * keys, a 64-byte signature, a 1,088-byte ciphertext, four prekey ids of at most 5 bytes, and the
 * tags and lengths); the rest is room for a later field.
 */
export const MAX_HANDSHAKE_INIT_BYTES = 2048;

/** Which of the responder's prekeys a HandshakeInit (or a sealed envelope) names. */
export type PrekeyKind = 'signed-x25519' | 'signed-ml-kem' | 'one-time-x25519' | 'one-time-ml-kem';

/** The responder's private prekeys, found by kind and id; undefined when it does not hold one. */
export interface ResponderPrekeys {
  lookup(kind: PrekeyKind, id: number): PrivateKey | undefined;
}

export interface InitiatedHandshake {
  /** SK, 32 bytes: the root secret for the ratchet. */
  readonly sharedSecret: Uint8Array;
  /** AD, 160 bytes: associated data for the ratchet's messages. */
  readonly associatedData: Uint8Array;
  /** The serialized HandshakeInit to send with the first message. */
  readonly init: Uint8Array;
  /** SPK_B, the responder's signed X25519 prekey: the ratchet's first peer DH key. */
  readonly peerDhPublic: Uint8Array;
  /** PQSPK_B, the responder's signed ML-KEM prekey: the ratchet's first peer KEM key. */
  readonly peerKemPublic: Uint8Array;
}

export interface RespondedHandshake {
  readonly sharedSecret: Uint8Array;
  readonly associatedData: Uint8Array;
  /** IK_A, the initiator's Ed25519 identity (32 bytes), authenticated by the handshake. */
  readonly peerIdentity: Uint8Array;
  /** IKx_A, the initiator's X25519 identity (32 bytes). */
  readonly peerIdentityX25519: Uint8Array;
  /** SPK_B's private key: the ratchet's first own DH key. */
  readonly ownDhKey: PrivateKey;
  /** PQSPK_B's private key (the signed one, even when a one-time ML-KEM key was used). */
  readonly ownKemKey: PrivateKey;
  /** One-time prekeys this handshake consumed: the caller must delete them. */
  readonly usedOneTimePrekeys: { readonly x25519?: number; readonly mlKem?: number };
}

/** The public side of every key in the handshake, in the order of the transcript. */
interface Transcript {
  readonly identityA: Uint8Array;
  readonly identityXA: Uint8Array;
  readonly ephemeralA: Uint8Array;
  readonly identityB: Uint8Array;
  readonly identityXB: Uint8Array;
  readonly signedX25519: Prekey;
  readonly signedMlKem: Prekey;
  readonly oneTimeX25519: Prekey | undefined;
  readonly oneTimeMlKem: Prekey | undefined;
  readonly kemCiphertext: Uint8Array;
}

function optionalPrekey(prekey: Prekey | undefined): Uint8Array {
  return prekey === undefined ? new Uint8Array([0]) : concatBytes(new Uint8Array([1]), u32be(prekey.id), prekey.publicKey);
}

/** AD of the module comment. */
function associatedData(provider: CryptoProvider, t: Transcript): Uint8Array {
  const digest = provider.hash(
    'sha256',
    concatBytes(
      TRANSCRIPT_LABEL,
      t.identityA,
      t.identityXA,
      t.ephemeralA,
      t.identityB,
      t.identityXB,
      u32be(t.signedX25519.id),
      t.signedX25519.publicKey,
      u32be(t.signedMlKem.id),
      t.signedMlKem.publicKey,
      optionalPrekey(t.oneTimeX25519),
      optionalPrekey(t.oneTimeMlKem),
      t.kemCiphertext,
    ),
  );
  return concatBytes(t.identityA, t.identityB, t.identityXA, t.identityXB, digest);
}

/** SK of the module comment; wipes the DH outputs and the KEM secret. */
function deriveSecret(provider: CryptoProvider, secrets: readonly Uint8Array[], ad: Uint8Array): Uint8Array {
  const ikm = concatBytes(F, ...secrets);
  try {
    return provider.hkdf('sha256', ikm, SALT, concatBytes(KDF_INFO, ad), HANDSHAKE_SECRET_LENGTH);
  } finally {
    ikm.fill(0);
    for (const secret of secrets) secret.fill(0);
  }
}

function pickRandom(provider: CryptoProvider, list: readonly Prekey[]): Prekey | undefined {
  if (list.length === 0) return undefined;
  const r = provider.randomBytes(4);
  const index = new DataView(r.buffer, r.byteOffset, 4).getUint32(0) % list.length;
  return list[index];
}

/** INVALID_ARGUMENT unless `prekey` is a Prekey with a uint32 id and a `size`-byte public key. */
export function assertPrekey(name: string, prekey: unknown, size: number): asserts prekey is Prekey {
  const p = prekey as Partial<Prekey> | null | undefined;
  if (
    typeof p !== 'object' || p === null ||
    typeof p.id !== 'number' || !Number.isInteger(p.id) || p.id < 0 || p.id > 0xffffffff ||
    !(p.publicKey instanceof Uint8Array) || p.publicKey.length !== size
  ) {
    throw new SamizdatError('INVALID_ARGUMENT', `${name} must be a prekey with a ${size}-byte public key`);
  }
}

function assertBundle(bundle: unknown): asserts bundle is PrekeyBundle {
  const b = bundle as Partial<PrekeyBundle> | null | undefined;
  if (typeof b !== 'object' || b === null) throw new SamizdatError('INVALID_ARGUMENT', 'bundle must be a PrekeyBundle');
  for (const [name, value] of [['identityKey', b.identityKey], ['identityX25519', b.identityX25519]] as const) {
    if (!(value instanceof Uint8Array) || value.length !== 32) {
      throw new SamizdatError('INVALID_ARGUMENT', `bundle.${name} must be 32 bytes`);
    }
  }
  assertPrekey('bundle.signedX25519Prekey', b.signedX25519Prekey, SIZES.x25519PublicKey);
  assertPrekey('bundle.signedMlKemPrekey', b.signedMlKemPrekey, SIZES.mlKemPublicKey);
  if (!Array.isArray(b.oneTimeX25519Prekeys) || !Array.isArray(b.oneTimeMlKemPrekeys)) {
    throw new SamizdatError('INVALID_ARGUMENT', 'bundle one-time prekey lists must be arrays');
  }
  b.oneTimeX25519Prekeys.forEach((p, i) => assertPrekey(`bundle.oneTimeX25519Prekeys[${i}]`, p, SIZES.x25519PublicKey));
  b.oneTimeMlKemPrekeys.forEach((p, i) => assertPrekey(`bundle.oneTimeMlKemPrekeys[${i}]`, p, SIZES.mlKemPublicKey));
}

/**
 * Alice's side: a fresh handshake with the owner of `bundle` (already verified with
 * verifyPrekeyBundle). Uses a one-time prekey of each kind when the bundle offers one, picked at
 * random so concurrent initiators rarely collide. BAD_KEY if a bundle key is unusable.
 */
export function initiateHandshake(provider: CryptoProvider, own: HandshakeIdentity, bundle: PrekeyBundle): InitiatedHandshake {
  assertHandshakeIdentity('own', own);
  assertBundle(bundle);
  const oneTimeX25519 = pickRandom(provider, bundle.oneTimeX25519Prekeys);
  const oneTimeMlKem = pickRandom(provider, bundle.oneTimeMlKemPrekeys);
  const spk = bundle.signedX25519Prekey.publicKey;
  const ephemeral = provider.generateKey('x25519');

  const secrets = [
    provider.x25519(own.identityX25519, spk),
    provider.x25519(ephemeral, bundle.identityX25519),
    provider.x25519(ephemeral, spk),
  ];
  if (oneTimeX25519 !== undefined) secrets.push(provider.x25519(ephemeral, oneTimeX25519.publicKey));
  const kem = provider.mlKemEncapsulate((oneTimeMlKem ?? bundle.signedMlKemPrekey).publicKey);
  secrets.push(kem.sharedSecret);

  const init = encodeMessage(
    HandshakeInitSchema,
    create(HandshakeInitSchema, {
      identityKey: own.identity.publicKey,
      identityX25519: own.identityX25519.publicKey,
      identityBinding: signIdentityBinding(provider, own),
      ephemeralKey: ephemeral.publicKey,
      signedX25519PrekeyId: bundle.signedX25519Prekey.id,
      signedMlKemPrekeyId: bundle.signedMlKemPrekey.id,
      ...(oneTimeX25519 === undefined ? {} : { oneTimeX25519PrekeyId: oneTimeX25519.id }),
      ...(oneTimeMlKem === undefined ? {} : { oneTimeMlKemPrekeyId: oneTimeMlKem.id }),
      kemCiphertext: kem.ciphertext,
    }),
    { maxBytes: MAX_HANDSHAKE_INIT_BYTES },
  );
  const ad = associatedData(provider, {
    identityA: own.identity.publicKey,
    identityXA: own.identityX25519.publicKey,
    ephemeralA: ephemeral.publicKey,
    identityB: bundle.identityKey,
    identityXB: bundle.identityX25519,
    signedX25519: bundle.signedX25519Prekey,
    signedMlKem: bundle.signedMlKemPrekey,
    oneTimeX25519,
    oneTimeMlKem,
    kemCiphertext: kem.ciphertext,
  });
  return {
    sharedSecret: deriveSecret(provider, secrets, ad),
    associatedData: ad,
    init,
    peerDhPublic: spk.slice(),
    peerKemPublic: bundle.signedMlKemPrekey.publicKey.slice(),
  };
}

/** Parses a HandshakeInit strictly: canonical encoding, every field of its size. */
export function decodeHandshakeInit(bytes: Uint8Array): HandshakeInit {
  const init = decodeMessage(HandshakeInitSchema, bytes, { maxBytes: MAX_HANDSHAKE_INIT_BYTES });
  if (!sameBytes(encodeMessage(HandshakeInitSchema, init), bytes)) {
    throw new SamizdatError('MALFORMED', 'HandshakeInit is not in canonical form');
  }
  const sizes: [string, Uint8Array, number][] = [
    ['identity_key', init.identityKey, SIZES.ed25519PublicKey],
    ['identity_x25519', init.identityX25519, SIZES.x25519PublicKey],
    ['identity_binding', init.identityBinding, SIZES.ed25519Signature],
    ['ephemeral_key', init.ephemeralKey, SIZES.x25519PublicKey],
    ['kem_ciphertext', init.kemCiphertext, SIZES.mlKemCiphertext],
  ];
  for (const [name, value, size] of sizes) {
    if (value.length !== size) throw new SamizdatError('MALFORMED', `HandshakeInit ${name} must be ${size} bytes`);
  }
  return init;
}

const ALGORITHM_OF: Readonly<Record<PrekeyKind, PrivateKey['algorithm']>> = {
  'signed-x25519': 'x25519',
  'signed-ml-kem': 'ml-kem-768',
  'one-time-x25519': 'x25519',
  'one-time-ml-kem': 'ml-kem-768',
};

/**
 * Looks a prekey up; UNKNOWN_PREKEY when the owner does not hold it, INVALID_ARGUMENT when the
 * lookup answers with a key of the wrong algorithm (a bug in the caller's key store).
 */
export function requirePrekey<K extends PrekeyKind>(lookup: (kind: K, id: number) => PrivateKey | undefined, kind: K, id: number): PrivateKey {
  const key = lookup(kind, id);
  if (key === undefined) {
    throw new SamizdatError('UNKNOWN_PREKEY', `no ${kind} prekey with id ${id}`, { detail: { kind, id } });
  }
  if (typeof key !== 'object' || key === null || key.algorithm !== ALGORITHM_OF[kind]) {
    throw new SamizdatError('INVALID_ARGUMENT', `the ${kind} prekey lookup must return an ${ALGORITHM_OF[kind]} private key`);
  }
  return key;
}

/**
 * Bob's side: the secret and AD of the handshake in `init`. Errors: TOO_LARGE, MALFORMED (not a
 * canonical HandshakeInit with fields of the right sizes), BAD_SIGNATURE (the identity binding
 * does not verify), UNKNOWN_PREKEY (a prekey id Bob does not hold: rotated out, or a one-time key
 * already used), BAD_KEY (a low-order X25519 key). A tampered KEM ciphertext or ephemeral key is
 * not detected here: it gives a different secret, so the first message fails to decrypt.
 */
export function respondHandshake(
  provider: CryptoProvider,
  own: HandshakeIdentity,
  prekeys: ResponderPrekeys,
  init: Uint8Array,
): RespondedHandshake {
  assertHandshakeIdentity('own', own);
  if (typeof prekeys !== 'object' || prekeys === null || typeof prekeys.lookup !== 'function') {
    throw new SamizdatError('INVALID_ARGUMENT', 'prekeys must have a lookup function');
  }
  const msg = decodeHandshakeInit(init);
  if (!verifyIdentityBinding(provider, msg.identityKey, msg.identityX25519, msg.identityBinding)) {
    throw new SamizdatError('BAD_SIGNATURE', 'the initiator identity binding does not verify');
  }
  const lookup = (kind: PrekeyKind, id: number): PrivateKey => requirePrekey((k, i) => prekeys.lookup(k, i), kind, id);
  const spk = lookup('signed-x25519', msg.signedX25519PrekeyId);
  const pqspk = lookup('signed-ml-kem', msg.signedMlKemPrekeyId);
  const opk = msg.oneTimeX25519PrekeyId === undefined ? undefined : lookup('one-time-x25519', msg.oneTimeX25519PrekeyId);
  const opq = msg.oneTimeMlKemPrekeyId === undefined ? undefined : lookup('one-time-ml-kem', msg.oneTimeMlKemPrekeyId);

  const secrets = [
    provider.x25519(spk, msg.identityX25519),
    provider.x25519(own.identityX25519, msg.ephemeralKey),
    provider.x25519(spk, msg.ephemeralKey),
  ];
  if (opk !== undefined) secrets.push(provider.x25519(opk, msg.ephemeralKey));
  secrets.push(provider.mlKemDecapsulate(opq ?? pqspk, msg.kemCiphertext));

  const asPrekey = (key: PrivateKey | undefined, id: number | undefined): Prekey | undefined =>
    key === undefined || id === undefined ? undefined : { id, publicKey: key.publicKey };
  const ad = associatedData(provider, {
    identityA: msg.identityKey,
    identityXA: msg.identityX25519,
    ephemeralA: msg.ephemeralKey,
    identityB: own.identity.publicKey,
    identityXB: own.identityX25519.publicKey,
    signedX25519: { id: msg.signedX25519PrekeyId, publicKey: spk.publicKey },
    signedMlKem: { id: msg.signedMlKemPrekeyId, publicKey: pqspk.publicKey },
    oneTimeX25519: asPrekey(opk, msg.oneTimeX25519PrekeyId),
    oneTimeMlKem: asPrekey(opq, msg.oneTimeMlKemPrekeyId),
    kemCiphertext: msg.kemCiphertext,
  });
  const usedOneTimePrekeys: { x25519?: number; mlKem?: number } = {};
  if (msg.oneTimeX25519PrekeyId !== undefined) usedOneTimePrekeys.x25519 = msg.oneTimeX25519PrekeyId;
  if (msg.oneTimeMlKemPrekeyId !== undefined) usedOneTimePrekeys.mlKem = msg.oneTimeMlKemPrekeyId;
  return {
    sharedSecret: deriveSecret(provider, secrets, ad),
    associatedData: ad,
    peerIdentity: msg.identityKey.slice(),
    peerIdentityX25519: msg.identityX25519.slice(),
    ownDhKey: spk,
    ownKemKey: pqspk,
    usedOneTimePrekeys,
  };
}
