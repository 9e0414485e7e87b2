/**
 * Limits and field checks of prekey bundles, shared by the signer (bad input is the caller's
 * INVALID_ARGUMENT) and the verifier (bad input is an untrusted peer's MALFORMED).
 */
import { SIZES } from '../crypto/provider.ts';
import type { ErrorCode } from '../errors.ts';
import { SamizdatError } from '../errors.ts';

/**
 * Largest signed bundle accepted, in bytes. The largest legal bundle (all one-time prekey slots
 * full) is about 25 KiB: 1.2 KiB of signed prekeys, 100 x 38 B of X25519 one-time prekeys and
 * 16 x 1.2 KiB of ML-KEM ones. 32 KiB leaves room for a few later fields and stays one read.
 */
export const MAX_PREKEY_BUNDLE_BYTES = 32 * 1024;
/** One-time X25519 prekeys per bundle: enough for a burst of first contacts between refills. */
export const MAX_ONE_TIME_X25519_PREKEYS = 100;
/** One-time ML-KEM-768 prekeys per bundle: each is 1,184 bytes, so fewer than the X25519 ones. */
export const MAX_ONE_TIME_ML_KEM_PREKEYS = 16;
/**
 * Longest validity of a bundle (expiresAt - createdAt). Signed prekeys are kept 16 days after
 * rotation (DESIGN.md §5), so a bundle valid no longer than that never points at a deleted key.
 */
export const MAX_PREKEY_BUNDLE_LIFETIME_MS = 16 * 24 * 60 * 60 * 1000;
/**
 * How far in the future a bundle's createdAt may be before it is refused as not yet valid: phone
 * clocks are often minutes off, and the bundle is signed by its owner, so this only stops a
 * grossly wrong clock from publishing a bundle that would outlive its keys.
 */
export const PREKEY_BUNDLE_MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** One public prekey and the id its owner uses to find the private half (uint32). */
export interface Prekey {
  readonly id: number;
  readonly publicKey: Uint8Array;
}

/** A verified prekey bundle. */
export interface PrekeyBundle {
  /** The owner's Ed25519 identity public key (32 bytes). */
  readonly identityKey: Uint8Array;
  /**
   * The owner's long-term X25519 identity public key (32 bytes, `AccountKeys.mailboxX25519`): the
   * DH identity of the handshake and of sealed envelopes, signed by `identityKey`.
   */
  readonly identityX25519: Uint8Array;
  readonly sequence: bigint;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  /** X25519, 32-byte public key. */
  readonly signedX25519Prekey: Prekey;
  /** ML-KEM-768, 1,184-byte encapsulation key. */
  readonly signedMlKemPrekey: Prekey;
  readonly oneTimeX25519Prekeys: readonly Prekey[];
  readonly oneTimeMlKemPrekeys: readonly Prekey[];
}

type CheckCode = Extract<ErrorCode, 'INVALID_ARGUMENT' | 'MALFORMED'>;

function fail(code: CheckCode, message: string): never {
  throw new SamizdatError(code, message);
}

function checkPrekey(prekey: unknown, size: number, name: string, code: CheckCode): void {
  if (typeof prekey !== 'object' || prekey === null) fail(code, `${name} must be a prekey`);
  const { id, publicKey } = prekey as Partial<Prekey>;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    fail(code, `${name}.id must be an unsigned 32-bit integer`);
  }
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== size) {
    fail(code, `${name}.publicKey must be ${size} bytes`);
  }
}

function checkList(list: unknown, max: number, size: number, name: string, code: CheckCode): void {
  if (!Array.isArray(list)) fail(code, `${name} must be an array`);
  if (list.length > max) {
    throw new SamizdatError(code === 'MALFORMED' ? 'TOO_LARGE' : code, `${name} holds ${list.length} prekeys; at most ${max} are allowed`, {
      detail: { limit: max, actual: list.length },
    });
  }
  const ids = new Set<number>();
  list.forEach((prekey, i) => {
    checkPrekey(prekey, size, `${name}[${i}]`, code);
    const { id } = prekey as Prekey;
    if (ids.has(id)) fail(code, `${name} has the id ${id} twice`);
    ids.add(id);
  });
}

function checkTime(value: unknown, name: string, code: CheckCode): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(code, `${name} must be a non-negative integer (ms since epoch)`);
  }
}

/** Throws `code` unless every field of `bundle` has its type, size, count and range. */
export function checkBundleFields(bundle: PrekeyBundle, code: CheckCode): void {
  if (!(bundle.identityKey instanceof Uint8Array) || bundle.identityKey.length !== SIZES.ed25519PublicKey) {
    fail(code, `identityKey must be ${SIZES.ed25519PublicKey} bytes`);
  }
  if (!(bundle.identityX25519 instanceof Uint8Array) || bundle.identityX25519.length !== SIZES.x25519PublicKey) {
    fail(code, `identityX25519 must be ${SIZES.x25519PublicKey} bytes`);
  }
  if (typeof bundle.sequence !== 'bigint' || bundle.sequence < 0n || bundle.sequence > 0xffffffffffffffffn) {
    fail(code, 'sequence must be an unsigned 64-bit bigint');
  }
  checkTime(bundle.createdAtMs, 'createdAtMs', code);
  checkTime(bundle.expiresAtMs, 'expiresAtMs', code);
  if (bundle.expiresAtMs <= bundle.createdAtMs) fail(code, 'expiresAtMs must be after createdAtMs');
  if (bundle.expiresAtMs - bundle.createdAtMs > MAX_PREKEY_BUNDLE_LIFETIME_MS) {
    fail(code, `a bundle may be valid for at most ${MAX_PREKEY_BUNDLE_LIFETIME_MS} ms`);
  }
  checkPrekey(bundle.signedX25519Prekey, SIZES.x25519PublicKey, 'signedX25519Prekey', code);
  checkPrekey(bundle.signedMlKemPrekey, SIZES.mlKemPublicKey, 'signedMlKemPrekey', code);
  checkList(bundle.oneTimeX25519Prekeys, MAX_ONE_TIME_X25519_PREKEYS, SIZES.x25519PublicKey, 'oneTimeX25519Prekeys', code);
  checkList(bundle.oneTimeMlKemPrekeys, MAX_ONE_TIME_ML_KEM_PREKEYS, SIZES.mlKemPublicKey, 'oneTimeMlKemPrekeys', code);
}
