/**
 * Total protobuf decoding: untrusted bytes either become a message or raise SamizdatError
 * MALFORMED / TOO_LARGE, never a library exception. Sizes are checked before parsing.
 */
import { fromBinary } from '@bufbuild/protobuf';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { assertBytes } from '../crypto/bytes.ts';
import { SamizdatError } from '../errors.ts';
import { MAX_FRAME_BYTES, MAX_MESSAGE_NESTING } from './limits.ts';
import { encodeTrailingBytes } from './trailing-bytes.ts';

export interface CodecOptions {
  /** Largest encoded message accepted, in bytes. Defaults to MAX_FRAME_BYTES. */
  readonly maxBytes?: number;
}

function checkSize(what: string, length: number, options: CodecOptions): void {
  const maxBytes = options.maxBytes ?? MAX_FRAME_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new SamizdatError('INVALID_ARGUMENT', 'maxBytes must be a non-negative integer');
  }
  if (length > maxBytes) {
    throw new SamizdatError('TOO_LARGE', `${what} of ${length} bytes exceeds the limit of ${maxBytes}`, {
      detail: { limit: maxBytes, actual: length },
    });
  }
}

/**
 * Parses `bytes` as a `schema` message. TOO_LARGE over `maxBytes` (checked first), MALFORMED
 * for anything the parser rejects. Unknown fields are dropped, so re-encoding a decoded message
 * never carries bytes a peer smuggled in. `bytes` fields are views into `bytes`.
 */
export function decodeMessage<Desc extends DescMessage>(
  schema: Desc,
  bytes: Uint8Array,
  options: CodecOptions = {},
): MessageShape<Desc> {
  assertBytes('bytes', bytes);
  checkSize(schema.typeName, bytes.length, options);
  try {
    return fromBinary(schema, bytes, { readUnknownFields: false, recursionLimit: MAX_MESSAGE_NESTING });
  } catch (err) {
    throw new SamizdatError('MALFORMED', `cannot decode ${schema.typeName}`, {
      cause: err,
      detail: { type: schema.typeName },
    });
  }
}

/** Serialises `message`; TOO_LARGE if the result exceeds `maxBytes`. */
export function encodeMessage<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  options: CodecOptions = {},
): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = encodeTrailingBytes(schema, message);
  } catch (err) {
    throw new SamizdatError('INVALID_ARGUMENT', `cannot encode ${schema.typeName}`, { cause: err });
  }
  checkSize(schema.typeName, bytes.length, options);
  return bytes;
}
