/**
 * Size classes for onion RPC messages. Each hop strips or adds a layer, so unpadded messages would
 * shrink on the way in and grow on the way back, telling a relay how far it is from the client.
 * Every OnionRequest and OnionResponse is therefore filled (its `padding` field, zeros: the link
 * is encrypted) up to a size class: a padding bucket plus a fixed slack larger than all onion
 * overhead. Every hop of a circuit then sees the same size for the same message. Pure.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { SamizdatError } from '../errors.ts';
import { OnionRequestSchema, OnionResponseSchema, type OnionRequest } from '../wire/gen/samizdat/v1/onion_pb.ts';
import { concatBytes } from '../crypto/index.ts';
import { MAX_FRAME_BYTES, encodeMessage, lengthDelimitedPrefix } from '../wire/index.ts';
import { PADDING_BUCKETS } from './padding.ts';

/**
 * Create slack: above the guard's create onion (three KEM ciphertexts of 1,120 bytes, keys,
 * addresses: about 3.7 KiB). A create is told apart from other requests by its kind anyway, so
 * it has its own classes and the frequent requests do not carry its overhead.
 */
export const CREATE_SIZE_SLACK = 4_096;
/**
 * Slack of every other request: above an opening target layer (a KEM ciphertext, its key ID,
 * clock and tag: about 1.2 KiB), the exit's target address and three relay layers. A request to
 * the guard with a 1 KiB payload and a one-address target is 1,364 bytes over its bucket.
 */
export const REQUEST_SIZE_SLACK = 1_536;
/** Response slack: a target answer grows by a tag, three relay layers and framing (~200 bytes). */
export const RESPONSE_SIZE_SLACK = 512;

/** Frame room kept for the RPC session envelope around an onion message. */
const SESSION_ENVELOPE_BYTES = 64;
const PADDING_TAG_BYTES = 1;
/** Field 15, wire type 2 (length-delimited): (15 << 3) | 2. */
const PADDING_TAG = (15 << 3) | 2;

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    len += 1;
  }
  return len;
}

/** The padding length that adds exactly `extra` bytes to a message, or undefined if none does. */
function paddingFor(extra: number): number | undefined {
  if (extra === 0) return 0;
  for (let lenBytes = 1; lenBytes <= 3; lenBytes++) {
    const n = extra - PADDING_TAG_BYTES - lenBytes;
    if (n >= 0 && varintLength(n) === lenBytes) return n;
  }
  return undefined;
}

/**
 * `bare` with a `padding` field of `n` zero bytes appended. `padding` is field 15, the highest
 * field number of both messages, and protobuf writes fields in field-number order, so this is
 * byte for byte what encoding the message with that padding gives (a test checks it), without
 * encoding the whole message a second time.
 */
function withPadding(bare: Uint8Array, n: number): Uint8Array {
  const lengthBytes = varintLength(n);
  const out = new Uint8Array(bare.length + PADDING_TAG_BYTES + lengthBytes + n); // zero-filled
  out.set(bare, 0);
  let at = bare.length;
  out[at++] = PADDING_TAG;
  for (let v = n; ; ) {
    if (v < 0x80) {
      out[at++] = v;
      break;
    }
    out[at++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 0x80);
  }
  return out;
}

function fill(bare: Uint8Array, slack: number): Uint8Array {
  const limit = MAX_FRAME_BYTES - SESSION_ENVELOPE_BYTES;
  for (const bucket of PADDING_BUCKETS) {
    const size = Math.min(bucket + slack, limit);
    if (size < bare.length) continue;
    const n = paddingFor(size - bare.length);
    if (n === undefined) continue;
    return n === 0 ? bare : withPadding(bare, n);
  }
  if (bare.length <= limit) return bare; // larger than every class: cannot hide it, still send
  throw new SamizdatError('TOO_LARGE', `an onion message of ${bare.length} bytes exceeds the frame`, {
    detail: { limit, actual: bare.length },
  });
}

/**
 * The request without padding. Its oneof `request` (fields 1-4, carrying the large layer) comes
 * before timeout_ms (14), and protobuf writes fields in number order; so the encoding is the
 * request field (tag, length, the submessage, itself encoded with its layer appended in one copy)
 * followed by the encoding of the rest. Identical bytes (message-size.test.ts), without toBinary
 * growing a buffer through the whole layer.
 */
function encodeBareRequest(message: OnionRequest): Uint8Array {
  const { request } = message;
  const field = request.case === undefined ? undefined : OnionRequestSchema.field[request.case];
  if (request.case === undefined || field?.fieldKind !== 'message') return encodeMessage(OnionRequestSchema, message);
  const inner = encodeMessage(field.message, request.value);
  const rest = encodeMessage(OnionRequestSchema, { ...message, request: { case: undefined } });
  return concatBytes(lengthDelimitedPrefix(field.number, inner.length), inner, rest);
}

/** Encodes an OnionRequest filled to its size class. */
export function encodeOnionRequest(init: MessageInitShape<typeof OnionRequestSchema>): Uint8Array {
  const message = create(OnionRequestSchema, init);
  message.padding = new Uint8Array(0);
  return fill(encodeBareRequest(message), message.request.case === 'create' ? CREATE_SIZE_SLACK : REQUEST_SIZE_SLACK);
}

/** Encodes an OnionResponse filled to its size class. */
export function encodeOnionResponse(init: MessageInitShape<typeof OnionResponseSchema>): Uint8Array {
  const message = create(OnionResponseSchema, init);
  message.padding = new Uint8Array(0);
  const bare = encodeMessage(OnionResponseSchema, message);
  return fill(bare, RESPONSE_SIZE_SLACK);
}
