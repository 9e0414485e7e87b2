/**
 * Strict decoding of onion layers: the protobuf reader accepts some encodings of the same message
 * that differ in bytes (a field tag with another wire type, fields out of order, repeated scalar
 * fields). Layers must have exactly one encoding, so that a changed byte anywhere in a layer is
 * rejected at the hop that reads it: the bytes are decoded, and compared with the encoding of the
 * result (isEncodingOf: the large trailing field of a layer is compared in place, not copied). Pure.
 */
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { SamizdatError } from '../errors.ts';
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
