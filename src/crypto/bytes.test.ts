import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { toHex } from './bytes.ts';

describe('toHex', () => {
  it('writes what Buffer writes: two lower-case digits per byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        assert.equal(toHex(bytes), Buffer.from(bytes).toString('hex'));
      }),
      { numRuns: 500 },
    );
    assert.equal(toHex(Uint8Array.of(0, 9, 10, 15, 16, 255)), '00090a0f10ff');
  });
});
