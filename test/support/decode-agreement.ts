/**
 * Helpers for the tests that check a hand-written reader against protobuf-es (src/onion and
 * src/wire): what a decoder gives or the error code it throws, and the inputs to try it on.
 */
import { isSamizdatError } from '../../src/errors.ts';

/** The decoded value, or the code of the SamizdatError thrown (any other error as it is). */
export function decodeOutcome(decode: () => unknown): unknown {
  try {
    return decode();
  } catch (err) {
    return isSamizdatError(err) ? err.code : err;
  }
}

/** An encoding, a prefix of it, one byte changed, one byte added, and unrelated bytes. */
export function byteVariants(encoded: Uint8Array, at: number, byte: number, noise: Uint8Array): Uint8Array[] {
  const changed = encoded.slice();
  if (changed.length > 0) changed[at % changed.length] = byte;
  return [encoded, encoded.subarray(0, at % (encoded.length + 1)), changed, Uint8Array.from([...encoded, byte]), noise];
}
