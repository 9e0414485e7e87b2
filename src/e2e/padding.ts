/**
 * Plaintext padding to size buckets, so a sealed envelope shows only which bucket its content
 * falls in. ISO/IEC 7816-4 style: the payload, one 0x80 byte, then zeros up to the bucket. Removal
 * is strict, so every payload has exactly one padded form: the length must be a bucket, the
 * padding must be 0x80 then only zeros, and the payload must not have fitted a smaller bucket.
 * Pure; no I/O.
 */
import { assertBytes } from '../crypto/index.ts';
import { SamizdatError } from '../errors.ts';

/** The 0x80 marker that ends every payload. */
const MARKER = 0x80;

function assertBuckets(buckets: readonly number[]): void {
  const list: unknown = buckets;
  if (!Array.isArray(list) || list.length === 0) {
    throw new SamizdatError('INVALID_ARGUMENT', 'buckets must be a non-empty array');
  }
  let previous = 0;
  for (const bucket of buckets) {
    if (!Number.isSafeInteger(bucket) || bucket <= previous) {
      throw new SamizdatError('INVALID_ARGUMENT', 'buckets must be positive integers in increasing order');
    }
    previous = bucket;
  }
}

/** The largest payload that `buckets` can hold: the largest bucket less the marker. */
export function maxPaddedPayload(buckets: readonly number[]): number {
  assertBuckets(buckets);
  return (buckets[buckets.length - 1] ?? 0) - 1;
}

/** The smallest bucket that holds a payload of `length` bytes and its marker; TOO_LARGE if none does. */
export function bucketFor(length: number, buckets: readonly number[]): number {
  assertBuckets(buckets);
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new SamizdatError('INVALID_ARGUMENT', 'length must be a non-negative integer');
  }
  for (const bucket of buckets) if (length + 1 <= bucket) return bucket;
  throw new SamizdatError('TOO_LARGE', `a payload of ${length} bytes fits no padding bucket`, {
    detail: { limit: maxPaddedPayload(buckets), actual: length },
  });
}

/** `payload`, then 0x80 and zeros up to its bucket. TOO_LARGE past the largest bucket. */
export function padToBucket(payload: Uint8Array, buckets: readonly number[]): Uint8Array {
  assertBytes('payload', payload);
  const out = new Uint8Array(bucketFor(payload.length, buckets));
  out.set(payload);
  out[payload.length] = MARKER;
  return out;
}

/**
 * The payload inside a padded buffer (a view into it). MALFORMED unless the length is one of
 * `buckets`, the buffer ends with 0x80 followed only by zeros, and the payload would not have fit
 * a smaller bucket.
 */
export function unpadFromBucket(padded: Uint8Array, buckets: readonly number[]): Uint8Array {
  assertBytes('padded', padded);
  assertBuckets(buckets);
  if (!buckets.includes(padded.length)) {
    throw new SamizdatError('MALFORMED', `padded length ${padded.length} is not a bucket size`);
  }
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  if (end < 0 || padded[end] !== MARKER) throw new SamizdatError('MALFORMED', 'padding has no 0x80 marker');
  if (bucketFor(end, buckets) !== padded.length) {
    throw new SamizdatError('MALFORMED', 'payload is padded beyond its bucket');
  }
  return padded.subarray(0, end);
}
