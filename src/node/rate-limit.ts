/**
 * Token buckets for per-connection rate limits. A bucket holds at most `burst` tokens and refills
 * at `ratePerSecond`; each request takes one. The clock is injected, so no timer runs: a bucket is
 * refilled lazily when it is asked.
 */
import { SamizdatError } from '../errors.ts';

export interface RateLimit {
  /** Sustained requests per second. */
  readonly ratePerSecond: number;
  /** Requests allowed at once after a quiet period. */
  readonly burst: number;
}

/**
 * Mailbox requests per second on one session from a client (or anything not in the consensus).
 * A person's client sends a few a second at most (a send, a long-poll, a delete); 300/s (Session's
 * per-IP limit, ANCHORS.md) with a burst of 1,000 leaves room for catching up after days offline
 * or a group send, while one connection still gets at most a small share of a node's capacity
 * (about 5,000 stores/s on 2 cores).
 */
export const CLIENT_RATE_LIMIT: RateLimit = { ratePerSecond: 300, burst: 1_000 };

/**
 * Mailbox requests per second on one session from another node of the consensus: onion exits
 * forward many clients' requests over one connection, so they get forty times a client's share.
 */
export const NODE_RATE_LIMIT: RateLimit = { ratePerSecond: 2_000, burst: 4_000 };

export interface TokenBucket {
  /** Takes one token, or throws RATE_LIMITED with `retryAfterMs` (when the next token arrives). */
  take(): void;
}

export function createTokenBucket(limit: RateLimit, now: () => number): TokenBucket {
  if (!(limit.ratePerSecond > 0) || !(limit.burst >= 1)) {
    throw new SamizdatError('INVALID_ARGUMENT', 'a rate limit needs ratePerSecond > 0 and burst >= 1');
  }
  let tokens = limit.burst;
  let last = now();
  return {
    take() {
      const t = now();
      if (t > last) {
        tokens = Math.min(limit.burst, tokens + ((t - last) * limit.ratePerSecond) / 1000);
        last = t;
      }
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      const retryAfterMs = Math.max(1, Math.ceil(((1 - tokens) * 1000) / limit.ratePerSecond));
      throw new SamizdatError('RATE_LIMITED', `too many requests; retry in ${retryAfterMs} ms`, { retryAfterMs });
    },
  };
}

/**
 * A token bucket whose limit is asked for again on every take: whether a peer counts as a node
 * (NODE_RATE_LIMIT) or a client follows the consensus, which can change after the peer's first
 * request. A bucket fixed at creation kept a node that first arrived while this node's consensus
 * did not list it yet (right after start-up, or a node that just joined) at a client's 300/s for
 * as long as the bucket lived. When the limit changes the bucket starts over, full, at the new
 * limit: at most one extra burst per change of class, and classes change with the consensus.
 */
export function createClassedBucket(limitNow: () => RateLimit, now: () => number): TokenBucket {
  let limit = limitNow();
  let bucket = createTokenBucket(limit, now);
  return {
    take() {
      const current = limitNow();
      if (current.ratePerSecond !== limit.ratePerSecond || current.burst !== limit.burst) {
        limit = current;
        bucket = createTokenBucket(current, now);
      }
      bucket.take();
    },
  };
}

/**
 * Peers whose delivery buckets one node keeps (onion exits handing it requests). Far more than the
 * nodes of any consensus; when full, the least recently seen peer's bucket is dropped (it starts
 * full again on its next request, which only a peer that was idle the longest can gain from).
 */
export const MAX_RATE_LIMITED_PEERS = 10_000;

export interface PeerBuckets {
  /** Takes one token from `peer`'s bucket, or throws RATE_LIMITED. */
  take(peer: string): void;
  clear(): void;
}

/**
 * One token bucket per peer, at the rate `rateFor(peer)` gives at each take (createClassedBucket),
 * bounded by MAX_RATE_LIMITED_PEERS.
 */
export function createPeerBuckets(rateFor: (peer: string) => RateLimit, now: () => number, maxPeers = MAX_RATE_LIMITED_PEERS): PeerBuckets {
  const buckets = new Map<string, TokenBucket>(); // least recently used first
  return {
    take(peer) {
      let bucket = buckets.get(peer);
      if (bucket === undefined) {
        if (buckets.size >= maxPeers) {
          const oldest = buckets.keys().next();
          if (oldest.done !== true) buckets.delete(oldest.value);
        }
        bucket = createClassedBucket(() => rateFor(peer), now);
      } else {
        buckets.delete(peer);
      }
      buckets.set(peer, bucket);
      bucket.take();
    },
    clear() {
      buckets.clear();
    },
  };
}
