/**
 * The client's side of one circuit: the hop keys from the create onion, one forward sealer and
 * one backward replay window per hop, and the encoding of every OnionRequest the client sends
 * to its guard. Pure: the caller (src/client) owns the session to the guard and the deadlines.
 */
import { assertBytes, toHex, type CryptoProvider } from '../crypto/index.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { errorFromReply, type PeerTarget } from '../wire/index.ts';
import { buildCreateOnion, type OnionHop } from './create-onion.ts';
import { encodeExitPayloadBytes } from './exit-codec.ts';
import { assertPeerTarget } from './hop-address.ts';
import { decodeOnionResponse } from './hop-message-decode.ts';
import { encodeOnionRequest } from './message-size.ts';
import { createLayerSealer, createReplayWindow, unwrapResponse, wrapRequest, type BackwardKeys, type LayerSealer, type ReplayWindow } from './relay-layer.ts';
import { decodeTargetLayer } from './target-codec.ts';
import { openTargetResponse, openTargetSession, sealSessionRequest, type ClientTargetSession, type TargetReplyKey } from './target-layer.ts';

/** Length of a circuit id: 16 random bytes, chosen by the sender on each link. */
export const CIRCUIT_ID_LENGTH = 16;

/** The ExitPayload for `target`, serialized (what `OnionCircuit.wrap` seals for the exit). */
export function encodeExitPayload(target: PeerTarget, targetLayer: Uint8Array): Uint8Array {
  assertPeerTarget('target', target);
  assertBytes('targetLayer', targetLayer);
  decodeTargetLayer(targetLayer); // a builder bug, not a peer's: fail here, not at the exit (read by hand, as the target reads it)
  return encodeExitPayloadBytes(target, targetLayer);
}

/** A PATH_FAILED naming the hop (0 guard, 1 middle, 2 exit, 3 target) and the hop's own error. */
export function pathFailed(hop: number, cause: unknown): SamizdatError {
  const code = isSamizdatError(cause) ? cause.code : 'INTERNAL';
  const message = cause instanceof Error ? cause.message : String(cause);
  return new SamizdatError('PATH_FAILED', `onion hop ${hop} failed (${code}): ${message}`, { cause, detail: { hop, code } });
}

function checkTimeout(timeoutMs: number): void {
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 0xffffffff) {
    throw new SamizdatError('INVALID_ARGUMENT', 'timeoutMs must be a positive 32-bit integer');
  }
}

/** What `openAnswer` needs to open the answer to one `wrapTargetRequest` request. */
export interface TargetReply {
  readonly key: TargetReplyKey;
  /** True when the request used an existing target session (no KEM); see `openAnswer`. */
  readonly sessionForm: boolean;
  /** Set for an opening request: the session it sets up once its answer arrives. */
  readonly opened?: { readonly name: string; readonly session: ClientTargetSession };
}

export class OnionCircuit {
  /** The id of this circuit on the client -> guard link. */
  readonly circuitId: Uint8Array;
  /** guard, middle, exit. */
  readonly hops: readonly OnionHop[];
  private readonly crypto: CryptoProvider;
  /** Each hop's backward key, prepared once (aesGcmKey) for every answer of the circuit. */
  private readonly backwardKeys: readonly BackwardKeys[];
  private readonly sealers: readonly LayerSealer[];
  private readonly windows: readonly ReplayWindow[];
  private readonly createLayer: Uint8Array;
  private readonly now: () => number;
  /** Target sessions of this circuit by target peer and onion key (README "Target sessions"). */
  private readonly targetSessions = new Map<string, ClientTargetSession>();

  /** Builds the create onion for `hops` (guard first) under a fresh circuit id; `now` is the client's clock. */
  constructor(crypto: CryptoProvider, hops: readonly OnionHop[], now: () => number) {
    const onion = buildCreateOnion(crypto, hops, now());
    this.crypto = crypto;
    this.now = now;
    this.hops = [...hops];
    this.circuitId = crypto.randomBytes(CIRCUIT_ID_LENGTH);
    this.backwardKeys = onion.hopKeys.map((k) => ({ backwardKey: crypto.aesGcmKey(k.backwardKey) }));
    this.createLayer = onion.layer;
    this.sealers = onion.hopKeys.map((k) => createLayerSealer(crypto, k.forwardKey));
    this.windows = onion.hopKeys.map(() => createReplayWindow());
  }

  /** The guard to send every request of this circuit to. */
  get guard(): PeerTarget {
    return this.hops[0] as OnionHop;
  }

  /** The OnionRequest{create} to send to the guard. */
  createRequest(options: { timeoutMs: number }): Uint8Array {
    checkTimeout(options.timeoutMs);
    return encodeOnionRequest({
      request: { case: 'create', value: { circuitId: this.circuitId, layer: this.createLayer } },
      timeoutMs: options.timeoutMs,
    });
  }

  /** Checks the guard's answer to `createRequest`: returns when every hop built its part, else PATH_FAILED{hop}. */
  checkCreated(responseBytes: Uint8Array): void {
    const inner = this.peel(responseBytes, 'created');
    if (inner.length !== 0) throw pathFailed(this.hops.length - 1, new SamizdatError('MALFORMED', 'the exit answered create with data'));
  }

  /** The OnionRequest{relay} carrying `exitPayload` (see encodeExitPayload) to the guard. */
  wrap(exitPayload: Uint8Array, options: { timeoutMs: number }): Uint8Array {
    checkTimeout(options.timeoutMs);
    const layer = wrapRequest(this.crypto, this.sealers, exitPayload);
    return encodeOnionRequest({
      request: { case: 'relay', value: { circuitId: this.circuitId, layer } },
      timeoutMs: options.timeoutMs,
    });
  }

  /** The exit's inner answer to a `wrap` request (the target's sealed answer), else PATH_FAILED{hop}. */
  unwrap(responseBytes: Uint8Array): Uint8Array {
    return this.peel(responseBytes, 'relayed');
  }

  /**
   * Seals `request` for `target` and wraps it for the circuit; keep `reply` for `openAnswer`. The
   * first request to a target opens a target session (a KEM); once its answer came, later ones
   * use the session (no KEM).
   */
  wrapTargetRequest(target: OnionHop, request: Uint8Array, options: { timeoutMs: number }): { request: Uint8Array; reply: TargetReply } {
    const name = `${target.peerId}/${toHex(target.keyId)}`;
    const session = this.targetSessions.get(name);
    if (session !== undefined) {
      const sealed = sealSessionRequest(this.crypto, session, request);
      return { request: this.wrap(encodeExitPayload(target, sealed.layer), options), reply: { key: sealed.reply, sessionForm: true } };
    }
    const opened = openTargetSession(this.crypto, target, request, this.now());
    return {
      request: this.wrap(encodeExitPayload(target, opened.layer), options),
      reply: { key: opened.reply, sessionForm: false, opened: { name, session: opened.session } },
    };
  }

  /**
   * The target's answer to a `wrapTargetRequest` request. PATH_FAILED{hop} when a hop failed
   * (hop 3: the target was unreachable or refused the layer; a broken answer also counts as the
   * target's); the target handler's own typed error (e.g. WRONG_SWARM) is thrown as is. When the
   * target no longer knows the session (PATH_FAILED hop 3 with code BAD_KEY and
   * `reply.sessionForm`), the session is dropped, so sending again opens a new one.
   */
  openAnswer(responseBytes: Uint8Array, reply: TargetReply): Uint8Array {
    let inner: Uint8Array;
    try {
      inner = this.unwrap(responseBytes);
    } catch (err) {
      const lostSession = isSamizdatError(err, 'PATH_FAILED') && err.detail.hop === this.hops.length && err.detail.code === 'BAD_KEY';
      if (reply.sessionForm && lostSession) {
        for (const [name, session] of this.targetSessions) if (session.responseKey === reply.key.responseKey) this.targetSessions.delete(name);
      }
      throw err;
    }
    let answer: Uint8Array;
    try {
      answer = openTargetResponse(this.crypto, reply.key, inner);
    } catch (err) {
      if (!(isSamizdatError(err) && err.detail.remote === true)) throw pathFailed(this.hops.length, err);
      this.keepSession(reply); // the target's handler answered with an error: the session stands
      throw err;
    }
    this.keepSession(reply);
    return answer;
  }

  private keepSession(reply: TargetReply): void {
    if (reply.opened !== undefined && !this.targetSessions.has(reply.opened.name)) this.targetSessions.set(reply.opened.name, reply.opened.session);
  }

  /** The OnionRequest{destroy} for this circuit (best effort; the guard also expires idle circuits). */
  destroyRequest(): Uint8Array {
    return encodeOnionRequest({ request: { case: 'destroy', value: { circuitId: this.circuitId } } });
  }

  private peel(responseBytes: Uint8Array, expected: 'created' | 'relayed'): Uint8Array {
    let sealed: Uint8Array;
    try {
      const response = decodeOnionResponse(responseBytes);
      if (response.response.case === 'error') throw errorFromReply(response.response.value);
      if (response.response.case !== expected) throw new SamizdatError('MALFORMED', `the guard answered ${String(response.response.case)}, not ${expected}`);
      sealed = response.response.value;
    } catch (err) {
      throw pathFailed(0, err);
    }
    let result;
    try {
      result = unwrapResponse(this.crypto, this.backwardKeys, sealed, this.windows);
    } catch (err) {
      const hop = isSamizdatError(err) && typeof err.detail.hop === 'number' ? err.detail.hop : 0;
      throw pathFailed(hop, err);
    }
    if ('failure' in result) throw pathFailed(result.failure.hop, result.failure.error);
    return result.inner;
  }
}
