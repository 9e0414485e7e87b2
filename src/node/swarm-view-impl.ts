/**
 * A concrete SwarmView over a list of members: the node process feeds it each new consensus
 * (`update`), tests give it a static list. Swarms come from src/swarm's rendezvous hashing, so
 * every party with the same member list computes the same swarms.
 */
import type { CryptoProvider } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import { DEFAULT_SWARM_SIZE, createSwarmIndex } from '../swarm/index.ts';
import type { SwarmIndex } from '../swarm/index.ts';
import type { SwarmMember, SwarmView } from './swarm-view.ts';

export interface UpdatableSwarmView extends SwarmView {
  /** Replaces the member list (a new consensus) and tells the listeners. */
  update(members: readonly SwarmMember[], swarmSize?: number): void;
  /** The current members. */
  members(): readonly SwarmMember[];
}

export interface SwarmViewOptions {
  readonly crypto: CryptoProvider;
  readonly selfNodeId: Uint8Array;
  readonly members?: readonly SwarmMember[];
  /** k; DEFAULT_SWARM_SIZE when absent. */
  readonly swarmSize?: number;
}

export function createSwarmView(options: SwarmViewOptions): UpdatableSwarmView {
  const { crypto } = options;
  if (!(options.selfNodeId instanceof Uint8Array) || options.selfNodeId.length !== 32) {
    throw new SamizdatError('INVALID_ARGUMENT', 'selfNodeId must be 32 bytes');
  }
  const selfNodeId = options.selfNodeId.slice();
  const listeners = new Set<() => void>();
  let list: readonly SwarmMember[] = [];
  let peerIds = new Set<string>();
  let index: SwarmIndex | undefined;
  let k = DEFAULT_SWARM_SIZE;

  const set = (members: readonly SwarmMember[], swarmSize: number): void => {
    if (!Number.isSafeInteger(swarmSize) || swarmSize < 1) throw new SamizdatError('INVALID_ARGUMENT', 'swarmSize must be a positive integer');
    list = [...members];
    peerIds = new Set(list.map((m) => m.peerId));
    index = list.length === 0 ? undefined : createSwarmIndex(crypto, list.map((m) => m.nodeId));
    k = swarmSize;
  };
  set(options.members ?? [], options.swarmSize ?? DEFAULT_SWARM_SIZE);

  return {
    selfNodeId,
    swarmOf(account) {
      if (index === undefined) return [];
      const out: SwarmMember[] = [];
      for (const i of index.swarmOf(account, k)) {
        const member = list[i];
        if (member !== undefined) out.push(member);
      }
      return out;
    },
    isNode(peerId) {
      return peerIds.has(peerId);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    update(members, swarmSize) {
      set(members, swarmSize ?? k);
      for (const listener of [...listeners]) listener();
    },
    members() {
      return list;
    },
  };
}
