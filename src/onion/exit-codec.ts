/**
 * The exit payload on the hot path, by hand (src/wire/bytes-fields.ts): the client writes one for
 * every request, ExitPayload { HopAddress target = 1 { peer_id = 1; repeated addresses = 2 };
 * bytes target_layer = 2 }, and the exit reads it. The writer gives what toBinary gives; the
 * reader takes the canonical layout of a payload with a peer ID, at least one address, valid UTF-8
 * and a layer, and hands anything else to decodeCanonical, so it agrees with decodeCanonical on
 * every input (exit-codec.test.ts). Pure.
 */
import { utf8 } from '../crypto/index.ts';
import { lengthDelimitedSize, readCanonicalBytesField, writeBytesField, writeLengthDelimitedHeader } from '../wire/bytes-fields.ts';
import { ExitPayloadSchema, HopAddressSchema, type ExitPayload } from '../wire/gen/samizdat/v1/onion_pb.ts';
import type { PeerTarget } from '../wire/index.ts';
import { decodeCanonical } from './strict-decode.ts';

const TARGET = 1;
const TARGET_LAYER = 2;
const PEER_ID = 1;
const ADDRESS = 2;

/** encode(ExitPayload{target, targetLayer}); the caller has checked `target` (assertPeerTarget). */
export function encodeExitPayloadBytes(target: PeerTarget, targetLayer: Uint8Array): Uint8Array {
  const peerId = utf8(target.peerId);
  const addresses = target.addresses.map(utf8);
  let hopSize = peerId.length === 0 ? 0 : lengthDelimitedSize(PEER_ID, peerId.length);
  for (const address of addresses) hopSize += lengthDelimitedSize(ADDRESS, address.length); // repeated: each written
  const out = new Uint8Array(lengthDelimitedSize(TARGET, hopSize) + (targetLayer.length === 0 ? 0 : lengthDelimitedSize(TARGET_LAYER, targetLayer.length)));
  let at = writeLengthDelimitedHeader(out, 0, TARGET, hopSize);
  if (peerId.length > 0) at = writeBytesField(out, at, PEER_ID, peerId);
  for (const address of addresses) at = writeBytesField(out, at, ADDRESS, address);
  if (targetLayer.length > 0) writeBytesField(out, at, TARGET_LAYER, targetLayer);
  return out;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of UTF-8 bytes, or undefined when they are not valid UTF-8. */
function text(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** decodeCanonical(ExitPayloadSchema, bytes), read by hand for the usual payload. */
export function decodeExitPayload(bytes: Uint8Array): ExitPayload {
  const fast = readUsual(bytes);
  return fast ?? decodeCanonical(ExitPayloadSchema, bytes);
}

function readUsual(bytes: Uint8Array): ExitPayload | undefined {
  const hop = readCanonicalBytesField(bytes, 0, TARGET);
  if (hop === undefined) return undefined;
  const layer = readCanonicalBytesField(bytes, hop[1], TARGET_LAYER);
  if (layer === undefined || layer[1] !== bytes.length || layer[0].length === 0) return undefined;
  const inner = hop[0];
  const peer = readCanonicalBytesField(inner, 0, PEER_ID);
  if (peer === undefined || peer[0].length === 0) return undefined;
  const peerId = text(peer[0]);
  if (peerId === undefined) return undefined;
  const addresses: string[] = [];
  for (let at = peer[1]; at < inner.length; ) {
    const address = readCanonicalBytesField(inner, at, ADDRESS);
    const decoded = address === undefined ? undefined : text(address[0]);
    if (address === undefined || decoded === undefined) return undefined;
    addresses.push(decoded);
    at = address[1];
  }
  if (addresses.length === 0) return undefined;
  return {
    $typeName: ExitPayloadSchema.typeName,
    target: { $typeName: HopAddressSchema.typeName, peerId, addresses },
    targetLayer: layer[0],
  };
}
