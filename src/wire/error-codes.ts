/**
 * Which error codes exist and which of them a peer may send us. The table is typed
 * `Record<ErrorCode, boolean>`, so adding a code to ErrorCode in src/errors.ts without deciding
 * here whether it may cross the wire fails `tsc`.
 */
import type { ErrorCode } from '../errors.ts';

/**
 * true: a peer may report this code (it describes something the peer saw: our request, its
 * storage, the network). false: the code describes local state only (our profile, our command
 * line, our keys); a peer sending it is lying or broken, so it arrives as MALFORMED.
 */
const ACCEPTED_FROM_PEER: Readonly<Record<ErrorCode, boolean>> = {
  INVALID_ARGUMENT: true,
  MALFORMED: true,
  TOO_LARGE: true,
  BAD_SIGNATURE: true,
  DECRYPT_FAILED: true,
  BAD_KEY: true,
  BAD_CHECKSUM: false,
  WRONG_PREFIX: false,
  BAD_PHRASE: false,
  NONCE_EXHAUSTED: false,
  EXPIRED: true,
  ROLLBACK: true,
  WRONG_PASSPHRASE: false,
  PROFILE_CORRUPT: false,
  PROFILE_EXISTS: false,
  PROFILE_MISSING: false,
  USAGE: false,
  WRONG_SWARM: true,
  CLOCK_SKEW: true,
  RATE_LIMITED: true,
  PATH_FAILED: true,
  STORAGE_FAILED: true,
  STORAGE_FULL: true,
  INTERNAL: true,
  NOT_FOUND: false,
  ALREADY_EXISTS: false,
  UNKNOWN_PREKEY: false,
  TOO_MANY_SKIPPED: false,
  PROOF_REQUIRED: true,
  REFUSED: true,
  VERIFICATION_FAILED: false,
};

function keysOf<K extends string>(record: Readonly<Record<K, unknown>>): readonly K[] {
  // Object.keys loses the key type; the Record annotation above guarantees it.
  return Object.freeze(Object.keys(record) as K[]);
}

/** Every ErrorCode, in the order of src/errors.ts. */
export const KNOWN_ERROR_CODES: readonly ErrorCode[] = keysOf(ACCEPTED_FROM_PEER);

/** The codes a peer may send in an ErrorReply. */
export const PEER_ERROR_CODES: readonly ErrorCode[] = Object.freeze(
  KNOWN_ERROR_CODES.filter((code) => ACCEPTED_FROM_PEER[code]),
);

/** True when `text` is one of the ErrorCode strings. */
export function isKnownErrorCode(text: string): text is ErrorCode {
  return Object.hasOwn(ACCEPTED_FROM_PEER, text);
}

/** True when `text` is an ErrorCode a peer may send. */
export function isPeerErrorCode(text: string): text is ErrorCode {
  return isKnownErrorCode(text) && ACCEPTED_FROM_PEER[text];
}
