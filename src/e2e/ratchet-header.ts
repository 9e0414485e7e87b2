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
import { assertBytes, sameBytes } from '../crypto/bytes.ts';
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

/**
 * Parses a header plaintext (already authenticated); MALFORMED on a wrong length. The keys and
 * the ciphertext are views into `bytes` (the fresh output of the header's decryption, which
 * nobody else holds), not copies.
 */
export function parseHeader(bytes: Uint8Array): RatchetHeader {
  if (bytes.length !== HEADER_PLAINTEXT_LENGTH) {
    throw new SamizdatError('MALFORMED', `ratchet header must be ${HEADER_PLAINTEXT_LENGTH} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return {
    dhPublic: bytes.subarray(DH_AT, KEM_PUBLIC_AT),
    kemPublic: bytes.subarray(KEM_PUBLIC_AT, KEM_CIPHERTEXT_AT),
    kemCiphertext: bytes.subarray(KEM_CIPHERTEXT_AT, PN_AT),
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

/*
 * RatchetMessage's canonical encoding is fixed by its field lengths: field 1 (version, varint),
 * then the length-delimited fields 2, 3 and 4 (nonce, header, body) in field order, minimal
 * varints, empty fields left out (the version is never 0). These are the bytes protobuf-es's toBinary writes
 * (ratchet-codec.test.ts checks both ways against the generated RatchetMessageSchema); writing and
 * checking them directly saves a protobuf decode, a re-encode and a compare per message.
 */
const TAG_VERSION = (1 << 3) | 0;
const TAG_NONCE = (2 << 3) | 2;
const TAG_HEADER = (3 << 3) | 2;
const TAG_BODY = (4 << 3) | 2;

function varintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    n++;
  }
  return n;
}

function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[at++] = value;
  return at;
}

function fieldLength(bytes: Uint8Array): number {
  return bytes.length > 0 ? 1 + varintLength(bytes.length) + bytes.length : 0;
}

function writeBytesField(out: Uint8Array, at: number, tag: number, bytes: Uint8Array): number {
  if (bytes.length === 0) return at;
  out[at++] = tag;
  at = writeVarint(out, at, bytes.length);
  out.set(bytes, at);
  return at + bytes.length;
}

/** Serialises a ratchet message (the canonical protobuf RatchetMessage, see above). */
export function encodeRatchetMessage(message: RatchetWireMessage): Uint8Array {
  const out = new Uint8Array(
    1 + varintLength(RATCHET_VERSION) + fieldLength(message.nonce) + fieldLength(message.header) + fieldLength(message.body),
  );
  out[0] = TAG_VERSION;
  let at = writeVarint(out, 1, RATCHET_VERSION);
  at = writeBytesField(out, at, TAG_NONCE, message.nonce);
  at = writeBytesField(out, at, TAG_HEADER, message.header);
  writeBytesField(out, at, TAG_BODY, message.body);
  return out;
}

function varintBytes(value: number): number[] {
  const out = new Uint8Array(varintLength(value));
  writeVarint(out, 0, value);
  return [...out];
}

/** What precedes the nonce, and what precedes the encrypted header, in every canonical message. */
const NONCE_PREFIX = [TAG_VERSION, ...varintBytes(RATCHET_VERSION), TAG_NONCE, ...varintBytes(RATCHET_NONCE_LENGTH)];
const HEADER_PREFIX = [TAG_HEADER, ...varintBytes(ENCRYPTED_HEADER_LENGTH)];
/** The body's length is a varint of at most 3 bytes (MAX_RATCHET_MESSAGE_BYTES < 2^21). */
const MAX_BODY_VARINT_BYTES = varintLength(MAX_RATCHET_MESSAGE_BYTES);

function hasAt(bytes: Uint8Array, at: number, expected: readonly number[]): boolean {
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return false;
  return true;
}

/**
 * Reads `bytes` as the canonical encoding of a ratchet message of this version with a nonce and a
 * header of the right lengths and a body of at least a tag: its fields (views into `bytes`), or
 * undefined for anything else.
 */
function readCanonical(bytes: Uint8Array): RatchetWireMessage | undefined {
  if (!hasAt(bytes, 0, NONCE_PREFIX)) return undefined;
  const nonceAt = NONCE_PREFIX.length;
  let at = nonceAt + RATCHET_NONCE_LENGTH;
  if (!hasAt(bytes, at, HEADER_PREFIX)) return undefined;
  at += HEADER_PREFIX.length;
  const headerAt = at;
  at += ENCRYPTED_HEADER_LENGTH;
  if (bytes[at++] !== TAG_BODY) return undefined;
  let length = 0;
  let scale = 1;
  for (let size = 1; ; size++) {
    const b = bytes[at++];
    if (b === undefined || size > MAX_BODY_VARINT_BYTES) return undefined;
    length += (b & 0x7f) * scale;
    scale *= 0x80;
    if (b < 0x80) {
      if (size !== varintLength(length)) return undefined; // not minimal
      break;
    }
  }
  if (length < SIZES.aesTag || at + length !== bytes.length) return undefined;
  return {
    nonce: bytes.subarray(nonceAt, nonceAt + RATCHET_NONCE_LENGTH),
    header: bytes.subarray(headerAt, headerAt + ENCRYPTED_HEADER_LENGTH),
    body: bytes.subarray(at),
  };
}

/**
 * Parses untrusted bytes as a ratchet message: TOO_LARGE over MAX_RATCHET_MESSAGE_BYTES (checked
 * before parsing), MALFORMED for a bad encoding, an unknown version or a field of the wrong length.
 */
export function decodeRatchetMessage(bytes: Uint8Array): RatchetWireMessage {
  assertBytes('message', bytes);
  if (bytes.length <= MAX_RATCHET_MESSAGE_BYTES) {
    const message = readCanonical(bytes);
    if (message !== undefined) return message;
  }
  // Anything else goes through the generated decoder, which says what is wrong with it.
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
  // has exactly one valid encoding. (Every canonical message took the path above already.)
  if (!sameBytes(encodeRatchetMessage(message), bytes)) {
    throw new SamizdatError('MALFORMED', 'ratchet message is not in canonical form');
  }
  return message;
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
