/**
 * The `samizdat:` URI: an Account ID plus a fingerprint of both identity keys, the text put in a
 * QR code or a link so a contact can be added by scanning, and the X25519 half checked later:
 *
 *   samizdat:<Account ID>?fp=<fingerprint>
 *   fingerprint = base32 (RFC 4648 alphabet, lower case, no padding) of the first 16 bytes of
 *                 SHA-256("samizdat/v1/uri-fingerprint" || Ed25519 identity (32) || X25519 identity (32))
 *
 * e.g. "samizdat:sz1q...?fp=abcdefghijklmnopqrstuvwxyz" (26 fingerprint characters, about 100 in
 * all). The Account ID already is the Ed25519 key; the fingerprint adds the X25519 identity key,
 * which is otherwise only learned from the peer's signed prekey bundle. 128 bits is a second
 * pre-image bound, not a collision one: the person sharing the URI chose their own keys.
 *
 * Parsing is strict about what it reads and lenient about what it may not know yet: the scheme
 * and the fingerprint are case-insensitive (QR readers sometimes upper-case), the Account ID
 * follows its own rules (all lower or all upper case), parameters other than `fp` are ignored so
 * newer writers can add some, and the fingerprint must be canonical base32 (unused trailing bits
 * zero). Errors: the Account ID decoder's own code (BAD_CHECKSUM, WRONG_PREFIX, MALFORMED) for a
 * bad ID, MALFORMED for everything else, INVALID_ARGUMENT for a non-string.
 */
import type { CryptoProvider } from '../crypto/provider.ts';
import { SIZES } from '../crypto/provider.ts';
import { assertBytes, concatBytes, utf8 } from '../crypto/bytes.ts';
import { SamizdatError } from '../errors.ts';
import { decodeAccountId, encodeAccountId } from './account-id.ts';

/** The URI scheme, without the colon. */
export const SAMIZDAT_URI_SCHEME = 'samizdat';
/** Bytes of SHA-256 kept as the fingerprint. */
export const URI_FINGERPRINT_BYTES = 16;
/**
 * Longest URI text parsed. Today's URIs are about 100 characters; 512 leaves room for parameters
 * a newer version may add while keeping a pasted blob from being scanned at length.
 */
export const MAX_SAMIZDAT_URI_CHARS = 512;

const FINGERPRINT_LABEL = utf8('samizdat/v1/uri-fingerprint');
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** Base32 characters of a fingerprint in the URI: ceil(128 / 5). */
export const URI_FINGERPRINT_CHARS = Math.ceil((URI_FINGERPRINT_BYTES * 8) / 5);
/** What may appear in a URI at all (RFC 3986 unreserved characters and the delimiters we use). */
const URI_CHARS = /^[A-Za-z0-9\-._~:?&=%]*$/u;

export interface SamizdatUri {
  /** The Account ID in its canonical (lower-case) form. */
  readonly accountId: string;
  /** The Ed25519 identity key behind the Account ID. */
  readonly identityKey: Uint8Array;
  /** The 16-byte fingerprint of both identity keys. */
  readonly fingerprint: Uint8Array;
}

/** The 16-byte fingerprint of an account's two identity keys (see the module comment). */
export function identityFingerprint(provider: CryptoProvider, identityKey: Uint8Array, identityX25519: Uint8Array): Uint8Array {
  assertBytes('identityKey', identityKey, SIZES.ed25519PublicKey);
  assertBytes('identityX25519', identityX25519, SIZES.x25519PublicKey);
  return provider.hash('sha256', concatBytes(FINGERPRINT_LABEL, identityKey, identityX25519)).slice(0, URI_FINGERPRINT_BYTES);
}

/** RFC 4648 base32, lower case, no padding. */
export function base32Encode(bytes: Uint8Array): string {
  assertBytes('bytes', bytes);
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(buffer >> bits) & 31] ?? '';
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31] ?? '';
  return out;
}

/** Decodes canonical unpadded base32 (either case) of exactly `length` bytes; MALFORMED otherwise. */
function base32Decode(text: string, length: number, what: string): Uint8Array {
  const expectedChars = Math.ceil((length * 8) / 5);
  if (text.length !== expectedChars) {
    throw new SamizdatError('MALFORMED', `${what} must be ${expectedChars} base32 characters`, {
      detail: { expected: expectedChars, actual: text.length },
    });
  }
  const out = new Uint8Array(length);
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const c of text.toLowerCase()) {
    const value = BASE32.indexOf(c);
    if (value < 0) throw new SamizdatError('MALFORMED', `${what} has a character that is not base32`);
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) throw new SamizdatError('MALFORMED', `${what} is not in canonical base32`);
  return out;
}

/** The URI of an account from its two identity public keys. */
export function encodeSamizdatUri(provider: CryptoProvider, identityKey: Uint8Array, identityX25519: Uint8Array): string {
  const fingerprint = identityFingerprint(provider, identityKey, identityX25519);
  return `${SAMIZDAT_URI_SCHEME}:${encodeAccountId(identityKey)}?fp=${base32Encode(fingerprint)}`;
}

/** True when `text` starts with the `samizdat:` scheme (any case), i.e. should be parsed as a URI. */
export function looksLikeSamizdatUri(text: unknown): boolean {
  return typeof text === 'string' && text.trim().toLowerCase().startsWith(`${SAMIZDAT_URI_SCHEME}:`);
}

function malformed(message: string): never {
  throw new SamizdatError('MALFORMED', message);
}

/** Parses a `samizdat:` URI (surrounding white space ignored); see the module comment for errors. */
export function parseSamizdatUri(text: string): SamizdatUri {
  if (typeof text !== 'string') throw new SamizdatError('INVALID_ARGUMENT', 'a samizdat: URI must be a string');
  const trimmed = text.trim();
  if (trimmed.length > MAX_SAMIZDAT_URI_CHARS) {
    throw new SamizdatError('MALFORMED', `a samizdat: URI has at most ${MAX_SAMIZDAT_URI_CHARS} characters`, {
      detail: { limit: MAX_SAMIZDAT_URI_CHARS, actual: trimmed.length },
    });
  }
  if (!looksLikeSamizdatUri(trimmed)) malformed('not a samizdat: URI (it must start with "samizdat:")');
  if (!URI_CHARS.test(trimmed)) malformed('a samizdat: URI may not contain spaces or characters outside a URI');
  const rest = trimmed.slice(SAMIZDAT_URI_SCHEME.length + 1);
  const query = rest.indexOf('?');
  if (query < 0) malformed('the samizdat: URI lacks its "?fp=" fingerprint');
  const idText = rest.slice(0, query);
  if (idText.startsWith('//')) malformed('a samizdat: URI has no "//"; it is "samizdat:ACCOUNT_ID?fp=..."');
  const identityKey = decodeAccountId(idText);
  let fingerprint: Uint8Array | undefined;
  for (const param of rest.slice(query + 1).split('&')) {
    const eq = param.indexOf('=');
    if (eq <= 0) malformed('a samizdat: URI parameter must be NAME=VALUE');
    const name = param.slice(0, eq).toLowerCase();
    if (name !== 'fp') continue; // a parameter from a newer version
    if (fingerprint !== undefined) malformed('the samizdat: URI has two fingerprints');
    fingerprint = base32Decode(param.slice(eq + 1), URI_FINGERPRINT_BYTES, 'the URI fingerprint');
  }
  if (fingerprint === undefined) malformed('the samizdat: URI lacks its "fp=" fingerprint');
  return { accountId: encodeAccountId(identityKey), identityKey, fingerprint };
}

/**
 * True when `uri`'s fingerprint is that of its Account ID with `identityX25519` (for example the
 * X25519 identity key from the account's verified prekey bundle).
 */
export function uriMatchesKeys(provider: CryptoProvider, uri: SamizdatUri, identityX25519: Uint8Array): boolean {
  if (typeof uri !== 'object' || uri === null) throw new SamizdatError('INVALID_ARGUMENT', 'uri must be a parsed samizdat: URI');
  assertBytes('uri.fingerprint', uri.fingerprint, URI_FINGERPRINT_BYTES);
  return provider.constantTimeEqual(identityFingerprint(provider, uri.identityKey, identityX25519), uri.fingerprint);
}
