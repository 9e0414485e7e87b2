/**
 * A service node as a running process (DESIGN.md §4): one libp2p host carrying
 *   - the directory follower (publishes this node's descriptor, fetches and serves the consensus),
 *   - the onion relay (guard, middle or exit of clients' circuits; target of requests for its own
 *     mailboxes) with onion keys that rotate and are deleted after an overlap,
 *   - the mailbox service (store / retrieve / delete / long-poll),
 *   - replication to the rest of each swarm, and anti-entropy with swarm peers (with handoff),
 * over one SQLite mailbox store in the data directory. The swarm view is rebuilt from every new
 * consensus.
 */
import path from 'node:path';
import type { CryptoProvider } from '../crypto/provider.ts';
import { CONSENSUS_LIFETIME_PERIODS, MAX_ADDRESSES, createDirectoryFollower, createNodeIndex, readNetworkFile, signNodeDescriptor, type Consensus, type DirectoryFollower, type NetworkConfig } from '../directory/index.ts';
import { createAntiEntropy, type AntiEntropy } from './anti-entropy.ts';
import { createHost, type Host } from './host.ts';
import { loadOrCreateIdentityKey } from './key-files.ts';
import type { Logger } from './logger.ts';
import { DEFAULT_DEPOSIT_POW_BITS } from '../identity/deposit-proof.ts';
import { createMailboxService, type MailboxService } from './mailbox-service.ts';
import { DEFAULT_MAILBOX_LIMITS, openMailboxStore, type MailboxStore } from './mailbox-store.ts';
import { createFreeDiskProbe } from './free-disk.ts';
import { serveMetrics, type Gauge } from './metrics.ts';
import { openOnionKeyStore } from './onion-key-store.ts';
import { createRelayService } from '../onion/index.ts';
import type { PeerTarget } from '../wire/index.ts';
import { createRelayAdmission } from './relay-admission.ts';
import { createReplicationService, type ReplicationService } from './replication.ts';
import { createSwarmView, type UpdatableSwarmView } from './swarm-view-impl.ts';

export const NODE_VERSION = 'samizdat/0.1.0';

export interface ServiceNodeOptions {
  readonly dir: string;
  readonly networkFile: string;
  readonly listen: readonly string[];
  /** Addresses to publish in the descriptor instead of the listen addresses (public IP behind NAT). */
  readonly announce?: readonly string[];
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  readonly logger: Logger;
  /** Anti-entropy interval; default the anti-entropy module's. */
  readonly antiEntropyIntervalMs?: number;
  /** Serve Prometheus metrics on this IP:PORT (off when absent). */
  readonly metrics?: string;
  /**
   * Proof-of-work difficulty of inbox deposits from strangers (MailboxServiceLimits.depositPowBits;
   * default DEFAULT_DEPOSIT_POW_BITS; 0 = deposit proofs and per-mailbox deposit buckets off, for
   * tests that store raw inbox messages).
   */
  readonly depositPowBits?: number;
  /** The node's storage quota in bytes (MailboxLimits.maxStorageBytes; default 8 GiB). */
  readonly maxStorageBytes?: number;
}

export interface RunningServiceNode {
  readonly peerId: string;
  readonly nodeId: Uint8Array;
  readonly addresses: readonly string[];
  readonly network: NetworkConfig;
  readonly host: Host;
  readonly store: MailboxStore;
  readonly follower: DirectoryFollower;
  readonly antiEntropy: AntiEntropy;
  stop(): Promise<void>;
}

/**
 * How long a replaced onion key keeps working: a new descriptor reaches a consensus within about
 * two periods, and clients may use a consensus until it expires (CONSENSUS_LIFETIME_PERIODS), so
 * the old key must outlive both, plus a margin for clock skew.
 */
export function onionKeyOverlapMs(network: NetworkConfig): number {
  return (CONSENSUS_LIFETIME_PERIODS + 2) * network.consensusPeriodMs + ONION_KEY_OVERLAP_MARGIN_MS;
}

/** Least time between consensus fetches caused by onion next hops missing from our consensus. */
export const MISS_REFRESH_INTERVAL_MS = 2_000;

/** Slack added to the onion key overlap for clock skew between clients and nodes. */
export const ONION_KEY_OVERLAP_MARGIN_MS = 10_000;

function nodeGauges(host: Host, store: MailboxStore, follower: DirectoryFollower, now: () => number, storageQuota: number): Gauge[] {
  const consensus = (): Consensus => {
    const c = follower.current();
    if (c === undefined) throw new Error('no consensus yet');
    return c;
  };
  return [
    { name: 'samizdat_mailboxes', help: 'Mailboxes (account, namespace) held by this node.', read: () => store.totals().mailboxes },
    { name: 'samizdat_messages', help: 'Messages held by this node.', read: () => store.totals().messages },
    { name: 'samizdat_message_bytes', help: 'Bytes of message bodies held by this node.', read: () => store.totals().bytes },
    { name: 'samizdat_storage_bytes', help: 'Bytes counted against the storage quota (bodies, tombstones, delete proofs, row overheads).', read: () => store.totals().storageBytes },
    { name: 'samizdat_storage_quota_bytes', help: 'The storage quota: past it the node refuses new items (STORAGE_FULL).', read: () => storageQuota },
    { name: 'samizdat_consensus_nodes', help: 'Nodes listed in the newest consensus.', read: () => consensus().nodes.length },
    { name: 'samizdat_consensus_age_seconds', help: 'Seconds since the newest consensus became valid.', read: () => (now() - consensus().validAfterMs) / 1000 },
    { name: 'samizdat_consensus_expires_in_seconds', help: 'Seconds until the newest consensus expires (negative: expired).', read: () => (consensus().validUntilMs - now()) / 1000 },
    { name: 'samizdat_peer_connections', help: 'Open libp2p connections.', read: () => host.libp2p.getConnections().length },
  ];
}

function membersOf(consensus: Consensus) {
  return consensus.nodes.map((n) => ({ nodeId: n.nodeId, peerId: n.peerId, addresses: n.addresses, descriptor: n.signed }));
}

export async function startServiceNode(options: ServiceNodeOptions): Promise<RunningServiceNode> {
  const { crypto, now, logger } = options;
  const network = await readNetworkFile(options.networkFile);
  const identity = loadOrCreateIdentityKey(crypto, options.dir);
  const onionKeys = openOnionKeyStore({
    dir: options.dir,
    crypto,
    now,
    rotationMs: network.onionKeyRotationMs,
    overlapMs: onionKeyOverlapMs(network),
    onRotate: () => onRotated(),
  });
  let onRotated = (): void => undefined;
  const storeLimits = options.maxStorageBytes === undefined ? {} : { limits: { maxStorageBytes: options.maxStorageBytes } };
  const freeDiskBytes = createFreeDiskProbe({ dir: options.dir, now, onError: (err) => logger.warn('cannot read the free disk space; only the storage quota limits the mailbox store', { error: String(err) }) });
  const store = openMailboxStore({ path: path.join(options.dir, 'mailbox.db'), crypto, now, freeDiskBytes, ...storeLimits });
  const stops: (() => Promise<void>)[] = [() => Promise.resolve(store.close())];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop();
    stops.length = 0;
  };
  try {
    const host = await createHost({ identitySeed: identity.seed, listen: options.listen });
    await host.start();
    stops.push(() => host.stop());

    // Listening on 0.0.0.0 expands to every interface: publish routable addresses first and
    // loopback last (a devnet has nothing else), at most MAX_ADDRESSES of them.
    const isLoopback = (a: string): boolean => a.startsWith('/ip4/127.') || a.startsWith('/ip6/::1/');
    const announced = (): string[] => {
      if (options.announce !== undefined && options.announce.length > 0) return [...options.announce];
      const all = host.addresses();
      return [...all.filter((a) => !isLoopback(a)), ...all.filter(isLoopback)].slice(0, MAX_ADDRESSES);
    };
    const descriptor = (): Uint8Array =>
      signNodeDescriptor(crypto, identity.key, {
        addresses: announced(),
        onionX25519: onionKeys.current().key.x25519.publicKey,
        onionMlKem: onionKeys.current().key.mlKem.publicKey,
        version: NODE_VERSION,
        publishedAtMs: now(),
      });
    let signed = descriptor();
    const swarm: UpdatableSwarmView = createSwarmView({ crypto, selfNodeId: identity.key.publicKey, swarmSize: network.swarmSize });
    const follower = createDirectoryFollower({
      transport: host.transport,
      crypto,
      network,
      now,
      selfDescriptor: () => signed,
      cacheFile: path.join(options.dir, 'consensus.bin'),
      logger,
    });
    onRotated = () => {
      signed = descriptor();
      follower.publish().catch(() => undefined);
      logger.info('onion key rotated');
    };
    follower.onChange((consensus) => {
      swarm.update(membersOf(consensus), consensus.swarmSize);
      logger.info('consensus', { validAfter: consensus.validAfterMs, nodes: consensus.nodes.length });
    });
    const replication: ReplicationService = createReplicationService({ transport: host.transport, store, swarm, crypto, now, logger });
    const limits = { depositPowBits: options.depositPowBits ?? DEFAULT_DEPOSIT_POW_BITS };
    const mailbox: MailboxService = createMailboxService({ transport: host.transport, store, swarm, crypto, now, replication, logger, limits });
    const antiEntropy = createAntiEntropy({
      replication,
      store,
      swarm,
      logger,
      ...(options.antiEntropyIntervalMs === undefined ? {} : { intervalMs: options.antiEntropyIntervalMs }),
    });
    await replication.start();
    stops.push(() => replication.stop());
    await mailbox.start();
    stops.push(() => mailbox.stop());
    // Onion relay: guard, middle or exit for clients' circuits, and target for requests to this
    // node's own mailboxes (handed to the mailbox service as if they came directly).
    let lastMissRefreshAt = -Infinity;
    const consensusNodes = createNodeIndex(() => follower.current());
    const nextHop = (peerId: string): PeerTarget | undefined => {
      const node = consensusNodes.find(peerId);
      return node === undefined ? undefined : { peerId: node.peerId, addresses: node.addresses };
    };
    let missRefresh: Promise<void> = Promise.resolve();
    const relayAdmission = createRelayAdmission({ isNode: (peer) => swarm.isNode(peer), now });
    const relay = createRelayService({
      transport: host.transport,
      crypto,
      keys: onionKeys,
      now,
      deliver: (request, signal, fromPeer) => mailbox.answer(request, signal, fromPeer),
      admit: (peer, kind) => relayAdmission.admit(peer, kind),
      // Forward only to nodes of the consensus, at the addresses the consensus gives. A client may
      // hold a newer consensus than ours: on a miss, fetch once (shared by concurrent misses).
      resolveNext: (named) => {
        const found = nextHop(named.peerId);
        if (found !== undefined) return found;
        if (now() - lastMissRefreshAt >= MISS_REFRESH_INTERVAL_MS) {
          lastMissRefreshAt = now();
          missRefresh = follower.refresh().then(() => undefined, () => undefined);
        }
        return missRefresh.then(() => nextHop(named.peerId));
      },
    });
    await relay.start();
    stops.push(() => relay.stop());
    onionKeys.start();
    stops.push(() => Promise.resolve(onionKeys.stop()));
    await follower.start();
    stops.push(() => follower.stop());
    const cached = follower.current();
    if (cached !== undefined) swarm.update(membersOf(cached), cached.swarmSize);
    await antiEntropy.start();
    stops.push(() => antiEntropy.stop());
    signed = descriptor();
    if (options.metrics !== undefined) {
      const metrics = await serveMetrics(options.metrics, nodeGauges(host, store, follower, now, options.maxStorageBytes ?? DEFAULT_MAILBOX_LIMITS.maxStorageBytes));
      stops.push(() => metrics.stop());
      logger.info('metrics', { address: `http://${metrics.address}/metrics` });
    }

    logger.info('node started', { peerId: host.peerId, addresses: host.addresses(), network: network.name });
    return {
      peerId: host.peerId,
      nodeId: identity.key.publicKey,
      addresses: host.addresses(),
      network,
      host,
      store,
      follower,
      antiEntropy,
      async stop() {
        await stopAll();
        logger.info('node stopped');
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
