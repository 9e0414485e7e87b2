/**
 * The one typed error of Samizdat. Every error that crosses a module or process boundary is a
 * SamizdatError with a stable `code`; callers branch on `code`, never on the message text.
 * This module sits beside the layers: every layer may import it, and it imports nothing.
 */

/** Stable machine-readable error codes. Add new ones at the end; never rename one. */
export type ErrorCode =
  /** A caller passed a value of the wrong type, length or range (a programming error). */
  | 'INVALID_ARGUMENT'
  /** Untrusted bytes could not be parsed (bad length, bad tag, truncated, trailing bytes). */
  | 'MALFORMED'
  /** A frame, field or message is larger than its limit. */
  | 'TOO_LARGE'
  /** A signature did not verify. */
  | 'BAD_SIGNATURE'
  /** Authenticated decryption failed: wrong key, tampered ciphertext or wrong associated data. */
  | 'DECRYPT_FAILED'
  /** A public or private key is malformed or unusable (for example a low-order X25519 point). */
  | 'BAD_KEY'
  /** A checksummed text (Account ID, recovery phrase) failed its checksum. */
  | 'BAD_CHECKSUM'
  /** A text carries the wrong human-readable prefix. */
  | 'WRONG_PREFIX'
  /** A recovery phrase has the wrong length, an unknown word or a bad checksum. */
  | 'BAD_PHRASE'
  /** A nonce counter under one key is exhausted; a new key is needed. */
  | 'NONCE_EXHAUSTED'
  /** A signed item is outside its validity period. */
  | 'EXPIRED'
  /** A signed item has a lower sequence number than one already accepted. */
  | 'ROLLBACK'
  /** The passphrase does not open the encrypted profile. */
  | 'WRONG_PASSPHRASE'
  /** A profile file exists but is damaged or of an unknown version. */
  | 'PROFILE_CORRUPT'
  /** A profile already holds an account and would be overwritten. */
  | 'PROFILE_EXISTS'
  /** No account exists in the profile directory. */
  | 'PROFILE_MISSING'
  /** The command line is malformed (the CLI exits with status 2). */
  | 'USAGE'
  /** A node does not serve the account; the error carries the swarm it computed. */
  | 'WRONG_SWARM'
  /** A timestamp is too far from the receiver's clock. */
  | 'CLOCK_SKEW'
  /** Too many requests; `retryAfterMs` says when to retry. */
  | 'RATE_LIMITED'
  /** An onion path failed; the detail names the hop. */
  | 'PATH_FAILED'
  /** An I/O operation on local storage failed. */
  | 'STORAGE_FAILED'
  /** A node holds as many bytes as its operator allows; another member of the swarm may take the item. */
  | 'STORAGE_FULL'
  /** A bug: something that should not happen did. Reported in one line, never as a stack trace. */
  | 'INTERNAL'
  /** A local record (a contact, a conversation) that was asked for does not exist. */
  | 'NOT_FOUND'
  /** A local record would duplicate one that exists (a contact's name or Account ID). */
  | 'ALREADY_EXISTS'
  /** A message names one of our prekeys that we do not hold (never had, rotated out, or a used one-time key). */
  | 'UNKNOWN_PREKEY'
  /** A ratchet message would skip more message keys than MAX_SKIP allows; it is refused and the session state is unchanged. */
  | 'TOO_MANY_SKIPPED'
  /** An inbox deposit lacks an acceptable deposit proof; detail.difficulty is the proof-of-work difficulty asked for. */
  | 'PROOF_REQUIRED'
  /** The recipient does not accept this kind of request (for example deposits from strangers). */
  | 'REFUSED'
  /** A safety code or contact URI the user compared does not match the keys held for that contact. */
  | 'VERIFICATION_FAILED';

export interface SamizdatErrorOptions {
  /** The underlying error, kept for diagnostics (never shown to a user as a stack trace). */
  readonly cause?: unknown;
  /** For RATE_LIMITED and similar: how long to wait before retrying. */
  readonly retryAfterMs?: number;
  /** Structured detail for machines (for example `{ hop: 1 }` or `{ limit: 65536 }`). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

export class SamizdatError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterMs: number | undefined;
  readonly detail: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: SamizdatErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SamizdatError';
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
    this.detail = options.detail ?? {};
  }
}

/** True when `err` is a SamizdatError, optionally with the given code. */
export function isSamizdatError(err: unknown, code?: ErrorCode): err is SamizdatError {
  return err instanceof SamizdatError && (code === undefined || err.code === code);
}
