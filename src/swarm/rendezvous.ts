/**
 * Rendezvous (highest-random-weight) hashing: an account's swarm is the k nodes of the consensus
 * with the highest score(node, account). Every party that holds the same consensus computes the
 * same swarm, and a membership change moves only the accounts it must (DESIGN.md §4 "Swarms").
 *
 * ## The score
 *
 *   K_node    = first 8 bytes of SHA-256("samizdat/v1/swarm-node"    || 0x00 || nodeId)
 *   K_account = first 8 bytes of SHA-256("samizdat/v1/swarm-account" || 0x00 || accountId)
 *   (x, y)    = the two big-endian 32-bit words of K_node XOR K_account
 *   lo        = fmix32(x)
 *   hi        = fmix32(lo XOR y)
 *   score     = hi * 2^32 + lo            (an unsigned 64-bit integer)
 *
 * where fmix32 is MurmurHash3's 32-bit finalizer (h ^= h >>> 16; h *= 0x85ebca6b; h ^= h >>> 13;
 * h *= 0xc2b2ae35; h ^= h >>> 16, all mod 2^32). A swarm lists nodes by descending score; equal
 * scores (possible only when two nodes' 64-bit keys collide, about n^2 / 2^65) are ordered by
 * node ID bytes, lexicographically ascending. See SWARM_SCORE_VECTORS in the tests for examples.
 *
 * ## Why this is as good as H(nodeId || accountId) for load balance
 *
 * Hashing every (node, account) pair with SHA-256 would cost 2 x 10^9 hashes for 2,000 nodes and
 * 10^6 accounts. Here each ID is hashed once; the per-pair work is two 32-bit finalizers (four
 * Math.imul), a few nanoseconds. Balance needs only that, for a random account, the order of the
 * nodes is a uniformly random permutation, independently across accounts:
 * - K_node and K_account are SHA-256 outputs, so for every node K_node XOR K_account is uniform
 *   over 2^64 for a random account, and the difference between two nodes' inputs
 *   (K_i XOR K_j) is a fixed random value that no honest party chose.
 * - fmix32 is a bijection with full avalanche (every input bit flips every output bit with
 *   probability about 1/2). `hi` passes x through two rounds and y through one, so the ranking
 *   word depends on all 64 input bits; inputs that differ by a random 64-bit difference give
 *   scores that behave as independent. `(hi, lo)` is a bijection of `(x, y)`, so two distinct node
 *   keys never tie for the same account.
 * - The bench (`npm run bench swarm`) measures the outcome on 2,000 nodes and 10^6 accounts: the
 *   busiest node's load over the mean, and the share of accounts that move when a node leaves,
 *   next to the ideal k/n.
 *
 * ## What it is not: grinding
 *
 * The score is not a security property, and a full SHA-256 per pair would not make it one. Node
 * and account IDs are Ed25519 keys that cost microseconds to make, so whoever knows the consensus
 * can grind: an operator tries about n/k node keys to land in one chosen account's swarm (a few
 * hundred for n = 2,000), and a user can grind an account onto chosen nodes, under either formula.
 * Because the mixer is not a cryptographic PRF, someone could in principle also pick node keys with
 * a structured difference to other nodes' keys to shift load a little; the gain is bounded by the
 * same grinding an attacker can already do. The defences live elsewhere: authorities admit nodes
 * to the consensus (a Sybil must pass them many times to fill a swarm), all stored data is sealed
 * ciphertext without sender identity, and k = 5 replicas mean one node cannot drop an account's
 * messages. Salting both keys with a per-period shared random value from the consensus (as Tor's
 * HSDir ring does) would force grinding to be redone each period; that costs a reshuffle of all
 * data each period and is left for later.
 */
import type { CryptoProvider } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';

/** Swarm size when the network file does not set one (DESIGN.md §4). */
export const DEFAULT_SWARM_SIZE = 5;

/**
 * Longest node or account ID accepted, in bytes. Account IDs are 32-byte Ed25519 keys and node IDs
 * libp2p peer IDs (under 64 bytes); 256 leaves room for other encodings while rejecting junk.
 */
export const MAX_ID_BYTES = 256;

/** Largest consensus a swarm index accepts: far above any real network, far below memory trouble. */
export const MAX_NODES = 1_000_000;

const NODE_LABEL = 'samizdat/v1/swarm-node';
const ACCOUNT_LABEL = 'samizdat/v1/swarm-account';

/** An account's 64-bit key (K_account above), computed once for many swarm look-ups. */
export interface AccountKey {
  /** Big-endian word 0 of K_account. */
  readonly hi: number;
  /** Big-endian word 1 of K_account. */
  readonly lo: number;
}

export interface SwarmIndex {
  /** Number of nodes in the index. */
  readonly size: number;
  /** The node ID at `index` (a copy), as given to createSwarmIndex. */
  nodeId(index: number): Uint8Array;
  /** The indices (into the node list given) of the account's swarm, best first; all n when k > n. */
  swarmOf(accountId: Uint8Array, k: number): number[];
  /** swarmOf for a key from `accountKey`, for bulk use. */
  swarmOfPrehashed(key: AccountKey, k: number): number[];
  /** The node IDs of the account's swarm, best first. */
  swarmIdsOf(accountId: Uint8Array, k: number): Uint8Array[];
  /** The 64-bit score of one node for one account (for tests and diagnostics; slow path). */
  scoreOf(index: number, key: AccountKey): bigint;
}

function assertId(name: string, id: unknown): asserts id is Uint8Array {
  if (!(id instanceof Uint8Array)) throw new SamizdatError('INVALID_ARGUMENT', `${name} must be a Uint8Array`);
  if (id.length === 0 || id.length > MAX_ID_BYTES) {
    throw new SamizdatError('INVALID_ARGUMENT', `${name} must be 1..${MAX_ID_BYTES} bytes, got ${id.length}`, {
      detail: { max: MAX_ID_BYTES, actual: id.length },
    });
  }
}

function assertK(k: unknown): asserts k is number {
  if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1) {
    throw new SamizdatError('INVALID_ARGUMENT', `k must be a positive integer, got ${String(k)}`);
  }
}

const encoder = new TextEncoder();

/** The first two big-endian 32-bit words of SHA-256(label || 0x00 || id). */
function key64(crypto: CryptoProvider, label: string, id: Uint8Array): [number, number] {
  const prefix = encoder.encode(label);
  const input = new Uint8Array(prefix.length + 1 + id.length);
  input.set(prefix, 0);
  input.set(id, prefix.length + 1);
  const d = crypto.hash('sha256', input);
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  return [view.getUint32(0), view.getUint32(4)];
}

/** K_account for `accountId` (see the module comment). */
export function accountKey(crypto: CryptoProvider, accountId: Uint8Array): AccountKey {
  assertId('accountId', accountId);
  const [hi, lo] = key64(crypto, ACCOUNT_LABEL, accountId);
  return { hi, lo };
}

/** MurmurHash3 fmix32, unsigned result. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Lexicographic comparison of two byte strings (a shorter prefix sorts first). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * The running top k of one look-up, best first. `hi` and `lo` hold the score words with the sign
 * bit flipped (w ^ 0x80000000, as int32): signed order on those is unsigned order on the words, and
 * it keeps the hot loop in int32 arithmetic.
 */
interface Top {
  readonly hi: Int32Array;
  readonly lo: Int32Array;
  readonly idx: Int32Array;
}

/** True when candidate (hi, lo, node i) ranks above slot s of `top`. */
function beats(top: Top, ids: readonly Uint8Array[], hi: number, lo: number, i: number, s: number): boolean {
  const shi = top.hi[s] ?? 0;
  if (hi !== shi) return hi > shi;
  const slo = top.lo[s] ?? 0;
  if (lo !== slo) return lo > slo;
  return compareBytes(ids[i] ?? new Uint8Array(0), ids[top.idx[s] ?? 0] ?? new Uint8Array(0)) < 0;
}

/** Puts node i into `top` (which holds `count` entries, at most `want`); returns the new count. */
function insert(top: Top, ids: readonly Uint8Array[], want: number, count: number, hi: number, lo: number, i: number): number {
  let s: number;
  if (count < want) {
    s = count++;
  } else {
    s = want - 1;
    if (!beats(top, ids, hi, lo, i, s)) return count;
  }
  while (s > 0 && beats(top, ids, hi, lo, i, s - 1)) {
    top.hi[s] = top.hi[s - 1] ?? 0;
    top.lo[s] = top.lo[s - 1] ?? 0;
    top.idx[s] = top.idx[s - 1] ?? 0;
    s--;
  }
  top.hi[s] = hi;
  top.lo[s] = lo;
  top.idx[s] = i;
  return count;
}

/** The hot loop: scores every node for account key (ax, ay) and keeps the best `want`. */
function topK(kx: Int32Array, ky: Int32Array, ids: readonly Uint8Array[], ax: number, ay: number, want: number): number[] {
  const top: Top = { hi: new Int32Array(want), lo: new Int32Array(want), idx: new Int32Array(want) };
  const n = kx.length;
  let count = 0;
  // The worst `hi` kept once `want` are kept; below it a node cannot enter. Until then, all enter.
  let floor = -0x80000000;
  for (let i = 0; i < n; i++) {
    // lo = fmix32(x), hi = fmix32(lo ^ y), inlined: this loop runs 2 x 10^9 times in the bench.
    let l = (kx[i] ?? 0) ^ ax;
    l ^= l >>> 16;
    l = Math.imul(l, 0x85ebca6b);
    l ^= l >>> 13;
    l = Math.imul(l, 0xc2b2ae35);
    l ^= l >>> 16;
    let h = l ^ (ky[i] ?? 0) ^ ay;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    const hi = h ^ -0x80000000;
    if (hi < floor) continue;
    count = insert(top, ids, want, count, hi, l ^ -0x80000000, i);
    if (count === want) floor = top.hi[want - 1] ?? 0;
  }
  const out: number[] = [];
  for (let s = 0; s < want; s++) out.push(top.idx[s] ?? 0);
  return out;
}

/**
 * Builds the index of a consensus's nodes. Throws INVALID_ARGUMENT for a bad or duplicate ID.
 * The order of `nodeIds` does not change any swarm, only the indices used to name its members.
 */
export function createSwarmIndex(crypto: CryptoProvider, nodeIds: readonly Uint8Array[]): SwarmIndex {
  if (!Array.isArray(nodeIds)) throw new SamizdatError('INVALID_ARGUMENT', 'nodeIds must be an array');
  const n = nodeIds.length;
  if (n > MAX_NODES) throw new SamizdatError('INVALID_ARGUMENT', `at most ${MAX_NODES} nodes, got ${n}`);
  const ids: Uint8Array[] = [];
  const kx = new Int32Array(n);
  const ky = new Int32Array(n);
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const id: unknown = nodeIds[i];
    assertId(`nodeIds[${i}]`, id);
    const hex = Array.from(id, (b) => b.toString(16).padStart(2, '0')).join('');
    if (seen.has(hex)) throw new SamizdatError('INVALID_ARGUMENT', `nodeIds[${i}] is a duplicate`);
    seen.add(hex);
    ids.push(id.slice());
    const [x, y] = key64(crypto, NODE_LABEL, id);
    kx[i] = x;
    ky[i] = y;
  }

  const swarmOfPrehashed = (key: AccountKey, k: number): number[] => {
    assertK(k);
    if (typeof key !== 'object' || key === null || !Number.isInteger(key.hi) || !Number.isInteger(key.lo)) {
      throw new SamizdatError('INVALID_ARGUMENT', 'key must come from accountKey()');
    }
    return topK(kx, ky, ids, key.hi, key.lo, Math.min(k, n));
  };

  const assertIndex = (index: unknown): number => {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= n) {
      throw new SamizdatError('INVALID_ARGUMENT', `index must be an integer in 0..${n - 1}`);
    }
    return index;
  };

  return {
    size: n,
    nodeId: (index) => (ids[assertIndex(index)] ?? new Uint8Array(0)).slice(),
    swarmOf: (accountId, k) => swarmOfPrehashed(accountKey(crypto, accountId), k),
    swarmOfPrehashed,
    swarmIdsOf: (accountId, k) => swarmOfPrehashed(accountKey(crypto, accountId), k).map((i) => (ids[i] ?? new Uint8Array(0)).slice()),
    scoreOf(index, key) {
      const i = assertIndex(index);
      const lo = fmix32((kx[i] ?? 0) ^ key.hi);
      const hi = fmix32(lo ^ (ky[i] ?? 0) ^ key.lo);
      return (BigInt(hi) << 32n) | BigInt(lo);
    },
  };
}
