import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import vectors from '../../test/vectors/bech32m.json' with { type: 'json' };
import { fromHex, toHex } from '../crypto/bytes.ts';
import { isSamizdatError } from '../errors.ts';
import { BECH32_CHARSET, bech32mDecode, bech32mEncode, bytesToWords, wordsToBytes } from './bech32m.ts';

test('BIP-350 valid strings decode and re-encode to the same text', () => {
  for (const text of vectors.valid) {
    const { prefix, words } = bech32mDecode(text);
    assert.equal(bech32mEncode(prefix, words), text.toLowerCase());
  }
});

test('BIP-350 invalid strings are rejected with a SamizdatError', () => {
  for (const { text, reason } of vectors.invalid) {
    assert.throws(() => bech32mDecode(text), (err) => isSamizdatError(err), reason);
  }
});

test('BIP-173 Bech32 strings fail the Bech32m checksum', () => {
  for (const text of vectors.bech32NotBech32m) {
    assert.throws(() => bech32mDecode(text), (err) => isSamizdatError(err, 'BAD_CHECKSUM'), text);
  }
});

test('BIP-350 SegWit v1+ addresses give their version and program', () => {
  for (const { address, version, program } of vectors.validSegwitV1Plus) {
    const { prefix, words } = bech32mDecode(address, 'bc');
    assert.equal(prefix, 'bc');
    assert.equal(words[0], version);
    assert.equal(toHex(wordsToBytes(words.subarray(1))), program);
    const again = new Uint8Array([version, ...bytesToWords(fromHex(program))]);
    assert.equal(bech32mEncode('bc', again), address.toLowerCase());
  }
});

test('an unexpected prefix is WRONG_PREFIX, checked before the checksum', () => {
  assert.throws(() => bech32mDecode('a1lqfn3a', 'sz'), (err) => isSamizdatError(err, 'WRONG_PREFIX'));
  assert.throws(() => bech32mDecode('a1lqfn3q', 'sz'), (err) => isSamizdatError(err, 'WRONG_PREFIX'));
});

test('encode refuses bad prefixes, non-5-bit words and over-long results', () => {
  for (const [prefix, words] of [
    ['', new Uint8Array(0)],
    ['a b', new Uint8Array(0)],
    ['abc', new Uint8Array([32])],
    ['abc', new Uint8Array(82)],
  ] as const) {
    assert.throws(() => bech32mEncode(prefix, words), (err) => isSamizdatError(err, 'INVALID_ARGUMENT'));
  }
});

test('property: decode(encode(prefix, words)) returns them', () => {
  const prefixChar = fc.integer({ min: 33, max: 126 }).map((c) => String.fromCharCode(c).toLowerCase());
  fc.assert(
    fc.property(
      fc.array(prefixChar, { minLength: 1, maxLength: 20 }).map((cs) => cs.join('')),
      fc.array(fc.integer({ min: 0, max: 31 }), { maxLength: 60 }).map((ws) => Uint8Array.from(ws)),
      (prefix, words) => {
        const decoded = bech32mDecode(bech32mEncode(prefix, words));
        assert.equal(decoded.prefix, prefix);
        assert.deepEqual(decoded.words, words);
      },
    ),
  );
});

test('property: bytes survive the 8-bit -> 5-bit -> 8-bit regrouping', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      assert.deepEqual(wordsToBytes(bytesToWords(bytes)), bytes);
    }),
  );
});

test('wordsToBytes refuses non-zero or over-long padding', () => {
  // 2 words = 10 bits = 1 byte + 2 padding bits, which must be zero.
  assert.deepEqual(wordsToBytes(new Uint8Array([31, 28])), new Uint8Array([0xff]));
  assert.throws(() => wordsToBytes(new Uint8Array([31, 29])), (err) => isSamizdatError(err, 'MALFORMED'));
  // 1 word = 5 bits of padding: not allowed.
  assert.throws(() => wordsToBytes(new Uint8Array([0])), (err) => isSamizdatError(err, 'MALFORMED'));
});

test('property: any text raises only SamizdatError', () => {
  const symbolText = fc.array(fc.constantFrom(...BECH32_CHARSET, '1'), { maxLength: 95 }).map((cs) => cs.join(''));
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 100 }), symbolText), (text) => {
      try {
        bech32mDecode(text);
      } catch (err) {
        assert.ok(isSamizdatError(err), String(err));
      }
    }),
  );
});
