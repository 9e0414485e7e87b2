/**
 * The consensus: the network's agreed list of nodes for a period, signed by the authorities.
 *
 * Computing (every authority runs the same function on the votes it holds, so authorities with
 * the same votes produce byte-identical bodies and their signatures combine): a node is listed
 * when the votes of more than half of the network file's authorities list it (one vote per
 * authority counts; if an authority has two votes for the period, the one with the lowest bytes
 * counts). If the votes carry different descriptors of one node, the newest publication time
 * wins, then the lowest bytes. Nodes are sorted by node_id. validAfter is the period start and
 * validUntil = validAfter + 3 periods, so a consensus survives one or two missed rounds.
 *
 * Signatures: AuthoritySignature = Ed25519(authority key, "samizdat/v1/consensus" || body).
 * Verifying: a ConsensusDocument is accepted only with valid signatures from more than half of
 * the network file's authorities (distinct, known keys; forged, unknown and duplicate signatures
 * do not count), checked before the body is parsed; then every descriptor inside is verified.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { concatBytes, toHex, utf8 } from '../crypto/bytes.ts';
import type { CryptoProvider, PrivateKey } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import { decodeMessage } from '../wire/index.ts';
import {
  AuthoritySignatureSchema,
  ConsensusBodySchema,
  ConsensusDocumentSchema,
  SignedNodeDescriptorSchema,
} from '../wire/gen/samizdat/v1/directory_pb.ts';
import { verifyNodeDescriptor } from './descriptor.ts';
import type { NodeDescriptor } from './descriptor.ts';
import { MAX_CLOCK_SKEW_MS, MAX_CONSENSUS_BYTES, MAX_CONSENSUS_NODES, MAX_CONSENSUS_SIGNATURES, MAX_SWARM_SIZE } from './limits.ts';
import { signatureThreshold } from './network-file.ts';
import type { NetworkConfig } from './network-file.ts';
import { assertTime, compareBytes, safeTime } from './signed.ts';
import { findAuthority, validityWindow } from './vote.ts';
import type { Vote } from './vote.ts';

const CONSENSUS_CONTEXT = utf8('samizdat/v1/consensus');

/** A verified consensus. */
export interface Consensus {
  readonly network: string;
  readonly validAfterMs: number;
  readonly validUntilMs: number;
  readonly swarmSize: number;
  /** Sorted by node_id. */
  readonly nodes: readonly NodeDescriptor[];
  /** Names of the authorities whose signatures verified. */
  readonly signers: readonly string[];
  /** The exact ConsensusDocument bytes (what to cache and serve). */
  readonly document: Uint8Array;
  /** The ConsensusBody bytes the signatures cover. */
  readonly body: Uint8Array;
  /** True when accepted past validUntil because the caller allowed it. */
  readonly stale: boolean;
}

export interface ConsensusSignatureParts {
  readonly authorityId: Uint8Array;
  readonly signature: Uint8Array;
}

export interface VerifyConsensusOptions {
  /** The verifier's clock, ms since epoch. */
  readonly now: number;
  /** Accept an expired consensus (marked `stale`), e.g. to show or bootstrap from a cache. */
  readonly allowStale?: boolean;
}

/**
 * The ConsensusBody bytes for the period starting at `periodStartMs`, from `votes` (votes of other
 * periods and of authorities outside the network are ignored). Deterministic: any order of the
 * same votes gives the same bytes.
 */
export function computeConsensusBody(network: NetworkConfig, votes: readonly Vote[], periodStartMs: number): Uint8Array {
  assertTime('periodStartMs', periodStartMs);
  const window = validityWindow(network, periodStartMs);
  const byAuthority = new Map<string, Vote>();
  for (const vote of votes) {
    if (vote.validAfterMs !== window.validAfterMs || findAuthority(network, vote.authority.publicKey) === undefined) continue;
    const key = vote.authority.keyHex;
    const held = byAuthority.get(key);
    if (held === undefined || compareBytes(vote.signed, held.signed) < 0) byAuthority.set(key, vote);
  }
  const threshold = signatureThreshold(network);
  const candidates = new Map<string, { count: number; best: NodeDescriptor }>();
  for (const vote of byAuthority.values()) {
    for (const node of vote.nodes) {
      const key = toHex(node.nodeId);
      const entry = candidates.get(key);
      if (entry === undefined) candidates.set(key, { count: 1, best: node });
      else {
        entry.count += 1;
        if (newer(node, entry.best)) entry.best = node;
      }
    }
  }
  const nodes = [...candidates.values()]
    .filter((c) => c.count >= threshold)
    .map((c) => c.best)
    .sort((a, b) => compareBytes(a.nodeId, b.nodeId))
    .slice(0, MAX_CONSENSUS_NODES);
  return toBinary(
    ConsensusBodySchema,
    create(ConsensusBodySchema, {
      network: network.name,
      validAfterMs: BigInt(window.validAfterMs),
      validUntilMs: BigInt(window.validUntilMs),
      swarmSize: network.swarmSize,
      nodes: nodes.map((n) => decodeMessage(SignedNodeDescriptorSchema, n.signed)),
    }),
  );
}

function newer(a: NodeDescriptor, b: NodeDescriptor): boolean {
  if (a.publishedAtMs !== b.publishedAtMs) return a.publishedAtMs > b.publishedAtMs;
  return compareBytes(a.signed, b.signed) < 0;
}

/** An authority's signature on consensus body bytes. */
export function signConsensusBody(crypto: CryptoProvider, identity: PrivateKey, body: Uint8Array): ConsensusSignatureParts {
  if (typeof identity !== 'object' || identity === null || identity.algorithm !== 'ed25519') {
    throw new SamizdatError('INVALID_ARGUMENT', 'identity must be an Ed25519 private key');
  }
  return { authorityId: identity.publicKey, signature: crypto.sign(identity, concatBytes(CONSENSUS_CONTEXT, body)) };
}

/** True when `signature` is a valid consensus signature by `publicKey` over `body`. */
export function checkConsensusSignature(crypto: CryptoProvider, publicKey: Uint8Array, body: Uint8Array, signature: Uint8Array): boolean {
  return crypto.verify(publicKey, concatBytes(CONSENSUS_CONTEXT, body), signature);
}

/** The ConsensusDocument bytes for a body and its signatures (sorted by authority key). */
export function encodeConsensusDocument(body: Uint8Array, signatures: readonly ConsensusSignatureParts[]): Uint8Array {
  const sorted = [...signatures].sort((a, b) => compareBytes(a.authorityId, b.authorityId));
  const bytes = toBinary(
    ConsensusDocumentSchema,
    create(ConsensusDocumentSchema, {
      body,
      signatures: sorted.map((s) => create(AuthoritySignatureSchema, { authorityId: s.authorityId, signature: s.signature })),
    }),
  );
  if (bytes.length > MAX_CONSENSUS_BYTES) throw new SamizdatError('TOO_LARGE', `consensus exceeds ${MAX_CONSENSUS_BYTES} bytes`);
  return bytes;
}

/**
 * Verifies and parses a ConsensusDocument from untrusted bytes. Errors: TOO_LARGE; MALFORMED
 * (bad encoding, another network's consensus, unsorted or duplicate nodes, a bad descriptor);
 * BAD_SIGNATURE (valid signatures from too few authorities: detail { valid, needed }); EXPIRED
 * (now > validUntil, unless allowStale); CLOCK_SKEW (validAfter further ahead than the skew).
 */
export function verifyConsensus(crypto: CryptoProvider, network: NetworkConfig, bytes: Uint8Array, options: VerifyConsensusOptions): Consensus {
  assertTime('options.now', options.now);
  if (!(bytes instanceof Uint8Array)) throw new SamizdatError('INVALID_ARGUMENT', 'bytes must be a Uint8Array');
  if (bytes.length > MAX_CONSENSUS_BYTES) {
    throw new SamizdatError('TOO_LARGE', `consensus of ${bytes.length} bytes exceeds ${MAX_CONSENSUS_BYTES}`, {
      detail: { limit: MAX_CONSENSUS_BYTES, actual: bytes.length },
    });
  }
  const document = decodeMessage(ConsensusDocumentSchema, bytes, { maxBytes: MAX_CONSENSUS_BYTES });
  if (document.body.length === 0) throw new SamizdatError('MALFORMED', 'consensus has an empty body');
  if (document.signatures.length > MAX_CONSENSUS_SIGNATURES) throw new SamizdatError('MALFORMED', 'consensus carries too many signatures');
  const signers = new Map<string, string>();
  const signed = concatBytes(CONSENSUS_CONTEXT, document.body);
  for (const s of document.signatures) {
    const authority = findAuthority(network, s.authorityId);
    if (authority === undefined || signers.has(authority.keyHex)) continue;
    if (crypto.verify(authority.publicKey, signed, s.signature)) signers.set(authority.keyHex, authority.name);
  }
  const needed = signatureThreshold(network);
  if (signers.size < needed) {
    throw new SamizdatError('BAD_SIGNATURE', `consensus has valid signatures from ${signers.size} authorities, needs ${needed}`, {
      detail: { valid: signers.size, needed },
    });
  }
  return parseBody(crypto, network, document.body, bytes, [...signers.values()], options);
}

function parseBody(
  crypto: CryptoProvider,
  network: NetworkConfig,
  bodyBytes: Uint8Array,
  document: Uint8Array,
  signers: string[],
  options: VerifyConsensusOptions,
): Consensus {
  const body = decodeMessage(ConsensusBodySchema, bodyBytes, { maxBytes: MAX_CONSENSUS_BYTES });
  if (body.network !== network.name) {
    throw new SamizdatError('MALFORMED', 'consensus is for another network', { detail: { network: body.network.slice(0, 64) } });
  }
  const validAfterMs = safeTime(body.validAfterMs, 'valid_after_ms');
  const validUntilMs = safeTime(body.validUntilMs, 'valid_until_ms');
  if (validUntilMs <= validAfterMs) throw new SamizdatError('MALFORMED', 'consensus validity window is empty');
  if (body.swarmSize < 1 || body.swarmSize > MAX_SWARM_SIZE) throw new SamizdatError('MALFORMED', 'consensus swarm size is out of range');
  if (body.nodes.length > MAX_CONSENSUS_NODES) throw new SamizdatError('TOO_LARGE', `consensus lists more than ${MAX_CONSENSUS_NODES} nodes`);
  const stale = options.now > validUntilMs;
  if (stale && options.allowStale !== true) {
    throw new SamizdatError('EXPIRED', 'consensus has expired', { detail: { validUntilMs, now: options.now } });
  }
  if (validAfterMs > options.now + MAX_CLOCK_SKEW_MS) {
    throw new SamizdatError('CLOCK_SKEW', 'consensus is not valid yet (check the clock)', { detail: { validAfterMs, now: options.now } });
  }
  const nodes: NodeDescriptor[] = [];
  for (const n of body.nodes) {
    // A descriptor inside a consensus must predate the consensus' end (no future skew on top).
    const node = verifyNodeDescriptor(crypto, toBinary(SignedNodeDescriptorSchema, n), { now: validUntilMs, maxSkewMs: 0 });
    const previous = nodes[nodes.length - 1];
    if (previous !== undefined && compareBytes(previous.nodeId, node.nodeId) >= 0) {
      throw new SamizdatError('MALFORMED', 'consensus nodes are not sorted by node_id without duplicates');
    }
    nodes.push(node);
  }
  return {
    network: body.network,
    validAfterMs,
    validUntilMs,
    swarmSize: body.swarmSize,
    nodes,
    signers,
    document: document.slice(),
    body: bodyBytes.slice(),
    stale,
  };
}
