/**
 * Address rules of the directory: multiaddrs with an IP literal (/ip4 or /ip6) first, never a DNS
 * name anywhere (DESIGN.md §4: no part of bootstrap uses DNS, which a censor controls), and the
 * mapping between Ed25519 public keys and libp2p peer IDs.
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { SamizdatError } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';
import { MAX_ADDRESS_LENGTH } from './limits.ts';

const DNS_PROTOCOLS = new Set(['dns', 'dns4', 'dns6', 'dnsaddr']);
const IP_PROTOCOLS = new Set(['ip4', 'ip6']);

/** An address split into its dialable part and the peer it names (if any). */
export interface ParsedAddress {
  /** The multiaddr without a /p2p suffix, in canonical text form. */
  readonly address: string;
  /** The peer ID of a trailing /p2p component, if present. */
  readonly peerId: string | undefined;
}

/**
 * Parses an IP-literal multiaddr. `code` is the error code for anything wrong (MALFORMED for
 * untrusted input, INVALID_ARGUMENT for a caller's). DNS names are refused with a message that
 * says so and `detail.address`; a /p2p component may only come last.
 */
export function parseIpAddress(value: unknown, code: ErrorCode = 'MALFORMED'): ParsedAddress {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ADDRESS_LENGTH) {
    throw new SamizdatError(code, `an address must be a multiaddr of 1 to ${MAX_ADDRESS_LENGTH} characters`, {
      detail: { address: typeof value === 'string' ? value.slice(0, MAX_ADDRESS_LENGTH) : String(value) },
    });
  }
  if (/^\/(dns|dns4|dns6|dnsaddr)(\/|$)/i.test(value) || /\/(dns|dns4|dns6|dnsaddr)\//i.test(value)) {
    throw dnsError(value, code);
  }
  let components: { name: string; value?: string | undefined }[];
  try {
    components = multiaddr(value).getComponents();
  } catch (cause) {
    throw new SamizdatError(code, `not a valid multiaddr: ${value}`, { cause, detail: { address: value } });
  }
  for (const c of components) if (DNS_PROTOCOLS.has(c.name)) throw dnsError(value, code);
  const first = components[0];
  if (first === undefined || !IP_PROTOCOLS.has(first.name)) {
    throw new SamizdatError(code, `address must start with /ip4 or /ip6: ${value}`, { detail: { address: value } });
  }
  const p2pIndex = components.findIndex((c) => c.name === 'p2p');
  if (p2pIndex >= 0 && p2pIndex !== components.length - 1) {
    throw new SamizdatError(code, `a /p2p component may only end an address: ${value}`, { detail: { address: value } });
  }
  const dialable = p2pIndex >= 0 ? components.slice(0, p2pIndex) : components;
  if (dialable.length < 2) {
    throw new SamizdatError(code, `address has no transport after the IP: ${value}`, { detail: { address: value } });
  }
  const address = dialable.map((c) => (c.value === undefined ? `/${c.name}` : `/${c.name}/${c.value}`)).join('');
  return { address, peerId: p2pIndex >= 0 ? components[p2pIndex]?.value : undefined };
}

function dnsError(address: string, code: ErrorCode): SamizdatError {
  return new SamizdatError(code, `DNS is not allowed in addresses (use an IP literal): ${address}`, {
    detail: { address, reason: 'dns' },
  });
}

/** The libp2p peer ID (base58 text) of an Ed25519 public key. */
export function peerIdOfPublicKey(publicKey: Uint8Array): string {
  try {
    return peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString();
  } catch (cause) {
    throw new SamizdatError('BAD_KEY', 'not an Ed25519 public key', { cause });
  }
}

/** The Ed25519 public key inside a peer ID; MALFORMED for anything else. */
export function publicKeyOfPeerId(peerId: string): Uint8Array {
  try {
    const parsed = peerIdFromString(peerId);
    if (parsed.type === 'Ed25519') return parsed.publicKey.raw;
  } catch (cause) {
    throw new SamizdatError('MALFORMED', `not a peer ID: ${peerId.slice(0, 80)}`, { cause });
  }
  throw new SamizdatError('MALFORMED', `peer ID ${peerId.slice(0, 80)} is not an Ed25519 key`);
}
