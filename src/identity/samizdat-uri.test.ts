import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import vectors from '../../test/vectors/verification.json' with { type: 'json' };
import { nobleProvider, nodeProvider } from '../../test/support/providers.ts';
import { fromHex, toHex } from '../crypto/bytes.ts';
import type { ErrorCode } from '../errors.ts';
import { encodeAccountId } from './account-id.ts';
import {
  MAX_SAMIZDAT_URI_CHARS,
  URI_FINGERPRINT_CHARS,
  base32Encode,
  encodeSamizdatUri,
  identityFingerprint,
  looksLikeSamizdatUri,
  parseSamizdatUri,
  uriMatchesKeys,
} from './samizdat-uri.ts';
import { codeOf } from '../../test/support/error-code.ts';

const provider = nodeProvider;
const accounts = vectors.accounts.map((a) => ({ ...a, ed: fromHex(a.identityPublicKey), x: fromHex(a.identityX25519) }));
const first = accounts[0];
if (first === undefined) throw new Error('verification.json needs an account');
const URI = first.uri;

test('fixed vectors: fingerprint and URI (computed independently in Python), both providers', () => {
  for (const a of accounts) {
    for (const p of [nodeProvider, nobleProvider]) {
      assert.equal(toHex(identityFingerprint(p, a.ed, a.x)), a.fingerprint);
      assert.equal(encodeSamizdatUri(p, a.ed, a.x), a.uri);
    }
    const parsed = parseSamizdatUri(a.uri);
    assert.equal(parsed.accountId, a.accountId);
    assert.deepEqual(parsed.identityKey, a.ed);
    assert.equal(toHex(parsed.fingerprint), a.fingerprint);
    assert.ok(uriMatchesKeys(provider, parsed, a.x));
  }
});

test('base32 is RFC 4648 (its test vectors, lower case, unpadded)', () => {
  const cases: [string, string][] = [['', ''], ['f', 'my'], ['fo', 'mzxq'], ['foo', 'mzxw6'], ['foob', 'mzxw6yq'], ['fooba', 'mzxw6ytb'], ['foobar', 'mzxw6ytboi']];
  for (const [text, encoded] of cases) assert.equal(base32Encode(new TextEncoder().encode(text)), encoded);
});

test('a URI names the keys: another X25519 key does not match the fingerprint', () => {
  const [a, b] = accounts;
  assert.ok(a !== undefined && b !== undefined);
  assert.equal(uriMatchesKeys(provider, parseSamizdatUri(a.uri), b.x), false);
  const swapped = `samizdat:${a.accountId}?fp=${b.uri.split('fp=')[1] ?? ''}`;
  assert.equal(uriMatchesKeys(provider, parseSamizdatUri(swapped), a.x), false);
});

test('lenient where readers differ: case, white space around, extra parameters', () => {
  const expected = parseSamizdatUri(URI);
  assert.deepEqual(parseSamizdatUri(URI.toUpperCase()), expected);
  assert.deepEqual(parseSamizdatUri(`SAMIZDAT:${URI.slice(9)}`), expected);
  assert.deepEqual(parseSamizdatUri(`  ${URI}\n`), expected);
  assert.deepEqual(parseSamizdatUri(`${URI}&v=2&name=x`), expected);
  assert.deepEqual(parseSamizdatUri(URI.replace('?fp=', '?new=1&FP=')), expected);
  assert.ok(looksLikeSamizdatUri(' Samizdat:x'));
  assert.equal(looksLikeSamizdatUri(first.accountId), false);
  assert.equal(looksLikeSamizdatUri(7), false);
});

test('bad input: the Account ID keeps its decoder code, everything else is MALFORMED', () => {
  const id = first.accountId;
  const fp = URI.split('fp=')[1] ?? '';
  const typo = `${id.slice(0, 20)}${id[20] === 'q' ? 'p' : 'q'}${id.slice(21)}`;
  const cases: [string, ErrorCode][] = [
    [`samizdat:${typo}?fp=${fp}`, 'BAD_CHECKSUM'],
    ['samizdat:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4?fp=' + fp, 'WRONG_PREFIX'],
    [`samizdat:?fp=${fp}`, 'MALFORMED'],
    [`samizdat:${id.slice(0, 40)}?fp=${fp}`, 'BAD_CHECKSUM'], // the decoder's code for a cut ID
    [id, 'MALFORMED'],
    [`${id}?fp=${fp}`, 'MALFORMED'],
    [`https:${id}?fp=${fp}`, 'MALFORMED'],
    [`samizdat://${id}?fp=${fp}`, 'MALFORMED'],
    [`samizdat:${id}`, 'MALFORMED'],
    [`samizdat:${id}?`, 'MALFORMED'],
    [`samizdat:${id}?fp`, 'MALFORMED'],
    [`samizdat:${id}?fp=`, 'MALFORMED'],
    [`samizdat:${id}?v=1`, 'MALFORMED'],
    [`samizdat:${id}?fp=${fp}&fp=${fp}`, 'MALFORMED'],
    [`samizdat:${id}?fp=${fp.slice(1)}`, 'MALFORMED'],
    [`samizdat:${id}?fp=${fp}a`, 'MALFORMED'],
    [`samizdat:${id}?fp=${fp.slice(0, -1)}1`, 'MALFORMED'],
    [`samizdat:${id}?fp=${fp.slice(0, -1)}7`, 'MALFORMED'], // unused trailing bits set: not canonical
    [`samizdat:${id}?fp=${fp}#x`, 'MALFORMED'],
    [`samizdat:${id} ?fp=${fp}`, 'MALFORMED'],
    [`samizdat:${id}?fp=${fp}&${'x'.repeat(MAX_SAMIZDAT_URI_CHARS)}=1`, 'MALFORMED'],
    ['', 'MALFORMED'],
  ];
  for (const [text, code] of cases) assert.equal(codeOf(() => parseSamizdatUri(text)), code, text);
  assert.equal(codeOf(() => parseSamizdatUri(undefined as unknown as string)), 'INVALID_ARGUMENT');
  assert.equal(fp.length, URI_FINGERPRINT_CHARS);
});

test('property: encode then parse gives back the Account ID and the fingerprint', () => {
  const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
  fc.assert(
    fc.property(key, key, (ed, x) => {
      const uri = encodeSamizdatUri(provider, ed, x);
      const parsed = parseSamizdatUri(uri);
      assert.equal(parsed.accountId, encodeAccountId(ed));
      assert.deepEqual(parsed.fingerprint, identityFingerprint(provider, ed, x));
      assert.ok(uriMatchesKeys(provider, parsed, x));
    }),
    { numRuns: 200 },
  );
});

test('property: random strings raise only SamizdatError (never a crash)', () => {
  const prefixed = fc.string({ maxLength: 200 }).map((s) => `samizdat:${s}`);
  const nearMiss = fc.tuple(fc.nat({ max: URI.length - 1 }), fc.string({ minLength: 1, maxLength: 3 })).map(([i, s]) => `${URI.slice(0, i)}${s}${URI.slice(i + 1)}`);
  // Random bytes read as UTF-8 reach far code points without fc's 'binary' unit (slow to set up).
  const unicode = fc.uint8Array({ maxLength: 200 }).map((b) => `samizdat:${new TextDecoder().decode(b)}`);
  for (const texts of [fc.string({ maxLength: 200 }), prefixed, nearMiss, unicode]) {
    fc.assert(
      fc.property(texts, (text) => {
        const result = codeOf(() => parseSamizdatUri(text));
        assert.ok(['ok', 'MALFORMED', 'BAD_CHECKSUM', 'WRONG_PREFIX'].includes(result), result);
      }),
      { numRuns: 300 },
    );
  }
});
