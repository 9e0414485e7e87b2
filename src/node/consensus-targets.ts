/**
 * The nodes of the current consensus by peer ID, as the addresses to dial: what a relay checks
 * the next hop a layer names against, on every message it forwards. The index is rebuilt when the
 * consensus changes; a scan of the node list per message would grow with the network (thousands
 * of nodes) and cost a relay more than the AES-GCM of the layer. No I/O.
 */
import type { Consensus } from '../directory/index.ts';
import type { PeerTarget } from '../wire/index.ts';

export interface ConsensusTargets {
  /** The node `peerId` of the current consensus, at its listed addresses; undefined if not listed. */
  find(peerId: string): PeerTarget | undefined;
}

export function consensusTargets(current: () => Consensus | undefined): ConsensusTargets {
  let indexed: Consensus | undefined;
  let byPeer = new Map<string, PeerTarget>();
  return {
    find(peerId) {
      const consensus = current();
      if (consensus !== indexed) {
        indexed = consensus;
        byPeer = new Map((consensus?.nodes ?? []).map((n) => [n.peerId, { peerId: n.peerId, addresses: n.addresses }]));
      }
      return byPeer.get(peerId);
    },
  };
}
