/**
 * The request handlers of a directory authority: descriptor publication (nodes), votes and
 * consensus signatures (other authorities). Each verifies what it receives before keeping it;
 * failures go back as typed error replies (protocols.ts).
 */
import { create } from '@bufbuild/protobuf';
import type { CryptoProvider } from '../crypto/provider.ts';
import { SIZES } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import type { RpcTransport } from '../wire/index.ts';
import { decodeMessage } from '../wire/index.ts';
import {
  ConsensusSignatureSchema,
  PublishAckSchema,
  SignatureReplySchema,
  SignedVoteSchema,
  VoteReplySchema,
} from '../wire/gen/samizdat/v1/directory_pb.ts';
import type { ConsensusSignature } from '../wire/gen/samizdat/v1/directory_pb.ts';
import type { AuthorityState, RoundState } from './authority-state.ts';
import { verifyNodeDescriptor } from './descriptor.ts';
import { CONSENSUS_LIFETIME_PERIODS, MAX_CONSENSUS_BYTES, MAX_DESCRIPTOR_BYTES } from './limits.ts';
import { periodStart } from './network-file.ts';
import type { AuthorityInfo, NetworkConfig } from './network-file.ts';
import { handleDirectoryProtocol, MAX_SMALL_REQUEST_BYTES, PUBLISH_PROTOCOL, SIGNATURE_PROTOCOL, VOTE_PROTOCOL } from './protocols.ts';
import { safeTime } from './signed.ts';
import { findAuthority, verifyVote } from './vote.ts';

export interface AuthorityHandlerContext {
  readonly transport: RpcTransport;
  readonly crypto: CryptoProvider;
  readonly network: NetworkConfig;
  readonly now: () => number;
  readonly state: AuthorityState;
  readonly self: AuthorityInfo;
  /** Called after a vote from another authority changed the votes of a period. */
  readonly onVote: (periodStartMs: number) => void;
  /** Called after a signature was added to a round. */
  readonly onSignature: (round: RoundState) => void;
  /** Our own signature message for a round, if we signed one. */
  readonly ownSignature: (periodStartMs: number) => ConsensusSignature | undefined;
}

export const AUTHORITY_PROTOCOLS = [PUBLISH_PROTOCOL, VOTE_PROTOCOL, SIGNATURE_PROTOCOL] as const;

/**
 * Periods an authority accepts votes and signatures for: from the oldest still-valid consensus
 * to the next period (a peer whose clock is slightly ahead may already be there).
 */
export function checkPeriod(network: NetworkConfig, nowMs: number, periodStartMs: number): void {
  const current = periodStart(network, nowMs);
  const period = network.consensusPeriodMs;
  if (periodStartMs % period !== 0) throw new SamizdatError('MALFORMED', 'not a period start');
  if (periodStartMs > current + period) {
    throw new SamizdatError('CLOCK_SKEW', 'a vote or signature for a future period', { detail: { periodStartMs, current } });
  }
  if (periodStartMs < current - (CONSENSUS_LIFETIME_PERIODS - 1) * period) {
    throw new SamizdatError('EXPIRED', 'a vote or signature for a past period', { detail: { periodStartMs, current } });
  }
}

/** Validates an incoming ConsensusSignature's sizes and signer. */
export function checkSignatureMessage(network: NetworkConfig, message: ConsensusSignature): { authority: AuthorityInfo; periodStartMs: number } {
  const sig = message.signature;
  if (sig === undefined || sig.authorityId.length !== SIZES.ed25519PublicKey || sig.signature.length !== SIZES.ed25519Signature) {
    throw new SamizdatError('MALFORMED', 'consensus signature has bad sizes');
  }
  if (message.bodyDigest.length !== 32) throw new SamizdatError('MALFORMED', 'consensus body digest must be 32 bytes');
  const authority = findAuthority(network, sig.authorityId);
  if (authority === undefined) throw new SamizdatError('BAD_SIGNATURE', 'signature by an authority not in the network file');
  return { authority, periodStartMs: safeTime(message.validAfterMs, 'valid_after_ms') };
}

export async function registerAuthorityHandlers(ctx: AuthorityHandlerContext): Promise<void> {
  const { transport, crypto, network, now, state } = ctx;

  await handleDirectoryProtocol(transport, PUBLISH_PROTOCOL, MAX_DESCRIPTOR_BYTES, (request) => {
    const descriptor = verifyNodeDescriptor(crypto, request, { now: now() });
    state.addDescriptor(descriptor, now());
    return Promise.resolve({ case: 'published', value: create(PublishAckSchema, { knownNodes: state.knownNodes() }) });
  });

  await handleDirectoryProtocol(transport, VOTE_PROTOCOL, MAX_CONSENSUS_BYTES, (request) => {
    const vote = verifyVote(crypto, network, request, { now: now() });
    checkPeriod(network, now(), vote.validAfterMs);
    if (vote.authority.keyHex !== ctx.self.keyHex && state.addVote(vote)) ctx.onVote(vote.validAfterMs);
    const own = state.voteOf(vote.validAfterMs, ctx.self);
    const value = create(VoteReplySchema, own === undefined ? {} : { vote: decodeMessage(SignedVoteSchema, own.signed, { maxBytes: MAX_CONSENSUS_BYTES }) });
    return Promise.resolve({ case: 'vote', value });
  });

  await handleDirectoryProtocol(transport, SIGNATURE_PROTOCOL, MAX_SMALL_REQUEST_BYTES, (request) => {
    const message = decodeMessage(ConsensusSignatureSchema, request, { maxBytes: MAX_SMALL_REQUEST_BYTES });
    const { authority, periodStartMs } = checkSignatureMessage(network, message);
    checkPeriod(network, now(), periodStartMs);
    if (authority.keyHex !== ctx.self.keyHex && message.signature !== undefined) {
      const round = state.round(periodStartMs);
      const parts = { authorityId: authority.publicKey, signature: message.signature.signature.slice() };
      if (!state.addSignature(round, authority, message.bodyDigest.slice(), parts)) {
        throw new SamizdatError('BAD_SIGNATURE', 'consensus signature does not verify');
      }
      ctx.onSignature(round);
    }
    const own = ctx.ownSignature(periodStartMs);
    return Promise.resolve({ case: 'signature', value: create(SignatureReplySchema, own === undefined ? {} : { signature: own }) });
  });
}
