/**
 * Relay layers (README "Requests over a circuit"): AES-256-GCM under a circuit's forward or
 * backward key, each SealedLayer carrying its 12-byte nonce. Nonces are a 96-bit counter that
 * starts at a random value, so they never repeat under one key and two hops see unrelated nonces.
 * The receiver of a forward layer rejects repeated nonces with a ReplayWindow. Pure.
 */
import { create } from '@bufbuild/protobuf';
import { MAX_MESSAGES_PER_KEY, SIZES, assertBytes, readUintBE, utf8, writeUintBE, type AeadKey, type CryptoProvider } from '../crypto/index.ts';
import { SamizdatError } from '../errors.ts';
import { BackwardBodySchema, SealedLayerSchema } from '../wire/gen/samizdat/v1/onion_pb.ts';
import { encodeBytesMessage, encodeOneofBytes } from '../wire/bytes-fields.ts';
import { encodeMessage, errorFromReply, errorReplyFromError } from '../wire/index.ts';
import type { ReplayWindow } from './replay-window.ts';
import { decodeBackwardBody, decodeSealedLayer } from './strict-decode.ts';

export { createReplayWindow, REPLAY_WINDOW_SIZE, type ReplayWindow } from './replay-window.ts';

const RELAY_AAD = utf8('samizdat/v1/onion-relay');
/** Field numbers of SealedLayer and of BackwardBody's `inner`, for the hand-written encodings. */
const SEALED_LAYER_NONCE = SealedLayerSchema.field.nonce.number;
const SEALED_LAYER_SEALED = SealedLayerSchema.field.sealed.number;
const BACKWARD_INNER = BackwardBodySchema.field.inner.number;
/** Top bit of the random start kept clear, so 2^95 increments can never wrap the counter. */
const START_MASK = 0x7f;
/** A nonce is read and written as two 48-bit halves, each exact as a Number. */
const HALF = (1n << 48n) - 1n;

export interface LayerSealer {
  /** Seals `plaintext` into a serialized SealedLayer under the next nonce. */
  seal(plaintext: Uint8Array): Uint8Array;
}

/** A 12-byte nonce read as a 96-bit big-endian counter. */
export function counterOf(nonce: Uint8Array): bigint {
  assertBytes('nonce', nonce, SIZES.aesNonce);
  return (BigInt(readUintBE(nonce, 0, 6)) << 48n) | BigInt(readUintBE(nonce, 6, 6));
}

/** The 12-byte big-endian nonce of a counter below 2^96. */
export function nonceOf(counter: bigint): Uint8Array {
  const nonce = new Uint8Array(SIZES.aesNonce);
  writeUintBE(nonce, 0, 6, Number(counter >> 48n));
  writeUintBE(nonce, 6, 6, Number(counter & HALF));
  return nonce;
}

/** A counter-nonce sealer for one relay key (NONCE_EXHAUSTED after MAX_MESSAGES_PER_KEY). */
export function createLayerSealer(crypto: CryptoProvider, key: Uint8Array): LayerSealer {
  assertBytes('key', key, SIZES.aesKey);
  const ownKey = crypto.aesGcmKey(key); // prepared once for every layer this sealer seals
  const start = crypto.randomBytes(SIZES.aesNonce);
  start[0] = (start[0] ?? 0) & START_MASK;
  let counter = counterOf(start);
  let sealed = 0;
  return {
    seal(plaintext) {
      assertBytes('plaintext', plaintext);
      if (sealed >= MAX_MESSAGES_PER_KEY) throw new SamizdatError('NONCE_EXHAUSTED', 'this circuit key has sealed its maximum; build a new circuit');
      const nonce = nonceOf(counter);
      counter += 1n;
      sealed += 1;
      const ciphertext = crypto.aesGcmSeal(ownKey, nonce, plaintext, RELAY_AAD);
      // SealedLayer { nonce = 1; sealed = 2 }, written by hand (bytes-fields.ts): what toBinary gives.
      return encodeBytesMessage([
        [SEALED_LAYER_NONCE, nonce],
        [SEALED_LAYER_SEALED, ciphertext],
      ]);
    },
  };
}

/**
 * Opens a serialized SealedLayer. MALFORMED for bad structure or a replayed nonce (when a window
 * is given), DECRYPT_FAILED when tampered or sealed under another key.
 */
export function openLayer(crypto: CryptoProvider, key: Uint8Array | AeadKey, window: ReplayWindow | undefined, bytes: Uint8Array): Uint8Array {
  if (key instanceof Uint8Array) assertBytes('key', key, SIZES.aesKey);
  assertBytes('bytes', bytes);
  const layer = decodeSealedLayer(bytes);
  if (layer.nonce.length !== SIZES.aesNonce) throw new SamizdatError('MALFORMED', `nonce must be ${SIZES.aesNonce} bytes`);
  if (layer.sealed.length < SIZES.aesTag) throw new SamizdatError('MALFORMED', 'sealed layer is shorter than its tag');
  const counter = counterOf(layer.nonce);
  if (window !== undefined && !window.check(counter)) throw new SamizdatError('MALFORMED', 'replayed relay layer');
  const plaintext = crypto.aesGcmOpen(key, layer.nonce, layer.sealed, RELAY_AAD);
  // Recorded only once authentic, so forged nonces cannot move the window.
  if (window !== undefined && !window.accept(counter)) throw new SamizdatError('MALFORMED', 'replayed relay layer');
  return plaintext;
}

/**
 * The SealedLayer for the guard: `exitPayload` sealed for the exit, then for each hop before it.
 * `sealers` holds one forward sealer per hop, guard first.
 */
export function wrapRequest(crypto: CryptoProvider, sealers: readonly LayerSealer[], exitPayload: Uint8Array): Uint8Array {
  assertBytes('exitPayload', exitPayload);
  if (!Array.isArray(sealers) || sealers.length === 0) throw new SamizdatError('INVALID_ARGUMENT', 'sealers must list at least one hop');
  let layer = exitPayload;
  for (let i = sealers.length - 1; i >= 0; i--) layer = (sealers[i] as LayerSealer).seal(layer);
  return layer;
}

/** A relay's backward answer: the inner answer, or a failure `hop` hops further on. */
export type BackwardContent = { readonly inner: Uint8Array } | { readonly failure: { readonly hop: number; readonly error: unknown } };

/** Seals a backward body (BackwardBody) with a relay's backward sealer. */
export function sealBackward(sealer: LayerSealer, content: BackwardContent): Uint8Array {
  // The answer of every relayed request: BackwardBody { inner = 1 } written by hand; failures, rare, by protobuf-es.
  if ('inner' in content) return sealer.seal(encodeOneofBytes(BACKWARD_INNER, content.inner));
  const body = create(BackwardBodySchema, {
    body: { case: 'failure', value: { hop: content.failure.hop, error: errorReplyFromError(content.failure.error) } },
  });
  return sealer.seal(encodeMessage(BackwardBodySchema, body));
}

/** What unwrapResponse needs of a hop's keys: its backward key, as bytes or prepared (aesGcmKey). */
export interface BackwardKeys {
  readonly backwardKey: Uint8Array | AeadKey;
}

export type UnwrappedResponse =
  | { readonly inner: Uint8Array }
  | { readonly failure: { readonly hop: number; readonly error: SamizdatError } };

/**
 * Peels the backward layers of an answer, guard first. Returns the exit's inner answer, or the
 * failure reported by a hop with `hop` = index of the failed hop (0 guard .. hopKeys.length - 1
 * exit, hopKeys.length = the target). `windows` (one per hop) reject replayed answers.
 * MALFORMED / DECRYPT_FAILED when a layer is broken.
 */
export function unwrapResponse(
  crypto: CryptoProvider,
  hopKeys: readonly BackwardKeys[],
  bytes: Uint8Array,
  windows?: readonly ReplayWindow[],
): UnwrappedResponse {
  assertBytes('bytes', bytes);
  let current = bytes;
  for (let i = 0; i < hopKeys.length; i++) {
    const keys = hopKeys[i] as BackwardKeys;
    let body;
    try {
      body = decodeBackwardBody(openLayer(crypto, keys.backwardKey, windows?.[i], current));
    } catch (err) {
      if (!(err instanceof SamizdatError)) throw err;
      throw new SamizdatError(err.code, err.message, { cause: err, detail: { ...err.detail, hop: i } });
    }
    if (body.body.case === 'inner') {
      current = body.body.value;
      continue;
    }
    if (body.body.case !== 'failure') throw new SamizdatError('MALFORMED', 'empty backward body', { detail: { hop: i } });
    const failure = body.body.value;
    if (failure.hop < 1 || failure.hop > hopKeys.length - i) {
      throw new SamizdatError('MALFORMED', 'hop failure names a hop outside the circuit', { detail: { hop: i } });
    }
    const error = failure.error === undefined ? new SamizdatError('MALFORMED', 'hop failure without an error') : errorFromReply(failure.error);
    return { failure: { hop: i + failure.hop, error } };
  }
  return { inner: current };
}
