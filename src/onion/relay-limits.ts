/** Limits of the relay service. Named constants with their reasons; collected in docs/LIMITS.md. */

/**
 * A circuit nobody used for 10 minutes is dropped (with its keys). A client keeps a circuit busy
 * with its long-polls; one that went away should not pin relay memory for long, and a circuit
 * whose keys are forgotten cannot be decrypted later from a seized relay.
 */
export const CIRCUIT_IDLE_TIMEOUT_MS = 10 * 60_000;

/** How often idle circuits are looked for. */
export const CIRCUIT_SWEEP_INTERVAL_MS = 30_000;

/**
 * Circuits one relay holds in all: ~1 KiB each (keys, replay window, ids), so 20,000 cost about
 * 20 MiB, and carry the long-polls of 20,000 clients through this hop.
 */
export const MAX_CIRCUITS = 20_000;

/**
 * Circuits one link peer may hold here. A client needs one or two; a guard in front of us carries
 * many clients' circuits, so the cap is generous, but still keeps one peer from taking them all.
 */
export const MAX_CIRCUITS_PER_PEER = 2_000;

/** Time a request may take when the sender gives none. */
export const DEFAULT_RELAY_TIMEOUT_MS = 30_000;

/** Longest time a sender may ask for: a long-poll of a few minutes plus margins. */
export const MAX_RELAY_TIMEOUT_MS = 5 * 60_000;

/**
 * Each hop gives the next one this much less time than it has itself, so the innermost hop that
 * waits too long gives up first and its typed failure still travels back within the caller's
 * deadline (3 hops + target: 4 x 250 ms = 1 s of a deadline).
 */
export const HOP_TIMEOUT_MARGIN_MS = 250;

/**
 * Replay cache entries per cache (create layers, target layers): ~120 bytes each, so ~30 MiB for
 * both when full. When full of live entries new layers are refused with RATE_LIMITED.
 */
export const MAX_REPLAY_ENTRIES = 131_072;

/**
 * Requests served at once on one incoming onion session. The link between two relays carries many
 * clients' long-polls; the wire default (64) would let 64 idle polls stall every other circuit on
 * the link. Each pending request holds at most one frame (96 KiB).
 */
export const MAX_CONCURRENT_RELAYED_PER_SESSION = 512;

/** Longest wait for a connection to the next hop. */
export const RELAY_DIAL_TIMEOUT_MS = 5_000;

/** Time given to a best-effort DestroyCircuit to the next hop. */
export const DESTROY_TIMEOUT_MS = 2_000;

export interface RelayLimits {
  readonly circuitIdleTimeoutMs: number;
  readonly maxCircuits: number;
  readonly maxCircuitsPerPeer: number;
  readonly defaultTimeoutMs: number;
  readonly maxTimeoutMs: number;
  readonly hopMarginMs: number;
  readonly maxReplayEntries: number;
  readonly maxConcurrentPerSession: number;
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  circuitIdleTimeoutMs: CIRCUIT_IDLE_TIMEOUT_MS,
  maxCircuits: MAX_CIRCUITS,
  maxCircuitsPerPeer: MAX_CIRCUITS_PER_PEER,
  defaultTimeoutMs: DEFAULT_RELAY_TIMEOUT_MS,
  maxTimeoutMs: MAX_RELAY_TIMEOUT_MS,
  hopMarginMs: HOP_TIMEOUT_MARGIN_MS,
  maxReplayEntries: MAX_REPLAY_ENTRIES,
  maxConcurrentPerSession: MAX_CONCURRENT_RELAYED_PER_SESSION,
};
