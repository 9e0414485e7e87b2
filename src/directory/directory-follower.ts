/**
 * The directory as a node (or client) follows it: publish our descriptor to every authority at
 * start and once a period, fetch a newer consensus every quarter period, keep the newest verified
 * one (also on disk, for the next start), and serve it on /samizdat/dir/consensus/1.0.0 so that
 * one reachable node is enough for anyone to bootstrap.
 */
import type { CryptoProvider } from '../crypto/provider.ts';
import { isSamizdatError } from '../errors.ts';
import type { RpcTransport } from '../wire/index.ts';
import { verifyConsensus } from './consensus.ts';
import type { Consensus } from './consensus.ts';
import { serveConsensus } from './consensus-server.ts';
import { consensusTargets, fetchNewerConsensus } from './directory-client.ts';
import { loadCachedConsensus, saveConsensus } from './files.ts';
import type { NetworkConfig } from './network-file.ts';
import { CONSENSUS_PROTOCOL, callDirectory, PUBLISH_PROTOCOL } from './protocols.ts';
import { SILENT_LOGGER, sleep } from './runtime.ts';
import type { DirectoryLogger } from './runtime.ts';

/** Peers asked per refresh: enough to get past a few dead ones, few enough to stay light. */
export const REFRESH_MAX_ATTEMPTS = 8;

export interface DirectoryFollowerOptions {
  readonly transport: RpcTransport;
  readonly crypto: CryptoProvider;
  readonly network: NetworkConfig;
  readonly now: () => number;
  /** The node's current SignedNodeDescriptor bytes; omit for a client that does not publish. */
  readonly selfDescriptor?: () => Uint8Array;
  /** Where the last verified consensus is kept between runs. */
  readonly cacheFile?: string;
  /** Serve the consensus protocol (default true). */
  readonly serve?: boolean;
  /** Default consensusPeriodMs / 4. */
  readonly refreshIntervalMs?: number;
  /** Default consensusPeriodMs. */
  readonly publishIntervalMs?: number;
  readonly logger?: DirectoryLogger;
}

export interface DirectoryFollower {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The newest verified consensus (possibly past validUntil after a long outage), if any. */
  current(): Consensus | undefined;
  /** Calls `listener` with every newer consensus; returns a function that unsubscribes. */
  onChange(listener: (consensus: Consensus) => void): () => void;
  /** Fetches now; resolves to the new consensus, or undefined when nothing newer was found. */
  refresh(): Promise<Consensus | undefined>;
  /** Publishes the descriptor to every authority now; resolves to how many accepted it. */
  publish(): Promise<number>;
  /** Verifies consensus bytes from elsewhere (a file, the mesh) and takes them if newer. */
  adopt(bytes: Uint8Array, options?: { allowStale?: boolean }): Promise<Consensus>;
}

export function createDirectoryFollower(options: DirectoryFollowerOptions): DirectoryFollower {
  const { transport, crypto, network, now } = options;
  const logger = options.logger ?? SILENT_LOGGER;
  const refreshMs = options.refreshIntervalMs ?? Math.floor(network.consensusPeriodMs / 4);
  const publishMs = options.publishIntervalMs ?? network.consensusPeriodMs;
  const listeners = new Set<(consensus: Consensus) => void>();
  let latest: Consensus | undefined;
  /** Nodes of a stale cached consensus: still worth asking when nothing fresher is known. */
  let staleTargets: Consensus | undefined;
  let controller: AbortController | undefined;
  const loops: Promise<void>[] = [];
  let served = false;

  async function take(consensus: Consensus): Promise<boolean> {
    if (latest !== undefined && consensus.validAfterMs <= latest.validAfterMs) return false;
    latest = consensus;
    logger.info('directory: new consensus', { validAfterMs: consensus.validAfterMs, nodes: consensus.nodes.length });
    for (const listener of listeners) {
      try {
        listener(consensus);
      } catch (err) {
        logger.warn('directory: a consensus listener failed', { error: String(err) });
      }
    }
    if (options.cacheFile !== undefined) {
      await saveConsensus(options.cacheFile, consensus.document).catch((err: unknown) =>
        logger.warn('directory: cannot write the consensus cache', { error: String(err) }),
      );
    }
    return true;
  }

  async function refresh(): Promise<Consensus | undefined> {
    const known = latest ?? staleTargets;
    try {
      const found = await fetchNewerConsensus({
        transport,
        crypto,
        network,
        now,
        targets: known === undefined ? [] : consensusTargets(known),
        newerThanMs: latest?.validAfterMs ?? 0,
        maxAttempts: REFRESH_MAX_ATTEMPTS,
        timeoutMs: Math.min(15_000, Math.max(1_000, refreshMs)),
        ...(controller === undefined ? {} : { signal: controller.signal }),
      });
      if (found !== undefined && (await take(found))) return found;
    } catch (err) {
      logger.warn('directory: consensus fetch failed', { code: isSamizdatError(err) ? err.code : 'INTERNAL' });
    }
    return undefined;
  }

  async function publish(): Promise<number> {
    if (options.selfDescriptor === undefined) return 0;
    const descriptor = options.selfDescriptor();
    const results = await Promise.allSettled(
      network.authorities.map((a) =>
        callDirectory(transport, { peerId: a.peerId, addresses: a.addresses }, PUBLISH_PROTOCOL, descriptor, 'published', {
          timeoutMs: Math.min(10_000, Math.max(1_000, publishMs / 2)),
          ...(controller === undefined ? {} : { signal: controller.signal }),
        }),
      ),
    );
    const accepted = results.filter((r) => r.status === 'fulfilled').length;
    if (accepted < results.length) {
      const codes = results.flatMap((r) => (r.status === 'rejected' ? [isSamizdatError(r.reason) ? r.reason.code : 'INTERNAL'] : []));
      logger.warn('directory: descriptor not accepted by every authority', { accepted, of: results.length, errors: codes });
    }
    return accepted;
  }

  /** Runs `work` every `intervalMs`; after a shortfall (`work` resolves false), again sooner. */
  async function loop(intervalMs: number, retryMs: number, work: () => Promise<boolean>, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const complete = await work().catch(() => false);
      await sleep(complete ? intervalMs : retryMs, signal);
    }
  }

  async function loadCache(): Promise<void> {
    if (options.cacheFile === undefined) return;
    try {
      const bytes = await loadCachedConsensus(options.cacheFile);
      if (bytes === undefined) return;
      const cached = verifyConsensus(crypto, network, bytes, { now: now(), allowStale: true });
      if (cached.stale) staleTargets = cached;
      else latest = cached;
    } catch (err) {
      logger.warn('directory: ignoring an unusable consensus cache', { code: isSamizdatError(err) ? err.code : 'INTERNAL' });
    }
  }

  return {
    async start() {
      if (controller !== undefined) return;
      controller = new AbortController();
      await loadCache();
      if (options.serve !== false) {
        await serveConsensus(transport, () => latest);
        served = true;
      }
      const signal = controller.signal;
      // A publication some authority missed is retried after a quarter period, not a whole one.
      const publishAll = async (): Promise<boolean> => (await publish()) === network.authorities.length;
      if (options.selfDescriptor !== undefined) loops.push(loop(publishMs, refreshMs, publishAll, signal));
      loops.push(loop(refreshMs, refreshMs, async () => (await refresh(), true), signal));
    },
    async stop() {
      if (controller === undefined) return;
      controller.abort();
      await Promise.all(loops.splice(0));
      if (served) await transport.unhandle(CONSENSUS_PROTOCOL).catch(() => undefined);
      served = false;
      controller = undefined;
    },
    current: () => latest,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    refresh,
    publish,
    async adopt(bytes, adoptOptions = {}) {
      const consensus = verifyConsensus(crypto, network, bytes, { now: now(), allowStale: adoptOptions.allowStale === true });
      if (consensus.stale) staleTargets = consensus;
      else await take(consensus);
      return consensus;
    },
  };
}
