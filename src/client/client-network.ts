/**
 * A client's connection to the network, over a transport the caller made (a libp2p host that
 * listens nowhere, in the CLI): the verified consensus (fetched at connect time, refreshed on
 * WRONG_SWARM and, for long-running clients, followed every quarter period), the onion mailbox
 * client with the profile's pinned guards, and the account-level swarm mailbox on top. The
 * messenger is built over `swarm` and `mailbox`. `status()` reports what the client sees of the
 * network (for the web UI): the consensus times and size, its current onion path, and how many
 * nodes have not failed it lately.
 */
import type { CryptoProvider } from '../crypto/provider.ts';
import { createDirectoryFollower, fetchConsensus, fetchNewerConsensus, type Consensus, type DirectoryFollower, type NetworkConfig } from '../directory/index.ts';
import type { RpcTransport } from '../wire/index.ts';
import type { MailboxClient } from './mailbox-client.ts';
import type { CircuitEvent } from './onion-circuits.ts';
import { createOnionMailboxClient } from './onion-mailbox-client.ts';
import { createSwarmMailbox, type SwarmMailbox } from './swarm-mailbox.ts';

/** A node that failed a circuit (as guard, middle or exit) is counted unreachable this long. */
export const NODE_FAILURE_MEMORY_MS = 10 * 60_000;

/** The onion path as peer IDs. */
export interface PathStatus {
  readonly guard: string;
  readonly middle: string;
  readonly exit: string;
}

export interface NetworkStatus {
  /** The consensus in use: its validity times and how many nodes it lists. */
  readonly consensus: { readonly validAfterMs: number; readonly validUntilMs: number; readonly nodes: number };
  /** The newest live circuit's hops, or null before the first circuit is built. */
  readonly path: PathStatus | null;
  /** Consensus nodes that have not failed one of our circuits in the last NODE_FAILURE_MEMORY_MS. */
  readonly reachableNodes: number;
}

/** What a messenger runs over, and what the client can tell about the network. */
export interface ClientNetwork {
  readonly swarm: SwarmMailbox;
  readonly mailbox: MailboxClient;
  /** The network's signed prekey rotation period. */
  readonly prekeyRotationMs: number;
  status(): NetworkStatus;
  close(): Promise<void>;
}

export interface ClientNetworkOptions {
  readonly transport: RpcTransport;
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  readonly network: NetworkConfig;
  /** Where guards.json lives (the profile directory). */
  readonly guardDir: string;
  /**
   * Keep fetching newer consensuses in the background (a long-running client such as the web UI);
   * without it the consensus is refreshed only when a node answers WRONG_SWARM (one-shot commands).
   */
  readonly follow?: boolean;
  /** Sees every circuit event (after the status bookkeeping). */
  readonly observer?: (event: CircuitEvent) => void;
}

function hopPeer(event: CircuitEvent): string | undefined {
  if (event.kind === 'built') return undefined;
  const hop = event.error.detail.hop;
  return hop === 0 ? event.path.guard.peerId : hop === 1 ? event.path.middle.peerId : hop === 2 ? event.path.exit.peerId : undefined;
}

/** Fetches the consensus (PATH_FAILED when no directory source answers) and builds the mailbox stack. */
export async function connectClientNetwork(options: ClientNetworkOptions): Promise<ClientNetwork> {
  const { transport, crypto, now, network } = options;
  let consensus: Consensus = await fetchConsensus({ transport, crypto, network, now });
  let follower: DirectoryFollower | undefined;
  /** peerId -> when it last failed one of our circuits. */
  const failures = new Map<string, number>();
  const mailbox = await createOnionMailboxClient({
    transport,
    crypto,
    now,
    consensus: () => consensus,
    allowSameSubnet: network.allowSameSubnet,
    guardDir: options.guardDir,
    observer: (event) => {
      if (event.kind === 'built') {
        for (const node of [event.path.guard, event.path.middle, event.path.exit]) failures.delete(node.peerId);
      } else {
        const peer = hopPeer(event);
        if (peer !== undefined) failures.set(peer, now());
      }
      options.observer?.(event);
    },
  });
  try {
    if (options.follow === true) {
      follower = createDirectoryFollower({ transport, crypto, network, now, serve: false });
      await follower.adopt(consensus.document);
      follower.onChange((newer) => {
        consensus = newer;
      });
      await follower.start();
    }
  } catch (err) {
    mailbox.close();
    throw err;
  }
  const swarm = createSwarmMailbox({
    mailbox,
    crypto,
    consensus: () => consensus,
    refresh: async () => {
      if (follower !== undefined) return await follower.refresh();
      const newer = await fetchNewerConsensus({ transport, crypto, network, now, newerThanMs: consensus.validAfterMs });
      if (newer !== undefined) consensus = newer;
      return newer;
    },
  });
  return {
    swarm,
    mailbox,
    prekeyRotationMs: network.prekeyRotationMs,
    status() {
      const since = now() - NODE_FAILURE_MEMORY_MS;
      for (const [peer, at] of failures) if (at < since) failures.delete(peer);
      const failed = consensus.nodes.filter((n) => failures.has(n.peerId)).length;
      const newest = mailbox.circuits.circuits().find((c) => !c.broken);
      return {
        consensus: { validAfterMs: consensus.validAfterMs, validUntilMs: consensus.validUntilMs, nodes: consensus.nodes.length },
        path: newest === undefined ? null : { guard: newest.path.guard.peerId, middle: newest.path.middle.peerId, exit: newest.path.exit.peerId },
        reachableNodes: consensus.nodes.length - failed,
      };
    },
    async close() {
      try {
        await follower?.stop();
      } finally {
        mailbox.close();
      }
    },
  };
}
