/**
 * The target layer (README "Requests over a circuit" and "Target sessions"): end to end from the
 * client to the target node, through the exit, which sees only ciphertext.
 *
 * Opening form: hybrid KEM to the target's onion key, HKDF to a target session (16-byte id, request
 * key, response key); the sealed part is counter 0 of the session and carries the client's clock
 * (layer-time.ts). Session form: the next requests of the same circuit to the same target, sealed
 * under the session's request key with the counter as nonce, no KEM. Every answer is sealed under
 * the session's response key with the request's counter as nonce. Both directions are padded to a
 * bucket. Pure.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  HYBRID_PUBLIC_KEY_LENGTH,
  MAX_MESSAGES_PER_KEY,
  SIZES,
  assertBytes,
  concatBytes,
  hybridEncapsulate,
  u64be,
  utf8,
  type AeadKey,
  type CryptoProvider,
} from '../crypto/index.ts';
import { SamizdatError } from '../errors.ts';
import { TargetLayerSchema, TargetResponseBodySchema } from '../wire/gen/samizdat/v1/onion_pb.ts';
import { coarseClockMs } from '../wire/coarse-clock.ts';
import { encodeMessage, errorFromReply, errorReplyFromError } from '../wire/index.ts';
import { checkLayerTime, type LayerClock } from './layer-time.ts';
import { ONION_KEY_ID_LENGTH, decapsulateWithRing, kdfInfo, type OnionKeyRing } from './onion-keys.ts';
import { pad, unpad } from './padding.ts';
import type { ReplayCache } from './replay-cache.ts';
import { decodeRequestBody, decodeResponseBody, decodeTargetLayer, encodeAnswerPadded, encodeOpeningLayer, encodeRequestBodyPadded, encodeSessionLayer } from './target-codec.ts';
import type { TargetSessionKeys, TargetSessionTable } from './target-sessions.ts';

const TARGET_SALT = utf8('samizdat/v1/onion-target');
const OPEN_AAD = utf8('samizdat/v1/onion-target-open');
const SESSION_AAD = utf8('samizdat/v1/onion-target-session');
const RESPONSE_AAD = utf8('samizdat/v1/onion-target-response');
/** Length of a target session id. */
export const TARGET_SESSION_ID_LENGTH = 16;

/** The target's public onion key as the client knows it from the consensus. */
export interface TargetKey {
  readonly onionPublicKey: Uint8Array;
  readonly keyId: Uint8Array;
}

/** What opens (client) or seals (target) one answer: the session's response key and the request's counter. */
export interface TargetReplyKey {
  /** As bytes, or prepared (aesGcmKey) when it is a session's. */
  readonly responseKey: Uint8Array | AeadKey;
  readonly counter: bigint;
}

/** The client's side of a target session. */
export interface ClientTargetSession extends TargetSessionKeys {
  /** The counter the next session-form request uses. */
  nextCounter: bigint;
}

export interface SealedTargetRequest {
  /** The TargetLayer, serialized (goes into ExitPayload.target_layer). */
  readonly layer: Uint8Array;
  /** Opens the target's answer; keep it until the answer arrives. */
  readonly reply: TargetReplyKey;
}

export interface OpenedTargetSession extends SealedTargetRequest {
  /** The session this opening request set up, for `sealSessionRequest` once the answer came. */
  readonly session: ClientTargetSession;
}

export interface OpenedTargetRequest {
  readonly request: Uint8Array;
  readonly reply: TargetReplyKey;
}

function nonceOf(counter: bigint): Uint8Array {
  const nonce = new Uint8Array(SIZES.aesNonce);
  nonce.set(u64be(counter), SIZES.aesNonce - 8);
  return nonce;
}

function deriveSession(crypto: CryptoProvider, sharedSecret: Uint8Array, keyId: Uint8Array, ciphertext: Uint8Array): TargetSessionKeys {
  const okm = crypto.hkdf('sha256', sharedSecret, TARGET_SALT, kdfInfo(crypto, keyId, ciphertext), TARGET_SESSION_ID_LENGTH + 2 * SIZES.aesKey);
  return {
    sessionId: okm.slice(0, TARGET_SESSION_ID_LENGTH),
    requestKey: okm.slice(TARGET_SESSION_ID_LENGTH, TARGET_SESSION_ID_LENGTH + SIZES.aesKey),
    responseKey: okm.slice(TARGET_SESSION_ID_LENGTH + SIZES.aesKey),
  };
}

/** A session's keys prepared once (aesGcmKey) for its many requests and answers. */
function prepared(crypto: CryptoProvider, keys: TargetSessionKeys): TargetSessionKeys {
  const key = (k: Uint8Array | AeadKey): AeadKey => (k instanceof Uint8Array ? crypto.aesGcmKey(k) : k);
  return { sessionId: keys.sessionId, requestKey: key(keys.requestKey), responseKey: key(keys.responseKey) };
}

/** INVALID_ARGUMENT unless a reply's key is 32 bytes or a prepared key (the provider checks its kind). */
function checkReplyKey(reply: TargetReplyKey): void {
  if (reply.responseKey instanceof Uint8Array) assertBytes('reply.responseKey', reply.responseKey, SIZES.aesKey);
}

function requestBody(request: Uint8Array, sentAtMs: number): Uint8Array {
  return encodeRequestBodyPadded(request, sentAtMs);
}

/**
 * Opens a target session and seals `request` as its counter 0 (the opening form, with a KEM).
 * TOO_LARGE past the largest bucket; BAD_KEY for an unusable key.
 */
export function openTargetSession(crypto: CryptoProvider, target: TargetKey, request: Uint8Array, nowMs: number): OpenedTargetSession {
  if (typeof target !== 'object' || target === null) throw new SamizdatError('INVALID_ARGUMENT', 'target must be a TargetKey');
  assertBytes('target.onionPublicKey', target.onionPublicKey, HYBRID_PUBLIC_KEY_LENGTH);
  assertBytes('target.keyId', target.keyId, ONION_KEY_ID_LENGTH);
  assertBytes('request', request);
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) throw new SamizdatError('INVALID_ARGUMENT', 'nowMs must be a non-negative integer');
  const padded = requestBody(request, coarseClockMs(nowMs)); // whole seconds (src/wire/coarse-clock.ts)
  const { sharedSecret, ciphertext } = hybridEncapsulate(crypto, target.onionPublicKey);
  const keys = deriveSession(crypto, sharedSecret, target.keyId, ciphertext);
  const sealed = crypto.aesGcmSeal(keys.requestKey, nonceOf(0n), padded, concatBytes(OPEN_AAD, target.keyId, ciphertext));
  const layer = encodeOpeningLayer(target.keyId, ciphertext, sealed);
  return { layer, reply: { responseKey: keys.responseKey, counter: 0n }, session: { ...prepared(crypto, keys), nextCounter: 1n } };
}

/** Seals `request` in the session form under the session's next counter (NONCE_EXHAUSTED at the key's limit). */
export function sealSessionRequest(crypto: CryptoProvider, session: ClientTargetSession, request: Uint8Array): SealedTargetRequest {
  assertBytes('request', request);
  const counter = session.nextCounter;
  if (counter >= BigInt(MAX_MESSAGES_PER_KEY)) throw new SamizdatError('NONCE_EXHAUSTED', 'this target session has sealed its maximum; open a new one');
  session.nextCounter = counter + 1n;
  const sealed = crypto.aesGcmSeal(session.requestKey, nonceOf(counter), requestBody(request, 0), concatBytes(SESSION_AAD, session.sessionId));
  const layer = encodeSessionLayer(session.sessionId, counter, sealed) ?? encodeMessage(TargetLayerSchema, create(TargetLayerSchema, { sessionId: session.sessionId, counter, sealed }));
  return { layer, reply: { responseKey: session.responseKey, counter } };
}

export interface TargetContext {
  /** The peer the layer came from (the exit); a session is usable only from the peer that opened it. */
  readonly fromPeer: string;
  readonly clock: LayerClock;
}

function bodyOf(padded: Uint8Array): Uint8Array {
  return Uint8Array.from(decodeRequestBody(unpad(padded)).request);
}

function openSessionForm(crypto: CryptoProvider, sessions: TargetSessionTable, layer: { sessionId: Uint8Array; counter: bigint; sealed: Uint8Array }, fromPeer: string): OpenedTargetRequest {
  if (layer.sessionId.length !== TARGET_SESSION_ID_LENGTH) throw new SamizdatError('MALFORMED', `session_id must be ${TARGET_SESSION_ID_LENGTH} bytes`);
  if (layer.counter === 0n || layer.counter >= BigInt(MAX_MESSAGES_PER_KEY)) throw new SamizdatError('MALFORMED', 'target session counter out of range');
  const session = sessions.get(layer.sessionId, fromPeer);
  if (session === undefined) throw new SamizdatError('BAD_KEY', 'unknown or expired target session; open a new one');
  if (!session.window.check(layer.counter)) throw new SamizdatError('MALFORMED', 'replayed target layer');
  const padded = crypto.aesGcmOpen(session.requestKey, nonceOf(layer.counter), layer.sealed, concatBytes(SESSION_AAD, layer.sessionId));
  // Recorded only once authentic, so forged counters cannot move the window.
  if (!session.window.accept(layer.counter)) throw new SamizdatError('MALFORMED', 'replayed target layer');
  return { request: bodyOf(padded), reply: { responseKey: session.responseKey, counter: layer.counter } };
}

/**
 * Opens a TargetLayer at the target (either form). MALFORMED (structure, padding, replay),
 * BAD_KEY (unknown key id or target session), DECRYPT_FAILED (tampered or made for other keys),
 * CLOCK_SKEW (an opening layer too old, too new or made before this target started),
 * RATE_LIMITED (replay cache full).
 */
export function openTargetRequest(
  crypto: CryptoProvider,
  ring: OnionKeyRing,
  replay: ReplayCache,
  sessions: TargetSessionTable,
  layerBytes: Uint8Array,
  context: TargetContext,
): OpenedTargetRequest {
  assertBytes('layerBytes', layerBytes);
  const layer = decodeTargetLayer(layerBytes);
  const sessionForm = layer.sessionId.length > 0 || layer.counter !== 0n;
  if (sessionForm) {
    if (layer.keyId.length > 0 || layer.kemCiphertext.length > 0) throw new SamizdatError('MALFORMED', 'a target layer has both forms');
    return openSessionForm(crypto, sessions, layer, context.fromPeer);
  }
  const sharedSecret = decapsulateWithRing(crypto, ring, layer.keyId, layer.kemCiphertext);
  const keys = deriveSession(crypto, sharedSecret, layer.keyId, layer.kemCiphertext);
  const padded = crypto.aesGcmOpen(keys.requestKey, nonceOf(0n), layer.sealed, concatBytes(OPEN_AAD, layer.keyId, layer.kemCiphertext));
  const body = decodeRequestBody(unpad(padded));
  const rememberUntil = checkLayerTime(body.sentAtMs, context.clock);
  const keyExpiresAtMs = ring.expiresAtMs?.(layer.keyId);
  if (!replay.checkAndRemember(crypto.hash('sha256', layer.kemCiphertext), Math.min(rememberUntil, keyExpiresAtMs ?? Infinity))) {
    throw new SamizdatError('MALFORMED', 'replayed target layer');
  }
  sessions.add(prepared(crypto, keys), context.fromPeer, keyExpiresAtMs);
  return { request: Uint8Array.from(body.request), reply: { responseKey: keys.responseKey, counter: 0n } };
}

function sealBody(crypto: CryptoProvider, reply: TargetReplyKey, body: MessageInitShape<typeof TargetResponseBodySchema>): Uint8Array {
  checkReplyKey(reply);
  const bytes = encodeMessage(TargetResponseBodySchema, create(TargetResponseBodySchema, body));
  return crypto.aesGcmSeal(reply.responseKey, nonceOf(reply.counter), pad(bytes), RESPONSE_AAD);
}

/** Seals the target's answer for the request `reply` came from (padded). TOO_LARGE past the largest bucket. */
export function sealTargetResponse(crypto: CryptoProvider, reply: TargetReplyKey, response: Uint8Array): Uint8Array {
  assertBytes('response', response);
  checkReplyKey(reply);
  return crypto.aesGcmSeal(reply.responseKey, nonceOf(reply.counter), encodeAnswerPadded(response), RESPONSE_AAD);
}

/** Seals the typed error the target's handler raised (so WRONG_SWARM and the like reach the client). */
export function sealTargetError(crypto: CryptoProvider, reply: TargetReplyKey, error: unknown): Uint8Array {
  return sealBody(crypto, reply, { body: { case: 'error', value: errorReplyFromError(error) } });
}

/**
 * Opens the target's answer. DECRYPT_FAILED / MALFORMED for a broken answer; when the target's
 * handler failed, throws its error (code kept, `detail.remote` true).
 */
export function openTargetResponse(crypto: CryptoProvider, reply: TargetReplyKey, sealed: Uint8Array): Uint8Array {
  checkReplyKey(reply);
  assertBytes('sealed', sealed);
  const body = decodeResponseBody(unpad(crypto.aesGcmOpen(reply.responseKey, nonceOf(reply.counter), sealed, RESPONSE_AAD)));
  if (body.body.case === 'answer') return Uint8Array.from(body.body.value);
  if (body.body.case === 'error') throw errorFromReply(body.body.value);
  throw new SamizdatError('MALFORMED', 'empty target response');
}
