/**
 * Padding buckets (README "Padding buckets"): a request or response is padded to the smallest
 * bucket that fits, ISO/IEC 7816-4 style (one 0x80 byte, then zeros), so a relay learns only the
 * bucket. Pure; no I/O.
 */
import { assertBytes } from '../crypto/index.ts';
import { SamizdatError } from '../errors.ts';
import { MAX_FRAME_BYTES } from '../wire/index.ts';

/**
 * Bucket sizes in bytes: 1 KiB, 4 KiB, 16 KiB, 64 KiB and 96 KiB - 8 KiB. The largest leaves
 * 8 KiB of the 96 KiB frame for the target layer's KEM ciphertext (1,120 bytes), the three relay
 * layers, the exit's target address and the protobuf and RPC framing around them.
 */
export const PADDING_BUCKETS: readonly number[] = [1_024, 4_096, 16_384, 65_536, MAX_FRAME_BYTES - 8_192];

/** The largest payload `pad` accepts: the largest bucket less the 0x80 marker. */
export const MAX_PADDED_PAYLOAD_BYTES = (PADDING_BUCKETS[PADDING_BUCKETS.length - 1] ?? 0) - 1;

/** The bucket a payload of `length` bytes is padded to; TOO_LARGE if none fits. */
export function bucketFor(length: number): number {
  for (const bucket of PADDING_BUCKETS) if (length + 1 <= bucket) return bucket;
  throw new SamizdatError('TOO_LARGE', `a payload of ${length} bytes fits no padding bucket`, {
    detail: { limit: MAX_PADDED_PAYLOAD_BYTES, actual: length },
  });
}

/**
 * A padded buffer for a payload of `length` bytes, its marker and zeros already in place: the
 * caller writes the payload at 0 (for payloads encoded straight into their bucket). TOO_LARGE as pad.
 */
export function paddedBuffer(length: number): Uint8Array {
  const out = new Uint8Array(bucketFor(length));
  out[length] = 0x80;
  return out;
}

/** `bytes` followed by 0x80 and zeros up to its bucket; TOO_LARGE over MAX_PADDED_PAYLOAD_BYTES. */
export function pad(bytes: Uint8Array): Uint8Array {
  assertBytes('bytes', bytes);
  const out = paddedBuffer(bytes.length);
  out.set(bytes);
  return out;
}

/**
 * The payload inside a padded buffer. MALFORMED unless the length is a bucket size and the
 * buffer ends with 0x80 followed only by zeros (strict: one encoding per payload).
 */
export function unpad(bytes: Uint8Array): Uint8Array {
  assertBytes('bytes', bytes);
  if (!PADDING_BUCKETS.includes(bytes.length)) {
    throw new SamizdatError('MALFORMED', `padded length ${bytes.length} is not a bucket size`);
  }
  let end = bytes.length - 1;
  while (end >= 0 && bytes[end] === 0) end -= 1;
  if (end < 0 || bytes[end] !== 0x80) throw new SamizdatError('MALFORMED', 'padding has no 0x80 marker');
  // A shorter payload would have fit a smaller bucket: the sender padded too much.
  if (bucketFor(end) !== bytes.length) throw new SamizdatError('MALFORMED', 'payload is padded beyond its bucket');
  return bytes.subarray(0, end);
}
