/**
 * Strict decoding of onion layers: the protobuf reader accepts some encodings of the same message
 * that differ in bytes (a field tag with another wire type, fields out of order, repeated scalar
 * fields). Layers must have exactly one encoding, so that a changed byte anywhere in a layer is
 * rejected at the hop that reads it: the bytes are decoded, and compared with the encoding of the
 * result (isEncodingOf: the large trailing field of a layer is compared in place, not copied). Pure.
 */
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { SamizdatError } from '../errors.ts';
import { readCanonicalBytesField } from '../wire/bytes-fields.ts';
import { BackwardBodySchema, SealedLayerSchema, type BackwardBody, type SealedLayer } from '../wire/gen/samizdat/v1/onion_pb.ts';
import { decodeMessage, isEncodingOf } from '../wire/index.ts';

/** decodeMessage, then MALFORMED unless `bytes` is the canonical encoding of the result. */
export function decodeCanonical<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array): MessageShape<Desc> {
  const message = decodeMessage(schema, bytes);
  let canonical: boolean;
  try {
    canonical = isEncodingOf(schema, message, bytes);
  } catch {
    canonical = false;
  }
  if (!canonical) throw new SamizdatError('MALFORMED', `non-canonical ${schema.typeName}`, { detail: { type: schema.typeName } });
  return message;
}

/**
 * decodeCanonical(SealedLayerSchema, bytes), read by hand when `bytes` is the canonical layout of
 * a layer with both fields set (every layer a hop or client reads): nonce, then sealed, nothing
 * else. Any other bytes take the general path, which accepts or rejects them as before.
 */
export function decodeSealedLayer(bytes: Uint8Array): SealedLayer {
  const nonce = readCanonicalBytesField(bytes, 0, 1);
  const sealed = nonce === undefined ? undefined : readCanonicalBytesField(bytes, nonce[1], 2);
  if (nonce !== undefined && sealed !== undefined && sealed[1] === bytes.length && nonce[0].length > 0 && sealed[0].length > 0) {
    return { $typeName: SealedLayerSchema.typeName, nonce: nonce[0], sealed: sealed[0] };
  }
  return decodeCanonical(SealedLayerSchema, bytes);
}

/** decodeCanonical(BackwardBodySchema, bytes), read by hand for an `inner` answer (the usual one). */
export function decodeBackwardBody(bytes: Uint8Array): BackwardBody {
  const inner = readCanonicalBytesField(bytes, 0, 1);
  if (inner !== undefined && inner[1] === bytes.length) {
    return { $typeName: BackwardBodySchema.typeName, body: { case: 'inner', value: inner[0] } };
  }
  return decodeCanonical(BackwardBodySchema, bytes);
}
