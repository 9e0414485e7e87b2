/**
 * Strict decoding of onion layers: the protobuf reader accepts some encodings of the same message
 * that differ in bytes (a field tag with another wire type, fields out of order, repeated scalar
 * fields). Layers must have exactly one encoding, so that a changed byte anywhere in a layer is
 * rejected at the hop that reads it: the bytes are decoded, re-encoded and compared. Pure.
 */
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { SamizdatError } from '../errors.ts';
import { decodeMessage, encodeMessage } from '../wire/index.ts';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** decodeMessage, then MALFORMED unless `bytes` is the canonical encoding of the result. */
export function decodeCanonical<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array): MessageShape<Desc> {
  const message = decodeMessage(schema, bytes);
  if (!sameBytes(encodeMessage(schema, message), bytes)) {
    throw new SamizdatError('MALFORMED', `non-canonical ${schema.typeName}`, { detail: { type: schema.typeName } });
  }
  return message;
}
