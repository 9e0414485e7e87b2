import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import vectors from '../../test/vectors/verification.json' with { type: 'json' };
import { nobleProvider, nodeProvider } from '../../test/support/providers.ts';
import { fromHex } from '../crypto/bytes.ts';
import { deriveAccountKeysFromSeed } from './account-keys.ts';
import {
  SAFETY_CODE_DIGITS,
  formatSafetyCode,
  normalizeSafetyCode,
  safetyCode,
  safetyCodeHalf,
  safetyCodesMatch,
  type SafetyCodeParty,
} from './safety-code.ts';
import { codeOf } from '../../test/support/error-code.ts';

const provider = nodeProvider;
const [A, B] = vectors.accounts.map((a) => ({ identityKey: fromHex(a.identityPublicKey), identityX25519: fromHex(a.identityX25519) }));
if (A === undefined || B === undefined) throw new Error('verification.json needs two accounts');

test('fixed vectors: halves and the code of the two identity.json accounts (computed independently in Python)', () => {
  assert.equal(safetyCodeHalf(provider, A), vectors.accounts[0]?.safetyCodeHalf);
  assert.equal(safetyCodeHalf(provider, B), vectors.accounts[1]?.safetyCodeHalf);
  assert.equal(safetyCode(provider, A, B), vectors.safetyCode);
  assert.equal(formatSafetyCode(vectors.safetyCode), vectors.safetyCodeDisplay);
  // The @noble provider's SHA-512 gives the same code.
  assert.equal(safetyCode(nobleProvider, B, A), vectors.safetyCode);
});

test('the vectors\' keys are the ones the recovery phrases derive', () => {
  const keys = deriveAccountKeysFromSeed(provider, fromHex('0cb254ec97147e5b8c016f1890d62b3eb201c8fa5bd4080031ee90a88be356fc'));
  assert.deepEqual(keys.identityPublicKey, A.identityKey);
  assert.deepEqual(keys.mailboxX25519.publicKey, A.identityX25519);
});

test('both sides compute the same code, 12 groups of 5 digits', () => {
  const parties = [1, 2].map(() => {
    const keys = deriveAccountKeysFromSeed(provider, provider.randomBytes(32));
    return { identityKey: keys.identityPublicKey, identityX25519: keys.mailboxX25519.publicKey };
  });
  const [alice, bob] = parties as [SafetyCodeParty, SafetyCodeParty];
  const code = safetyCode(provider, alice, bob);
  assert.equal(code, safetyCode(provider, bob, alice));
  assert.match(code, /^[0-9]{60}$/);
  assert.match(formatSafetyCode(code), /^[0-9]{5}( [0-9]{5}){11}$/);
});

test('changing any one of the four keys changes the code', () => {
  const base = safetyCode(provider, A, B);
  const flip = (key: Uint8Array, i: number): Uint8Array => {
    const out = Uint8Array.from(key);
    out[i] = (out[i] ?? 0) ^ 1;
    return out;
  };
  for (const i of [0, 31]) {
    assert.notEqual(safetyCode(provider, { ...A, identityKey: flip(A.identityKey, i) }, B), base, `A ed25519 byte ${i}`);
    assert.notEqual(safetyCode(provider, { ...A, identityX25519: flip(A.identityX25519, i) }, B), base, `A x25519 byte ${i}`);
    assert.notEqual(safetyCode(provider, A, { ...B, identityKey: flip(B.identityKey, i) }), base, `B ed25519 byte ${i}`);
    assert.notEqual(safetyCode(provider, A, { ...B, identityX25519: flip(B.identityX25519, i) }), base, `B x25519 byte ${i}`);
  }
  // Swapping a side's two keys is a different side, too.
  assert.notEqual(safetyCode(provider, { identityKey: A.identityX25519, identityX25519: A.identityKey }, B), base);
});

test('typed codes: white space is ignored; anything but 60 digits is MALFORMED', () => {
  const code = vectors.safetyCode;
  assert.equal(normalizeSafetyCode(`  ${vectors.safetyCodeDisplay.replaceAll(' ', '\n')} `), code);
  assert.ok(safetyCodesMatch(provider, code, vectors.safetyCodeDisplay));
  assert.ok(safetyCodesMatch(provider, vectors.safetyCodeDisplay, code.replace(/(.{20})/g, '$1  ')));
  const other = `${code.slice(0, 59)}${code.endsWith('0') ? '1' : '0'}`;
  assert.equal(safetyCodesMatch(provider, code, other), false);
  assert.equal(codeOf(() => normalizeSafetyCode(code.slice(1))), 'MALFORMED');
  assert.equal(codeOf(() => normalizeSafetyCode(`${code}1`)), 'MALFORMED');
  assert.equal(codeOf(() => normalizeSafetyCode(code.replace('1', 'l'))), 'MALFORMED');
  assert.equal(codeOf(() => normalizeSafetyCode(code.replace('1', '-'))), 'MALFORMED');
  assert.equal(codeOf(() => normalizeSafetyCode('')), 'MALFORMED');
  assert.equal(codeOf(() => safetyCodesMatch(provider, code, code.slice(5))), 'MALFORMED');
  assert.equal(codeOf(() => normalizeSafetyCode(42 as unknown as string)), 'INVALID_ARGUMENT');
  assert.equal(SAFETY_CODE_DIGITS, 60);
});

test('random text typed as a code raises only MALFORMED or matches', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 100 }), (text) => {
      const result = codeOf(() => safetyCodesMatch(provider, vectors.safetyCode, text));
      assert.ok(result === 'ok' || result === 'MALFORMED', result);
    }),
    { numRuns: 300 },
  );
});

test('bad keys are INVALID_ARGUMENT, naming the argument', () => {
  assert.equal(codeOf(() => safetyCode(provider, { ...A, identityKey: new Uint8Array(31) }, B)), 'INVALID_ARGUMENT');
  assert.equal(codeOf(() => safetyCode(provider, A, { ...B, identityX25519: new Uint8Array(33) })), 'INVALID_ARGUMENT');
  assert.equal(codeOf(() => safetyCode(provider, A, null as unknown as SafetyCodeParty)), 'INVALID_ARGUMENT');
  assert.throws(() => safetyCodeHalf(provider, { ...A, identityX25519: new Uint8Array(0) }), /party\.identityX25519/);
});
