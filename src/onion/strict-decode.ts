/**
 * Strict decoding of onion layers: the protobuf reader accepts some encodings of the same message
 * that differ in bytes (a field tag with another wire type, fields out of order, repeated scalar
 * fields). Layers must have exactly one encoding, so that a changed byte anywhere in a layer is
 * rejected at the hop that reads it: the bytes are decoded, re-encoded and compared. Pure.
 */
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { SamizdatError } from '../errors.ts';
import { decodeMessage, encodeMessage } from '../wire/index.ts';

/** Byte equality (native memcmp; the bytes are public wire data, so no constant-time need). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/** decodeMessage, then MALFORMED unless `bytes` is the canonical encoding of the result. */
export function decodeCanonical<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array): MessageShape<Desc> {
  const message = decodeMessage(schema, bytes);
  if (!sameBytes(encodeMessage(schema, message), bytes)) {
    throw new SamizdatError('MALFORMED', `non-canonical ${schema.typeName}`, { detail: { type: schema.typeName } });
  }
  return message;
}
