/**
 * What an authority remembers between and during rounds: the latest descriptor of every node
 * that published to it, the votes of each period, and per period the consensus body it computed
 * with the signatures collected on it. No I/O and no timers; authority-service.ts drives it.
 */
import { toHex } from '../crypto/bytes.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import { checkConsensusSignature } from './consensus.ts';
import type { ConsensusSignatureParts } from './consensus.ts';
import type { NodeDescriptor } from './descriptor.ts';
import { CONSENSUS_LIFETIME_PERIODS, MAX_CONSENSUS_NODES } from './limits.ts';
import type { AuthorityInfo, NetworkConfig } from './network-file.ts';
import { sameBytes } from '../crypto/bytes.ts';
import { compareBytes } from './signed.ts';
import type { Vote } from './vote.ts';

/**
 * A node that has not published its descriptor for this many periods is forgotten (it would be
 * probed and left out anyway). Nodes republish every period, so 3 tolerates two lost publications.
 */
export const FORGET_AFTER_PERIODS = 3;

export interface RoundState {
  readonly periodStartMs: number;
  /** The ConsensusBody this authority computed, and its SHA-256. */
  body: Uint8Array | undefined;
  digest: Uint8Array | undefined;
  /** Verified signatures on `body`, by authority key hex. */
  readonly signatures: Map<string, ConsensusSignatureParts>;
  /** The latest signature each authority sent, kept until `body` is known (or changes). */
  readonly received: Map<string, { digest: Uint8Array; parts: ConsensusSignatureParts }>;
  /** Set when this authority's vote window has ended (the body is computed from then on). */
  votingClosed: boolean;
  published: boolean;
}

export interface AuthorityState {
  /** Records a verified descriptor; RATE_LIMITED when the table is full of other nodes. */
  addDescriptor(descriptor: NodeDescriptor, nowMs: number): void;
  /** The descriptors of nodes heard from recently (older ones are forgotten). */
  liveDescriptors(nowMs: number): NodeDescriptor[];
  knownNodes(): number;
  /** Records a verified vote; true if it changed the votes of its period. */
  addVote(vote: Vote): boolean;
  votesFor(periodStartMs: number): Vote[];
  voteOf(periodStartMs: number, authority: AuthorityInfo): Vote | undefined;
  round(periodStartMs: number): RoundState;
  existingRound(periodStartMs: number): RoundState | undefined;
  /** Sets the computed body; true if it differs from the previous one (signatures then restart). */
  setBody(round: RoundState, body: Uint8Array): boolean;
  /**
   * Records a signature from `authority` on the body with `digest`. Verified at once when it is
   * our body (false if it does not verify), otherwise kept for when our body matches.
   */
  addSignature(round: RoundState, authority: AuthorityInfo, digest: Uint8Array, parts: ConsensusSignatureParts): boolean;
  /** Drops votes and rounds of periods whose consensus has expired. */
  prune(nowMs: number): void;
}

export function createAuthorityState(crypto: CryptoProvider, network: NetworkConfig): AuthorityState {
  const descriptors = new Map<string, { descriptor: NodeDescriptor; lastSeenMs: number }>();
  const votes = new Map<number, Map<string, Vote>>();
  const rounds = new Map<number, RoundState>();
  const period = network.consensusPeriodMs;

  function verifyOnBody(round: RoundState, keyHex: string, parts: ConsensusSignatureParts): boolean {
    if (round.body === undefined) return false;
    if (!checkConsensusSignature(crypto, parts.authorityId, round.body, parts.signature)) return false;
    round.signatures.set(keyHex, parts);
    return true;
  }

  function round(periodStartMs: number): RoundState {
    let state = rounds.get(periodStartMs);
    if (state === undefined) {
      state = { periodStartMs, body: undefined, digest: undefined, signatures: new Map(), received: new Map(), votingClosed: false, published: false };
      rounds.set(periodStartMs, state);
    }
    return state;
  }

  return {
    addDescriptor(descriptor, nowMs) {
      const key = toHex(descriptor.nodeId);
      const held = descriptors.get(key);
      if (held === undefined && descriptors.size >= MAX_CONSENSUS_NODES) {
        throw new SamizdatError('RATE_LIMITED', 'the authority knows as many nodes as a consensus can hold', { retryAfterMs: period });
      }
      const keep =
        held !== undefined &&
        (held.descriptor.publishedAtMs > descriptor.publishedAtMs ||
          (held.descriptor.publishedAtMs === descriptor.publishedAtMs && compareBytes(held.descriptor.signed, descriptor.signed) <= 0));
      descriptors.set(key, { descriptor: keep ? held.descriptor : descriptor, lastSeenMs: nowMs });
    },
    liveDescriptors(nowMs) {
      const out: NodeDescriptor[] = [];
      for (const [key, entry] of descriptors) {
        if (nowMs - entry.lastSeenMs > FORGET_AFTER_PERIODS * period) descriptors.delete(key);
        else out.push(entry.descriptor);
      }
      return out;
    },
    knownNodes: () => descriptors.size,
    addVote(vote) {
      let byAuthority = votes.get(vote.validAfterMs);
      if (byAuthority === undefined) {
        byAuthority = new Map();
        votes.set(vote.validAfterMs, byAuthority);
      }
      const held = byAuthority.get(vote.authority.keyHex);
      // The same rule as computeConsensusBody: of two votes by one authority, the lowest bytes count.
      if (held !== undefined && compareBytes(held.signed, vote.signed) <= 0) return false;
      byAuthority.set(vote.authority.keyHex, vote);
      return true;
    },
    votesFor: (periodStartMs) => [...(votes.get(periodStartMs)?.values() ?? [])],
    voteOf: (periodStartMs, authority) => votes.get(periodStartMs)?.get(authority.keyHex),
    round,
    existingRound: (periodStartMs) => rounds.get(periodStartMs),
    setBody(state, body) {
      if (state.body !== undefined && sameBytes(state.body, body)) return false;
      state.body = body;
      state.digest = crypto.hash('sha256', body);
      state.signatures.clear();
      for (const [keyHex, entry] of state.received) {
        if (sameBytes(entry.digest, state.digest)) verifyOnBody(state, keyHex, entry.parts);
      }
      return true;
    },
    addSignature(state, authority, digest, parts) {
      state.received.set(authority.keyHex, { digest, parts });
      if (state.digest === undefined || !sameBytes(digest, state.digest)) return true;
      return verifyOnBody(state, authority.keyHex, parts);
    },
    prune(nowMs) {
      const oldest = nowMs - CONSENSUS_LIFETIME_PERIODS * period;
      for (const p of votes.keys()) if (p < oldest) votes.delete(p);
      for (const p of rounds.keys()) if (p < oldest) rounds.delete(p);
    },
  };
}
