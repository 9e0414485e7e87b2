import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bucketFor, maxPaddedPayload, padToBucket, unpadFromBucket } from './padding.ts';
import { codeOf } from '../../test/support/error-code.ts';

const BUCKETS = [16, 64, 256];

test('a payload lands in the smallest bucket that holds it and its marker', () => {
  assert.equal(bucketFor(0, BUCKETS), 16);
  assert.equal(bucketFor(15, BUCKETS), 16);
  assert.equal(bucketFor(16, BUCKETS), 64);
  assert.equal(bucketFor(255, BUCKETS), 256);
  assert.equal(codeOf(() => bucketFor(256, BUCKETS)), 'TOO_LARGE');
  assert.equal(maxPaddedPayload(BUCKETS), 255);
  const padded = padToBucket(new Uint8Array([1, 2, 3]), BUCKETS);
  assert.deepEqual(padded, new Uint8Array([1, 2, 3, 0x80, ...new Uint8Array(12)]));
  assert.equal(codeOf(() => padToBucket(new Uint8Array(256), BUCKETS)), 'TOO_LARGE');
});

test('property: unpad(pad(x)) is x, and the padded length is a bucket', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 255 }), (payload) => {
      const padded = padToBucket(payload, BUCKETS);
      assert.ok(BUCKETS.includes(padded.length));
      assert.deepEqual(unpadFromBucket(padded, BUCKETS), payload);
    }),
    { numRuns: 300 },
  );
});

test('removal is strict: one padded form per payload', () => {
  const good = padToBucket(new Uint8Array([0x80, 0, 7]), BUCKETS);
  assert.deepEqual(unpadFromBucket(good, BUCKETS), new Uint8Array([0x80, 0, 7]));
  const notBucket = new Uint8Array(17);
  notBucket[0] = 0x80;
  assert.equal(codeOf(() => unpadFromBucket(notBucket, BUCKETS)), 'MALFORMED');
  assert.equal(codeOf(() => unpadFromBucket(new Uint8Array(16), BUCKETS)), 'MALFORMED'); // no marker
  const wrongMarker = good.slice();
  wrongMarker[3] = 0x81;
  assert.equal(codeOf(() => unpadFromBucket(wrongMarker, BUCKETS)), 'MALFORMED');
  const trailing = good.slice();
  trailing[15] = 1; // a non-zero byte after the marker: that byte reads as the marker position
  assert.equal(codeOf(() => unpadFromBucket(trailing, BUCKETS)), 'MALFORMED');
  // A 3-byte payload padded to 64 bytes would have fit 16.
  const overPadded = new Uint8Array(64);
  overPadded.set([1, 2, 3, 0x80]);
  assert.equal(codeOf(() => unpadFromBucket(overPadded, BUCKETS)), 'MALFORMED');
});

test('property: random bytes raise only SamizdatError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      codeOf(() => unpadFromBucket(bytes, BUCKETS));
    }),
    { numRuns: 300 },
  );
});

test('bad buckets and arguments are INVALID_ARGUMENT', () => {
  for (const buckets of [[], [0], [16, 16], [64, 16], [1.5]]) {
    assert.equal(codeOf(() => padToBucket(new Uint8Array(1), buckets)), 'INVALID_ARGUMENT', JSON.stringify(buckets));
  }
  assert.equal(codeOf(() => bucketFor(-1, BUCKETS)), 'INVALID_ARGUMENT');
  assert.equal(codeOf(() => padToBucket([1] as unknown as Uint8Array, BUCKETS)), 'INVALID_ARGUMENT');
});
