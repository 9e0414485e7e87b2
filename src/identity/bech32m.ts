/**
 * Bech32m (BIP-350): the checksummed text encoding behind Account IDs. Written from the BIP-173
 * and BIP-350 specifications; tested against their vectors (test/vectors/bech32m.json).
 *
 * A string is `prefix` "1" `data` `checksum`, where data and the 6-symbol checksum use a 32-symbol
 * alphabet without 1, b, i and o. The BCH checksum detects any error in up to 4 symbols, so every
 * single typo is caught. Strings are either all lower-case or all upper-case, at most 90 chars.
 * Pure functions; failures are SamizdatErrors (MALFORMED, WRONG_PREFIX, BAD_CHECKSUM).
 */
import { SamizdatError } from '../errors.ts';

/** The 32 data symbols, in value order. */
export const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
/** Longest valid string (BIP-173); it bounds the work done on untrusted input. */
export const BECH32_MAX_LENGTH = 90;
const CHECKSUM_LENGTH = 6;
/** The constant that distinguishes Bech32m from Bech32 (BIP-350). */
const BECH32M_CONST = 0x2bc830a3;
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3] as const;

const SYMBOL_VALUE = new Map<string, number>([...BECH32_CHARSET].map((c, i) => [c, i]));

export interface Bech32mParts {
  /** The human-readable prefix, lower-case. */
  readonly prefix: string;
  /** The data symbols (5-bit values), without the checksum. */
  readonly words: Uint8Array;
}

function polymod(values: Iterable<number>): number {
  let chk = 1;
  for (const value of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ value;
    for (let i = 0; i < 5; i++) {
      if (((top >>> i) & 1) === 1) chk ^= GENERATOR[i] ?? 0;
    }
  }
  return chk >>> 0;
}

function* checksummed(prefix: string, words: Iterable<number>): Generator<number> {
  for (let i = 0; i < prefix.length; i++) yield prefix.charCodeAt(i) >>> 5;
  yield 0;
  for (let i = 0; i < prefix.length; i++) yield prefix.charCodeAt(i) & 31;
  yield* words;
}

function isPrefixChar(code: number): boolean {
  return code >= 33 && code <= 126;
}

/** Encodes 5-bit `words` under `prefix` (lower-cased). INVALID_ARGUMENT on bad input. */
export function bech32mEncode(prefix: string, words: Uint8Array): string {
  if (typeof prefix !== 'string' || prefix.length === 0 || ![...prefix].every((c) => isPrefixChar(c.charCodeAt(0)))) {
    throw new SamizdatError('INVALID_ARGUMENT', 'prefix must be 1+ printable ASCII characters');
  }
  if (!(words instanceof Uint8Array) || words.some((w) => w > 31)) {
    throw new SamizdatError('INVALID_ARGUMENT', 'words must be a Uint8Array of 5-bit values');
  }
  const lower = prefix.toLowerCase();
  if (lower.length + 1 + words.length + CHECKSUM_LENGTH > BECH32_MAX_LENGTH) {
    throw new SamizdatError('INVALID_ARGUMENT', `a bech32m string is at most ${BECH32_MAX_LENGTH} characters`);
  }
  const mod = polymod(checksummed(lower, [...words, 0, 0, 0, 0, 0, 0])) ^ BECH32M_CONST;
  let out = `${lower}1`;
  for (const w of words) out += BECH32_CHARSET[w] ?? '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) out += BECH32_CHARSET[(mod >>> (5 * (5 - i))) & 31] ?? '';
  return out;
}

/**
 * Decodes a bech32m string. Checks, in order: length, characters and case, separator and
 * structure (MALFORMED); the prefix when `expectedPrefix` is given (WRONG_PREFIX, so that a
 * string meant for another system gets the helpful error); then the checksum (BAD_CHECKSUM).
 */
export function bech32mDecode(text: string, expectedPrefix?: string): Bech32mParts {
  if (typeof text !== 'string') throw new SamizdatError('INVALID_ARGUMENT', 'text must be a string');
  if (text.length > BECH32_MAX_LENGTH) {
    throw new SamizdatError('MALFORMED', `text is longer than ${BECH32_MAX_LENGTH} characters`);
  }
  for (let i = 0; i < text.length; i++) {
    if (!isPrefixChar(text.charCodeAt(i))) {
      throw new SamizdatError('MALFORMED', `character ${i + 1} is not printable ASCII`, { detail: { position: i } });
    }
  }
  const lower = text.toLowerCase();
  if (lower !== text && text.toUpperCase() !== text) {
    throw new SamizdatError('MALFORMED', 'text mixes upper-case and lower-case letters');
  }
  const separator = lower.lastIndexOf('1');
  if (separator < 1) throw new SamizdatError('MALFORMED', 'text has no prefix and separator "1"');
  if (lower.length - separator - 1 < CHECKSUM_LENGTH) {
    throw new SamizdatError('MALFORMED', 'text is too short to hold a checksum');
  }
  const prefix = lower.slice(0, separator);
  const symbols = new Uint8Array(lower.length - separator - 1);
  for (let i = 0; i < symbols.length; i++) {
    const value = SYMBOL_VALUE.get(lower.charAt(separator + 1 + i));
    if (value === undefined) {
      const position = separator + 1 + i;
      throw new SamizdatError('MALFORMED', `character ${position + 1} is not a bech32 symbol`, { detail: { position } });
    }
    symbols[i] = value;
  }
  if (expectedPrefix !== undefined && prefix !== expectedPrefix) {
    throw new SamizdatError('WRONG_PREFIX', `expected prefix "${expectedPrefix}", got "${prefix}"`, {
      detail: { expected: expectedPrefix, actual: prefix },
    });
  }
  if (polymod(checksummed(prefix, symbols)) !== BECH32M_CONST) {
    throw new SamizdatError('BAD_CHECKSUM', 'checksum does not match: the text has a typo');
  }
  return { prefix, words: symbols.slice(0, symbols.length - CHECKSUM_LENGTH) };
}

/** Regroups 8-bit bytes into 5-bit words, zero-padding the last one. */
export function bytesToWords(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = ((acc << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push((acc >>> bits) & 31);
    }
  }
  if (bits > 0) out.push((acc << (5 - bits)) & 31);
  return Uint8Array.from(out);
}

/** Regroups 5-bit words into bytes; MALFORMED unless the padding is under 5 bits and all zero. */
export function wordsToBytes(words: Uint8Array): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const word of words) {
    if (word > 31) throw new SamizdatError('MALFORMED', 'word is not a 5-bit value');
    acc = ((acc << 5) | word) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >>> bits) & 0xff);
    }
  }
  if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0) {
    throw new SamizdatError('MALFORMED', 'data has invalid padding bits');
  }
  return Uint8Array.from(out);
}
