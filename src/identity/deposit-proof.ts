/**
 * Deposit proofs: what pays for putting a message into someone's inbox (issue 6, trust and
 * safety). Nodes never learn who sends (sealed sender), so they cannot treat contacts and
 * strangers differently by identity. Instead every inbox deposit carries one of:
 *
 *   - proof of work: a nonce such that
 *       SHA-256("samizdat/v1/deposit-pow" || account(32) || SHA-256(body)(32) || nonce)
 *     starts with at least `difficulty` zero bits. Anyone can make one; it costs time, and it is
 *     bound to the body, so it cannot be reused for another message;
 *   - a contact signature: Ed25519 by the recipient's contact deposit key over
 *       "samizdat/v1/deposit" || account(32) || SHA-256(body)(32).
 *     The recipient publishes the public half in its mailbox policy (mailbox-policy.ts) and hands
 *     the private half to accepted contacts inside end-to-end messages; the node can check the
 *     signature but not tell which contact made it.
 *
 * Pure: no I/O; randomness comes from the provider and the solver yields through an injectable
 * function (a timer by default) so a long search never blocks the caller's event loop.
 */
import { assertBytes, concatBytes, utf8 } from '../crypto/bytes.ts';
import type { CryptoProvider, PrivateKey } from '../crypto/provider.ts';
import { SIZES } from '../crypto/provider.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';

const POW_CONTEXT = utf8('samizdat/v1/deposit-pow');
const SIGNATURE_CONTEXT = utf8('samizdat/v1/deposit');

/** Shortest proof-of-work nonce: 8 bytes leave 2^64 attempts, far more than any difficulty needs. */
export const MIN_POW_NONCE_BYTES = 8;

/** Longest proof-of-work nonce a node accepts (room for a random prefix plus a counter). */
export const MAX_POW_NONCE_BYTES = 16;

/** A contact signature is one Ed25519 signature. */
export const DEPOSIT_SIGNATURE_BYTES = SIZES.ed25519Signature;

/**
 * Highest proof-of-work difficulty a client agrees to solve or a node may ask for: 32 bits is
 * about 4 billion hashes, an hour or more on a phone. A node asking for more is broken or hostile,
 * and the client refuses instead of burning the battery (MALFORMED at the client).
 */
export const MAX_DEPOSIT_POW_BITS = 32;

/**
 * Proof-of-work difficulty asked of strangers: 18 leading zero bits, 262,144 SHA-256 attempts on
 * average. Measured through the CryptoProvider on the 2-core AMD EPYC build server (Node 24):
 * about 900,000 attempts per CPU second, so 0.3 s there and about 1.2 s on a phone four times
 * slower (docs/LIMITS.md, "Deposit proofs"). The trade-off (docs/SECURITY.md): a spammer with a
 * server farm pays almost nothing per message; the work only makes a flood cost something, the
 * per-mailbox stranger bucket is what bounds it, and contacts skip both with their deposit key.
 */
export const DEFAULT_DEPOSIT_POW_BITS = 18;

/**
 * Hash attempts between two yields to the event loop while solving: about 5 ms of hashing at the
 * rate measured on a server core through the provider (docs/LIMITS.md, "Deposit proofs"), about
 * 20 ms on a phone: short enough to keep a user interface responsive, long enough that the
 * yields themselves cost well under a percent.
 */
export const POW_YIELD_EVERY = 4_096;

/** One inbox deposit's proof, as StoreOptions.proof takes it (the DepositProof oneof). */
export type DepositProofInput = { readonly powNonce: Uint8Array } | { readonly contactSignature: Uint8Array };

function checkDifficulty(difficulty: number): void {
  if (!Number.isSafeInteger(difficulty) || difficulty < 0 || difficulty > MAX_DEPOSIT_POW_BITS) {
    throw new SamizdatError('INVALID_ARGUMENT', `difficulty must be an integer in 0..${MAX_DEPOSIT_POW_BITS}`, {
      detail: { limit: MAX_DEPOSIT_POW_BITS, actual: difficulty },
    });
  }
}

/** Number of leading zero bits of `hash` (8 x its length when all zero). */
export function leadingZeroBits(hash: Uint8Array): number {
  assertBytes('hash', hash);
  let bits = 0;
  for (const byte of hash) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** True when `hash` starts with at least `difficulty` zero bits (checked without counting them all). */
function meets(hash: Uint8Array, difficulty: number): boolean {
  const whole = difficulty >>> 3;
  for (let i = 0; i < whole; i++) if (hash[i] !== 0) return false;
  const rest = difficulty & 7;
  return rest === 0 || ((hash[whole] ?? 0) >>> (8 - rest)) === 0;
}

/** The proof-of-work input with room for the nonce at the end: context || account || SHA-256(body) || nonce. */
function powInput(provider: CryptoProvider, account: Uint8Array, body: Uint8Array, nonce: Uint8Array): Uint8Array {
  return concatBytes(POW_CONTEXT, account, provider.hash('sha256', body), nonce);
}

/** The hash a proof-of-work nonce is judged by (exposed for tests and tools). */
export function depositPowHash(provider: CryptoProvider, account: Uint8Array, body: Uint8Array, nonce: Uint8Array): Uint8Array {
  assertBytes('account', account, 32);
  assertBytes('body', body);
  assertBytes('nonce', nonce);
  return provider.hash('sha256', powInput(provider, account, body, nonce));
}

/** MALFORMED unless `nonce` is MIN_POW_NONCE_BYTES..MAX_POW_NONCE_BYTES long (untrusted input). */
export function checkPowNonce(nonce: Uint8Array): void {
  if (nonce.length < MIN_POW_NONCE_BYTES || nonce.length > MAX_POW_NONCE_BYTES) {
    throw new SamizdatError('MALFORMED', `a proof-of-work nonce must be ${MIN_POW_NONCE_BYTES}..${MAX_POW_NONCE_BYTES} bytes`, {
      detail: { field: 'pow_nonce', actual: nonce.length },
    });
  }
}

/**
 * True when `nonce` is proof of `difficulty` bits of work for depositing `body` into `account`'s
 * inbox. MALFORMED for a nonce of the wrong length; INVALID_ARGUMENT for a difficulty outside
 * 0..MAX_DEPOSIT_POW_BITS.
 */
export function checkDepositPow(provider: CryptoProvider, account: Uint8Array, body: Uint8Array, nonce: Uint8Array, difficulty: number): boolean {
  assertBytes('nonce', nonce);
  checkPowNonce(nonce);
  checkDifficulty(difficulty);
  return meets(depositPowHash(provider, account, body, nonce), difficulty);
}

export interface SolveDepositPowOptions {
  /** Stops the search: the promise rejects with the signal's reason if it is a SamizdatError. */
  readonly signal?: AbortSignal;
  /**
   * Most hash attempts before giving up with PROOF_REQUIRED (detail.reason 'gave-up'). Default
   * 64 x 2^difficulty: the chance that an honest search needs more is e^-64.
   */
  readonly maxIterations?: number;
  /** Attempts between yields (default POW_YIELD_EVERY). */
  readonly yieldEvery?: number;
  /** How to yield to the event loop (default: setImmediate, or a zero-delay timer without it). */
  readonly yieldToEventLoop?: () => Promise<void>;
}

function abortError(signal: AbortSignal): SamizdatError {
  const reason: unknown = signal.reason;
  if (isSamizdatError(reason)) return reason;
  return new SamizdatError('PROOF_REQUIRED', 'the proof-of-work search was cancelled', { cause: reason, detail: { reason: 'cancelled' } });
}

/** Lets queued events run: setImmediate where it exists (no 1 ms timer clamp), else a zero timer. */
const defaultYield = (): Promise<void> =>
  new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });

/**
 * Finds a proof-of-work nonce (MIN_POW_NONCE_BYTES long) for depositing `body` into `account`'s
 * inbox at `difficulty` bits: on average 2^difficulty hash attempts. Starts from a random nonce
 * (so two senders never race through the same sequence) and counts up. Yields to the event loop
 * every `yieldEvery` attempts; cancellable with `signal`, bounded by `maxIterations`.
 */
export async function solveDepositPow(
  provider: CryptoProvider,
  account: Uint8Array,
  body: Uint8Array,
  difficulty: number,
  options: SolveDepositPowOptions = {},
): Promise<Uint8Array> {
  assertBytes('account', account, 32);
  assertBytes('body', body);
  checkDifficulty(difficulty);
  const maxIterations = options.maxIterations ?? 64 * 2 ** difficulty;
  const yieldEvery = options.yieldEvery ?? POW_YIELD_EVERY;
  if (!Number.isSafeInteger(maxIterations) || maxIterations < 1) throw new SamizdatError('INVALID_ARGUMENT', 'maxIterations must be a positive integer');
  if (!Number.isSafeInteger(yieldEvery) || yieldEvery < 1) throw new SamizdatError('INVALID_ARGUMENT', 'yieldEvery must be a positive integer');
  const pause = options.yieldToEventLoop ?? defaultYield;
  const { signal } = options;

  const input = powInput(provider, account, body, provider.randomBytes(MIN_POW_NONCE_BYTES));
  const at = input.length - MIN_POW_NONCE_BYTES;
  for (let done = 0; done < maxIterations; ) {
    if (signal?.aborted === true) throw abortError(signal);
    const chunkEnd = Math.min(maxIterations, done + yieldEvery);
    for (; done < chunkEnd; done++) {
      if (meets(provider.hash('sha256', input), difficulty)) return input.slice(at);
      // Next nonce: a little-endian counter over all of its bytes (wraps after 2^64 attempts).
      for (let i = at; i < input.length; i++) {
        input[i] = ((input[i] ?? 0) + 1) & 0xff;
        if (input[i] !== 0) break;
      }
    }
    if (done < maxIterations) await pause();
  }
  throw new SamizdatError('PROOF_REQUIRED', `no proof of ${difficulty} bits of work found in ${maxIterations} attempts`, {
    detail: { reason: 'gave-up', difficulty, attempts: maxIterations },
  });
}

function signedMessage(provider: CryptoProvider, account: Uint8Array, body: Uint8Array): Uint8Array {
  return concatBytes(SIGNATURE_CONTEXT, account, provider.hash('sha256', body));
}

/**
 * The contact signature for depositing `body` into `account`'s inbox, made with the contact
 * deposit key the account's owner gave us (an Ed25519 key: `provider.importPrivateKey('ed25519',
 * seed)` of the 32-byte seed from the owner's message).
 */
export function signDeposit(provider: CryptoProvider, contactDepositKey: PrivateKey, account: Uint8Array, body: Uint8Array): Uint8Array {
  if (contactDepositKey.algorithm !== 'ed25519') throw new SamizdatError('INVALID_ARGUMENT', 'a contact deposit key is an Ed25519 key');
  assertBytes('account', account, 32);
  assertBytes('body', body);
  return provider.sign(contactDepositKey, signedMessage(provider, account, body));
}

/**
 * True when `signature` is a contact signature by `contactDepositKey` (the 32-byte public key of
 * the account's policy) for depositing `body` into `account`'s inbox. False for any bad signature
 * or key bytes; never throws on them.
 */
export function verifyDeposit(provider: CryptoProvider, contactDepositKey: Uint8Array, account: Uint8Array, body: Uint8Array, signature: Uint8Array): boolean {
  assertBytes('contactDepositKey', contactDepositKey);
  assertBytes('account', account, 32);
  assertBytes('body', body);
  assertBytes('signature', signature);
  if (contactDepositKey.length !== SIZES.ed25519PublicKey || signature.length !== DEPOSIT_SIGNATURE_BYTES) return false;
  return provider.verify(contactDepositKey, signedMessage(provider, account, body), signature);
}
