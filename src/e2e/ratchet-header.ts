/**
 * The ratchet message on the wire and its encrypted header (ratchet-kdf.ts documents the keys,
 * nonce and associated data).
 *
 * Header plaintext, a fixed layout of 2,312 bytes (every message of a chain carries the same
 * keys and ciphertext, so whichever message arrives first can complete the ratchet turn):
 *   dh public key (32, X25519) || kem public key (1,184, ML-KEM-768 encapsulation key)
 *   || kem ciphertext (1,088, ML-KEM-768, to the peer's latest key)
 *   || previous chain length PN (u32be) || message number N (u32be)
 * A fixed length keeps the header size independent of the counters.
 *
 * Message: the protobuf RatchetMessage (ratchet.proto) with version, nonce, header, body. The
 * decoder checks the total size first (TOO_LARGE), then every field length and that the bytes
 * are the canonical encoding (MALFORMED).
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { assertBytes } from '../crypto/bytes.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { SIZES } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import { decodeMessage } from '../wire/codec.ts';
import { RatchetMessageSchema } from '../wire/gen/samizdat/v1/ratchet_pb.ts';
import { RATCHET_NONCE_LENGTH } from './ratchet-kdf.ts';
import { MAX_RATCHET_MESSAGE_BYTES, RATCHET_VERSION } from './ratchet-limits.ts';

const DH_AT = 0;
const KEM_PUBLIC_AT = DH_AT + SIZES.x25519PublicKey;
const KEM_CIPHERTEXT_AT = KEM_PUBLIC_AT + SIZES.mlKemPublicKey;
const PN_AT = KEM_CIPHERTEXT_AT + SIZES.mlKemCiphertext;
const N_AT = PN_AT + 4;

/** Length of the header plaintext: 2,312 bytes. */
export const HEADER_PLAINTEXT_LENGTH = N_AT + 4;
/** Length of the encrypted header: plaintext plus the AES-GCM tag, 2,328 bytes. */
export const ENCRYPTED_HEADER_LENGTH = HEADER_PLAINTEXT_LENGTH + SIZES.aesTag;

/** What a header says: who the sender is in this chain and where the message sits in it. */
export interface RatchetHeader {
  /** The sender's X25519 ratchet public key of this chain. */
  readonly dhPublic: Uint8Array;
  /** The sender's ML-KEM-768 public key of this chain (the next turn encapsulates to it). */
  readonly kemPublic: Uint8Array;
  /** The ML-KEM-768 ciphertext to the receiver's latest ML-KEM public key. */
  readonly kemCiphertext: Uint8Array;
  /** Length of the sender's previous sending chain (PN). */
  readonly previousCount: number;
  /** Number of this message in its chain (N). */
  readonly messageNumber: number;
}

/** The fixed-layout header plaintext. */
export function encodeHeader(header: RatchetHeader): Uint8Array {
  const out = new Uint8Array(HEADER_PLAINTEXT_LENGTH);
  out.set(header.dhPublic, DH_AT);
  out.set(header.kemPublic, KEM_PUBLIC_AT);
  out.set(header.kemCiphertext, KEM_CIPHERTEXT_AT);
  const view = new DataView(out.buffer);
  view.setUint32(PN_AT, header.previousCount);
  view.setUint32(N_AT, header.messageNumber);
  return out;
}

/** Parses a header plaintext (already authenticated); MALFORMED on a wrong length. */
export function parseHeader(bytes: Uint8Array): RatchetHeader {
  if (bytes.length !== HEADER_PLAINTEXT_LENGTH) {
    throw new SamizdatError('MALFORMED', `ratchet header must be ${HEADER_PLAINTEXT_LENGTH} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return {
    dhPublic: bytes.slice(DH_AT, KEM_PUBLIC_AT),
    kemPublic: bytes.slice(KEM_PUBLIC_AT, KEM_CIPHERTEXT_AT),
    kemCiphertext: bytes.slice(KEM_CIPHERTEXT_AT, PN_AT),
    previousCount: view.getUint32(PN_AT),
    messageNumber: view.getUint32(N_AT),
  };
}

/** A decoded ratchet message: fields checked for length, nothing decrypted yet. */
export interface RatchetWireMessage {
  readonly nonce: Uint8Array;
  readonly header: Uint8Array;
  readonly body: Uint8Array;
}

/** Serialises a ratchet message. */
export function encodeRatchetMessage(message: RatchetWireMessage): Uint8Array {
  return toBinary(
    RatchetMessageSchema,
    create(RatchetMessageSchema, { version: RATCHET_VERSION, nonce: message.nonce, header: message.header, body: message.body }),
  );
}

/**
 * Parses untrusted bytes as a ratchet message: TOO_LARGE over MAX_RATCHET_MESSAGE_BYTES (checked
 * before parsing), MALFORMED for a bad encoding, an unknown version or a field of the wrong length.
 */
export function decodeRatchetMessage(bytes: Uint8Array): RatchetWireMessage {
  assertBytes('message', bytes);
  const wire = decodeMessage(RatchetMessageSchema, bytes, { maxBytes: MAX_RATCHET_MESSAGE_BYTES });
  if (wire.version !== RATCHET_VERSION) {
    throw new SamizdatError('MALFORMED', `unknown ratchet message version ${wire.version}`, { detail: { version: wire.version } });
  }
  if (wire.nonce.length !== RATCHET_NONCE_LENGTH) throw new SamizdatError('MALFORMED', 'ratchet message nonce has the wrong length');
  if (wire.header.length !== ENCRYPTED_HEADER_LENGTH) throw new SamizdatError('MALFORMED', 'ratchet message header has the wrong length');
  if (wire.body.length < SIZES.aesTag) throw new SamizdatError('MALFORMED', 'ratchet message body is shorter than its tag');
  const message = { nonce: wire.nonce, header: wire.header, body: wire.body };
  // The parser is lenient (it accepts, for example, a varint field tagged with another wire
  // type); requiring the canonical encoding makes every byte of a message count, so a message
  // has exactly one valid encoding.
  if (!sameBytes(encodeRatchetMessage(message), bytes)) {
    throw new SamizdatError('MALFORMED', 'ratchet message is not in canonical form');
  }
  return message;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Opens an encrypted header with one candidate header key: the parsed header, or undefined when
 * it does not authenticate under this key (the caller tries the next key).
 */
export function tryOpenHeader(
  provider: CryptoProvider,
  headerKey: Uint8Array,
  message: RatchetWireMessage,
  aad: Uint8Array,
): RatchetHeader | undefined {
  let plain: Uint8Array;
  try {
    plain = provider.aesGcmOpen(headerKey, message.nonce, message.header, aad);
  } catch (err) {
    if (err instanceof SamizdatError && err.code === 'DECRYPT_FAILED') return undefined;
    throw err;
  }
  return parseHeader(plain);
}
