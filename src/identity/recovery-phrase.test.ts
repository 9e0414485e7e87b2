import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { isSamizdatError } from '../errors.ts';
import {
  entropyToRecoveryPhrase,
  generateRecoveryPhrase,
  isValidRecoveryPhrase,
  normalizeRecoveryPhrase,
  RECOVERY_PHRASE_WORDS,
  recoveryPhraseToEntropy,
  recoveryPhraseToSeed,
} from './recovery-phrase.ts';

const provider = createNodeCryptoProvider();
const ZERO_PHRASE = `${'abandon '.repeat(23)}art`;
const entropy32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

function isBadPhrase(err: unknown): boolean {
  return isSamizdatError(err, 'BAD_PHRASE');
}

test('the BIP-39 vector: 32 zero bytes are "abandon" x 23 + "art"', () => {
  assert.equal(entropyToRecoveryPhrase(new Uint8Array(32)), ZERO_PHRASE);
  assert.deepEqual(recoveryPhraseToEntropy(ZERO_PHRASE), new Uint8Array(32));
});

test('generateRecoveryPhrase takes 32 bytes from the injected source', () => {
  const asked: number[] = [];
  const phrase = generateRecoveryPhrase((n) => {
    asked.push(n);
    return new Uint8Array(n).fill(0x7f);
  });
  assert.deepEqual(asked, [32]);
  assert.equal(phrase.split(' ').length, RECOVERY_PHRASE_WORDS);
  assert.deepEqual(recoveryPhraseToEntropy(phrase), new Uint8Array(32).fill(0x7f));
  const fresh = generateRecoveryPhrase((n) => provider.randomBytes(n));
  assert.ok(isValidRecoveryPhrase(fresh));
  assert.throws(() => generateRecoveryPhrase(() => new Uint8Array(16)), (err) => isSamizdatError(err, 'INVALID_ARGUMENT'));
});

test('typing variations normalize to the same phrase', () => {
  const words = ZERO_PHRASE.split(' ');
  const messy = `  ${words.map((w, i) => (i % 3 === 0 ? w.toUpperCase() : w)).join(' \t\n ')}\r\n`;
  assert.equal(normalizeRecoveryPhrase(messy), ZERO_PHRASE);
  assert.deepEqual(recoveryPhraseToEntropy(messy), new Uint8Array(32));
  // A compatibility form (fullwidth letters) folds to ASCII under NFKD.
  assert.equal(normalizeRecoveryPhrase('ＡＢＡＮＤＯＮ'), 'abandon');
});

test('a phrase with the wrong number of words is BAD_PHRASE naming the count', () => {
  const words = ZERO_PHRASE.split(' ');
  for (const count of [0, 1, 12, 23, 25, 48]) {
    const phrase = Array.from({ length: count }, (_, i) => words[i % 24]).join(' ');
    assert.throws(
      () => recoveryPhraseToEntropy(phrase),
      (err) => isBadPhrase(err) && (err as { detail: { actual?: number } }).detail.actual === count,
      `count ${count}`,
    );
  }
  assert.throws(() => recoveryPhraseToEntropy('word '.repeat(5000)), isBadPhrase);
});

test('an unknown word is BAD_PHRASE naming its position, not the word', () => {
  const words = ZERO_PHRASE.split(' ');
  words[6] = 'abandonn';
  assert.throws(
    () => recoveryPhraseToEntropy(words.join(' ')),
    (err) =>
      isBadPhrase(err) &&
      (err as Error).message.includes('word 7') &&
      !(err as Error).message.includes('abandonn') &&
      (err as { detail: { position?: number } }).detail.position === 7,
  );
});

test('a bad checksum is BAD_PHRASE', () => {
  assert.throws(() => recoveryPhraseToEntropy(`${'abandon '.repeat(23)}abandon`), isBadPhrase);
  assert.equal(isValidRecoveryPhrase(`${'abandon '.repeat(23)}abandon`), false);
  assert.equal(isValidRecoveryPhrase(null), false);
});

test('property: entropy -> phrase -> entropy', () => {
  fc.assert(
    fc.property(entropy32, (entropy) => {
      assert.deepEqual(recoveryPhraseToEntropy(entropyToRecoveryPhrase(entropy)), entropy);
    }),
  );
});

test('property: changing one word fails the checksum or gives a different seed', () => {
  let passed = 0;
  let runs = 0;
  fc.assert(
    fc.property(
      entropy32,
      fc.integer({ min: 0, max: 23 }),
      fc.integer({ min: 1, max: wordlist.length - 1 }),
      (entropy, position, shift) => {
        runs++;
        const words = entropyToRecoveryPhrase(entropy).split(' ');
        const original = wordlist.indexOf(words[position] ?? '');
        words[position] = wordlist[(original + shift) % wordlist.length] ?? '';
        const changed = words.join(' ');
        let seed: Uint8Array;
        try {
          seed = recoveryPhraseToSeed(provider, changed);
        } catch (err) {
          assert.ok(isBadPhrase(err));
          return;
        }
        // About 1 in 256 changes keeps a valid checksum (8 bits); then it must be another account.
        passed++;
        assert.notDeepEqual(seed, recoveryPhraseToSeed(provider, entropyToRecoveryPhrase(entropy)));
      },
    ),
    { numRuns: 2000 },
  );
  assert.ok(passed < runs / 50, `${passed} of ${runs} changed phrases passed the checksum`);
});

test('recoveryPhraseToSeed is deterministic and not the raw entropy', () => {
  const a = recoveryPhraseToSeed(provider, ZERO_PHRASE);
  const b = recoveryPhraseToSeed(provider, ZERO_PHRASE.toUpperCase());
  assert.deepEqual(a, b);
  assert.equal(a.length, 32);
  assert.notDeepEqual(a, new Uint8Array(32));
});
