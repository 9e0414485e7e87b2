/**
 * The target layer (README "Requests over a circuit"): end to end from the client to the target
 * node, through the exit, which sees only ciphertext. Hybrid KEM to the target's onion key, HKDF
 * to a request key and a response key (each used for one message, nonce 0); both directions are
 * padded to a bucket. Pure.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  HYBRID_PUBLIC_KEY_LENGTH,
  SIZES,
  assertBytes,
  concatBytes,
  hybridEncapsulate,
  openWithFreshKey,
  sealWithFreshKey,
  utf8,
  type CryptoProvider,
} from '../crypto/index.ts';
import { SamizdatError } from '../errors.ts';
import { TargetLayerSchema, TargetResponseBodySchema } from '../wire/gen/samizdat/v1/onion_pb.ts';
import { encodeMessage, errorFromReply, errorReplyFromError } from '../wire/index.ts';
import { ONION_KEY_ID_LENGTH, decapsulateWithRing, kdfInfo, type OnionKeyRing } from './onion-keys.ts';
import { pad, unpad } from './padding.ts';
import type { ReplayCache } from './replay-cache.ts';
import { decodeCanonical } from './strict-decode.ts';

const TARGET_SALT = utf8('samizdat/v1/onion-target');
const RESPONSE_AAD = utf8('samizdat/v1/onion-target-response');

/** The target's public onion key as the client knows it from the consensus. */
export interface TargetKey {
  readonly onionPublicKey: Uint8Array;
  readonly keyId: Uint8Array;
}

export interface SealedTargetRequest {
  /** The TargetLayer, serialized (goes into ExitPayload.target_layer). */
  readonly layer: Uint8Array;
  /** Opens the target's answer; keep it until the answer arrives, then forget it. */
  readonly responseKey: Uint8Array;
}

export interface OpenedTargetRequest {
  readonly request: Uint8Array;
  readonly responseKey: Uint8Array;
}

function deriveTargetKeys(crypto: CryptoProvider, sharedSecret: Uint8Array, keyId: Uint8Array, ciphertext: Uint8Array) {
  const okm = crypto.hkdf('sha256', sharedSecret, TARGET_SALT, kdfInfo(crypto, keyId, ciphertext), 2 * SIZES.aesKey);
  return { requestKey: okm.slice(0, SIZES.aesKey), responseKey: okm.slice(SIZES.aesKey) };
}

/** Seals `request` for the target. TOO_LARGE past the largest bucket; BAD_KEY for an unusable key. */
export function sealTargetRequest(crypto: CryptoProvider, target: TargetKey, request: Uint8Array): SealedTargetRequest {
  if (typeof target !== 'object' || target === null) throw new SamizdatError('INVALID_ARGUMENT', 'target must be a TargetKey');
  assertBytes('target.onionPublicKey', target.onionPublicKey, HYBRID_PUBLIC_KEY_LENGTH);
  assertBytes('target.keyId', target.keyId, ONION_KEY_ID_LENGTH);
  assertBytes('request', request);
  const padded = pad(request);
  const { sharedSecret, ciphertext } = hybridEncapsulate(crypto, target.onionPublicKey);
  const { requestKey, responseKey } = deriveTargetKeys(crypto, sharedSecret, target.keyId, ciphertext);
  const sealed = sealWithFreshKey(crypto, requestKey, padded, concatBytes(target.keyId, ciphertext));
  const layer = encodeMessage(TargetLayerSchema, create(TargetLayerSchema, { keyId: target.keyId, kemCiphertext: ciphertext, sealed }));
  return { layer, responseKey };
}

/**
 * Opens a TargetLayer at the target. MALFORMED (structure, padding, replay), BAD_KEY (unknown
 * key id), DECRYPT_FAILED (tampered or made for other keys), RATE_LIMITED (replay cache full).
 */
export function openTargetRequest(crypto: CryptoProvider, ring: OnionKeyRing, replay: ReplayCache, layerBytes: Uint8Array): OpenedTargetRequest {
  assertBytes('layerBytes', layerBytes);
  const layer = decodeCanonical(TargetLayerSchema, layerBytes);
  const sharedSecret = decapsulateWithRing(crypto, ring, layer.keyId, layer.kemCiphertext);
  const { requestKey, responseKey } = deriveTargetKeys(crypto, sharedSecret, layer.keyId, layer.kemCiphertext);
  const padded = openWithFreshKey(crypto, requestKey, layer.sealed, concatBytes(layer.keyId, layer.kemCiphertext));
  if (!replay.checkAndRemember(crypto.hash('sha256', layer.kemCiphertext), ring.expiresAtMs?.(layer.keyId))) {
    throw new SamizdatError('MALFORMED', 'replayed target layer');
  }
  return { request: Uint8Array.from(unpad(padded)), responseKey };
}

function sealBody(crypto: CryptoProvider, responseKey: Uint8Array, body: MessageInitShape<typeof TargetResponseBodySchema>): Uint8Array {
  assertBytes('responseKey', responseKey, SIZES.aesKey);
  const bytes = encodeMessage(TargetResponseBodySchema, create(TargetResponseBodySchema, body));
  return sealWithFreshKey(crypto, responseKey, pad(bytes), RESPONSE_AAD);
}

/** Seals the target's answer under `responseKey` (padded). TOO_LARGE past the largest bucket. */
export function sealTargetResponse(crypto: CryptoProvider, responseKey: Uint8Array, response: Uint8Array): Uint8Array {
  assertBytes('response', response);
  return sealBody(crypto, responseKey, { body: { case: 'answer', value: response } });
}

/** Seals the typed error the target's handler raised (so WRONG_SWARM and the like reach the client). */
export function sealTargetError(crypto: CryptoProvider, responseKey: Uint8Array, error: unknown): Uint8Array {
  return sealBody(crypto, responseKey, { body: { case: 'error', value: errorReplyFromError(error) } });
}

/**
 * Opens the target's answer. DECRYPT_FAILED / MALFORMED for a broken answer; when the target's
 * handler failed, throws its error (code kept, `detail.remote` true).
 */
export function openTargetResponse(crypto: CryptoProvider, responseKey: Uint8Array, sealed: Uint8Array): Uint8Array {
  assertBytes('responseKey', responseKey, SIZES.aesKey);
  assertBytes('sealed', sealed);
  const body = decodeCanonical(TargetResponseBodySchema, unpad(openWithFreshKey(crypto, responseKey, sealed, RESPONSE_AAD)));
  if (body.body.case === 'answer') return Uint8Array.from(body.body.value);
  if (body.body.case === 'error') throw errorFromReply(body.body.value);
  throw new SamizdatError('MALFORMED', 'empty target response');
}
