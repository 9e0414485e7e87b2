/**
 * A bounded replay cache (README "Keys"): remembers the hash of every KEM ciphertext a hop
 * accepted until the onion key it was made for is deleted. After that a replay cannot be opened
 * anyway (BAD_KEY), so the entry can go.
 *
 * Bounded: at most `maxEntries`. When full even after dropping expired entries, it REFUSES the new
 * layer (RATE_LIMITED with a retry hint) instead of growing or forgetting a live entry: forgetting
 * would reopen the door to a replay, growing would let a flood exhaust memory. Honest senders see
 * a retryable error until entries expire (at the next key deletion), and the operator sees the
 * error rate. Pure: the clock is injected.
 */
import { assertBytes, toHex } from '../crypto/index.ts';
// limits.ts directly: the directory index also loads its file helpers (node:fs).
import { MAX_ONION_KEY_ROTATION_MS } from '../directory/limits.ts';
import { SamizdatError } from '../errors.ts';

/** Bytes of the hash kept per entry: 16 bytes of SHA-256 keep collisions at 2^-64 even for 2^32 entries. */
export const REPLAY_HASH_BYTES = 16;

/** Longest retry hint given when the cache is full. */
const MAX_FULL_RETRY_MS = 60_000;

/** A full sweep is O(n); when full, run it at most this often. */
const FULL_SWEEP_INTERVAL_MS = 1_000;

export interface ReplayCacheOptions {
  readonly now: () => number;
  readonly maxEntries: number;
  /**
   * How long to remember a hash when the caller cannot say when its key is deleted
   * (default DEFAULT_REPLAY_TTL_MS).
   */
  readonly defaultTtlMs?: number;
}

/**
 * Default memory of an entry: the longest onion key rotation a network file may set (7 days)
 * plus one day of overlap, so a replay is never forgotten while its key could still open it.
 */
export const DEFAULT_REPLAY_TTL_MS = MAX_ONION_KEY_ROTATION_MS + 86_400_000;

export interface ReplayCache {
  /**
   * True if `hash` is new (it is then remembered until `expiresAtMs`); false if it was seen and
   * has not expired. Without `expiresAtMs` the entry lives `defaultTtlMs`. RATE_LIMITED when the
   * cache is full of live entries.
   */
  checkAndRemember(hash: Uint8Array, expiresAtMs?: number): boolean;
  /** Entries held now (expired ones may linger until a sweep). */
  readonly size: number;
  /** Drops every entry (for stop()). */
  clear(): void;
}

export function createReplayCache(options: ReplayCacheOptions): ReplayCache {
  const { now, maxEntries } = options;
  const defaultTtlMs = options.defaultTtlMs ?? DEFAULT_REPLAY_TTL_MS;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new SamizdatError('INVALID_ARGUMENT', 'maxEntries must be a positive integer');
  }
  // Insertion order is roughly expiry order (newer keys expire later), so the cheap sweep drops
  // expired entries from the front and stops at the first live one.
  const entries = new Map<string, number>();
  let lastFullSweep = -Infinity;
  let soonestLive = Infinity; // earliest expiry seen by the last full sweep

  const sweepFront = (t: number): void => {
    for (const [key, expires] of entries) {
      if (expires > t) break;
      entries.delete(key);
    }
  };
  const sweepAll = (t: number): void => {
    lastFullSweep = t;
    soonestLive = Infinity;
    for (const [key, expires] of entries) {
      if (expires <= t) entries.delete(key);
      else soonestLive = Math.min(soonestLive, expires);
    }
  };

  return {
    checkAndRemember(hash, expiresAt) {
      assertBytes('hash', hash);
      const t = now();
      const expiresAtMs = expiresAt ?? t + defaultTtlMs;
      if (hash.length < REPLAY_HASH_BYTES) throw new SamizdatError('INVALID_ARGUMENT', `hash must be at least ${REPLAY_HASH_BYTES} bytes`);
      if (!Number.isFinite(expiresAtMs)) throw new SamizdatError('INVALID_ARGUMENT', 'expiresAtMs must be finite');
      const key = toHex(hash.subarray(0, REPLAY_HASH_BYTES));
      const seen = entries.get(key);
      if (seen !== undefined) {
        if (seen > t) return false;
        entries.delete(key);
      }
      if (expiresAtMs <= t) return true; // nothing to remember: its key is already gone
      sweepFront(t);
      if (entries.size >= maxEntries && t - lastFullSweep >= FULL_SWEEP_INTERVAL_MS) sweepAll(t);
      if (entries.size >= maxEntries) {
        throw new SamizdatError('RATE_LIMITED', 'the replay cache is full; try again later', {
          retryAfterMs: Math.max(1, Math.min(MAX_FULL_RETRY_MS, soonestLive - t)),
          detail: { limit: maxEntries },
        });
      }
      entries.set(key, expiresAtMs);
      return true;
    },
    get size() {
      return entries.size;
    },
    clear() {
      entries.clear();
    },
  };
}
