/**
 * The recovery phrase: 24 words of the BIP-39 English list encoding 32 bytes of entropy plus an
 * 8-bit checksum (BIP-39 layout, via @scure/bip39). The phrase is the whole account secret.
 *
 * Phrase -> seed (deterministic; the only route from words to keys):
 *   entropy = the 32 bytes the 24 words encode (BIP-39 decoding, checksum checked)
 *   seed    = HKDF-SHA256(ikm = entropy, salt = "samizdat/v1/recovery-seed", info = "", L = 32)
 *
 * We deliberately do NOT use the BIP-39 PBKDF2 seed (mnemonicToSeed): 256 bits of entropy need no
 * stretching; all key derivation stays behind the CryptoProvider; there is no BIP-39 passphrase
 * (a mistyped passphrase would silently open a different, empty account); and keys depend on the
 * entropy, not on how the words were typed. So a Samizdat phrase is not a wallet phrase: the same
 * words in a wallet give unrelated keys, and the reverse.
 */
import { entropyToMnemonic, mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import type { CryptoProvider } from '../crypto/provider.ts';
import { assertBytes, utf8 } from '../crypto/bytes.ts';
import { SamizdatError } from '../errors.ts';

/** Words in a recovery phrase (BIP-39 with 256-bit entropy). Shorter phrases are refused. */
export const RECOVERY_PHRASE_WORDS = 24;
/** Entropy bytes a phrase encodes. */
export const RECOVERY_ENTROPY_BYTES = 32;
/** Bytes of the account seed derived from a phrase. */
export const ACCOUNT_SEED_BYTES = 32;
/** Longest phrase text we look at (24 words of at most 8 letters, generous spacing). */
export const MAX_RECOVERY_PHRASE_CHARS = 1024;

const SEED_SALT = 'samizdat/v1/recovery-seed';
const WORD_INDEX = new Map<string, number>(wordlist.map((word, i) => [word, i]));

/** Canonical form of a typed phrase: NFKD, lower-case, single spaces, no outer whitespace. */
export function normalizeRecoveryPhrase(phrase: string): string {
  if (typeof phrase !== 'string') throw new SamizdatError('INVALID_ARGUMENT', 'phrase must be a string');
  if (phrase.length > MAX_RECOVERY_PHRASE_CHARS) {
    throw new SamizdatError('BAD_PHRASE', `a recovery phrase is ${RECOVERY_PHRASE_WORDS} words; this text is far longer`);
  }
  const words = phrase.normalize('NFKD').toLowerCase().trim().split(/\s+/u);
  return words.join(' ');
}

/** The 24-word phrase that encodes `entropy` (32 bytes). */
export function entropyToRecoveryPhrase(entropy: Uint8Array): string {
  assertBytes('entropy', entropy, RECOVERY_ENTROPY_BYTES);
  return entropyToMnemonic(entropy, wordlist);
}

/** A new phrase from 32 bytes of `randomBytes` (pass `provider.randomBytes`). */
export function generateRecoveryPhrase(randomBytes: (length: number) => Uint8Array): string {
  if (typeof randomBytes !== 'function') {
    throw new SamizdatError('INVALID_ARGUMENT', 'randomBytes must be a function');
  }
  const entropy = randomBytes(RECOVERY_ENTROPY_BYTES);
  assertBytes('randomBytes result', entropy, RECOVERY_ENTROPY_BYTES);
  return entropyToRecoveryPhrase(entropy);
}

/**
 * The 32 bytes of entropy a phrase encodes. BAD_PHRASE, with a message fit for the user, when the
 * phrase does not have 24 words, a word is not in the list (its position is named, not the word,
 * so the message is safe to log), or the checksum fails (some word is mistyped).
 */
export function recoveryPhraseToEntropy(phrase: string): Uint8Array {
  const normalized = normalizeRecoveryPhrase(phrase);
  const words = normalized === '' ? [] : normalized.split(' ');
  if (words.length !== RECOVERY_PHRASE_WORDS) {
    throw new SamizdatError(
      'BAD_PHRASE',
      `a recovery phrase has ${RECOVERY_PHRASE_WORDS} words; this one has ${words.length}`,
      { detail: { expected: RECOVERY_PHRASE_WORDS, actual: words.length } },
    );
  }
  const unknown = words.findIndex((word) => !WORD_INDEX.has(word));
  if (unknown >= 0) {
    throw new SamizdatError('BAD_PHRASE', `word ${unknown + 1} of the recovery phrase is not in the word list`, {
      detail: { position: unknown + 1 },
    });
  }
  try {
    return mnemonicToEntropy(normalized, wordlist);
  } catch (cause) {
    // Count and words are checked above, so only the checksum can fail here.
    throw new SamizdatError('BAD_PHRASE', 'the recovery phrase checksum does not match: a word is probably mistyped', {
      cause,
    });
  }
}

/** True when `phrase` is a valid 24-word recovery phrase; never throws. */
export function isValidRecoveryPhrase(phrase: unknown): boolean {
  if (typeof phrase !== 'string') return false;
  try {
    recoveryPhraseToEntropy(phrase);
    return true;
  } catch {
    return false;
  }
}

/** The 32-byte account seed of a recovery phrase (see the module comment for the derivation). */
export function recoveryPhraseToSeed(provider: CryptoProvider, phrase: string): Uint8Array {
  const entropy = recoveryPhraseToEntropy(phrase);
  try {
    return provider.hkdf('sha256', entropy, utf8(SEED_SALT), new Uint8Array(0), ACCOUNT_SEED_BYTES);
  } finally {
    entropy.fill(0);
  }
}
