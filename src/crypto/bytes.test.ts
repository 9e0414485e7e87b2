import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readUintBE, toHex, writeUintBE } from './bytes.ts';

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

describe('readUintBE and writeUintBE', () => {
  it('read back what they write, big-endian, for 1 to 6 bytes at any offset', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 4 }), fc.double({ min: 0, max: 1, noNaN: true }), (length, at, share) => {
        const value = Math.floor(share * (2 ** (8 * length) - 1));
        const bytes = new Uint8Array(at + length + 2).fill(0xee);
        writeUintBE(bytes, at, length, value);
        assert.equal(readUintBE(bytes, at, length), value);
        assert.equal(toHex(bytes.subarray(at, at + length)), value.toString(16).padStart(2 * length, '0'));
        assert.equal(bytes[at + length], 0xee);
      }),
      { numRuns: 500 },
    );
  });
});
