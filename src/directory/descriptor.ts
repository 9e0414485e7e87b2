/**
 * Node descriptors (DESIGN.md §4): what a service node says about itself, signed by its Ed25519
 * key, which is also its libp2p peer ID. Wire form: SignedNodeDescriptor { body, signature } with
 * signature = Ed25519(node key, "samizdat/v1/node-descriptor" || body). The verifier checks the
 * size, decodes the canonical wrapper, reads node_id (the signer) from the body, verifies the
 * signature over the exact body bytes, and only then checks and returns any other field. Addresses are IP literals only; a DNS name makes the whole descriptor MALFORMED.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { concatBytes, utf8 } from '../crypto/bytes.ts';
import type { CryptoProvider, PrivateKey } from '../crypto/provider.ts';
import { SIZES } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';
import { decodeMessage } from '../wire/index.ts';
import { NodeDescriptorBodySchema, SignedNodeDescriptorSchema } from '../wire/gen/samizdat/v1/directory_pb.ts';
import { parseIpAddress, peerIdOfPublicKey } from './addresses.ts';
import { MAX_ADDRESSES, MAX_CLOCK_SKEW_MS, MAX_DESCRIPTOR_BYTES, MAX_VERSION_LENGTH } from './limits.ts';
import { assertTime, decodeSigned, safeTime } from './signed.ts';

/** Domain separation: a descriptor signature is never valid for anything else. */
const DESCRIPTOR_CONTEXT = utf8('samizdat/v1/node-descriptor');

export interface NodeDescriptor {
  /** Ed25519 public key, 32 bytes. */
  readonly nodeId: Uint8Array;
  /** libp2p peer ID of nodeId. */
  readonly peerId: string;
  /** IP-literal multiaddrs without /p2p. */
  readonly addresses: readonly string[];
  readonly onionX25519: Uint8Array;
  readonly onionMlKem: Uint8Array;
  readonly version: string;
  readonly publishedAtMs: number;
  /** The exact SignedNodeDescriptor bytes. */
  readonly signed: Uint8Array;
}

/** What a node fills in; node_id comes from the signing key. */
export interface NodeDescriptorFields {
  readonly addresses: readonly string[];
  readonly onionX25519: Uint8Array;
  readonly onionMlKem: Uint8Array;
  readonly version: string;
  readonly publishedAtMs: number;
}

export interface VerifyDescriptorOptions {
  /** The verifier's clock (ms since epoch); publishedAtMs may exceed it by at most maxSkewMs. */
  readonly now: number;
  /** Default MAX_CLOCK_SKEW_MS. */
  readonly maxSkewMs?: number;
}

function checkVersion(version: unknown, code: ErrorCode): string {
  // Printable ASCII only: versions are shown to operators and must not carry terminal controls.
  if (typeof version !== 'string' || version.length === 0 || version.length > MAX_VERSION_LENGTH || !/^[\x20-\x7e]+$/.test(version)) {
    throw new SamizdatError(code, `descriptor version must be 1 to ${MAX_VERSION_LENGTH} printable ASCII characters`);
  }
  return version;
}

function checkAddresses(addresses: readonly unknown[], code: ErrorCode): string[] {
  if (addresses.length === 0 || addresses.length > MAX_ADDRESSES) {
    throw new SamizdatError(code, `a descriptor must list 1 to ${MAX_ADDRESSES} addresses`, { detail: { count: addresses.length } });
  }
  return addresses.map((a) => {
    const parsed = parseIpAddress(a, code);
    if (parsed.peerId !== undefined) throw new SamizdatError(code, 'descriptor addresses must not carry /p2p', { detail: { address: a } });
    return parsed.address;
  });
}

function checkKeySizes(onionX25519: Uint8Array, onionMlKem: Uint8Array, code: ErrorCode): void {
  if (!(onionX25519 instanceof Uint8Array) || onionX25519.length !== SIZES.x25519PublicKey) {
    throw new SamizdatError(code, `onion_x25519 must be ${SIZES.x25519PublicKey} bytes`);
  }
  if (!(onionMlKem instanceof Uint8Array) || onionMlKem.length !== SIZES.mlKemPublicKey) {
    throw new SamizdatError(code, `onion_ml_kem must be ${SIZES.mlKemPublicKey} bytes`);
  }
}

/** Signs a descriptor with the node's Ed25519 identity key; returns the SignedNodeDescriptor bytes. */
export function signNodeDescriptor(crypto: CryptoProvider, identity: PrivateKey, fields: NodeDescriptorFields): Uint8Array {
  if (typeof identity !== 'object' || identity === null || identity.algorithm !== 'ed25519') {
    throw new SamizdatError('INVALID_ARGUMENT', 'identity must be an Ed25519 private key');
  }
  if (typeof fields !== 'object' || fields === null || !Array.isArray(fields.addresses)) {
    throw new SamizdatError('INVALID_ARGUMENT', 'fields must be an object with an addresses list');
  }
  const addresses = checkAddresses(fields.addresses, 'INVALID_ARGUMENT');
  checkKeySizes(fields.onionX25519, fields.onionMlKem, 'INVALID_ARGUMENT');
  const version = checkVersion(fields.version, 'INVALID_ARGUMENT');
  assertTime('fields.publishedAtMs', fields.publishedAtMs);
  const body = toBinary(
    NodeDescriptorBodySchema,
    create(NodeDescriptorBodySchema, {
      nodeId: identity.publicKey,
      addresses,
      onionX25519: fields.onionX25519,
      onionMlKem: fields.onionMlKem,
      version,
      publishedAtMs: BigInt(fields.publishedAtMs),
    }),
  );
  const signature = crypto.sign(identity, concatBytes(DESCRIPTOR_CONTEXT, body));
  const signed = toBinary(SignedNodeDescriptorSchema, create(SignedNodeDescriptorSchema, { body, signature }));
  if (signed.length > MAX_DESCRIPTOR_BYTES) {
    throw new SamizdatError('TOO_LARGE', `descriptor exceeds ${MAX_DESCRIPTOR_BYTES} bytes`, { detail: { limit: MAX_DESCRIPTOR_BYTES } });
  }
  return signed;
}

/**
 * Verifies and parses a SignedNodeDescriptor from untrusted bytes. Errors: TOO_LARGE; MALFORMED
 * (not protobuf, not canonical, bad sizes or counts, a DNS or non-IP address); BAD_SIGNATURE;
 * CLOCK_SKEW (published further in the future than the allowed skew).
 */
export function verifyNodeDescriptor(crypto: CryptoProvider, bytes: Uint8Array, options: VerifyDescriptorOptions): NodeDescriptor {
  assertTime('options.now', options.now);
  const maxSkewMs = options.maxSkewMs ?? MAX_CLOCK_SKEW_MS;
  const signed = decodeSigned(SignedNodeDescriptorSchema, bytes, MAX_DESCRIPTOR_BYTES, 'node descriptor');
  const body = decodeMessage(NodeDescriptorBodySchema, signed.body, { maxBytes: MAX_DESCRIPTOR_BYTES });
  if (body.nodeId.length !== SIZES.ed25519PublicKey) {
    throw new SamizdatError('MALFORMED', `descriptor node_id must be ${SIZES.ed25519PublicKey} bytes`);
  }
  if (!crypto.verify(body.nodeId, concatBytes(DESCRIPTOR_CONTEXT, signed.body), signed.signature)) {
    throw new SamizdatError('BAD_SIGNATURE', 'node descriptor signature does not verify');
  }
  const addresses = checkAddresses(body.addresses, 'MALFORMED');
  checkKeySizes(body.onionX25519, body.onionMlKem, 'MALFORMED');
  const version = checkVersion(body.version, 'MALFORMED');
  const publishedAtMs = safeTime(body.publishedAtMs, 'published_at_ms');
  if (publishedAtMs > options.now + maxSkewMs) {
    throw new SamizdatError('CLOCK_SKEW', 'node descriptor is published in the future', {
      detail: { publishedAtMs, now: options.now },
    });
  }
  const nodeId = body.nodeId.slice();
  let peerId: string;
  try {
    peerId = peerIdOfPublicKey(nodeId);
  } catch (cause) {
    throw new SamizdatError('MALFORMED', 'descriptor node_id is not an Ed25519 key', { cause });
  }
  return {
    nodeId,
    peerId,
    addresses,
    onionX25519: body.onionX25519.slice(),
    onionMlKem: body.onionMlKem.slice(),
    version,
    publishedAtMs,
    signed: bytes.slice(),
  };
}
