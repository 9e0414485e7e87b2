/**
 * Account ID text codec. An Account ID is the account's Ed25519 identity public key written in
 * Bech32m (BIP-350) with the prefix "sz":
 *
 *   "sz" "1" <version symbol> <32-byte key as 52 symbols> <6 checksum symbols>   (62 characters)
 *
 * The version is one 5-bit symbol before the key, as in SegWit addresses; version 0 ("q", so
 * every ID starts "sz1q") is a raw Ed25519 key. A future key type gets a new version and
 * old clients reject it with MALFORMED instead of misreading it. The checksum catches any typo of
 * up to 4 characters, and a string for another system (e.g. "bc1...") gets WRONG_PREFIX.
 */
import { SIZES } from '../crypto/provider.ts';
import { assertBytes } from '../crypto/bytes.ts';
import { SamizdatError } from '../errors.ts';
import { bech32mDecode, bech32mEncode, bytesToWords, wordsToBytes } from './bech32m.ts';

/** Human-readable prefix of every Account ID. */
export const ACCOUNT_ID_PREFIX = 'sz';
/** The one version this code reads and writes: a raw Ed25519 public key. */
export const ACCOUNT_ID_VERSION = 0;
/** Length of a version-0 Account ID in characters. */
export const ACCOUNT_ID_LENGTH = 62;

const KEY_WORDS = Math.ceil((SIZES.ed25519PublicKey * 8) / 5);

/** The Account ID text of an Ed25519 identity public key (lower-case). */
export function encodeAccountId(publicKey: Uint8Array): string {
  assertBytes('publicKey', publicKey, SIZES.ed25519PublicKey);
  const words = new Uint8Array(1 + KEY_WORDS);
  words[0] = ACCOUNT_ID_VERSION;
  words.set(bytesToWords(publicKey), 1);
  return bech32mEncode(ACCOUNT_ID_PREFIX, words);
}

/**
 * The Ed25519 public key named by an Account ID. Surrounding whitespace is ignored; the text
 * must be all lower-case or all upper-case. Errors: WRONG_PREFIX, BAD_CHECKSUM, MALFORMED (bad
 * characters, mixed case, wrong length, unknown version). The key is not checked to be a valid
 * curve point here; signature verification does that.
 */
export function decodeAccountId(text: string): Uint8Array {
  if (typeof text !== 'string') throw new SamizdatError('INVALID_ARGUMENT', 'Account ID must be a string');
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new SamizdatError('MALFORMED', 'Account ID is empty');
  const { words } = bech32mDecode(trimmed, ACCOUNT_ID_PREFIX);
  const version = words[0];
  if (version === undefined) throw new SamizdatError('MALFORMED', 'Account ID has no data');
  if (version !== ACCOUNT_ID_VERSION) {
    throw new SamizdatError('MALFORMED', `Account ID version ${version} is not supported`, { detail: { version } });
  }
  if (words.length !== 1 + KEY_WORDS) {
    throw new SamizdatError('MALFORMED', `Account ID must be ${ACCOUNT_ID_LENGTH} characters`, {
      detail: { expected: ACCOUNT_ID_LENGTH, actual: trimmed.length },
    });
  }
  return wordsToBytes(words.subarray(1));
}

/** True when `text` decodes as an Account ID; never throws. */
export function isAccountId(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  try {
    decodeAccountId(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A short form for lists and logs, e.g. "sz1qf3x9ay…k2m7wq": the prefix and first 7 symbols, then the
 * last 6 (the checksum). Only for recognition at a glance; never for verifying a contact
 * (use the full ID or a safety code) and never accepted by `decodeAccountId`.
 */
export function shortAccountId(accountId: string): string {
  const full = encodeAccountId(decodeAccountId(accountId));
  return `${full.slice(0, 10)}…${full.slice(-6)}`;
}
