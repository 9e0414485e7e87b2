import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isSamizdatError } from '../errors.ts';
import { counterOf, nonceOf } from './relay-layer.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const MAX = (1n << 96n) - 1n;

describe('relay layer nonces: 96-bit big-endian counters', () => {
  it('nonceOf writes the counter big-endian, and counterOf reads it back', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX }), (counter) => {
        const nonce = nonceOf(counter);
        assert.equal(hex(nonce), counter.toString(16).padStart(24, '0'));
        assert.equal(counterOf(nonce), counter);
      }),
      { numRuns: 1_000 },
    );
  });

  it('carries across the 32-bit words and the 48-bit halves, and reads a nonce inside a larger buffer', () => {
    assert.equal(hex(nonceOf(0xffffffffn + 1n)), '000000000000000100000000');
    assert.equal(hex(nonceOf((1n << 48n) - 1n)), '000000000000ffffffffffff');
    assert.equal(hex(nonceOf(1n << 48n)), '000000000001000000000000');
    assert.equal(counterOf(nonceOf((1n << 48n) - 1n)), (1n << 48n) - 1n);
    assert.equal(counterOf(nonceOf((1n << 96n) - (1n << 48n))), (1n << 96n) - (1n << 48n));
    assert.equal(hex(nonceOf((1n << 64n) - 1n + 1n)), '000000010000000000000000');
    assert.equal(hex(nonceOf(MAX)), 'ff'.repeat(12));
    const buffer = new Uint8Array(20).fill(0xee);
    buffer.set(nonceOf(0x0102030405060708090a0b0cn), 5);
    assert.equal(counterOf(buffer.subarray(5, 17)), 0x0102030405060708090a0b0cn);
  });

  it('counterOf refuses anything but 12 bytes', () => {
    for (const length of [0, 11, 13]) {
      assert.throws(() => counterOf(new Uint8Array(length)), (err: unknown) => isSamizdatError(err));
    }
  });
});
