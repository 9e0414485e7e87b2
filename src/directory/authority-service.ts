/**
 * A directory authority (DESIGN.md §4). Each period, at its aligned start (floor(now/period) *
 * period), every authority runs one round:
 *
 *  1. Probe every node that published a descriptor recently: a ConsensusRequest on the node's
 *     consensus protocol within the probe timeout. Nodes that fail are left out of this vote.
 *  2. Sign a vote listing the reachable nodes' descriptors and send it to every other authority;
 *     each answers with its own vote for the period, if it has one, so votes flow both ways.
 *  3. Wait for the vote window (min(period/4, 5 s)), or less once every authority's vote is in.
 *  4. With votes from more than half of the authorities, compute the consensus body
 *     (consensus.ts: deterministic), sign it and send {period, SHA-256 of the body, signature} to
 *     every other authority; each answers with its own signature for the period. A vote arriving
 *     late makes the authority recompute and re-sign, so bodies converge on the full vote set.
 *  5. As soon as it holds valid signatures on its body from more than half of the authorities, it
 *     publishes the ConsensusDocument (served on the consensus protocol, cached on disk) and adds
 *     later signatures to it. If the signature window (again min(period/4, 5 s)) ends without
 *     that, it fetches a newer consensus from the other authorities instead.
 *
 * With one of three authorities down the other two still exchange two votes and two signatures,
 * which is more than half. A consensus is valid for 3 periods, so a failed round does no harm.
 */
import { create } from '@bufbuild/protobuf';
import type { CryptoProvider, PrivateKey } from '../crypto/provider.ts';
import { isSamizdatError, SamizdatError } from '../errors.ts';
import type { PeerTarget, RpcTransport } from '../wire/index.ts';
import { encodeMessage } from '../wire/index.ts';
import { AuthoritySignatureSchema, ConsensusRequestSchema, ConsensusSignatureSchema, SignedVoteSchema } from '../wire/gen/samizdat/v1/directory_pb.ts';
import type { ConsensusSignature } from '../wire/gen/samizdat/v1/directory_pb.ts';
import { AUTHORITY_PROTOCOLS, checkSignatureMessage, registerAuthorityHandlers } from './authority-handlers.ts';
import { createAuthorityState } from './authority-state.ts';
import type { RoundState } from './authority-state.ts';
import { computeConsensusBody, encodeConsensusDocument, signConsensusBody, verifyConsensus } from './consensus.ts';
import type { Consensus } from './consensus.ts';
import { serveConsensus } from './consensus-server.ts';
import type { NodeDescriptor } from './descriptor.ts';
import { fetchConsensusFrom } from './directory-client.ts';
import { loadCachedConsensus, saveConsensus } from './files.ts';
import { MAX_CONSENSUS_BYTES } from './limits.ts';
import { periodStart, signatureThreshold } from './network-file.ts';
import type { AuthorityInfo, NetworkConfig } from './network-file.ts';
import { callDirectory, CONSENSUS_PROTOCOL, SIGNATURE_PROTOCOL, VOTE_PROTOCOL } from './protocols.ts';
import { forEachLimited, SILENT_LOGGER, sleep } from './runtime.ts';
import type { DirectoryLogger } from './runtime.ts';
import { findAuthority, signVote, verifyVote } from './vote.ts';

/** Longest vote and signature window: enough for authorities on other continents to answer. */
export const MAX_EXCHANGE_WINDOW_MS = 5_000;
/** Longest reachability probe of one node; a live node answers within a round trip or two. */
export const MAX_PROBE_TIMEOUT_MS = 3_000;
/** Nodes probed at once. */
export const PROBE_CONCURRENCY = 32;
/** How often a waiting round re-checks what has arrived. */
const POLL_MS = 20;

export interface AuthorityServiceOptions {
  readonly transport: RpcTransport;
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  readonly network: NetworkConfig;
  /** The authority's Ed25519 key; its public key must be in the network file. */
  readonly identity: PrivateKey;
  /** Where the last published consensus is kept between runs. */
  readonly cacheFile?: string;
  /**
   * Also run a round this long after start, besides the aligned ones (devnet: a first consensus
   * without waiting for a period boundary; authorities started together then vote together).
   */
  readonly firstRoundDelayMs?: number;
  readonly logger?: DirectoryLogger;
}

export interface AuthorityService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Runs the round of the current period now (joining it if one is running). */
  runRound(): Promise<Consensus | undefined>;
  /** The newest consensus this authority serves. */
  current(): Consensus | undefined;
  /** How many nodes have published descriptors recently. */
  knownNodes(): number;
}

export function createAuthorityService(options: AuthorityServiceOptions): AuthorityService {
  const { transport, crypto, now, network, identity } = options;
  const logger = options.logger ?? SILENT_LOGGER;
  const foundSelf = findAuthority(network, identity.publicKey);
  if (foundSelf === undefined) throw new SamizdatError('INVALID_ARGUMENT', 'identity is not an authority of this network');
  const self: AuthorityInfo = foundSelf;
  const others = network.authorities.filter((a) => a.keyHex !== self.keyHex);
  const period = network.consensusPeriodMs;
  const window = Math.min(Math.floor(period / 4), MAX_EXCHANGE_WINDOW_MS);
  const probeTimeout = Math.min(Math.floor(period / 4), MAX_PROBE_TIMEOUT_MS);
  const threshold = signatureThreshold(network);
  const state = createAuthorityState(crypto, network);
  const rounds = new Map<number, Promise<Consensus | undefined>>();
  const background = new Set<Promise<unknown>>();
  const ownSignatures = new Map<number, ConsensusSignature>();
  let latest: Consensus | undefined;
  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let firstTimer: ReturnType<typeof setTimeout> | undefined;

  const target = (a: AuthorityInfo): PeerTarget => ({ peerId: a.peerId, addresses: a.addresses });
  const signal = (): AbortSignal => controller?.signal ?? AbortSignal.abort();

  function track(promise: Promise<unknown>): void {
    const settled = promise.catch(() => undefined).finally(() => background.delete(settled));
    background.add(settled);
  }

  async function adopt(consensus: Consensus): Promise<void> {
    if (latest !== undefined && (consensus.validAfterMs < latest.validAfterMs || (consensus.validAfterMs === latest.validAfterMs && consensus.signers.length <= latest.signers.length))) return;
    latest = consensus;
    logger.info('authority: serving consensus', { validAfterMs: consensus.validAfterMs, nodes: consensus.nodes.length, signers: consensus.signers.length });
    if (options.cacheFile !== undefined) {
      await saveConsensus(options.cacheFile, consensus.document).catch((err: unknown) => logger.warn('authority: cannot write the cache', { error: String(err) }));
    }
  }

  function maybePublish(round: RoundState): void {
    if (round.body === undefined || round.signatures.size < threshold) return;
    const document = encodeConsensusDocument(round.body, [...round.signatures.values()]);
    const consensus = verifyConsensus(crypto, network, document, { now: now() });
    round.published = true;
    track(adopt(consensus));
  }

  async function probe(descriptors: readonly NodeDescriptor[]): Promise<NodeDescriptor[]> {
    const request = encodeMessage(ConsensusRequestSchema, create(ConsensusRequestSchema, { ifNewerThanMs: BigInt(Number.MAX_SAFE_INTEGER) }));
    const reachable: NodeDescriptor[] = [];
    await forEachLimited(descriptors, PROBE_CONCURRENCY, async (d) => {
      try {
        await callDirectory(transport, { peerId: d.peerId, addresses: d.addresses }, CONSENSUS_PROTOCOL, request, 'consensus', { timeoutMs: probeTimeout, signal: signal() });
        reachable.push(d);
      } catch {
        logger.info('authority: node unreachable, left out of the vote', { peerId: d.peerId });
      }
    });
    return reachable;
  }

  async function pushVote(authority: AuthorityInfo, vote: Uint8Array): Promise<void> {
    const reply = await callDirectory(transport, target(authority), VOTE_PROTOCOL, vote, 'vote', { timeoutMs: window, signal: signal() });
    if (reply.vote === undefined) return;
    const theirs = verifyVote(crypto, network, encodeMessage(SignedVoteSchema, reply.vote, { maxBytes: MAX_CONSENSUS_BYTES }), { now: now() });
    if (theirs.authority.keyHex !== self.keyHex && state.addVote(theirs)) onVote(theirs.validAfterMs);
  }

  async function pushSignature(authority: AuthorityInfo, message: ConsensusSignature): Promise<void> {
    const bytes = encodeMessage(ConsensusSignatureSchema, message);
    const reply = await callDirectory(transport, target(authority), SIGNATURE_PROTOCOL, bytes, 'signature', { timeoutMs: window, signal: signal() });
    if (reply.signature === undefined) return;
    const { authority: signer, periodStartMs } = checkSignatureMessage(network, reply.signature);
    if (signer.keyHex === self.keyHex || periodStartMs !== Number(message.validAfterMs) || reply.signature.signature === undefined) return;
    const round = state.round(periodStartMs);
    state.addSignature(round, signer, reply.signature.bodyDigest.slice(), { authorityId: signer.publicKey, signature: reply.signature.signature.signature.slice() });
    maybePublish(round);
  }

  /** Computes the body from the votes held; if it changed, signs it and sends the signature. */
  function computeAndSign(round: RoundState): void {
    const body = computeConsensusBody(network, state.votesFor(round.periodStartMs), round.periodStartMs);
    if (!state.setBody(round, body) || round.digest === undefined) return;
    const parts = signConsensusBody(crypto, identity, body);
    round.signatures.set(self.keyHex, parts);
    const message = create(ConsensusSignatureSchema, {
      validAfterMs: BigInt(round.periodStartMs),
      bodyDigest: round.digest,
      signature: create(AuthoritySignatureSchema, { authorityId: parts.authorityId, signature: parts.signature }),
    });
    ownSignatures.set(round.periodStartMs, message);
    for (const a of others) track(pushSignature(a, message));
    maybePublish(round);
  }

  /** A vote that arrives after our vote window (a late or restarted authority) still counts. */
  function onVote(periodStartMs: number): void {
    const round = state.existingRound(periodStartMs);
    if (round === undefined || !round.votingClosed || round.published) return;
    if (state.votesFor(periodStartMs).length >= threshold) computeAndSign(round);
  }

  async function waitUntil(deadline: number, done: () => boolean): Promise<void> {
    while (!done() && now() < deadline && !signal().aborted) await sleep(Math.min(POLL_MS, deadline - now()), signal());
  }

  async function fetchFromAuthorities(): Promise<void> {
    for (const a of others) {
      try {
        const found = await fetchConsensusFrom({ transport, crypto, network, now, signal: signal(), timeoutMs: Math.max(window, 1_000) }, target(a), latest?.validAfterMs ?? 0);
        if (found !== undefined) {
          await adopt(found);
          return;
        }
      } catch (err) {
        logger.info('authority: no consensus from a peer authority', { peer: a.name, code: isSamizdatError(err) ? err.code : 'INTERNAL' });
      }
    }
  }

  async function round(p: number): Promise<Consensus | undefined> {
    state.prune(now());
    for (const old of ownSignatures.keys()) if (state.existingRound(old) === undefined) ownSignatures.delete(old);
    const reachable = await probe(state.liveDescriptors(now()));
    const vote = signVote(crypto, network, identity, p, reachable.map((d) => d.signed));
    state.addVote(verifyVote(crypto, network, vote, { now: now() }));
    for (const a of others) track(pushVote(a, vote));
    await waitUntil(now() + window, () => state.votesFor(p).length === network.authorities.length);
    const votes = state.votesFor(p).length;
    const current = state.round(p);
    current.votingClosed = true;
    if (votes < threshold) {
      logger.warn('authority: too few votes for a consensus', { periodStartMs: p, votes, needed: threshold });
    } else {
      computeAndSign(current);
      await waitUntil(now() + window, () => current.signatures.size === network.authorities.length);
    }
    if (!current.published && !signal().aborted) await fetchFromAuthorities();
    return latest;
  }

  function runRound(): Promise<Consensus | undefined> {
    if (controller === undefined) return Promise.resolve(latest);
    const p = periodStart(network, now());
    let running = rounds.get(p);
    if (running === undefined) {
      running = round(p).finally(() => rounds.delete(p));
      rounds.set(p, running);
      track(running);
    }
    return running;
  }

  function schedule(): void {
    if (controller === undefined) return;
    const next = periodStart(network, now()) + period;
    timer = setTimeout(() => {
      timer = undefined;
      runRound().catch((err: unknown) => logger.warn('authority: round failed', { error: String(err) }));
      schedule();
    }, Math.max(0, next - now()));
  }

  async function loadCache(): Promise<void> {
    if (options.cacheFile === undefined) return;
    try {
      const bytes = await loadCachedConsensus(options.cacheFile);
      if (bytes !== undefined) latest = verifyConsensus(crypto, network, bytes, { now: now() });
    } catch (err) {
      logger.warn('authority: ignoring the consensus cache', { code: isSamizdatError(err) ? err.code : 'INTERNAL' });
    }
  }

  return {
    async start() {
      if (controller !== undefined) return;
      controller = new AbortController();
      await loadCache();
      await serveConsensus(transport, () => latest);
      await registerAuthorityHandlers({
        transport, crypto, network, now, state, self, onVote,
        onSignature: maybePublish,
        ownSignature: (p) => ownSignatures.get(p),
      });
      track(fetchFromAuthorities());
      schedule();
      if (options.firstRoundDelayMs !== undefined) {
        firstTimer = setTimeout(() => {
          firstTimer = undefined;
          runRound().catch((err: unknown) => logger.warn('authority: round failed', { error: String(err) }));
        }, options.firstRoundDelayMs);
      }
    },
    async stop() {
      if (controller === undefined) return;
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
      if (firstTimer !== undefined) clearTimeout(firstTimer);
      timer = undefined;
      firstTimer = undefined;
      await Promise.all([...background]);
      for (const protocol of [...AUTHORITY_PROTOCOLS, CONSENSUS_PROTOCOL]) await transport.unhandle(protocol).catch(() => undefined);
      controller = undefined;
    },
    runRound,
    current: () => latest,
    knownNodes: () => state.knownNodes(),
  };
}
