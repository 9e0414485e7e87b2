/**
 * The nodes of a consensus by peer ID, indexed once per consensus: a relay checks the next hop a
 * layer names, and a client finds a request's target, on every message. A scan of the node list
 * each time would grow with the network (thousands of nodes) and cost a relay more than the
 * AES-GCM of the layer. The index follows `current()`: a new consensus object is indexed on its
 * first lookup. No I/O.
 */
import type { Consensus } from './consensus.ts';
import type { NodeDescriptor } from './descriptor.ts';

export interface NodeIndex {
  /** The node `peerId` of the current consensus; undefined when it is not listed (or there is none). */
  find(peerId: string): NodeDescriptor | undefined;
}

export function createNodeIndex(current: () => Consensus | undefined): NodeIndex {
  let indexed: Consensus | undefined;
  let byPeer = new Map<string, NodeDescriptor>();
  return {
    find(peerId) {
      const consensus = current();
      if (consensus !== indexed) {
        indexed = consensus;
        byPeer = new Map((consensus?.nodes ?? []).map((n) => [n.peerId, n]));
      }
      return byPeer.get(peerId);
    },
  };
}
