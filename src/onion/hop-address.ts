/**
 * Hop addresses inside layers and the checks applied to them: a peer ID and a few multiaddrs,
 * bounded so a hostile layer cannot make a relay dial a thousand addresses. Pure.
 */
import { create } from '@bufbuild/protobuf';
import { SamizdatError } from '../errors.ts';
import { HopAddressSchema, type HopAddress } from '../wire/gen/samizdat/v1/onion_pb.ts';
import type { PeerTarget } from '../wire/index.ts';

/** Most addresses a layer may name for one hop; a node publishes one or two (TCP, WebSocket). */
export const MAX_HOP_ADDRESSES = 8;
/** Longest multiaddr text accepted in a layer; IP literal + port + transport fit in far less. */
export const MAX_ADDRESS_LENGTH = 256;
/** Longest peer ID text accepted (an Ed25519 peer ID in base58 is 52 characters). */
export const MAX_PEER_ID_LENGTH = 128;

/** The HopAddress message for a peer. */
export function toHopAddress(target: PeerTarget): HopAddress {
  return create(HopAddressSchema, { peerId: target.peerId, addresses: [...target.addresses] });
}

/** MALFORMED unless a peer ID and its addresses are within the limits above. */
function checkHop(peerId: string, addresses: readonly string[]): void {
  if (peerId.length === 0 || peerId.length > MAX_PEER_ID_LENGTH) {
    throw new SamizdatError('MALFORMED', 'hop peer ID is empty or too long');
  }
  if (addresses.length === 0 || addresses.length > MAX_HOP_ADDRESSES) {
    throw new SamizdatError('MALFORMED', `a hop must name 1..${MAX_HOP_ADDRESSES} addresses`);
  }
  for (const a of addresses) {
    if (a.length === 0 || a.length > MAX_ADDRESS_LENGTH) throw new SamizdatError('MALFORMED', 'hop address is empty or too long');
  }
}

/** A PeerTarget from an untrusted HopAddress; MALFORMED when empty or over the limits above. */
export function fromHopAddress(address: HopAddress | undefined): PeerTarget {
  if (address === undefined) throw new SamizdatError('MALFORMED', 'hop address is missing');
  const { peerId, addresses } = address;
  checkHop(peerId, addresses);
  return { peerId, addresses: [...addresses] };
}

/** Throws INVALID_ARGUMENT unless `target` would pass fromHopAddress (for builders). */
export function assertPeerTarget(name: string, target: PeerTarget): void {
  try {
    checkHop(target.peerId, [...target.addresses]); // what fromHopAddress checks, without building the message
  } catch (cause) {
    throw new SamizdatError('INVALID_ARGUMENT', `${name} is not a valid hop address`, { cause });
  }
}
