/**
 * SessionFrame { uint64 id = 1; bytes body = 2; ErrorReply error = 3 } on the hot path: every
 * request and answer of an RpcSession (rpc-session.ts) is one, at every hop of an onion path.
 * protobuf-es encodes and decodes by reflection; a frame with an id and a body is simple enough to
 * write and read by hand (bytes-fields.ts). Anything else (an error frame, an id past 2^48, a
 * layout other than the canonical one) goes through protobuf-es, so every input decodes exactly as
 * decodeMessage decodes it and every frame encodes exactly as toBinary does (tests compare).
 */
import { create } from '@bufbuild/protobuf';
import { decodeMessage, encodeMessage } from './codec.ts';
import { implicitBytesSize, readVarint, varintSize, writeImplicitBytes, writeVarint } from './bytes-fields.ts';
import { SessionFrameSchema, type ErrorReply, type SessionFrame } from './gen/samizdat/v1/frame_pb.ts';
import { SamizdatError } from '../errors.ts';

/** What a session writes: an id with a body, or with an error. */
export interface SessionFrameInit {
  readonly id: bigint;
  readonly body?: Uint8Array;
  readonly error?: ErrorReply;
}

const ID_TAG = (1 << 3) | 0; // field 1, varint
const BODY_TAG = (2 << 3) | 2; // field 2, length-delimited
const BODY_FIELD = 2;
/** Ids below this are read and written by hand (varints of at most 7 bytes). */
const FAST_ID_LIMIT = 2 ** 48;
const EMPTY = new Uint8Array(0);

/** The frame's encoding; TOO_LARGE over `maxBytes` (as encodeMessage). */
export function encodeSessionFrame(frame: SessionFrameInit, maxBytes: number): Uint8Array {
  return encodeWithPrefix(frame, maxBytes, false);
}

/**
 * The frame as a session sends it: its length as a varint (framing.ts), then its encoding, in
 * one buffer (a writer with one frame to send hands the stream this buffer as it is).
 */
export function encodeFramedSessionFrame(frame: SessionFrameInit, maxBytes: number): Uint8Array {
  return encodeWithPrefix(frame, maxBytes, true);
}

function encodeWithPrefix(frame: SessionFrameInit, maxBytes: number, prefixed: boolean): Uint8Array {
  const body = frame.body ?? EMPTY;
  if (frame.error !== undefined || frame.id < 0n || frame.id >= BigInt(FAST_ID_LIMIT)) {
    const encoded = encodeMessage(SessionFrameSchema, create(SessionFrameSchema, frame), { maxBytes });
    if (!prefixed) return encoded;
    const out = new Uint8Array(varintSize(encoded.length) + encoded.length);
    out.set(encoded, writeVarint(out, 0, encoded.length));
    return out;
  }
  const id = Number(frame.id);
  const size = (id === 0 ? 0 : 1 + varintSize(id)) + implicitBytesSize(BODY_FIELD, body);
  if (size > maxBytes) {
    throw new SamizdatError('TOO_LARGE', `${SessionFrameSchema.typeName} of ${size} bytes exceeds the limit of ${maxBytes}`, {
      detail: { limit: maxBytes, actual: size },
    });
  }
  const out = new Uint8Array((prefixed ? varintSize(size) : 0) + size);
  let at = prefixed ? writeVarint(out, 0, size) : 0;
  if (id !== 0) {
    out[at++] = ID_TAG;
    at = writeVarint(out, at, id);
  }
  writeImplicitBytes(out, at, BODY_FIELD, body);
  return out;
}

/** The frame in `bytes`, as decodeMessage(SessionFrameSchema, bytes, { maxBytes }) gives it. */
export function decodeSessionFrame(bytes: Uint8Array, maxBytes: number): SessionFrame {
  if (bytes.length <= maxBytes) {
    const fast = readIdAndBody(bytes);
    if (fast !== undefined) return fast;
  }
  return decodeMessage(SessionFrameSchema, bytes, { maxBytes });
}

/** The frame when `bytes` is [id field][body field], each optional, nothing else; else undefined. */
function readIdAndBody(bytes: Uint8Array): SessionFrame | undefined {
  let at = 0;
  let id = 0;
  if (bytes[at] === ID_TAG) {
    const read = readVarint(bytes, at + 1, 7, false);
    if (read === undefined) return undefined;
    [id, at] = read;
  }
  let body: Uint8Array = new Uint8Array(0);
  if (bytes[at] === BODY_TAG) {
    const read = readVarint(bytes, at + 1, 7, false);
    if (read === undefined) return undefined;
    const [length, start] = read;
    if (start + length > bytes.length) return undefined;
    body = bytes.subarray(start, start + length);
    at = start + length;
  }
  if (at !== bytes.length) return undefined;
  return { $typeName: SessionFrameSchema.typeName, id: BigInt(id), body };
}
