/**
 * Fetching the consensus (DESIGN.md §4): ask authorities, seeds and known nodes in random order
 * until one returns a consensus that verifies against the network file. No single peer is
 * trusted: whatever it sends must carry signatures from more than half of the authorities.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { CryptoProvider } from '../crypto/provider.ts';
import { isSamizdatError, SamizdatError } from '../errors.ts';
import type { PeerTarget, RpcTransport } from '../wire/index.ts';
import { encodeMessage } from '../wire/index.ts';
import { ConsensusDocumentSchema, ConsensusRequestSchema } from '../wire/gen/samizdat/v1/directory_pb.ts';
import { verifyConsensus } from './consensus.ts';
import type { Consensus } from './consensus.ts';
import type { NetworkConfig } from './network-file.ts';
import { CONSENSUS_PROTOCOL, callDirectory, DIRECTORY_RPC_TIMEOUT_MS } from './protocols.ts';
import { shuffle } from './runtime.ts';

/** Peers asked at once: a few, so dead seeds do not add up their timeouts one after another. */
export const FETCH_PARALLELISM = 3;

/** After the first consensus arrives, how long answers already requested may still bring a newer one. */
export const FETCH_GRACE_MS = 250;

/**
 * A refresh (a consensus already held) ends once this many sources answered that they have nothing
 * newer. More than one, so a single lagging or lying source cannot hold a follower back; not
 * every source, which made each idle refresh cost REFRESH_MAX_ATTEMPTS round trips (8) while the
 * consensus changes once a period: most of an idle devnet's directory traffic.
 */
export const NOTHING_NEWER_QUORUM = 2;

export interface FetchConsensusOptions {
  readonly transport: RpcTransport;
  readonly crypto: CryptoProvider;
  readonly network: NetworkConfig;
  readonly now: () => number;
  /** More peers to ask besides the network file's authorities and seeds (e.g. cached nodes). */
  readonly targets?: readonly PeerTarget[];
  /** Deadline per peer (default DIRECTORY_RPC_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** Most peers to ask before giving up (default: all). */
  readonly maxAttempts?: number;
  readonly signal?: AbortSignal;
}

export interface FetchNewerOptions extends FetchConsensusOptions {
  /** Only a consensus with validAfterMs above this counts. */
  readonly newerThanMs: number;
}

/** The peers to ask: authorities, seeds and extra targets, each once, never ourselves, shuffled. */
export function consensusSources(crypto: CryptoProvider, network: NetworkConfig, self: string, extra: readonly PeerTarget[] = []): PeerTarget[] {
  const byPeer = new Map<string, PeerTarget>();
  const add = (t: PeerTarget): void => {
    if (t.peerId === self || t.addresses.length === 0) return;
    const held = byPeer.get(t.peerId);
    byPeer.set(t.peerId, held === undefined ? t : { peerId: t.peerId, addresses: [...new Set([...held.addresses, ...t.addresses])] });
  };
  for (const a of network.authorities) add({ peerId: a.peerId, addresses: a.addresses });
  for (const s of network.seeds) add({ peerId: s.peerId, addresses: [s.address] });
  for (const t of extra) add(t);
  return shuffle(crypto, [...byPeer.values()]);
}

/** The dial targets of the nodes listed in a consensus. */
export function consensusTargets(consensus: Consensus): PeerTarget[] {
  return consensus.nodes.map((n) => ({ peerId: n.peerId, addresses: n.addresses }));
}

/** Asks one peer; a verified consensus, or undefined when it has nothing newer than `newerThanMs`. */
export async function fetchConsensusFrom(
  options: FetchConsensusOptions,
  target: PeerTarget,
  newerThanMs: number,
): Promise<Consensus | undefined> {
  const request = encodeMessage(ConsensusRequestSchema, create(ConsensusRequestSchema, { ifNewerThanMs: BigInt(Math.max(0, newerThanMs)) }));
  const document = await callDirectory(options.transport, target, CONSENSUS_PROTOCOL, request, 'consensus', {
    timeoutMs: options.timeoutMs ?? DIRECTORY_RPC_TIMEOUT_MS,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (document.body.length === 0) return undefined;
  const consensus = verifyConsensus(options.crypto, options.network, toBinary(ConsensusDocumentSchema, document), { now: options.now() });
  return consensus.validAfterMs > newerThanMs ? consensus : undefined;
}


function newer(a: Consensus | undefined, b: Consensus): Consensus {
  return a === undefined || b.validAfterMs > a.validAfterMs ? b : a;
}

/**
 * Asks peers until one returns a verified consensus newer than `newerThanMs`, or, when
 * `newerThanMs` > 0, until NOTHING_NEWER_QUORUM peers answered that they have nothing newer.
 * Returns undefined when no answer was newer; PATH_FAILED (detail { tried, errors }) when no peer
 * answered at all.
 */
export async function fetchNewerConsensus(options: FetchNewerOptions): Promise<Consensus | undefined> {
  const sources = consensusSources(options.crypto, options.network, options.transport.peerId, options.targets);
  const queue = sources.slice(0, options.maxAttempts ?? sources.length);
  const errors: string[] = [];
  let answered = false;
  let nothingNewer = 0;
  let found: Consensus | undefined;
  const stop = new AbortController();
  const signal = options.signal === undefined ? stop.signal : AbortSignal.any([stop.signal, options.signal]);
  let grace: ReturnType<typeof setTimeout> | undefined;
  // Once the quorum said "nothing newer" no lane starts another request, and the call returns.
  // Requests on their way finish in the background, unaborted: an aborted dial is a connection
  // thrown away half-built, to be dialed again next refresh.
  let quorumReached = false;
  let onQuorum: () => void = () => undefined;
  const quorum = new Promise<void>((resolve) => (onQuorum = resolve));
  const lane = async (): Promise<void> => {
    for (let target = queue.shift(); target !== undefined && found === undefined && !quorumReached; target = queue.shift()) {
      if (signal.aborted) return;
      try {
        const consensus = await fetchConsensusFrom({ ...options, signal }, target, options.newerThanMs);
        answered = true;
        // Sources may lag a period behind each other: the answers already on their way get a
        // short grace, and the newest consensus wins.
        if (consensus !== undefined) found = newer(found, consensus);
        else if (options.newerThanMs > 0 && ++nothingNewer >= NOTHING_NEWER_QUORUM && found === undefined && !quorumReached) {
          quorumReached = true;
          onQuorum();
        }
        if (found !== undefined && grace === undefined) grace = setTimeout(() => stop.abort(), FETCH_GRACE_MS);
      } catch (err) {
        errors.push(isSamizdatError(err) ? err.code : 'INTERNAL');
      }
    }
  };
  await Promise.race([Promise.all(Array.from({ length: FETCH_PARALLELISM }, lane)), quorum]);
  if (quorumReached) return undefined;
  clearTimeout(grace);
  if (found !== undefined || answered) return found;
  throw new SamizdatError('PATH_FAILED', `no directory source answered (${sources.length} known)`, {
    detail: { tried: errors.length, errors: [...new Set(errors)] },
  });
}

/**
 * Fetches and verifies the current consensus from authorities, seeds and `targets`, in random
 * order. PATH_FAILED when no source gives a valid consensus.
 */
export async function fetchConsensus(options: FetchConsensusOptions): Promise<Consensus> {
  const consensus = await fetchNewerConsensus({ ...options, newerThanMs: 0 });
  if (consensus === undefined) {
    throw new SamizdatError('PATH_FAILED', 'no directory source has a consensus yet', { detail: { tried: 0 } });
  }
  return consensus;
}
