/**
 * Authority votes: one authority's signed list of the descriptors of the nodes it found reachable
 * for one consensus period. Wire form: SignedVote { body, signature } with signature =
 * Ed25519(authority key, "samizdat/v1/vote" || body). A vote is accepted only from an authority
 * of the network file, for a period-aligned validity window, with every descriptor verified.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { concatBytes, toHex, utf8 } from '../crypto/bytes.ts';
import type { CryptoProvider, PrivateKey } from '../crypto/provider.ts';
import { SIZES } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import { decodeMessage } from '../wire/index.ts';
import { SignedNodeDescriptorSchema, SignedVoteSchema, VoteBodySchema } from '../wire/gen/samizdat/v1/directory_pb.ts';
import { verifyNodeDescriptor } from './descriptor.ts';
import type { NodeDescriptor } from './descriptor.ts';
import { CONSENSUS_LIFETIME_PERIODS, MAX_CONSENSUS_BYTES, MAX_CONSENSUS_NODES } from './limits.ts';
import type { AuthorityInfo, NetworkConfig } from './network-file.ts';
import { assertTime, decodeSigned, safeTime } from './signed.ts';

const VOTE_CONTEXT = utf8('samizdat/v1/vote');

export interface Vote {
  readonly authority: AuthorityInfo;
  readonly validAfterMs: number;
  readonly validUntilMs: number;
  readonly nodes: readonly NodeDescriptor[];
  /** The exact SignedVote bytes. */
  readonly signed: Uint8Array;
}

export interface VerifyVoteOptions {
  /** The verifier's clock, for the descriptors' publication times. */
  readonly now: number;
}

/** The validity window of the consensus for the period starting at `periodStartMs`. */
export function validityWindow(network: NetworkConfig, periodStartMs: number): { validAfterMs: number; validUntilMs: number } {
  return { validAfterMs: periodStartMs, validUntilMs: periodStartMs + CONSENSUS_LIFETIME_PERIODS * network.consensusPeriodMs };
}

/** The authority of `network` with this public key, or undefined. */
export function findAuthority(network: NetworkConfig, publicKey: Uint8Array): AuthorityInfo | undefined {
  const hex = toHex(publicKey);
  return network.authorities.find((a) => a.keyHex === hex);
}

/**
 * Signs the vote of `identity` (an authority key) for the period starting at `periodStartMs`,
 * listing the given SignedNodeDescriptor bytes (already verified by the caller). Returns the
 * SignedVote bytes.
 */
export function signVote(
  crypto: CryptoProvider,
  network: NetworkConfig,
  identity: PrivateKey,
  periodStartMs: number,
  descriptors: readonly Uint8Array[],
): Uint8Array {
  if (typeof identity !== 'object' || identity === null || identity.algorithm !== 'ed25519') {
    throw new SamizdatError('INVALID_ARGUMENT', 'identity must be an Ed25519 private key');
  }
  assertTime('periodStartMs', periodStartMs);
  if (periodStartMs % network.consensusPeriodMs !== 0) throw new SamizdatError('INVALID_ARGUMENT', 'periodStartMs must be a period start');
  if (descriptors.length > MAX_CONSENSUS_NODES) throw new SamizdatError('TOO_LARGE', `a vote lists at most ${MAX_CONSENSUS_NODES} nodes`);
  const window = validityWindow(network, periodStartMs);
  const body = toBinary(
    VoteBodySchema,
    create(VoteBodySchema, {
      authorityId: identity.publicKey,
      validAfterMs: BigInt(window.validAfterMs),
      validUntilMs: BigInt(window.validUntilMs),
      nodes: descriptors.map((d) => decodeMessage(SignedNodeDescriptorSchema, d)),
    }),
  );
  const signature = crypto.sign(identity, concatBytes(VOTE_CONTEXT, body));
  const signed = toBinary(SignedVoteSchema, create(SignedVoteSchema, { body, signature }));
  if (signed.length > MAX_CONSENSUS_BYTES) throw new SamizdatError('TOO_LARGE', `vote exceeds ${MAX_CONSENSUS_BYTES} bytes`);
  return signed;
}

/**
 * Verifies and parses a SignedVote from untrusted bytes. Errors: TOO_LARGE; MALFORMED (bad
 * encoding, a window not aligned to the network's period, duplicate nodes, a bad descriptor);
 * BAD_SIGNATURE (unknown authority, bad signature, or a bad descriptor signature).
 */
export function verifyVote(crypto: CryptoProvider, network: NetworkConfig, bytes: Uint8Array, options: VerifyVoteOptions): Vote {
  assertTime('options.now', options.now);
  const signed = decodeSigned(SignedVoteSchema, bytes, MAX_CONSENSUS_BYTES, 'vote');
  const body = decodeMessage(VoteBodySchema, signed.body, { maxBytes: MAX_CONSENSUS_BYTES });
  if (body.authorityId.length !== SIZES.ed25519PublicKey) throw new SamizdatError('MALFORMED', 'vote authority_id must be 32 bytes');
  const authority = findAuthority(network, body.authorityId);
  if (authority === undefined) throw new SamizdatError('BAD_SIGNATURE', 'vote from an authority not in the network file');
  if (!crypto.verify(authority.publicKey, concatBytes(VOTE_CONTEXT, signed.body), signed.signature)) {
    throw new SamizdatError('BAD_SIGNATURE', `vote signature of ${authority.name} does not verify`);
  }
  const validAfterMs = safeTime(body.validAfterMs, 'valid_after_ms');
  const validUntilMs = safeTime(body.validUntilMs, 'valid_until_ms');
  const window = validityWindow(network, validAfterMs - (validAfterMs % network.consensusPeriodMs));
  if (window.validAfterMs !== validAfterMs || window.validUntilMs !== validUntilMs) {
    throw new SamizdatError('MALFORMED', 'vote validity window does not match the network period');
  }
  if (body.nodes.length > MAX_CONSENSUS_NODES) throw new SamizdatError('TOO_LARGE', `a vote lists at most ${MAX_CONSENSUS_NODES} nodes`);
  const seen = new Set<string>();
  const nodes = body.nodes.map((n) => {
    const descriptor = verifyNodeDescriptor(crypto, toBinary(SignedNodeDescriptorSchema, n), { now: options.now });
    const key = toHex(descriptor.nodeId);
    if (seen.has(key)) throw new SamizdatError('MALFORMED', 'a vote lists a node twice');
    seen.add(key);
    return descriptor;
  });
  return { authority, validAfterMs, validUntilMs, nodes, signed: bytes.slice() };
}
