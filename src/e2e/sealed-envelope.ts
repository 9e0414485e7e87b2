/**
 * Sealed envelopes (DESIGN.md §5 "Sealed sender"): the only thing a node stores in an inbox. The
 * envelope is encrypted to the recipient's current signed prekeys; who sent it is inside the
 * encryption, authenticated by a static-static Diffie-Hellman as in Signal's sealed sender v1.
 *
 * Layout (fixed, big-endian; every envelope is exactly one of ENVELOPE_SIZES bytes long):
 *
 *   version (1) = 1
 *   x25519 prekey id (4) || ml-kem prekey id (4)          the recipient's signed prekeys used
 *   kem ciphertext (1,120) = E (32) || ML-KEM ct (1,088)   hybrid KEM (src/crypto/hybrid-kem.ts)
 *   sealed sender (144)  = AES-256-GCM(K1, IK_S (32) || IKx_S (32) || binding (64))
 *   sealed content (rest) = AES-256-GCM(K2, padded content)
 *
 * The first 1,129 bytes are the header H. Keys (R the recipient, S the sender, SPK_R and PQSPK_R
 * the recipient's signed prekeys named in H):
 *
 *   ss       = HybridKEM(SPK_R || PQSPK_R)    binds both public keys and both ciphertexts
 *   CK || K1 = HKDF-SHA256(ikm = ss, salt = "", info = LABEL1 || IK_R || H[0..9], 64)
 *   K2       = HKDF-SHA256(ikm = DH(IKx_S, SPK_R), salt = CK,
 *                          info = LABEL2 || IK_R || IK_S || IKx_S || sealed sender, 32)
 *   AAD1 = IK_R || H;  AAD2 = IK_R || H || sealed sender
 *
 * Stage 1 (K1, from the ephemeral X25519 and the ML-KEM secret) hides the sender's identity; stage
 * 2 (K2) additionally needs DH(IKx_S, SPK_R), which only the holder of IKx_S (or of SPK_R) can
 * compute, so an envelope that opens was sent by the owner of IK_S: the identity binding (see
 * pqxdh-identity.ts) ties IKx_S to IK_S. The recipient's IK_R is in both AADs and both KDFs, so an
 * envelope made for another account fails to open. K1 and K2 each seal one message, so the AEAD
 * nonce is fixed (sealWithFreshKey). As in Signal, the recipient can make envelopes that seem to
 * come from anyone to itself (deniability), and whoever steals SPK_R can open envelopes sent to it
 * while the prekey lives and forge envelopes to R: prekeys rotate about every 12 hours.
 *
 * Content is padded to a bucket (padding.ts) chosen so that whole envelopes are one of
 * ENVELOPE_SIZES: a node learns only which size class a message falls in. Pure; no I/O.
 */
import {
  FRESH_KEY_OVERHEAD,
  HYBRID_CIPHERTEXT_LENGTH,
  SIZES,
  assertBytes,
  concatBytes,
  hybridDecapsulate,
  hybridEncapsulate,
  openWithFreshKey,
  sealWithFreshKey,
  u32be,
  utf8,
  type CryptoProvider,
  type HybridPrivateKey,
  type PrivateKey,
} from '../crypto/index.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import type { Prekey } from '../identity/index.ts';
import { MAX_MESSAGE_BODY_BYTES } from '../wire/index.ts';
import { padToBucket, unpadFromBucket } from './padding.ts';
import {
  IDENTITY_BINDING_LENGTH,
  assertHandshakeIdentity,
  signIdentityBinding,
  verifyIdentityBinding,
  type HandshakeIdentity,
} from './pqxdh-identity.ts';
import { assertPrekey, requirePrekey } from './pqxdh.ts';

/** The envelope format this code writes and reads (first byte). */
export const ENVELOPE_VERSION = 1;

const LABEL_SENDER = utf8('samizdat/v1/sealed-envelope/sender');
const LABEL_CONTENT = utf8('samizdat/v1/sealed-envelope/content');
const EMPTY = new Uint8Array(0);

const IDS_END = 1 + 4 + 4;
const HEADER_LENGTH = IDS_END + HYBRID_CIPHERTEXT_LENGTH; // 1,129
const SENDER_LENGTH = SIZES.ed25519PublicKey + SIZES.x25519PublicKey + IDENTITY_BINDING_LENGTH; // 128
const SEALED_SENDER_LENGTH = SENDER_LENGTH + FRESH_KEY_OVERHEAD; // 144

/** Bytes an envelope adds to its padded content: header, sealed sender and the content's tag (1,289). */
export const ENVELOPE_OVERHEAD = HEADER_LENGTH + SEALED_SENDER_LENGTH + FRESH_KEY_OVERHEAD;

/**
 * Largest envelope: MAX_MESSAGE_BODY_BYTES (64 KiB), the mailbox body limit, so every envelope can
 * be stored in an inbox as it is.
 */
export const MAX_ENVELOPE_BYTES = MAX_MESSAGE_BODY_BYTES;

/**
 * The only lengths an envelope may have: 2 KiB, 3.75 KiB, 6 KiB, 15.5 KiB and 64 KiB. Sized for
 * what they carry (ENVELOPE_OVERHEAD is 1,289 bytes; a ratchet message adds about 2,370 bytes to
 * its plaintext, a HandshakeInit about 1,300):
 *   2,048   small contents without a ratchet message (759 bytes of content);
 *   3,840   a message of an established session with a short text (2,551 bytes of content). It is
 *           256 bytes under the onion's 4 KiB bucket (src/onion/padding.ts), so the envelope and
 *           the StoreRequest around it (under 100 bytes) still travel in that bucket;
 *   6,144   a first (prekey) message with a short text (4,855 bytes of content);
 *   15,872  longer texts; 512 bytes under the onion's 16 KiB bucket;
 *   65,536  the mailbox body limit (MAX_ENVELOPE_BYTES), for the largest contents.
 */
export const ENVELOPE_SIZES: readonly number[] = [2_048, 3_840, 6_144, 15_872, MAX_ENVELOPE_BYTES];

/** The content buckets: each envelope size less ENVELOPE_OVERHEAD (759; 2,551; 4,855; 14,583; 64,247 bytes). */
const CONTENT_BUCKETS: readonly number[] = ENVELOPE_SIZES.map((size) => size - ENVELOPE_OVERHEAD);

/** Largest content `sealEnvelope` accepts: the largest bucket less the padding marker (64,246 bytes). */
export const MAX_ENVELOPE_CONTENT_BYTES = (CONTENT_BUCKETS[CONTENT_BUCKETS.length - 1] ?? 0) - 1;

export interface SealEnvelopeArgs {
  readonly sender: HandshakeIdentity;
  /** The recipient's Ed25519 identity public key (32 bytes), the key behind its Account ID. */
  readonly recipientIdentity: Uint8Array;
  /** The recipient's signed X25519 prekey, from its verified bundle. */
  readonly recipientX25519Prekey: Prekey;
  /** The recipient's signed ML-KEM-768 prekey, from its verified bundle. */
  readonly recipientMlKemPrekey: Prekey;
  /** At most MAX_ENVELOPE_CONTENT_BYTES (TOO_LARGE beyond). */
  readonly content: Uint8Array;
}

export interface OpenEnvelopeArgs {
  readonly recipient: HandshakeIdentity;
  /** The recipient's private signed prekeys by id; undefined when it does not hold one. */
  lookupPrekey(kind: 'signed-x25519' | 'signed-ml-kem', id: number): PrivateKey | undefined;
  readonly envelope: Uint8Array;
}

export interface OpenedEnvelope {
  /** The sender's Ed25519 identity (32 bytes), authenticated. */
  readonly senderIdentity: Uint8Array;
  /** The sender's X25519 identity (32 bytes), bound to senderIdentity. */
  readonly senderIdentityX25519: Uint8Array;
  readonly content: Uint8Array;
}

/** CK || K1 from the hybrid KEM secret. */
function stageOneKeys(provider: CryptoProvider, ss: Uint8Array, recipientIdentity: Uint8Array, header: Uint8Array) {
  const info = concatBytes(LABEL_SENDER, recipientIdentity, header.subarray(0, IDS_END));
  const okm = provider.hkdf('sha256', ss, EMPTY, info, 2 * SIZES.aesKey);
  ss.fill(0);
  return { chainKey: okm.subarray(0, SIZES.aesKey), senderKey: okm.subarray(SIZES.aesKey) };
}

/** K2 from the static-static DH, salted with CK. */
function stageTwoKey(
  provider: CryptoProvider,
  staticSecret: Uint8Array,
  chainKey: Uint8Array,
  recipientIdentity: Uint8Array,
  sender: Uint8Array,
  sealedSender: Uint8Array,
): Uint8Array {
  const info = concatBytes(LABEL_CONTENT, recipientIdentity, sender.subarray(0, SIZES.ed25519PublicKey + SIZES.x25519PublicKey), sealedSender);
  const key = provider.hkdf('sha256', staticSecret, chainKey, info, SIZES.aesKey);
  staticSecret.fill(0);
  return key;
}

/**
 * Seals `content` from `sender` to the recipient's signed prekeys. TOO_LARGE above
 * MAX_ENVELOPE_CONTENT_BYTES; BAD_KEY when a prekey is unusable; INVALID_ARGUMENT for bad arguments.
 * The result is exactly one of ENVELOPE_SIZES bytes long.
 */
export function sealEnvelope(provider: CryptoProvider, args: SealEnvelopeArgs): Uint8Array {
  if (typeof args !== 'object' || args === null) throw new SamizdatError('INVALID_ARGUMENT', 'args must be an object');
  assertHandshakeIdentity('args.sender', args.sender);
  assertBytes('args.recipientIdentity', args.recipientIdentity, SIZES.ed25519PublicKey);
  assertPrekey('args.recipientX25519Prekey', args.recipientX25519Prekey, SIZES.x25519PublicKey);
  assertPrekey('args.recipientMlKemPrekey', args.recipientMlKemPrekey, SIZES.mlKemPublicKey);
  assertBytes('args.content', args.content);
  if (args.content.length > MAX_ENVELOPE_CONTENT_BYTES) {
    throw new SamizdatError('TOO_LARGE', `envelope content exceeds ${MAX_ENVELOPE_CONTENT_BYTES} bytes`, {
      detail: { limit: MAX_ENVELOPE_CONTENT_BYTES, actual: args.content.length },
    });
  }
  const { sender, recipientIdentity, recipientX25519Prekey: spk, recipientMlKemPrekey: pqspk } = args;
  const padded = padToBucket(args.content, CONTENT_BUCKETS);

  const kem = hybridEncapsulate(provider, concatBytes(spk.publicKey, pqspk.publicKey));
  const header = concatBytes(new Uint8Array([ENVELOPE_VERSION]), u32be(spk.id), u32be(pqspk.id), kem.ciphertext);
  const { chainKey, senderKey } = stageOneKeys(provider, kem.sharedSecret, recipientIdentity, header);
  const senderBlock = concatBytes(sender.identity.publicKey, sender.identityX25519.publicKey, signIdentityBinding(provider, sender));
  const sealedSender = sealWithFreshKey(provider, senderKey, senderBlock, concatBytes(recipientIdentity, header));

  const staticSecret = provider.x25519(sender.identityX25519, spk.publicKey);
  const contentKey = stageTwoKey(provider, staticSecret, chainKey, recipientIdentity, senderBlock, sealedSender);
  const sealedContent = sealWithFreshKey(provider, contentKey, padded, concatBytes(recipientIdentity, header, sealedSender));
  chainKey.fill(0);
  senderKey.fill(0);
  contentKey.fill(0);
  return concatBytes(header, sealedSender, sealedContent);
}

/** Runs `fn`, turning a BAD_KEY (a low-order point someone put in the envelope) into DECRYPT_FAILED. */
function unopenable<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isSamizdatError(err, 'BAD_KEY')) throw new SamizdatError('DECRYPT_FAILED', 'envelope carries an unusable key', { cause: err });
    throw err;
  }
}

/**
 * Opens an envelope addressed to `recipient`. Errors: TOO_LARGE (over MAX_ENVELOPE_BYTES),
 * MALFORMED (not an envelope size, unknown version, bad padding), UNKNOWN_PREKEY (a prekey id the
 * recipient does not hold), DECRYPT_FAILED (tampered, made for another recipient or other keys,
 * or a sender who does not hold the X25519 key it claims), BAD_SIGNATURE (the sender's identity
 * binding does not verify).
 */
export function openEnvelope(provider: CryptoProvider, args: OpenEnvelopeArgs): OpenedEnvelope {
  if (typeof args !== 'object' || args === null) throw new SamizdatError('INVALID_ARGUMENT', 'args must be an object');
  assertHandshakeIdentity('args.recipient', args.recipient);
  if (typeof args.lookupPrekey !== 'function') throw new SamizdatError('INVALID_ARGUMENT', 'args.lookupPrekey must be a function');
  const { envelope } = args;
  assertBytes('args.envelope', envelope);
  if (envelope.length > MAX_ENVELOPE_BYTES) {
    throw new SamizdatError('TOO_LARGE', `envelope exceeds ${MAX_ENVELOPE_BYTES} bytes`, {
      detail: { limit: MAX_ENVELOPE_BYTES, actual: envelope.length },
    });
  }
  if (!ENVELOPE_SIZES.includes(envelope.length)) {
    throw new SamizdatError('MALFORMED', `an envelope of ${envelope.length} bytes is not one of the envelope sizes`);
  }
  if (envelope[0] !== ENVELOPE_VERSION) {
    throw new SamizdatError('MALFORMED', `unknown envelope version ${envelope[0] ?? 0}`);
  }
  const view = new DataView(envelope.buffer, envelope.byteOffset, envelope.length);
  const lookup = (kind: 'signed-x25519' | 'signed-ml-kem', id: number): PrivateKey | undefined => args.lookupPrekey(kind, id);
  const spk = requirePrekey(lookup, 'signed-x25519', view.getUint32(1));
  const pqspk = requirePrekey(lookup, 'signed-ml-kem', view.getUint32(5));

  const recipientIdentity = args.recipient.identity.publicKey;
  const header = envelope.subarray(0, HEADER_LENGTH);
  const sealedSender = envelope.subarray(HEADER_LENGTH, HEADER_LENGTH + SEALED_SENDER_LENGTH);
  const sealedContent = envelope.subarray(HEADER_LENGTH + SEALED_SENDER_LENGTH);

  const hybridKey: HybridPrivateKey = { x25519: spk, mlKem: pqspk, publicKey: concatBytes(spk.publicKey, pqspk.publicKey) };
  const ss = unopenable(() => hybridDecapsulate(provider, hybridKey, header.subarray(IDS_END)));
  const { chainKey, senderKey } = stageOneKeys(provider, ss, recipientIdentity, header);
  const senderBlock = openWithFreshKey(provider, senderKey, sealedSender, concatBytes(recipientIdentity, header));
  senderKey.fill(0);
  const senderIdentity = senderBlock.slice(0, SIZES.ed25519PublicKey);
  const senderIdentityX25519 = senderBlock.slice(SIZES.ed25519PublicKey, SIZES.ed25519PublicKey + SIZES.x25519PublicKey);
  const binding = senderBlock.subarray(SIZES.ed25519PublicKey + SIZES.x25519PublicKey);
  if (!verifyIdentityBinding(provider, senderIdentity, senderIdentityX25519, binding)) {
    throw new SamizdatError('BAD_SIGNATURE', 'the sender identity binding does not verify');
  }

  const staticSecret = unopenable(() => provider.x25519(spk, senderIdentityX25519));
  const contentKey = stageTwoKey(provider, staticSecret, chainKey, recipientIdentity, senderBlock, sealedSender);
  chainKey.fill(0);
  const padded = openWithFreshKey(provider, contentKey, sealedContent, concatBytes(recipientIdentity, header, sealedSender));
  contentKey.fill(0);
  return { senderIdentity, senderIdentityX25519, content: unpadFromBucket(padded, CONTENT_BUCKETS).slice() };
}
