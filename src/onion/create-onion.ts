/**
 * Circuit creation layers (README "Circuit creation"): the client builds one CreateLayer per hop,
 * inside out; each hop peels its own with its onion private key and learns only its circuit keys
 * and the next hop. Each body carries the client's clock (layer-time.ts). Pure: the clock is passed in.
 */
import { create } from '@bufbuild/protobuf';
import {
  HYBRID_PUBLIC_KEY_LENGTH,
  assertBytes,
  concatBytes,
  hybridEncapsulate,
  openWithFreshKey,
  sealWithFreshKey,
  utf8,
  type CryptoProvider,
} from '../crypto/index.ts';
import { SamizdatError } from '../errors.ts';
import { CreateLayerBodySchema, CreateLayerSchema } from '../wire/gen/samizdat/v1/onion_pb.ts';
import { coarseClockMs } from '../wire/coarse-clock.ts';
import { encodeMessage, type PeerTarget } from '../wire/index.ts';
import { assertPeerTarget, fromHopAddress, toHopAddress } from './hop-address.ts';
import { checkLayerTime, type LayerClock } from './layer-time.ts';
import { ONION_KEY_ID_LENGTH, decapsulateWithRing, kdfInfo, type OnionKeyRing } from './onion-keys.ts';
import type { ReplayCache } from './replay-cache.ts';
import { decodeCanonical } from './strict-decode.ts';

/** Hops in a circuit: guard, middle, exit. Builders accept 1..MAX_CIRCUIT_HOPS (tests use fewer). */
export const MAX_CIRCUIT_HOPS = 3;

const HOP_SALT = utf8('samizdat/v1/onion-hop');
const CREATE_AAD_LABEL = utf8('samizdat/v1/onion-create');
const KEY_BYTES = 32;

/** A hop as the client knows it from the consensus. */
export interface OnionHop extends PeerTarget {
  /** Hybrid public key X25519 || ML-KEM-768, 1,216 bytes. */
  readonly onionPublicKey: Uint8Array;
  /** onionKeyId(onionPublicKey), 8 bytes. */
  readonly keyId: Uint8Array;
}

/** The two symmetric keys a circuit shares with one hop. */
export interface HopKeys {
  /** Seals client -> hop layers (requests). */
  readonly forwardKey: Uint8Array;
  /** Seals hop -> client layers (answers). */
  readonly backwardKey: Uint8Array;
}

export interface CreateOnion {
  /** The guard's CreateLayer, serialized. */
  readonly layer: Uint8Array;
  /** One entry per hop, guard first. */
  readonly hopKeys: HopKeys[];
}

export interface PeeledCreateLayer {
  readonly keys: HopKeys;
  /** The next hop; absent at the exit. */
  readonly next?: PeerTarget;
  /** The next hop's CreateLayer, serialized; empty at the exit. */
  readonly inner: Uint8Array;
  /** Which of our keys opened it. */
  readonly keyId: Uint8Array;
  /** The decrypted CreateLayerBody: everything this hop could read (for observers). */
  readonly plaintext: Uint8Array;
}

interface DerivedKeys extends HopKeys {
  readonly createKey: Uint8Array;
}

function deriveHopKeys(crypto: CryptoProvider, sharedSecret: Uint8Array, keyId: Uint8Array, ciphertext: Uint8Array): DerivedKeys {
  const okm = crypto.hkdf('sha256', sharedSecret, HOP_SALT, kdfInfo(crypto, keyId, ciphertext), 3 * KEY_BYTES);
  return {
    createKey: okm.slice(0, KEY_BYTES),
    forwardKey: okm.slice(KEY_BYTES, 2 * KEY_BYTES),
    backwardKey: okm.slice(2 * KEY_BYTES),
  };
}

function assertHop(name: string, hop: OnionHop): void {
  if (typeof hop !== 'object' || hop === null) throw new SamizdatError('INVALID_ARGUMENT', `${name} must be an OnionHop`);
  assertPeerTarget(name, hop);
  assertBytes(`${name}.onionPublicKey`, hop.onionPublicKey, HYBRID_PUBLIC_KEY_LENGTH);
  assertBytes(`${name}.keyId`, hop.keyId, ONION_KEY_ID_LENGTH);
}

/**
 * Builds the create onion for `hops` (guard first). BAD_KEY when a hop's public key is unusable;
 * INVALID_ARGUMENT for a wrong hop count or malformed hop.
 */
export function buildCreateOnion(crypto: CryptoProvider, path: readonly OnionHop[], nowMs: number): CreateOnion {
  const hops: readonly OnionHop[] = path; // Array.isArray below would widen `path` to any[]
  if (!Array.isArray(path) || hops.length < 1 || hops.length > MAX_CIRCUIT_HOPS) {
    throw new SamizdatError('INVALID_ARGUMENT', `hops must list 1..${MAX_CIRCUIT_HOPS} hops`);
  }
  hops.forEach((hop, i) => assertHop(`hops[${i}]`, hop));
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) throw new SamizdatError('INVALID_ARGUMENT', 'nowMs must be a non-negative integer');
  const sentAtMs = BigInt(coarseClockMs(nowMs)); // whole seconds (src/wire/coarse-clock.ts)
  const hopKeys: HopKeys[] = new Array<HopKeys>(hops.length);
  let inner: Uint8Array = new Uint8Array(0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as OnionHop;
    const next = hops[i + 1];
    const { sharedSecret, ciphertext } = hybridEncapsulate(crypto, hop.onionPublicKey);
    const keys = deriveHopKeys(crypto, sharedSecret, hop.keyId, ciphertext);
    hopKeys[i] = { forwardKey: keys.forwardKey, backwardKey: keys.backwardKey };
    const body = encodeMessage(
      CreateLayerBodySchema,
      create(CreateLayerBodySchema, next === undefined ? { sentAtMs } : { next: toHopAddress(next), inner, sentAtMs }),
    );
    const aad = concatBytes(CREATE_AAD_LABEL, hop.keyId, ciphertext);
    const sealed = sealWithFreshKey(crypto, keys.createKey, body, aad);
    inner = encodeMessage(CreateLayerSchema, create(CreateLayerSchema, { keyId: hop.keyId, kemCiphertext: ciphertext, sealed }));
  }
  return { layer: inner, hopKeys };
}

/**
 * Peels one create layer at a relay. MALFORMED for bad structure, BAD_KEY for an unknown key id
 * (or a low-order X25519 part), DECRYPT_FAILED when tampered or made for other keys, MALFORMED
 * "replayed" for a layer this hop has accepted before, RATE_LIMITED when the replay cache is full,
 * CLOCK_SKEW for a layer too old, too new or made before this hop started.
 */
export function peelCreateLayer(crypto: CryptoProvider, ring: OnionKeyRing, replay: ReplayCache, layerBytes: Uint8Array, clock: LayerClock): PeeledCreateLayer {
  assertBytes('layerBytes', layerBytes);
  const layer = decodeCanonical(CreateLayerSchema, layerBytes);
  const sharedSecret = decapsulateWithRing(crypto, ring, layer.keyId, layer.kemCiphertext);
  const keys = deriveHopKeys(crypto, sharedSecret, layer.keyId, layer.kemCiphertext);
  const aad = concatBytes(CREATE_AAD_LABEL, layer.keyId, layer.kemCiphertext);
  const plaintext = openWithFreshKey(crypto, keys.createKey, layer.sealed, aad);
  const body = decodeCanonical(CreateLayerBodySchema, plaintext);
  const rememberUntil = checkLayerTime(body.sentAtMs, clock);
  // Only authentic layers reach the cache, so garbage cannot fill it.
  if (!replay.checkAndRemember(crypto.hash('sha256', layer.kemCiphertext), Math.min(rememberUntil, ring.expiresAtMs?.(layer.keyId) ?? Infinity))) {
    throw new SamizdatError('MALFORMED', 'replayed create layer');
  }
  const result = { keys: { forwardKey: keys.forwardKey, backwardKey: keys.backwardKey }, keyId: Uint8Array.from(layer.keyId), plaintext };
  if (body.next === undefined) {
    if (body.inner.length !== 0) throw new SamizdatError('MALFORMED', 'an exit layer carries an inner layer');
    return { ...result, inner: new Uint8Array(0) };
  }
  if (body.inner.length === 0) throw new SamizdatError('MALFORMED', 'a relay layer has no inner layer');
  return { ...result, next: fromHopAddress(body.next), inner: Uint8Array.from(body.inner) };
}
