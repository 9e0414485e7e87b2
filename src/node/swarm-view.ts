/**
 * What the mailbox service needs to know about the network: which nodes form an account's swarm
 * in the current consensus, and whether a peer is a node at all. The node process builds it from
 * the directory follower's consensus and src/swarm's rendezvous hashing.
 */

export interface SwarmMember {
  /** Ed25519 node ID (32 bytes). */
  readonly nodeId: Uint8Array;
  readonly peerId: string;
  /** Multiaddrs without /p2p. */
  readonly addresses: readonly string[];
  /** The exact SignedNodeDescriptor bytes from the consensus (sent in WRONG_SWARM answers). */
  readonly descriptor: Uint8Array;
}

export interface SwarmView {
  /** This node's ID. */
  readonly selfNodeId: Uint8Array;
  /** The swarm of `account` in the current consensus, best first; empty when there is none yet. */
  swarmOf(account: Uint8Array): readonly SwarmMember[];
  /** True when `peerId` is a node of the current consensus (replication accepts only those). */
  isNode(peerId: string): boolean;
  /** Called after every consensus change; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}
