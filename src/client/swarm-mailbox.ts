/**
 * Mailbox access by account rather than by node: the swarm comes from the verified consensus
 * (rendezvous hashing, src/swarm). A WRONG_SWARM answer means the client's consensus is behind the
 * node's: the client fetches a newer consensus, recomputes the swarm and tries again; a member
 * that cannot be reached (PATH_FAILED at the target) or is full (STORAGE_FULL, its storage quota
 * met) is skipped for the next one. A read answered by a full member (RetrieveResult.full), which
 * may lack items stored since, is asked of the next member too; the full member's answer is used
 * only when no other member answers. Works over any
 * MailboxClient, so over onion paths in real use.
 */
import type { CryptoProvider } from '../crypto/provider.ts';
import type { Consensus } from '../directory/index.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { createSwarmIndex, type SwarmIndex } from '../swarm/index.ts';
import type { PeerTarget } from '../wire/index.ts';
import type { DeleteOptions, MailboxClient, RetrieveOptions, RetrieveResult, StoreOptions, StoreResult } from './mailbox-client.ts';

/** Swarm members tried for one request before giving up (a swarm has 5 by default). */
export const MAX_SWARM_ATTEMPTS = 4;

export interface SwarmMailboxOptions {
  readonly mailbox: MailboxClient;
  readonly crypto: CryptoProvider;
  /** The newest verified consensus the client holds. */
  readonly consensus: () => Consensus;
  /** Fetches a newer consensus; undefined when none is newer. */
  readonly refresh: () => Promise<Consensus | undefined>;
}

export interface SwarmMailbox {
  /** The account's swarm in the current consensus, best first. */
  swarmOf(account: Uint8Array): PeerTarget[];
  store(options: StoreOptions): Promise<StoreResult & { readonly target: PeerTarget }>;
  /**
   * Reads from the first member that answers. Cursors are per node, so `afterFor` (when given)
   * names the cursor to use with each member tried, instead of one `after` for all.
   */
  retrieve(options: RetrieveOptions & { readonly afterFor?: (target: PeerTarget) => bigint }): Promise<RetrieveResult & { readonly target: PeerTarget }>;
  delete(options: DeleteOptions): Promise<number>;
}

/** PATH_FAILED that names the target (hop 3 on an onion path, or a direct request). */
function targetUnreachable(err: unknown): boolean {
  return isSamizdatError(err, 'PATH_FAILED') && (err.detail.hop === undefined || err.detail.hop === 3);
}

export function createSwarmMailbox(options: SwarmMailboxOptions): SwarmMailbox {
  const { mailbox, crypto } = options;
  let indexed: { consensus: Consensus; index: SwarmIndex } | undefined;

  const swarmIn = (consensus: Consensus, account: Uint8Array): PeerTarget[] => {
    if (indexed?.consensus !== consensus) indexed = { consensus, index: createSwarmIndex(crypto, consensus.nodes.map((n) => n.nodeId)) };
    const { index } = indexed;
    return index.swarmOf(account, consensus.swarmSize).flatMap((i) => {
      const node = consensus.nodes[i];
      return node === undefined ? [] : [{ peerId: node.peerId, addresses: node.addresses }];
    });
  };

  /**
   * Runs `op` against swarm members until one answers, following WRONG_SWARM once per request.
   * An answer that `settles` rejects (a read from a full member) is kept while the next members
   * are asked, and returned only if none of them answers better.
   */
  const withSwarm = async <T>(
    account: Uint8Array,
    op: (target: PeerTarget) => Promise<T>,
    signal?: AbortSignal,
    settles: (answer: T) => boolean = () => true,
  ): Promise<T & { target: PeerTarget }> => {
    let consensus = options.consensus();
    let refreshed = false;
    const skipped = new Set<string>();
    let fallback: (T & { target: PeerTarget }) | undefined;
    let full = 0;
    let last: unknown = new SamizdatError('PATH_FAILED', 'the account has no swarm in the consensus');
    for (let attempt = 0; attempt < MAX_SWARM_ATTEMPTS; attempt++) {
      const target = swarmIn(consensus, account).find((m) => !skipped.has(m.peerId));
      if (target === undefined) break;
      try {
        const answer = await op(target);
        if (settles(answer)) return { ...answer, target };
        fallback ??= { ...answer, target };
        skipped.add(target.peerId);
      } catch (err) {
        // The caller gave up (watch stopping, say): not the member's fault, and no other member either.
        if (signal?.aborted === true) throw err;
        last = err;
        if (isSamizdatError(err, 'WRONG_SWARM')) {
          if (!refreshed) {
            refreshed = true;
            consensus = (await options.refresh().catch(() => undefined)) ?? options.consensus();
          }
          skipped.add(target.peerId);
        } else if (targetUnreachable(err) || isSamizdatError(err, 'STORAGE_FULL')) {
          // Unreachable, or full (it stores as much as its operator allows): the next member may take it.
          if (isSamizdatError(err, 'STORAGE_FULL')) full += 1;
          skipped.add(target.peerId);
        } else {
          throw err;
        }
      }
    }
    if (fallback !== undefined) return fallback;
    if (isSamizdatError(last, 'STORAGE_FULL')) {
      // The node's own message points to other members; by now they were tried.
      throw new SamizdatError('STORAGE_FULL', `${full} member(s) of the account's swarm were tried and are full (storage quota or disk); try again later`, {
        cause: last,
        detail: { full },
      });
    }
    throw last;
  };

  return {
    swarmOf: (account) => swarmIn(options.consensus(), account),
    store: (o) => withSwarm(o.account, (target) => mailbox.store(target, o)),
    // A full member may lack what was stored since it filled up: read from one with room if any.
    retrieve: (o) =>
      withSwarm(o.account, (target) => mailbox.retrieve(target, o.afterFor === undefined ? o : { ...o, after: o.afterFor(target) }), o.signal, (r) => !r.full),
    async delete(o) {
      const { deleted } = await withSwarm(o.account, async (target) => ({ deleted: await mailbox.delete(target, o) }));
      return deleted;
    },
  };
}
