/**
 * The node's gate for inbox deposits (issue 6, trust and safety): every `inbox` store must carry a
 * deposit proof (src/identity/deposit-proof.ts) and passes these rules, in order:
 *   1. no proof: REFUSED if the account's policy refuses strangers, else PROOF_REQUIRED with the
 *      node's proof-of-work difficulty;
 *   2. contact signature (64 bytes, else MALFORMED) that verifies against the contact deposit key
 *      of the account's current policy: accepted, after a token from the mailbox's contact bucket
 *      (generous); it never touches the stranger bucket. One that does not verify (forged, or
 *      made with a key the owner has since rotated) is treated like a stranger without work:
 *      REFUSED or PROOF_REQUIRED;
 *   3. proof-of-work nonce (8..16 bytes, else MALFORMED): REFUSED if the policy refuses strangers;
 *      PROOF_REQUIRED unless it has the node's difficulty; else accepted after a token from the
 *      mailbox's stranger bucket (RATE_LIMITED with retryAfterMs when it is empty).
 * An account without a policy gets the strangers' rules. The current policy is the live policy
 * item of the account's `config` with the highest sequence (mailbox-policy.ts); it is cached per
 * account and looked up again whenever the config's set digest changes (any write, replica, delete
 * or sweep), so no invalidation path can be missed.
 *
 * Replicas from swarm peers are not checked again: the member that took the deposit did, and
 * members trust each other's replication as for every other rule. The buckets are per node, so an
 * account's swarm of k members admits at most k times a bucket's rate.
 *
 * Memory is bounded: buckets and cached policies live in LRU maps of MAX_DEPOSIT_MAILBOXES
 * accounts. Nothing about a sender is kept or logged: the gate sees a proof, not a person.
 */
import type { CryptoProvider } from '../crypto/provider.ts';
import { sameBytes, toHex } from '../crypto/bytes.ts';
import { SamizdatError } from '../errors.ts';
import { DEPOSIT_SIGNATURE_BYTES, MAX_DEPOSIT_POW_BITS, checkDepositPow, checkPowNonce, verifyDeposit } from '../identity/deposit-proof.ts';
import { decodeMailboxPolicy, isMailboxPolicyPayload, openMailboxPolicy } from '../identity/mailbox-policy.ts';
import type { MailboxPolicy } from '../identity/mailbox-policy.ts';
import { OWNER_ITEM_SIGNATURE_BYTES } from '../identity/owner-item.ts';
import type { DepositProof } from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import { MAX_LIST_LIMIT } from './mailbox-store.ts';
import type { MailboxStore } from './mailbox-store.ts';
import type { RateLimit } from './rate-limit.ts';

/** The difficulty asked of strangers (defined beside the proofs, so clients know it too). */
export { DEFAULT_DEPOSIT_POW_BITS } from '../identity/deposit-proof.ts';

/**
 * Deposits with proof of work (strangers) one node accepts into one mailbox: 30 a minute sustained
 * (0.5/s) with a burst of 30. A stranger's first message is a request that waits for an answer, so
 * even a public figure gets far fewer a minute from real people; a flood of valid proofs then
 * stores at most 30 + 30/min per node (k times that per swarm), against an inbox cap of 10,000.
 */
export const STRANGER_DEPOSIT_RATE: RateLimit = { ratePerSecond: 0.5, burst: 30 };

/**
 * Contact-signed deposits one node accepts into one mailbox: 10/s sustained with a burst of 600.
 * Contacts are people the owner accepted, in groups of up to 100 members that may all write at
 * once, and a sender's queue flushes after days offline; this bound only keeps a contact's client
 * gone wrong (or a key the owner has not yet rotated after a block) from filling the inbox in
 * seconds.
 */
export const CONTACT_DEPOSIT_RATE: RateLimit = { ratePerSecond: 10, burst: 600 };

/**
 * Accounts whose deposit buckets and cached policies a node keeps (each map; about 200 bytes an
 * entry, 4 MB each at most). More than the accounts a node serves in a network of a million users
 * (about 2,500 with k = 5 over 2,000 nodes); past it, the least recently used account's entries go
 * (its bucket starts full again, and a policy is simply read again).
 */
export const MAX_DEPOSIT_MAILBOXES = 20_000;

export interface DepositLimits {
  /** Proof-of-work difficulty in bits; 0 switches deposit proofs off (no proof, no buckets). */
  readonly powBits: number;
  readonly strangerRate: RateLimit;
  readonly contactRate: RateLimit;
}

export interface DepositGateOptions {
  readonly store: MailboxStore;
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  readonly limits: DepositLimits;
  /** Default MAX_DEPOSIT_MAILBOXES. */
  readonly maxMailboxes?: number;
}

export interface DepositGate {
  /**
   * Admits one inbox deposit or throws PROOF_REQUIRED (detail.difficulty), REFUSED, RATE_LIMITED
   * (retryAfterMs) or MALFORMED, per the rules above.
   */
  admit(account: Uint8Array, body: Uint8Array, proof: DepositProof | undefined): void;
  /** The account's current policy (newest valid live policy item of its config), if any. */
  policyOf(account: Uint8Array): MailboxPolicy | undefined;
  /**
   * For the owner's own store of a config payload: a policy must not roll back the current one
   * (ROLLBACK for a lower sequence, or the same sequence with other settings), so the owner learns
   * at once that a store would not take effect.
   */
  checkOwnerPolicy(account: Uint8Array, payload: Uint8Array): void;
  clear(): void;
}

interface CachedPolicy {
  readonly digest: Uint8Array;
  readonly policy: MailboxPolicy | undefined;
  /** When the chosen item expires: after it, look again (an older live one may apply). */
  readonly validUntilMs: number;
}

/** Moves `key` to the most recently used end of `map` with `value`, dropping the oldest entry when full. */
function touch<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(key, value);
}

interface Bucket {
  tokens: number;
  last: number;
}

/**
 * Token buckets per mailbox (as rate-limit.ts, but answering instead of throwing: a flood is
 * refused thousands of times a second, and one error object per refusal is enough).
 */
function mailboxBuckets(limit: RateLimit, now: () => number, max: number) {
  if (!(limit.ratePerSecond > 0) || !(limit.burst >= 1)) throw new SamizdatError('INVALID_ARGUMENT', 'a rate limit needs ratePerSecond > 0 and burst >= 1');
  const buckets = new Map<string, Bucket>(); // least recently used first
  return {
    /** Takes a token for `key`: 0 on success, else the milliseconds until the next token. */
    take(key: string): number {
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: limit.burst, last: t };
      touch(buckets, key, bucket, max);
      if (t > bucket.last) {
        bucket.tokens = Math.min(limit.burst, bucket.tokens + ((t - bucket.last) * limit.ratePerSecond) / 1000);
        bucket.last = t;
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil(((1 - bucket.tokens) * 1000) / limit.ratePerSecond));
    },
    clear: () => buckets.clear(),
  };
}

export function createDepositGate(options: DepositGateOptions): DepositGate {
  const { store, crypto, now, limits } = options;
  const maxMailboxes = options.maxMailboxes ?? MAX_DEPOSIT_MAILBOXES;
  if (!Number.isSafeInteger(limits.powBits) || limits.powBits < 0 || limits.powBits > MAX_DEPOSIT_POW_BITS) {
    throw new SamizdatError('INVALID_ARGUMENT', `depositPowBits must be an integer in 0..${MAX_DEPOSIT_POW_BITS}`);
  }
  const strangers = mailboxBuckets(limits.strangerRate, now, maxMailboxes);
  const contacts = mailboxBuckets(limits.contactRate, now, maxMailboxes);
  const cache = new Map<string, CachedPolicy>(); // least recently used first

  const scan = (account: Uint8Array, digest: Uint8Array): CachedPolicy => {
    let best: { policy: MailboxPolicy; expiresAtMs: number } | undefined;
    let after = 0n;
    for (;;) {
      const page = store.list(account, 'config', after, MAX_LIST_LIMIT);
      for (const item of page.items) {
        after = item.cursor;
        if (!isMailboxPolicyPayload(item.body.subarray(Math.min(OWNER_ITEM_SIGNATURE_BYTES, item.body.length)))) continue;
        let policy: MailboxPolicy;
        try {
          policy = openMailboxPolicy(crypto, account, item.body);
        } catch {
          continue; // checked on the way in; a bad one here is ignored, never trusted
        }
        if (best === undefined || policy.sequence > best.policy.sequence) best = { policy, expiresAtMs: item.expiresAtMs };
      }
      if (!page.more || page.items.length === 0) break;
    }
    return { digest, policy: best?.policy, validUntilMs: best?.expiresAtMs ?? Infinity };
  };

  const policyOf = (account: Uint8Array): MailboxPolicy | undefined => {
    const { digest, count } = store.digestOf(account, 'config');
    if (count === 0) return undefined;
    const key = toHex(account);
    let entry = cache.get(key);
    if (entry === undefined || !sameBytes(entry.digest, digest) || now() >= entry.validUntilMs) entry = scan(account, digest.slice());
    touch(cache, key, entry, maxMailboxes);
    return entry.policy;
  };

  const proofRequired = (why: string): SamizdatError =>
    new SamizdatError('PROOF_REQUIRED', `${why}: attach ${limits.powBits} bits of proof of work or a contact signature`, {
      detail: { difficulty: limits.powBits },
    });

  const refused = (): SamizdatError =>
    new SamizdatError('REFUSED', 'the recipient accepts messages from contacts only', { detail: { reason: 'refuse-strangers' } });

  /** Takes a token from the mailbox's bucket, or RATE_LIMITED with retryAfterMs. */
  const take = (buckets: ReturnType<typeof mailboxBuckets>, account: Uint8Array, who: string): void => {
    const retryAfterMs = buckets.take(toHex(account));
    if (retryAfterMs === 0) return;
    throw new SamizdatError('RATE_LIMITED', `this mailbox takes no more ${who} deposits for now; retry in ${retryAfterMs} ms`, {
      retryAfterMs,
      detail: { reason: `mailbox-${who}-rate` },
    });
  };

  return {
    policyOf,
    checkOwnerPolicy(account, payload) {
      if (!isMailboxPolicyPayload(payload)) return;
      const next = decodeMailboxPolicy(payload);
      const current = policyOf(account);
      if (current === undefined || next.sequence > current.sequence) return;
      const same = next.sequence === current.sequence && next.refuseStrangers === current.refuseStrangers && sameBytes(next.contactDepositKey, current.contactDepositKey);
      if (!same) {
        throw new SamizdatError('ROLLBACK', `a mailbox policy needs a sequence above ${current.sequence}`, {
          detail: { current: current.sequence.toString() },
        });
      }
    },
    admit(account, body, proof) {
      if (limits.powBits === 0) return;
      const value = proof?.proof;
      if (value === undefined || value.case === undefined) {
        if (policyOf(account)?.refuseStrangers === true) throw refused();
        throw proofRequired('an inbox deposit needs a proof');
      }
      if (value.case === 'contactSignature') {
        if (value.value.length !== DEPOSIT_SIGNATURE_BYTES) {
          throw new SamizdatError('MALFORMED', `a contact signature must be ${DEPOSIT_SIGNATURE_BYTES} bytes`, { detail: { field: 'contact_signature' } });
        }
        const policy = policyOf(account);
        if (policy !== undefined && verifyDeposit(crypto, policy.contactDepositKey, account, body, value.value)) {
          take(contacts, account, 'contact');
          return;
        }
        if (policy?.refuseStrangers === true) throw refused();
        throw proofRequired('the contact signature does not match the recipient\'s current deposit key');
      }
      checkPowNonce(value.value);
      if (policyOf(account)?.refuseStrangers === true) throw refused();
      if (!checkDepositPow(crypto, account, body, value.value, limits.powBits)) throw proofRequired('not enough proof of work');
      take(strangers, account, 'stranger');
    },
    clear() {
      strangers.clear();
      contacts.clear();
      cache.clear();
    },
  };
}
