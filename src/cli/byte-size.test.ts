import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isSamizdatError } from '../errors.ts';
import { parseByteSize } from './byte-size.ts';

describe('parseByteSize', () => {
  it('reads bytes and binary units', () => {
    assert.equal(parseByteSize('1048576', '--x', 1), 1_048_576);
    assert.equal(parseByteSize('500M', '--x', 1), 500 * 2 ** 20);
    assert.equal(parseByteSize('8G', '--x', 1), 8 * 2 ** 30);
    assert.equal(parseByteSize('8GiB', '--x', 1), 8 * 2 ** 30);
    assert.equal(parseByteSize('8gb', '--x', 1), 8 * 2 ** 30);
    assert.equal(parseByteSize(' 2 T ', '--x', 1), 2 * 2 ** 40);
    assert.equal(parseByteSize('64k', '--x', 1), 65_536);
    assert.equal(parseByteSize('64Mi', '--x', 1), 64 * 2 ** 20);
    assert.equal(parseByteSize('4096B', '--x', 1), 4096);
  });

  it('refuses anything else with USAGE naming the flag', () => {
    for (const bad of ['', 'G', '-1G', '1.5G', '8X', '8 GB extra', '0x10', '99999999999999999', '9999999999T', '1e9', '8ib', '8i', '8BB']) {
      assert.throws(() => parseByteSize(bad, '--max-storage', 1), (e) => isSamizdatError(e, 'USAGE') && e.message.includes('--max-storage'), bad);
    }
    assert.throws(() => parseByteSize('1023K', '--max-storage', 2 ** 20), (e) => isSamizdatError(e, 'USAGE'));
  });

  it('either answers a safe integer at or above the minimum or throws USAGE (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), (text) => {
        try {
          const n = parseByteSize(text, '--x', 1024);
          assert.ok(Number.isSafeInteger(n) && n >= 1024);
        } catch (err) {
          assert.ok(isSamizdatError(err, 'USAGE'));
        }
      }),
    );
  });
});
