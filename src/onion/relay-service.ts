/**
 * The relay service (README, DESIGN.md §4): serves /samizdat/onion/1.0.0 on every node. As a
 * guard, middle or exit it builds circuits and relays requests; as a target it opens Deliver
 * layers and hands the request bytes to the injected `deliver` handler. It uses only the injected
 * transport, clock, crypto and keys. Every failure becomes a typed answer, so a bad request never
 * ends the service; failures further down the path are sealed for the client as HopFailure.
 */
import { create } from '@bufbuild/protobuf';
import type { CryptoProvider } from '../crypto/index.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import {
  DeliverSchema,
  type CreateCircuit,
  type Deliver,
  type DestroyCircuit,
  type OnionRequest,
  type RelayData,
} from '../wire/gen/samizdat/v1/onion_pb.ts';
import { DeadlineTimer, errorFromReply, errorReplyFromError, serveSession, type PeerTarget, type RpcStream, type RpcTransport } from '../wire/index.ts';
import { createCircuitTable, type Circuit } from './circuit-table.ts';
import { decodeExitPayload } from './exit-codec.ts';
import { CIRCUIT_ID_LENGTH } from './client-circuit.ts';
import { peelCreateLayer } from './create-onion.ts';
import { fromHopAddress } from './hop-address.ts';
import { decodeOnionRequest, decodeOnionResponse } from './hop-message-decode.ts';
import { encodeOnionRequest, encodeOnionResponse } from './message-size.ts';
import type { OnionKeyRing } from './onion-keys.ts';
import { openLayer, sealBackward, type BackwardContent } from './relay-layer.ts';
import { CIRCUIT_SWEEP_INTERVAL_MS, DEFAULT_RELAY_LIMITS, DESTROY_TIMEOUT_MS, type RelayLimits } from './relay-limits.ts';
import { createReplayCache } from './replay-cache.ts';
import { createRelaySessionPool } from './session-pool.ts';
import { openTargetRequest, sealTargetError, sealTargetResponse } from './target-layer.ts';
import { createTargetSessionTable } from './target-sessions.ts';
import type { LayerClock } from './layer-time.ts';

/** The libp2p protocol of onion routing. */
export const ONION_PROTOCOL = '/samizdat/onion/1.0.0';

/**
 * What one hop saw, for the instrumented-devnet tests. A hop cannot know whether it is a guard or
 * a middle, so `role` is 'relay' for both; the test maps peers to roles.
 */
export interface RelayObservation {
  readonly role: 'relay' | 'exit' | 'target';
  readonly kind: 'create' | 'relay' | 'deliver';
  /** The peer the message came from. */
  readonly fromPeer: string;
  /** The peer it was forwarded to (absent at the target). */
  readonly toPeer?: string;
  /** The circuit id on the incoming link. */
  readonly circuitId?: Uint8Array;
  /** Everything this hop could read after removing its layer. */
  readonly plaintext?: Uint8Array;
}

export interface RelayServiceOptions {
  readonly transport: RpcTransport;
  readonly crypto: CryptoProvider;
  readonly keys: OnionKeyRing;
  readonly now: () => number;
  /**
   * The target's handler: the decrypted request bytes in, the answer out (a typed error is sent
   * back sealed). `fromPeer` is the exit that delivered it (for per-exit rate limits).
   */
  readonly deliver: (request: Uint8Array, signal: AbortSignal, fromPeer: string) => Promise<Uint8Array>;
  readonly observer?: (event: RelayObservation) => void;
  readonly limits?: Partial<RelayLimits>;
  /**
   * Checks a next hop named by a layer against the node's consensus and returns the addresses to
   * dial (the consensus's, not the layer's), or undefined to refuse. Without it the relay dials
   * whatever a layer names, which lets a client aim it at any address: production nodes set it.
   */
  readonly resolveNext?: (target: PeerTarget) => PeerTarget | undefined | Promise<PeerTarget | undefined>;
  /**
   * Per-link admission: called before the relay does any work for a message from `fromPeer`
   * (a create costs a KEM decapsulation, a relay an AES-GCM open and a forward); throws a typed
   * error (RATE_LIMITED) to refuse it. The node injects per-peer token buckets (src/node).
   */
  readonly admit?: (fromPeer: string, kind: RelayWorkKind) => void;
}

/** The kinds of work a message asks of a relay, for `admit`. */
export type RelayWorkKind = 'create' | 'relay' | 'deliver';

export interface RelayService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Circuits held now (for metrics and tests). */
  readonly circuitCount: number;
}

type Budget = { readonly timeoutMs: number; readonly signal: AbortSignal };

const errorResponse = (err: unknown): Uint8Array => encodeOnionResponse({ response: { case: 'error', value: errorReplyFromError(err) } });

export function createRelayService(options: RelayServiceOptions): RelayService {
  const { transport, crypto, keys, now, deliver, observer } = options;
  const limits: RelayLimits = { ...DEFAULT_RELAY_LIMITS, ...options.limits };
  const circuits = createCircuitTable(crypto, limits);
  const createReplay = createReplayCache({ now, maxEntries: limits.maxReplayEntries });
  const targetReplay = createReplayCache({ now, maxEntries: limits.maxReplayEntries });
  const targetSessions = createTargetSessionTable({ now, idleMs: limits.circuitIdleTimeoutMs });
  const deadlines = new DeadlineTimer();
  // Layers made before this start are refused (layer-time.ts): the replay caches begin empty.
  let startedAtMs = now();
  const layerClock = (): LayerClock => ({ nowMs: now(), notBeforeMs: startedAtMs });
  const streams = new Set<RpcStream>();
  let pool = createRelaySessionPool(transport, ONION_PROTOCOL);
  let running: AbortController | undefined;
  let sweepTimer: ReturnType<typeof setInterval> | undefined;

  const observe = (event: RelayObservation): void => {
    try {
      observer?.(event);
    } catch {
      // an observer is instrumentation; it must never change what the relay does
    }
  };

  /** Sends `body` to the next peer with a little less time than we have. */
  const forward = async (named: PeerTarget, body: (timeoutMs: number) => Uint8Array, budget: Budget) => {
    const timeoutMs = budget.timeoutMs - limits.hopMarginMs;
    if (timeoutMs < 1) throw new SamizdatError('PATH_FAILED', 'no time left to forward');
    const resolved = options.resolveNext === undefined ? named : options.resolveNext(named);
    const target = resolved instanceof Promise ? await resolved : resolved; // a lookup that found the hop adds no wait
    if (target === undefined) throw new SamizdatError('PATH_FAILED', 'the next hop is not a node of the consensus', { detail: { peerId: named.peerId } });
    const bytes = await pool.request(target, body(timeoutMs), { timeoutMs, signal: budget.signal });
    return decodeOnionResponse(bytes);
  };

  const sealFor = (circuit: Circuit, content: BackwardContent) => sealBackward(circuit.backward, content);

  /**
   * The answer to the previous hop. An answer from the next hop too large to pass back (a hostile
   * hop can make one) is sealed as that hop's failure, so the client does not blame this one.
   */
  const answerBack = (kind: 'created' | 'relayed', circuit: Circuit, content: BackwardContent): Uint8Array => {
    try {
      return encodeOnionResponse({ response: { case: kind, value: sealFor(circuit, content) } });
    } catch (err) {
      if (!('inner' in content) || !isSamizdatError(err, 'TOO_LARGE')) throw err;
      if (kind === 'created') circuits.remove(circuit);
      return encodeOnionResponse({ response: { case: kind, value: sealFor(circuit, { failure: { hop: 1, error: err } }) } });
    }
  };

  const destroyNext = (circuit: Circuit): void => {
    const next = circuit.next;
    if (next === undefined || running === undefined) return;
    const body = encodeOnionRequest({ request: { case: 'destroy', value: { circuitId: next.circuitId } } });
    pool.request(next.target, body, { timeoutMs: DESTROY_TIMEOUT_MS, signal: running.signal }).catch(() => undefined);
  };

  const handleCreate = async (fromPeer: string, msg: CreateCircuit, budget: Budget): Promise<Uint8Array> => {
    if (msg.circuitId.length !== CIRCUIT_ID_LENGTH) throw new SamizdatError('MALFORMED', `circuit_id must be ${CIRCUIT_ID_LENGTH} bytes`);
    if (msg.layer.length === 0) throw new SamizdatError('MALFORMED', 'create without a layer');
    const peeled = peelCreateLayer(crypto, keys, createReplay, msg.layer, layerClock());
    const circuit = circuits.add(fromPeer, msg.circuitId, peeled.keys, now());
    const next = peeled.next;
    observe({ role: next === undefined ? 'exit' : 'relay', kind: 'create', fromPeer, circuitId: circuit.circuitId, plaintext: peeled.plaintext, ...(next === undefined ? {} : { toPeer: next.peerId }) });
    if (next === undefined) return encodeOnionResponse({ response: { case: 'created', value: sealFor(circuit, { inner: new Uint8Array(0) }) } });
    const outgoingId = crypto.randomBytes(CIRCUIT_ID_LENGTH);
    const layer = peeled.inner;
    let content: BackwardContent;
    try {
      const answer = await forward(next, (timeoutMs) => encodeOnionRequest({ request: { case: 'create', value: { circuitId: outgoingId, layer } }, timeoutMs }), budget);
      if (answer.response.case === 'created') content = { inner: answer.response.value };
      else if (answer.response.case === 'error') content = { failure: { hop: 1, error: errorFromReply(answer.response.value) } };
      else content = { failure: { hop: 1, error: new SamizdatError('MALFORMED', 'the next hop answered create with something else') } };
    } catch (err) {
      content = { failure: { hop: 1, error: err } };
    }
    if ('failure' in content) circuits.remove(circuit);
    else circuit.next = { target: next, circuitId: outgoingId };
    return answerBack('created', circuit, content);
  };

  /** The exit's part: send the target layer to the target and return its sealed answer. */
  const exitDeliver = async (fromPeer: string, circuit: Circuit, plaintext: Uint8Array, budget: Budget): Promise<BackwardContent> => {
    const payload = decodeExitPayload(plaintext);
    const target = fromHopAddress(payload.target);
    const layer = payload.targetLayer;
    observe({ role: 'exit', kind: 'relay', fromPeer, toPeer: target.peerId, circuitId: circuit.circuitId, plaintext });
    try {
      const answer =
        target.peerId === transport.peerId
          ? decodeOnionResponse(await handleDeliver(transport.peerId, create(DeliverSchema, { layer }), budget))
          : await forward(target, (timeoutMs) => encodeOnionRequest({ request: { case: 'deliver', value: { layer } }, timeoutMs }), budget);
      if (answer.response.case === 'delivered') return { inner: answer.response.value };
      if (answer.response.case === 'error') return { failure: { hop: 1, error: errorFromReply(answer.response.value) } };
      return { failure: { hop: 1, error: new SamizdatError('MALFORMED', 'the target answered deliver with something else') } };
    } catch (err) {
      return { failure: { hop: 1, error: err } };
    }
  };

  const handleRelay = async (fromPeer: string, msg: RelayData, budget: Budget): Promise<Uint8Array> => {
    const circuit = circuits.get(fromPeer, msg.circuitId);
    if (circuit === undefined) throw new SamizdatError('MALFORMED', 'unknown circuit');
    if (msg.layer.length === 0) throw new SamizdatError('MALFORMED', 'relay without a layer');
    const plaintext = openLayer(crypto, circuit.forward, circuit.window, msg.layer);
    circuit.inFlight += 1;
    circuit.lastUsedMs = now();
    try {
      let content: BackwardContent;
      const next = circuit.next;
      if (next === undefined) {
        content = await exitDeliver(fromPeer, circuit, plaintext, budget);
      } else {
        const layer = plaintext;
        observe({ role: 'relay', kind: 'relay', fromPeer, toPeer: next.target.peerId, circuitId: circuit.circuitId, plaintext });
        try {
          const answer = await forward(next.target, (timeoutMs) => encodeOnionRequest({ request: { case: 'relay', value: { circuitId: next.circuitId, layer } }, timeoutMs }), budget);
          if (answer.response.case === 'relayed') content = { inner: answer.response.value };
          else if (answer.response.case === 'error') content = { failure: { hop: 1, error: errorFromReply(answer.response.value) } };
          else content = { failure: { hop: 1, error: new SamizdatError('MALFORMED', 'the next hop answered relay with something else') } };
        } catch (err) {
          content = { failure: { hop: 1, error: err } };
        }
      }
      return answerBack('relayed', circuit, content);
    } finally {
      circuit.inFlight -= 1;
      circuit.lastUsedMs = now();
    }
  };

  const handleDeliver = async (fromPeer: string, msg: Deliver, budget: Budget): Promise<Uint8Array> => {
    if (msg.layer.length === 0) throw new SamizdatError('MALFORMED', 'deliver without a layer');
    const opened = openTargetRequest(crypto, keys, targetReplay, targetSessions, msg.layer, { fromPeer, clock: layerClock() });
    observe({ role: 'target', kind: 'deliver', fromPeer, plaintext: opened.request });
    const timeoutMs = budget.timeoutMs - limits.hopMarginMs;
    if (timeoutMs < 1) throw new SamizdatError('PATH_FAILED', 'no time left to answer');
    // The handler's signal ends with the session or at the deadline. One controller per request,
    // its deadline on the relay's one timer (AbortSignal.any with AbortSignal.timeout would cost
    // about 7 µs and leave a timer alive until the deadline for every request).
    const controller = new AbortController();
    const signal = controller.signal;
    const onStop = (): void => controller.abort(budget.signal.reason);
    const deadline = deadlines.add(timeoutMs, () => controller.abort(new SamizdatError('PATH_FAILED', 'the target did not answer in time')));
    if (budget.signal.aborted) onStop();
    else budget.signal.addEventListener('abort', onStop, { once: true });
    let sealed: Uint8Array;
    try {
      const answer = await new Promise<Uint8Array>((resolve, reject) => {
        const onAbort = (): void => reject(new SamizdatError('PATH_FAILED', 'the target did not answer in time'));
        if (signal.aborted) onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        deliver(opened.request, signal, fromPeer).then(resolve, reject);
      });
      sealed = sealTargetResponse(crypto, opened.reply, answer);
    } catch (err) {
      // The hop's own deadline is not the handler's answer: report it unsealed, as a hop failure.
      if (signal.aborted && isSamizdatError(err, 'PATH_FAILED')) throw err;
      sealed = sealTargetError(crypto, opened.reply, err);
    } finally {
      deadlines.remove(deadline);
      budget.signal.removeEventListener('abort', onStop);
    }
    return encodeOnionResponse({ response: { case: 'delivered', value: sealed } });
  };

  const handleDestroy = (fromPeer: string, msg: DestroyCircuit): Uint8Array => {
    const circuit = circuits.get(fromPeer, msg.circuitId);
    if (circuit !== undefined) {
      circuits.remove(circuit);
      destroyNext(circuit);
    }
    return encodeOnionResponse({ response: { case: 'destroyed', value: true } });
  };

  const handle = async (fromPeer: string, body: Uint8Array, signal: AbortSignal): Promise<Uint8Array> => {
    try {
      const request: OnionRequest = decodeOnionRequest(body);
      const asked = request.timeoutMs === 0 ? limits.defaultTimeoutMs : request.timeoutMs;
      const timeoutMs = Math.min(asked, limits.maxTimeoutMs);
      // `signal` is the session's: aborted when the stream ends or the relay stops. The time limit
      // is enforced where time is spent: each forward's RPC deadline and the target's handler timer.
      const budget: Budget = { timeoutMs, signal };
      const kind = request.request.case;
      if (kind === 'create' || kind === 'relay' || kind === 'deliver') options.admit?.(fromPeer, kind);
      switch (request.request.case) {
        case 'create':
          return await handleCreate(fromPeer, request.request.value, budget);
        case 'relay':
          return await handleRelay(fromPeer, request.request.value, budget);
        case 'deliver':
          return await handleDeliver(fromPeer, request.request.value, budget);
        case 'destroy':
          return handleDestroy(fromPeer, request.request.value);
        default:
          throw new SamizdatError('MALFORMED', 'empty onion request');
      }
    } catch (err) {
      return errorResponse(err);
    }
  };

  const sweep = (): void => {
    for (const circuit of circuits.expire(now(), limits.circuitIdleTimeoutMs)) destroyNext(circuit);
  };

  return {
    async start() {
      if (running !== undefined) return;
      running = new AbortController();
      const stopSignal = running.signal;
      startedAtMs = now();
      pool = createRelaySessionPool(transport, ONION_PROTOCOL);
      sweepTimer = setInterval(sweep, Math.min(CIRCUIT_SWEEP_INTERVAL_MS, limits.circuitIdleTimeoutMs));
      await transport.handle(ONION_PROTOCOL, async (stream, remotePeerId) => {
        streams.add(stream);
        try {
          await serveSession(stream, (body, signal) => handle(remotePeerId, body, signal), {
            maxConcurrent: limits.maxConcurrentPerSession,
            signal: stopSignal,
          });
        } finally {
          streams.delete(stream);
        }
      });
    },
    async stop() {
      if (running === undefined) return;
      running.abort(new SamizdatError('PATH_FAILED', 'the relay is stopping'));
      running = undefined;
      clearInterval(sweepTimer);
      sweepTimer = undefined;
      await transport.unhandle(ONION_PROTOCOL).catch(() => undefined);
      for (const stream of streams) stream.abort(new SamizdatError('PATH_FAILED', 'the relay is stopping'));
      streams.clear();
      pool.close();
      deadlines.clear();
      circuits.clear();
      targetSessions.clear();
      createReplay.clear();
      targetReplay.clear();
    },
    get circuitCount() {
      return circuits.size;
    },
  };
}
