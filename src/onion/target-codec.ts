/**
 * The target layer's messages on the hot path, written and read by hand (src/wire/bytes-fields.ts):
 * the client seals a TargetRequestBody into a TargetLayer for every request, the target opens both
 * and answers with a TargetResponseBody, the client opens that. protobuf-es does this by
 * reflection, and strictly (decode, re-encode, compare) where a layer is read. Here the usual
 * shapes are written in one buffer (the request and answer bodies straight into their padding
 * bucket) and read when they are in their canonical layout; every other input goes to
 * decodeCanonical, which accepts or rejects it as before. The output is what toBinary and pad give,
 * and the readers agree with decodeCanonical on every input (target-codec.test.ts). Pure.
 */
import {
  encodeBytesMessage,
  implicitBytesSize,
  implicitVarintSize,
  lengthDelimitedSize,
  readCanonicalBytesField,
  readCanonicalVarintField,
  writeBytesField,
  writeImplicitBytes,
  writeImplicitVarint,
} from '../wire/bytes-fields.ts';
import {
  TargetLayerSchema,
  TargetRequestBodySchema,
  TargetResponseBodySchema,
  type TargetLayer,
  type TargetRequestBody,
  type TargetResponseBody,
} from '../wire/gen/samizdat/v1/onion_pb.ts';
import { paddedBuffer } from './padding.ts';
import { decodeCanonical } from './strict-decode.ts';

/** Counters and clocks below this are written and read by hand (varints of at most 7 bytes). */
const FAST_LIMIT = 2 ** 48;

// TargetLayer { key_id = 1; kem_ciphertext = 2; sealed = 3; session_id = 4; uint64 counter = 5 }
const KEY_ID = 1;
const KEM_CIPHERTEXT = 2;
const SEALED = 3;
const SESSION_ID = 4;
const COUNTER = 5;
// TargetRequestBody { uint64 sent_at_ms = 1; bytes request = 2 }
const SENT_AT = 1;
const REQUEST = 2;
// TargetResponseBody { oneof body { bytes answer = 1; ErrorReply error = 2 } }
const ANSWER = 1;

/** pad(encode(TargetRequestBody{sentAtMs, request})): the body written into its bucket. TOO_LARGE as pad. */
export function encodeRequestBodyPadded(request: Uint8Array, sentAtMs: number): Uint8Array {
  const size = implicitVarintSize(SENT_AT, sentAtMs) + implicitBytesSize(REQUEST, request);
  const out = paddedBuffer(size);
  writeImplicitBytes(out, writeImplicitVarint(out, 0, SENT_AT, sentAtMs), REQUEST, request);
  return out;
}

/** pad(encode(TargetResponseBody{answer})). TOO_LARGE as pad. */
export function encodeAnswerPadded(answer: Uint8Array): Uint8Array {
  const size = lengthDelimitedSize(ANSWER, answer.length); // a oneof member is written even when empty
  const out = paddedBuffer(size);
  writeBytesField(out, 0, ANSWER, answer);
  return out;
}

/** encode(TargetLayer) of the opening form (key_id, kem_ciphertext, sealed). */
export function encodeOpeningLayer(keyId: Uint8Array, kemCiphertext: Uint8Array, sealed: Uint8Array): Uint8Array {
  return encodeBytesMessage([
    [KEY_ID, keyId],
    [KEM_CIPHERTEXT, kemCiphertext],
    [SEALED, sealed],
  ]);
}

/** encode(TargetLayer) of the session form (sealed, session_id, counter); counter below 2^48. */
export function encodeSessionLayer(sessionId: Uint8Array, counter: bigint, sealed: Uint8Array): Uint8Array | undefined {
  if (counter < 0n || counter >= BigInt(FAST_LIMIT)) return undefined;
  const n = Number(counter);
  const out = new Uint8Array(implicitBytesSize(SEALED, sealed) + implicitBytesSize(SESSION_ID, sessionId) + implicitVarintSize(COUNTER, n));
  writeImplicitVarint(out, writeImplicitBytes(out, writeImplicitBytes(out, 0, SEALED, sealed), SESSION_ID, sessionId), COUNTER, n);
  return out;
}

const EMPTY = (): Uint8Array<ArrayBuffer> => new Uint8Array(0);

/** decodeCanonical(TargetLayerSchema, bytes), read by hand for either form with all its fields set. */
export function decodeTargetLayer(bytes: Uint8Array): TargetLayer {
  const sealed = readCanonicalBytesField(bytes, 0, SEALED);
  const sessionId = sealed === undefined ? undefined : readCanonicalBytesField(bytes, sealed[1], SESSION_ID);
  const counter = sessionId === undefined ? undefined : readCanonicalVarintField(bytes, sessionId[1], COUNTER);
  if (sealed !== undefined && sessionId !== undefined && counter !== undefined && counter[1] === bytes.length && sealed[0].length > 0 && sessionId[0].length > 0) {
    return { $typeName: TargetLayerSchema.typeName, keyId: EMPTY(), kemCiphertext: EMPTY(), sealed: sealed[0], sessionId: sessionId[0], counter: BigInt(counter[0]) };
  }
  const keyId = readCanonicalBytesField(bytes, 0, KEY_ID);
  const kem = keyId === undefined ? undefined : readCanonicalBytesField(bytes, keyId[1], KEM_CIPHERTEXT);
  const opening = kem === undefined ? undefined : readCanonicalBytesField(bytes, kem[1], SEALED);
  if (keyId !== undefined && kem !== undefined && opening !== undefined && opening[1] === bytes.length && keyId[0].length > 0 && kem[0].length > 0 && opening[0].length > 0) {
    return { $typeName: TargetLayerSchema.typeName, keyId: keyId[0], kemCiphertext: kem[0], sealed: opening[0], sessionId: EMPTY(), counter: 0n };
  }
  return decodeCanonical(TargetLayerSchema, bytes);
}

/** decodeCanonical(TargetRequestBodySchema, bytes), read by hand when the request is not empty. */
export function decodeRequestBody(bytes: Uint8Array): TargetRequestBody {
  const sentAt = readCanonicalVarintField(bytes, 0, SENT_AT);
  const request = readCanonicalBytesField(bytes, sentAt?.[1] ?? 0, REQUEST);
  if (request !== undefined && request[1] === bytes.length && request[0].length > 0) {
    return { $typeName: TargetRequestBodySchema.typeName, sentAtMs: BigInt(sentAt?.[0] ?? 0), request: request[0] };
  }
  return decodeCanonical(TargetRequestBodySchema, bytes);
}

/** decodeCanonical(TargetResponseBodySchema, bytes), read by hand for an answer. */
export function decodeResponseBody(bytes: Uint8Array): TargetResponseBody {
  const answer = readCanonicalBytesField(bytes, 0, ANSWER);
  if (answer !== undefined && answer[1] === bytes.length) {
    return { $typeName: TargetResponseBodySchema.typeName, body: { case: 'answer', value: answer[0] } };
  }
  return decodeCanonical(TargetResponseBodySchema, bytes);
}
