import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BECH32_CHARSET, bech32mEncode, bytesToWords } from './bech32m.ts';
import {
  ACCOUNT_ID_LENGTH,
  ACCOUNT_ID_PREFIX,
  decodeAccountId,
  encodeAccountId,
  isAccountId,
  shortAccountId,
} from './account-id.ts';
import { codeOf } from '../../test/support/error-code.ts';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
const ID = encodeAccountId(KEY);

test('an Account ID is "sz1q" + 58 symbols and decodes to its key', () => {
  assert.equal(ID.length, ACCOUNT_ID_LENGTH);
  assert.ok(ID.startsWith(`${ACCOUNT_ID_PREFIX}1q`));
  assert.deepEqual(decodeAccountId(ID), KEY);
});

test('upper-case and surrounding whitespace are accepted; mixed case is not', () => {
  assert.deepEqual(decodeAccountId(ID.toUpperCase()), KEY);
  assert.deepEqual(decodeAccountId(`  \n${ID}\t `), KEY);
  const mixed = `${ID.slice(0, 10)}${ID.slice(10).toUpperCase()}`;
  assert.equal(codeOf(() => decodeAccountId(mixed)), 'MALFORMED');
});

test('every single-character substitution is rejected', () => {
  let checked = 0;
  let expectedCount = 0;
  for (let i = 0; i < ID.length; i++) {
    expectedCount += BECH32_CHARSET.includes(ID.charAt(i)) ? 31 : 32;
    for (const c of BECH32_CHARSET) {
      if (c === ID[i]) continue;
      const typo = `${ID.slice(0, i)}${c}${ID.slice(i + 1)}`;
      const code = codeOf(() => decodeAccountId(typo));
      const expected = i < 2 ? 'WRONG_PREFIX' : i === 2 ? 'MALFORMED' : 'BAD_CHECKSUM';
      assert.equal(code, expected, `position ${i}, symbol ${c}`);
      checked++;
    }
  }
  assert.equal(checked, expectedCount);
});

test('every swap of two adjacent different characters is rejected', () => {
  for (let i = 3; i + 1 < ID.length; i++) {
    if (ID[i] === ID[i + 1]) continue;
    const swapped = `${ID.slice(0, i)}${ID[i + 1] ?? ''}${ID[i] ?? ''}${ID.slice(i + 2)}`;
    assert.equal(codeOf(() => decodeAccountId(swapped)), 'BAD_CHECKSUM', `position ${i}`);
  }
});

test('a different prefix is WRONG_PREFIX', () => {
  const words = new Uint8Array([0, ...bytesToWords(KEY)]);
  assert.equal(codeOf(() => decodeAccountId(bech32mEncode('bc', words))), 'WRONG_PREFIX');
  assert.equal(codeOf(() => decodeAccountId(bech32mEncode('sx', words))), 'WRONG_PREFIX');
});

test('wrong version, wrong length and garbage are MALFORMED', () => {
  const v1 = bech32mEncode('sz', new Uint8Array([1, ...bytesToWords(KEY)]));
  assert.equal(codeOf(() => decodeAccountId(v1)), 'MALFORMED');
  const long = bech32mEncode('sz', new Uint8Array([0, ...bytesToWords(new Uint8Array(33))]));
  assert.equal(codeOf(() => decodeAccountId(long)), 'MALFORMED');
  const short = bech32mEncode('sz', new Uint8Array([0, ...bytesToWords(new Uint8Array(31))]));
  assert.equal(codeOf(() => decodeAccountId(short)), 'MALFORMED');
  assert.equal(codeOf(() => decodeAccountId(bech32mEncode('sz', new Uint8Array(0)))), 'MALFORMED');
  for (const text of ['', '   ', 'sz1', 'hello', `${ID}x`, ID.replace('q', 'b'), `${ID} ${ID}`]) {
    assert.notEqual(codeOf(() => decodeAccountId(text)), 'ok', JSON.stringify(text));
  }
});

test('encodeAccountId asserts a 32-byte key', () => {
  assert.equal(codeOf(() => encodeAccountId(new Uint8Array(31))), 'INVALID_ARGUMENT');
  assert.equal(codeOf(() => encodeAccountId('x' as unknown as Uint8Array)), 'INVALID_ARGUMENT');
});

test('property: decode(encode(key)) is the key', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
      const id = encodeAccountId(key);
      assert.equal(id.length, ACCOUNT_ID_LENGTH);
      assert.deepEqual(decodeAccountId(id), key);
      assert.ok(isAccountId(id.toUpperCase()));
    }),
  );
});

test('property: random text raises only SamizdatError', () => {
  const idLike = fc
    .array(fc.constantFrom(...BECH32_CHARSET), { minLength: 0, maxLength: 70 })
    .map((cs) => `sz1${cs.join('')}`);
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 80 }), idLike), (text) => {
      const code = codeOf(() => decodeAccountId(text));
      assert.equal(code === 'ok', isAccountId(text));
    }),
  );
});

test('isAccountId never throws and shortAccountId shows the head and the checksum', () => {
  assert.equal(isAccountId(42), false);
  assert.equal(isAccountId(ID), true);
  const short = shortAccountId(ID.toUpperCase());
  assert.equal(short, `${ID.slice(0, 10)}…${ID.slice(-6)}`);
  assert.equal(codeOf(() => shortAccountId('nope')), 'MALFORMED');
});
