/**
 * The circuits a relay holds, keyed by (link peer, circuit id): the hop's keys, its backward
 * sealer and forward replay window, and where it forwards. Bounded in total and per peer; idle
 * circuits are swept by the relay service. No I/O.
 */
import { toHex, type AeadKey, type CryptoProvider } from '../crypto/index.ts';
import { SamizdatError } from '../errors.ts';
import type { PeerTarget } from '../wire/index.ts';
import type { HopKeys } from './create-onion.ts';
import { createLayerSealer, createReplayWindow, type LayerSealer, type ReplayWindow } from './relay-layer.ts';

export interface Circuit {
  readonly prevPeer: string;
  readonly circuitId: Uint8Array;
  readonly keys: HopKeys;
  /** keys.forwardKey prepared once (aesGcmKey) for every layer the circuit brings. */
  readonly forward: AeadKey;
  readonly backward: LayerSealer;
  readonly window: ReplayWindow;
  /** Where requests go next; undefined at the exit. */
  next: { readonly target: PeerTarget; readonly circuitId: Uint8Array } | undefined;
  lastUsedMs: number;
  inFlight: number;
}

export interface CircuitTable {
  get(prevPeer: string, circuitId: Uint8Array): Circuit | undefined;
  /** Adds a circuit; MALFORMED if the id is taken on that link, RATE_LIMITED past the caps. */
  add(prevPeer: string, circuitId: Uint8Array, keys: HopKeys, nowMs: number): Circuit;
  remove(circuit: Circuit): void;
  /** Removes and returns the circuits idle for `idleMs` with nothing in flight. */
  expire(nowMs: number, idleMs: number): Circuit[];
  readonly size: number;
  clear(): void;
}

const keyOf = (prevPeer: string, circuitId: Uint8Array): string => `${prevPeer}/${toHex(circuitId)}`;

export function createCircuitTable(crypto: CryptoProvider, limits: { maxCircuits: number; maxCircuitsPerPeer: number }): CircuitTable {
  const circuits = new Map<string, Circuit>();
  const perPeer = new Map<string, number>();

  const remove = (circuit: Circuit): void => {
    const key = keyOf(circuit.prevPeer, circuit.circuitId);
    if (circuits.get(key) !== circuit) return;
    circuits.delete(key);
    const left = (perPeer.get(circuit.prevPeer) ?? 1) - 1;
    if (left <= 0) perPeer.delete(circuit.prevPeer);
    else perPeer.set(circuit.prevPeer, left);
  };

  return {
    get(prevPeer, circuitId) {
      return circuits.get(keyOf(prevPeer, circuitId));
    },
    add(prevPeer, circuitId, keys, nowMs) {
      const key = keyOf(prevPeer, circuitId);
      if (circuits.has(key)) throw new SamizdatError('MALFORMED', 'circuit id already in use on this link');
      if (circuits.size >= limits.maxCircuits) {
        throw new SamizdatError('RATE_LIMITED', 'this relay holds its maximum number of circuits', { retryAfterMs: 10_000 });
      }
      const count = perPeer.get(prevPeer) ?? 0;
      if (count >= limits.maxCircuitsPerPeer) {
        throw new SamizdatError('RATE_LIMITED', 'too many circuits from one peer', { retryAfterMs: 10_000 });
      }
      const circuit: Circuit = {
        prevPeer,
        circuitId: Uint8Array.from(circuitId),
        keys,
        forward: crypto.aesGcmKey(keys.forwardKey),
        backward: createLayerSealer(crypto, keys.backwardKey),
        window: createReplayWindow(),
        next: undefined,
        lastUsedMs: nowMs,
        inFlight: 0,
      };
      circuits.set(key, circuit);
      perPeer.set(prevPeer, count + 1);
      return circuit;
    },
    remove,
    expire(nowMs, idleMs) {
      const gone: Circuit[] = [];
      for (const circuit of circuits.values()) {
        if (circuit.inFlight === 0 && nowMs - circuit.lastUsedMs >= idleMs) gone.push(circuit);
      }
      for (const circuit of gone) remove(circuit);
      return gone;
    },
    get size() {
      return circuits.size;
    },
    clear() {
      circuits.clear();
      perPeer.clear();
    },
  };
}
