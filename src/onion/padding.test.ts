import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isSamizdatError } from '../errors.ts';
import { MAX_PADDED_PAYLOAD_BYTES, PADDING_BUCKETS, bucketFor, pad, unpad } from './padding.ts';

describe('padding buckets', () => {
  it('uses the buckets of the README', () => {
    assert.deepEqual(PADDING_BUCKETS, [1024, 4096, 16384, 65536, 98304 - 8192]);
  });

  it('pads to the smallest bucket that fits and round-trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_PADDED_PAYLOAD_BYTES }), fc.integer(), (n, seed) => {
        const bytes = new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);
        const padded = pad(bytes);
        assert.equal(padded.length, bucketFor(n));
        assert.ok(PADDING_BUCKETS.includes(padded.length));
        const smaller = PADDING_BUCKETS.filter((b) => b < padded.length);
        for (const b of smaller) assert.ok(b < n + 1);
        assert.deepEqual(unpad(padded), bytes);
      }),
      { numRuns: 200 },
    );
  });

  it('edges: 1023 bytes fit 1 KiB, 1024 need 4 KiB, too large is TOO_LARGE', () => {
    assert.equal(pad(new Uint8Array(1023)).length, 1024);
    assert.equal(pad(new Uint8Array(1024)).length, 4096);
    assert.equal(pad(new Uint8Array(MAX_PADDED_PAYLOAD_BYTES)).length, 90112);
    assert.throws(() => pad(new Uint8Array(MAX_PADDED_PAYLOAD_BYTES + 1)), (e) => isSamizdatError(e, 'TOO_LARGE'));
  });

  it('rejects non-bucket lengths, missing markers and over-padding as MALFORMED', () => {
    assert.throws(() => unpad(new Uint8Array(1000)), (e) => isSamizdatError(e, 'MALFORMED'));
    assert.throws(() => unpad(new Uint8Array(1024)), (e) => isSamizdatError(e, 'MALFORMED'));
    const overPadded = new Uint8Array(4096);
    overPadded[10] = 0x80;
    assert.throws(() => unpad(overPadded), (e) => isSamizdatError(e, 'MALFORMED'));
  });

  it('random bytes raise only SamizdatError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PADDING_BUCKETS, 0, 1, 1025), fc.integer({ min: 0, max: 255 }), fc.nat(), (n, fill, at) => {
        const bytes = new Uint8Array(n).fill(fill);
        if (n > 0) bytes[at % n] = 0x80;
        try {
          unpad(bytes);
        } catch (err) {
          assert.ok(isSamizdatError(err), String(err));
        }
      }),
      { numRuns: 100 },
    );
  });
});
