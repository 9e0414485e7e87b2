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
import {
  implicitBytesSize,
  implicitVarintSize,
  isUint32,
  lengthDelimitedSize,
  varintSize,
  writeBytesField,
  writeImplicitBytes,
  writeImplicitVarint,
  writeLengthDelimitedHeader,
} from '../wire/bytes-fields.ts';
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
/** The padding field: `padding` is field 15, the highest field number of both messages. */
const PADDING_FIELD = OnionRequestSchema.field.padding.number;

/** Bytes of a padding field holding `n` zeros (nothing for 0). */
function paddingFieldSize(n: number): number {
  return n === 0 ? 0 : lengthDelimitedSize(PADDING_FIELD, n);
}

/** The padding length that adds exactly `extra` bytes to a message, or undefined if none does. */
function paddingFor(extra: number): number | undefined {
  if (extra === 0) return 0;
  for (let lenBytes = 1; lenBytes <= 3; lenBytes++) {
    const n = extra - varintSize(PADDING_FIELD * 8 + 2) - lenBytes;
    if (n >= 0 && varintSize(n) === lenBytes) return n;
  }
  return undefined;
}

/**
 * How many padding bytes fill a message of `bareLength` bytes to its size class (0: it is exactly
 * a class size, or larger than every class, which cannot be hidden and is still sent). TOO_LARGE
 * past the frame.
 */
function paddingLength(bareLength: number, slack: number): number {
  const limit = MAX_FRAME_BYTES - SESSION_ENVELOPE_BYTES;
  for (const bucket of PADDING_BUCKETS) {
    const size = Math.min(bucket + slack, limit);
    if (size < bareLength) continue;
    const n = paddingFor(size - bareLength);
    if (n !== undefined) return n;
  }
  if (bareLength <= limit) return 0;
  throw new SamizdatError('TOO_LARGE', `an onion message of ${bareLength} bytes exceeds the frame`, {
    detail: { limit, actual: bareLength },
  });
}

/**
 * `bare` with a `padding` field appended: protobuf writes fields in field-number order, so this is
 * byte for byte what encoding the message with that padding gives (a test checks it), without
 * encoding the whole message a second time.
 */
function fill(bare: Uint8Array, slack: number): Uint8Array {
  const n = paddingLength(bare.length, slack);
  if (n === 0) return bare;
  const out = new Uint8Array(bare.length + paddingFieldSize(n)); // zero-filled
  out.set(bare, 0);
  writeLengthDelimitedHeader(out, bare.length, PADDING_FIELD, n);
  return out;
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

const EMPTY = new Uint8Array(0);
const TIMEOUT_FIELD = OnionRequestSchema.field.timeoutMs.number;

/** Whether a message (or init object) carries unknown fields, which only protobuf-es writes. */
function hasUnknown(value: object): boolean {
  const unknown = (value as { $unknown?: unknown }).$unknown;
  return Array.isArray(unknown) && unknown.length > 0;
}

/** A `bytes` value of an init object: a Uint8Array, or absent (empty); undefined for anything else. */
function bytesOf(value: unknown): Uint8Array | undefined {
  if (value === undefined) return EMPTY;
  return value instanceof Uint8Array ? value : undefined;
}

/**
 * The hand-written encoding of the requests every hop passes on (relay and deliver, bytes-fields.ts),
 * filled to its size class; undefined for any other shape, which goes through protobuf-es.
 */
function encodeHotRequest(init: MessageInitShape<typeof OnionRequestSchema>): Uint8Array | undefined {
  const { request } = init;
  if (request === undefined || (request.case !== 'relay' && request.case !== 'deliver') || hasUnknown(init)) return undefined;
  const value: object | undefined = request.value;
  if (value === undefined || hasUnknown(value)) return undefined;
  const timeoutMs = init.timeoutMs ?? 0;
  if (!isUint32(timeoutMs)) return undefined;
  // RelayData { circuit_id = 1; layer = 2 }, Deliver { layer = 1 }.
  const fields: [number, Uint8Array | undefined][] =
    request.case === 'relay'
      ? [
          [1, bytesOf((value as { circuitId?: unknown }).circuitId)],
          [2, bytesOf((value as { layer?: unknown }).layer)],
        ]
      : [[1, bytesOf((value as { layer?: unknown }).layer)]];
  let innerSize = 0;
  for (const [number, bytes] of fields) {
    if (bytes === undefined) return undefined;
    innerSize += implicitBytesSize(number, bytes);
  }
  const caseNumber = OnionRequestSchema.field[request.case].number;
  const bare = lengthDelimitedSize(caseNumber, innerSize) + implicitVarintSize(TIMEOUT_FIELD, timeoutMs);
  const n = paddingLength(bare, REQUEST_SIZE_SLACK);
  const out = new Uint8Array(bare + paddingFieldSize(n)); // zero-filled: the padding's content
  let at = writeLengthDelimitedHeader(out, 0, caseNumber, innerSize);
  for (const [number, bytes] of fields) at = writeImplicitBytes(out, at, number, bytes ?? EMPTY);
  at = writeImplicitVarint(out, at, TIMEOUT_FIELD, timeoutMs);
  if (n > 0) writeLengthDelimitedHeader(out, at, PADDING_FIELD, n);
  return out;
}

/** Encodes an OnionRequest filled to its size class. */
export function encodeOnionRequest(init: MessageInitShape<typeof OnionRequestSchema>): Uint8Array {
  const hot = encodeHotRequest(init);
  if (hot !== undefined) return hot;
  const message = create(OnionRequestSchema, init);
  message.padding = new Uint8Array(0);
  return fill(encodeBareRequest(message), message.request.case === 'create' ? CREATE_SIZE_SLACK : REQUEST_SIZE_SLACK);
}

/** The hand-written encoding of an answer carrying a layer (created, relayed, delivered), filled; else undefined. */
function encodeHotResponse(init: MessageInitShape<typeof OnionResponseSchema>): Uint8Array | undefined {
  const { response } = init;
  if (response === undefined || (response.case !== 'created' && response.case !== 'relayed' && response.case !== 'delivered') || hasUnknown(init)) {
    return undefined;
  }
  const value = bytesOf(response.value);
  if (value === undefined) return undefined;
  const caseNumber = OnionResponseSchema.field[response.case].number;
  const bare = lengthDelimitedSize(caseNumber, value.length); // a oneof member is written even when empty
  const n = paddingLength(bare, RESPONSE_SIZE_SLACK);
  const out = new Uint8Array(bare + paddingFieldSize(n));
  const at = writeBytesField(out, 0, caseNumber, value);
  if (n > 0) writeLengthDelimitedHeader(out, at, PADDING_FIELD, n);
  return out;
}

/** Encodes an OnionResponse filled to its size class. */
export function encodeOnionResponse(init: MessageInitShape<typeof OnionResponseSchema>): Uint8Array {
  const hot = encodeHotResponse(init);
  if (hot !== undefined) return hot;
  const message = create(OnionResponseSchema, init);
  message.padding = new Uint8Array(0);
  const bare = encodeMessage(OnionResponseSchema, message);
  return fill(bare, RESPONSE_SIZE_SLACK);
}
