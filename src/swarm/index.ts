/** The public API of the swarm layer: rendezvous hashing of accounts onto the consensus's nodes. */
export {
  DEFAULT_SWARM_SIZE,
  MAX_ID_BYTES,
  MAX_NODES,
  accountKey,
  createSwarmIndex,
  type AccountKey,
  type SwarmIndex,
} from './rendezvous.ts';
