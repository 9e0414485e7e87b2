/**
 * Per-link admission for the onion relay (RelayServiceOptions.admit): token buckets per previous
 * hop at a client's or a node's limit, decided at each message (createPeerBuckets), so a node
 * that joins the consensus gets a node's share at once. Creates and relayed messages have separate
 * buckets: a create costs a KEM decapsulation (~0.1 ms), a relayed message an AES-GCM open and a
 * forward (~0.05 ms). The limits bound what one client can make its guard do to a small share of
 * a node, without touching what a messenger needs (a few circuits a minute, a few requests a
 * second); nodes forward many clients' traffic over one link and get far more.
 */
import type { RelayWorkKind } from '../onion/index.ts';
import { createPeerBuckets, type PeerBuckets, type RateLimit } from './rate-limit.ts';

/** Circuit creations per second from one client link: a client builds a few circuits a minute. */
export const RELAY_CLIENT_CREATE_LIMIT: RateLimit = { ratePerSecond: 10, burst: 40 };
/** Creations per second from one node link: a guard passes on all its clients' creations. */
export const RELAY_NODE_CREATE_LIMIT: RateLimit = { ratePerSecond: 1_000, burst: 2_000 };
/**
 * Relayed messages per second from one client link: a messenger needs a few; 2,000/s leaves room
 * for bulk fetches and the onion bench's single client while capping one client at about a
 * quarter of a 2-core guard.
 */
export const RELAY_CLIENT_MESSAGE_LIMIT: RateLimit = { ratePerSecond: 2_000, burst: 4_000 };
/** Relayed messages per second from one node link (many clients' circuits share it). */
export const RELAY_NODE_MESSAGE_LIMIT: RateLimit = { ratePerSecond: 20_000, burst: 40_000 };

export interface RelayAdmissionOptions {
  /** True for a peer that is a node of the current consensus. */
  readonly isNode: (peerId: string) => boolean;
  readonly now: () => number;
}

export interface RelayAdmission {
  /** Takes a token for `kind` from `fromPeer`'s bucket, or throws RATE_LIMITED. */
  admit(fromPeer: string, kind: RelayWorkKind): void;
  clear(): void;
}

export function createRelayAdmission(options: RelayAdmissionOptions): RelayAdmission {
  const { isNode, now } = options;
  // createPeerBuckets asks rateFor at each take, so a peer's class follows the consensus.
  const classed = (client: RateLimit, node: RateLimit): PeerBuckets => createPeerBuckets((peer) => (isNode(peer) ? node : client), now);
  const creates = classed(RELAY_CLIENT_CREATE_LIMIT, RELAY_NODE_CREATE_LIMIT);
  const messages = classed(RELAY_CLIENT_MESSAGE_LIMIT, RELAY_NODE_MESSAGE_LIMIT);
  return {
    admit(fromPeer, kind) {
      (kind === 'create' ? creates : messages).take(fromPeer);
    },
    clear() {
      creates.clear();
      messages.clear();
    },
  };
}
