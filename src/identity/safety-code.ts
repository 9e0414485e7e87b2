/**
 * Safety codes (DESIGN.md §5, trust and safety): 60 digits two people compare, in person or over
 * another channel, to make sure each holds the other's real identity keys and no one sits between
 * them. Shown as 12 groups of 5 digits; both sides compute the same code.
 *
 * Construction (in the manner of Signal's numeric fingerprints, with our two identity keys):
 *
 *   keys(side)   = Ed25519 identity public key (32) || X25519 identity public key (32)
 *   h_0          = "samizdat/v1/safety-code" || version (2 bytes, big-endian, = 0)
 *                  || keys(side) || UTF-8 Account ID of the side
 *   h_(i+1)      = SHA-512(h_i || keys(side))              for i = 0 .. 5,199
 *   half(side)   = for j = 0..5: the 5 bytes h_5200[5j .. 5j+5) read as a big-endian integer,
 *                  mod 100,000, written as 5 decimal digits                    (30 digits)
 *   code         = the smaller of half(us), half(them) (as digit strings), then the larger
 *
 * Ordering the halves by value, not by "local first", is what makes both sides show the same 60
 * digits. The Account ID repeats the Ed25519 key; it is there as Signal's stable identifier is, so
 * that a future key type or ID format gives different codes. The 5,200 iterations make a second
 * pre-image search (keys whose half matches a target's, about 2^100 tries for 30 digits) 5,200
 * times dearer still; one code costs 2 x 5,200 SHA-512 calls (tens of milliseconds).
 *
 * The X25519 key is the one the peer signs into its prekey bundles (`identityX25519`); ours is
 * `AccountKeys.mailboxX25519.publicKey`. Pure: no I/O; hashing goes through the CryptoProvider.
 */
import type { CryptoProvider } from '../crypto/provider.ts';
import { SIZES } from '../crypto/provider.ts';
import { assertBytes, concatBytes, utf8 } from '../crypto/bytes.ts';
import { SamizdatError } from '../errors.ts';
import { encodeAccountId } from './account-id.ts';

/** Version of the construction above, hashed into every code; a new construction gets a new one. */
export const SAFETY_CODE_VERSION = 0;
/** SHA-512 iterations per side, as in Signal's numeric fingerprints. */
export const SAFETY_CODE_ITERATIONS = 5200;
/** Digits in a safety code (two halves of 30). */
export const SAFETY_CODE_DIGITS = 60;
/** Digits per displayed group. */
export const SAFETY_CODE_GROUP_DIGITS = 5;

const LABEL = utf8('samizdat/v1/safety-code');
const HALF_GROUPS = 6;
const GROUP_BYTES = 5;

/** The public identity keys of one side of a conversation. */
export interface SafetyCodeParty {
  /** Ed25519 identity public key (the key behind the Account ID), 32 bytes. */
  readonly identityKey: Uint8Array;
  /** Long-term X25519 identity public key, 32 bytes. */
  readonly identityX25519: Uint8Array;
}

function assertParty(name: string, party: SafetyCodeParty): void {
  if (typeof party !== 'object' || party === null) throw new SamizdatError('INVALID_ARGUMENT', `${name} must be an object`);
  assertBytes(`${name}.identityKey`, party.identityKey, SIZES.ed25519PublicKey);
  assertBytes(`${name}.identityX25519`, party.identityX25519, SIZES.x25519PublicKey);
}

/** Five digits from five big-endian bytes (a 40-bit integer, exact in a double) mod 100,000. */
function fiveDigits(bytes: Uint8Array, offset: number): string {
  let value = 0;
  for (let i = 0; i < GROUP_BYTES; i++) value = value * 256 + (bytes[offset + i] ?? 0);
  return String(value % 100_000).padStart(SAFETY_CODE_GROUP_DIGITS, '0');
}

/** The 30-digit half of the safety code that one side contributes (see the module comment). */
export function safetyCodeHalf(provider: CryptoProvider, party: SafetyCodeParty): string {
  assertParty('party', party);
  const keys = concatBytes(party.identityKey, party.identityX25519);
  const version = new Uint8Array([SAFETY_CODE_VERSION >> 8, SAFETY_CODE_VERSION & 0xff]);
  let digest = concatBytes(LABEL, version, keys, utf8(encodeAccountId(party.identityKey)));
  for (let i = 0; i < SAFETY_CODE_ITERATIONS; i++) digest = provider.hash('sha512', concatBytes(digest, keys));
  let out = '';
  for (let j = 0; j < HALF_GROUPS; j++) out += fiveDigits(digest, j * GROUP_BYTES);
  return out;
}

/**
 * The 60-digit safety code of a conversation between `local` and `remote`, without spaces. Both
 * sides get the same code: the halves are ordered by value, not by who computes.
 */
export function safetyCode(provider: CryptoProvider, local: SafetyCodeParty, remote: SafetyCodeParty): string {
  assertParty('local', local);
  assertParty('remote', remote);
  const a = safetyCodeHalf(provider, local);
  const b = safetyCodeHalf(provider, remote);
  return a <= b ? a + b : b + a;
}

/** The code as 12 groups of 5 digits separated by single spaces ("12345 67890 ..."). */
export function formatSafetyCode(code: string): string {
  const digits = normalizeSafetyCode(code);
  const groups: string[] = [];
  for (let i = 0; i < digits.length; i += SAFETY_CODE_GROUP_DIGITS) groups.push(digits.slice(i, i + SAFETY_CODE_GROUP_DIGITS));
  return groups.join(' ');
}

/**
 * The 60 digits of a code someone typed: white space anywhere is ignored. MALFORMED for anything
 * else (other characters, or not 60 digits); INVALID_ARGUMENT for a non-string.
 */
export function normalizeSafetyCode(text: string): string {
  if (typeof text !== 'string') throw new SamizdatError('INVALID_ARGUMENT', 'a safety code must be a string');
  const digits = text.replace(/\s+/gu, '');
  if (!/^[0-9]*$/u.test(digits)) throw new SamizdatError('MALFORMED', 'a safety code has only digits (and spaces)');
  if (digits.length !== SAFETY_CODE_DIGITS) {
    throw new SamizdatError('MALFORMED', `a safety code has ${SAFETY_CODE_DIGITS} digits, this one has ${digits.length}`, {
      detail: { expected: SAFETY_CODE_DIGITS, actual: digits.length },
    });
  }
  return digits;
}

/**
 * True when `typed` (white space ignored) is the safety code `expected`. MALFORMED when `typed`
 * is not 60 digits, so a truncated paste is told apart from a real mismatch.
 */
export function safetyCodesMatch(provider: CryptoProvider, expected: string, typed: string): boolean {
  const a = normalizeSafetyCode(expected);
  const b = normalizeSafetyCode(typed);
  return provider.constantTimeEqual(utf8(a), utf8(b));
}
