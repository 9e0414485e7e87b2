/**
 * Owner authentication of mailbox requests (DESIGN.md §4 "Mailboxes"): reads, deletes and owner
 * writes carry an Ed25519 signature by the account's identity key. Shared by the client (signs)
 * and the node (verifies). Pure: no I/O; the clock is passed in.
 *
 * The signed message is
 *
 *   "samizdat/v1/mailbox-auth" || method || 0x00 || namespace || 0x00 || account (32)
 *     || timestamp_ms (u64 BE) || nonce (16) || request_digest (32)
 *
 * where method and namespace are ASCII, and request_digest is SHA-256 of the canonical encoding of
 * the request's other fields, so a signature cannot be moved to a different body, cursor or set of
 * IDs:
 *
 *   store:    ttl_ms (u64 BE) || body_length (u32 BE) || body
 *   retrieve: after (u64 BE) || limit (u32 BE) || wait_ms (u32 BE)
 *   delete:   count (u32 BE) || for each ID in ascending byte order: length (u32 BE) || id
 *
 * The receiver checks the signature, then the timestamp (within ±maxSkewMs of its clock); the
 * single-use nonce is remembered by the receiver (src/node), not here.
 */
import { assertBytes, concatBytes, u32be, u64be, utf8 } from '../crypto/bytes.ts';
import type { CryptoProvider, PrivateKey } from '../crypto/provider.ts';
import { SIZES } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import { coarseClockMs } from '../wire/coarse-clock.ts';

/** Domain separation label of the owner signature. Frozen: changing it breaks every client. */
export const OWNER_AUTH_CONTEXT = 'samizdat/v1/mailbox-auth';

/** Bytes of the random single-use nonce: 128 bits never collide by chance. */
export const OWNER_AUTH_NONCE_BYTES = 16;

/**
 * How far a request's timestamp may be from the node's clock: ±60 s (DESIGN.md §4). Wide enough for
 * phones without NTP and an onion path's latency; nonces must be remembered this long.
 */
export const OWNER_AUTH_MAX_SKEW_MS = 60_000;

/** Longest method or namespace name accepted in the signed message. */
const MAX_NAME_LENGTH = 32;

const NAME_PATTERN = /^[a-z][a-z0-9_-]*$/;

export type OwnerAuthMethod = 'store' | 'retrieve' | 'delete';

/** What a signature covers besides timestamp and nonce. */
export interface OwnerAuthScope {
  readonly method: OwnerAuthMethod;
  readonly namespace: string;
  /** The account's 32-byte Ed25519 public key. */
  readonly account: Uint8Array;
  /** SHA-256 of the request's other fields (see the *RequestDigest functions). */
  readonly requestDigest: Uint8Array;
}

/** The proof as carried on the wire (the fields of the OwnerAuth protobuf message). */
export interface OwnerAuthProof {
  readonly timestampMs: bigint;
  readonly nonce: Uint8Array;
  readonly signature: Uint8Array;
}

function assertName(what: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length > MAX_NAME_LENGTH || !NAME_PATTERN.test(value)) {
    throw new SamizdatError('INVALID_ARGUMENT', `${what} must be a short lower-case name`);
  }
}

function assertScope(scope: OwnerAuthScope): void {
  if (typeof scope !== 'object' || scope === null) throw new SamizdatError('INVALID_ARGUMENT', 'scope must be an object');
  if (scope.method !== 'store' && scope.method !== 'retrieve' && scope.method !== 'delete') {
    throw new SamizdatError('INVALID_ARGUMENT', 'method must be store, retrieve or delete');
  }
  assertName('namespace', scope.namespace);
  assertBytes('account', scope.account, SIZES.ed25519PublicKey);
  assertBytes('requestDigest', scope.requestDigest, 32);
}

/** The exact bytes the owner signs. */
export function ownerAuthMessage(scope: OwnerAuthScope, timestampMs: bigint, nonce: Uint8Array): Uint8Array {
  assertScope(scope);
  if (typeof timestampMs !== 'bigint') throw new SamizdatError('INVALID_ARGUMENT', 'timestampMs must be a bigint');
  assertBytes('nonce', nonce, OWNER_AUTH_NONCE_BYTES);
  return concatBytes(
    utf8(OWNER_AUTH_CONTEXT),
    utf8(scope.method),
    new Uint8Array([0]),
    utf8(scope.namespace),
    new Uint8Array([0]),
    scope.account,
    u64be(timestampMs),
    nonce,
    scope.requestDigest,
  );
}

/** request_digest of a store: covers the body and the TTL. */
export function storeRequestDigest(crypto: CryptoProvider, body: Uint8Array, ttlMs: bigint): Uint8Array {
  assertBytes('body', body);
  return crypto.hash('sha256', concatBytes(u64be(ttlMs), u32be(body.length), body));
}

/** request_digest of a retrieve: covers the cursor, the limit and the wait. */
export function retrieveRequestDigest(crypto: CryptoProvider, after: bigint, limit: number, waitMs: number): Uint8Array {
  return crypto.hash('sha256', concatBytes(u64be(after), u32be(limit), u32be(waitMs)));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** request_digest of a delete: covers the set of IDs (order on the wire does not matter). */
export function deleteRequestDigest(crypto: CryptoProvider, ids: readonly Uint8Array[]): Uint8Array {
  const list: unknown = ids;
  if (!Array.isArray(list)) throw new SamizdatError('INVALID_ARGUMENT', 'ids must be an array');
  ids.forEach((id, i) => assertBytes(`ids[${i}]`, id));
  const sorted = [...ids].sort(compareBytes);
  const parts: Uint8Array[] = [u32be(sorted.length)];
  for (const id of sorted) parts.push(u32be(id.length), id);
  return crypto.hash('sha256', concatBytes(...parts));
}

export interface SignOwnerAuthOptions extends OwnerAuthScope {
  /** Milliseconds since the Unix epoch (the signer's clock). */
  readonly timestampMs: number;
  /** 16 random bytes; drawn from the provider when absent. */
  readonly nonce?: Uint8Array;
}

/** Signs a request as the account owner. INVALID_ARGUMENT if the key is not the account's. */
export function signOwnerAuth(crypto: CryptoProvider, identityKey: PrivateKey, options: SignOwnerAuthOptions): OwnerAuthProof {
  if (identityKey.algorithm !== 'ed25519') throw new SamizdatError('INVALID_ARGUMENT', 'identityKey must be an Ed25519 key');
  if (!Number.isSafeInteger(options.timestampMs) || options.timestampMs < 0) {
    throw new SamizdatError('INVALID_ARGUMENT', 'timestampMs must be a non-negative integer');
  }
  if (!crypto.constantTimeEqual(identityKey.publicKey, options.account)) {
    throw new SamizdatError('INVALID_ARGUMENT', 'identityKey does not belong to account');
  }
  const nonce = options.nonce ?? crypto.randomBytes(OWNER_AUTH_NONCE_BYTES);
  // Whole seconds: the timestamp would otherwise show the signer's clock skew to the millisecond.
  const timestampMs = BigInt(coarseClockMs(options.timestampMs));
  const signature = crypto.sign(identityKey, ownerAuthMessage(options, timestampMs, nonce));
  return { timestampMs, nonce, signature };
}

/**
 * Checks an owner proof from the network. MALFORMED for a missing proof or wrong field sizes,
 * BAD_SIGNATURE if the signature does not verify under `scope.account`, CLOCK_SKEW (with
 * `detail.skewMs`) if the timestamp is more than `maxSkewMs` ahead of `nowMs` or more than
 * `maxAgeMs` (default `maxSkewMs`) behind it. The signature is checked first, so CLOCK_SKEW is only
 * ever told to the owner. A larger `maxAgeMs` is for proofs relayed later: a swarm member checks
 * the owner's signed delete that another member received (replication.ts).
 */
export function verifyOwnerAuth(
  crypto: CryptoProvider,
  auth: OwnerAuthProof | undefined,
  scope: OwnerAuthScope,
  nowMs: number,
  maxSkewMs: number = OWNER_AUTH_MAX_SKEW_MS,
  maxAgeMs: number = maxSkewMs,
): void {
  assertScope(scope);
  if (!Number.isSafeInteger(nowMs)) throw new SamizdatError('INVALID_ARGUMENT', 'nowMs must be an integer');
  if (auth === undefined) throw new SamizdatError('BAD_SIGNATURE', 'this request needs the owner signature', { detail: { reason: 'missing' } });
  if (!(auth.nonce instanceof Uint8Array) || auth.nonce.length !== OWNER_AUTH_NONCE_BYTES) {
    throw new SamizdatError('MALFORMED', `auth nonce must be ${OWNER_AUTH_NONCE_BYTES} bytes`, { detail: { field: 'nonce' } });
  }
  if (!(auth.signature instanceof Uint8Array) || auth.signature.length !== SIZES.ed25519Signature) {
    throw new SamizdatError('MALFORMED', `auth signature must be ${SIZES.ed25519Signature} bytes`, { detail: { field: 'signature' } });
  }
  if (typeof auth.timestampMs !== 'bigint' || auth.timestampMs < 0n || auth.timestampMs > 0xffffffffffffffffn) {
    throw new SamizdatError('MALFORMED', 'auth timestamp out of range', { detail: { field: 'timestamp_ms' } });
  }
  const message = ownerAuthMessage(scope, auth.timestampMs, auth.nonce);
  if (!crypto.verify(scope.account, message, auth.signature)) {
    throw new SamizdatError('BAD_SIGNATURE', 'the owner signature does not verify', { detail: { reason: 'signature' } });
  }
  const skew = auth.timestampMs - BigInt(nowMs);
  if (skew > BigInt(maxSkewMs) || -skew > BigInt(maxAgeMs)) {
    const skewMs = Number(skew < -(2n ** 52n) ? -(2n ** 52n) : skew > 2n ** 52n ? 2n ** 52n : skew);
    const limit = skew > 0n ? maxSkewMs : maxAgeMs;
    throw new SamizdatError('CLOCK_SKEW', `request time is ${Math.round(skewMs / 1000)} s away from the node's clock (limit ${limit / 1000} s)`, {
      detail: { skewMs, maxSkewMs: limit },
    });
  }
}
