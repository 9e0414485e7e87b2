/**
 * The client's onion circuits (DESIGN.md §4, issue 4): builds guard -> middle -> exit circuits
 * from the verified consensus (path-select.ts) with a pinned guard (guard-store.ts), keeps one
 * multiplexed RpcSession per guard on `/samizdat/onion/1.0.0`, reuses a circuit for many
 * requests (long-polls included) and retires it after a failure or CIRCUIT_MAX_AGE_MS.
 *
 * Failures are PATH_FAILED with detail.hop (0 guard, 1 middle, 2 exit, 3 target) and
 * detail.code (the hop's own error code). A failure at hops 0-2 breaks the circuit, and the next
 * request builds a new one; hop-0 failures (the guard unreachable, its session dropped, its
 * circuit build failing) count against the guard, which the store replaces after
 * GUARD_MAX_FAILURES in a row. Building retries on a fresh path (avoiding the node that failed)
 * up to MAX_BUILD_ATTEMPTS times within the caller's deadline. Circuits are isolated: a request
 * names an isolation key (the onion channel uses the account the request concerns), and only
 * circuits built for that key carry it, so an exit or target cannot link the requests a client
 * makes about its own account to those about another (Tor's stream isolation). The onion layers
 * themselves are src/onion's OnionCircuit; this file owns sessions, deadlines, pooling and guard
 * accounting.
 */
import { concatBytes, type CryptoProvider } from '../crypto/index.ts';
import type { Consensus, NodeDescriptor } from '../directory/index.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { ONION_PROTOCOL, OnionCircuit, onionKeyId, pathFailed, type OnionHop } from '../onion/index.ts';
import { RpcSession, type PeerTarget, type RpcTransport } from '../wire/index.ts';
import type { GuardStore } from './guard-store.ts';
import { randomIntFrom, selectPath, type RandomInt, type SelectedPath } from './path-select.ts';
import { isDeadline, remaining, withinDeadline } from './circuit-deadline.ts';

export { ONION_PROTOCOL };
/** Longest a circuit build may take (three KEM decapsulations and three links: well under 1 s). */
export const CIRCUIT_BUILD_TIMEOUT_MS = 10_000;
/** New requests go to a fresh circuit after this (Tor's MaxCircuitDirtiness), so one path does not link a long session. */
export const CIRCUIT_MAX_AGE_MS = 10 * 60_000;
/** Paths tried per circuit build before giving up. */
export const MAX_BUILD_ATTEMPTS = 3;
/**
 * Idle circuits kept at once (busy ones are never dropped): a request cannot use a circuit with its
 * target as a hop, and each isolation key (account) has circuits of its own, so a command that
 * reads its own inbox and writes to a contact needs two or more.
 */
export const MAX_CIRCUITS = 4;
/** Longest dial to a guard. */
const DIAL_TIMEOUT_MS = 5_000;
/** Deadline given to a best-effort DestroyCircuit. */
const DESTROY_TIMEOUT_MS = 2_000;

export type CircuitEvent =
  | { readonly kind: 'built'; readonly path: SelectedPath; readonly ms: number }
  | { readonly kind: 'build-failed'; readonly path: SelectedPath; readonly error: SamizdatError }
  | { readonly kind: 'broken'; readonly path: SelectedPath; readonly error: SamizdatError };

export interface CircuitManagerOptions {
  readonly transport: RpcTransport;
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  /** The current verified consensus. */
  readonly consensus: () => Consensus;
  readonly guards: GuardStore;
  /** From the network file (true on a one-host devnet). */
  readonly allowSameSubnet: boolean;
  /** Default: uniform over crypto.randomBytes. */
  readonly randomInt?: RandomInt;
  /** Sees every build, failed build and broken circuit (tests, `net path`, metrics). */
  readonly observer?: (event: CircuitEvent) => void;
}

export interface RequestDeadline {
  /** Absolute deadline on the manager's clock (ms). */
  readonly deadlineMs: number;
  readonly signal?: AbortSignal;
}

/** A built circuit the caller can send target requests through. */
export interface Circuit {
  readonly path: SelectedPath;
  /** The isolation key it was built for: it carries only requests naming the same key. */
  readonly isolation: string;
  readonly builtAtMs: number;
  /** True once a hop failed, the guard session dropped or the circuit was closed. */
  readonly broken: boolean;
  /**
   * Sends `request` to `target` (an OnionHop from `onionHopOf`) and returns its answer: the
   * target's bytes, its own typed error, or PATH_FAILED{hop}.
   */
  send(target: OnionHop, request: Uint8Array, deadline: RequestDeadline): Promise<Uint8Array>;
}

export interface CircuitManager {
  /**
   * A usable circuit built for `isolation` (default '') none of whose hops is `targetPeerId`,
   * building one if needed.
   */
  circuitFor(targetPeerId: string | undefined, deadline: RequestDeadline, isolation?: string): Promise<Circuit>;
  /** Builds a new circuit for `isolation` (default ''), not avoiding any target, and adds it to the pool. */
  build(deadline: RequestDeadline, isolation?: string): Promise<Circuit>;
  /** Live circuits, newest first. */
  circuits(): readonly Circuit[];
  /** Destroys every circuit (best effort) and closes the guard sessions. */
  close(): void;
}

const hopCache = new WeakMap<NodeDescriptor, OnionHop>();

/** The OnionHop (hybrid key X25519 || ML-KEM and its key id) of a consensus node. */
export function onionHopOf(crypto: CryptoProvider, node: NodeDescriptor): OnionHop {
  let hop = hopCache.get(node);
  if (hop === undefined) {
    const onionPublicKey = concatBytes(node.onionX25519, node.onionMlKem);
    hop = { peerId: node.peerId, addresses: node.addresses, onionPublicKey, keyId: onionKeyId(crypto, onionPublicKey) };
    hopCache.set(node, hop);
  }
  return hop;
}

function hopOf(err: unknown): number | undefined {
  return isSamizdatError(err, 'PATH_FAILED') && typeof err.detail.hop === 'number' ? err.detail.hop : undefined;
}

function peerOfHop(path: SelectedPath, hop: number | undefined): string | undefined {
  return hop === 0 ? path.guard.peerId : hop === 1 ? path.middle.peerId : hop === 2 ? path.exit.peerId : undefined;
}

export function createCircuitManager(options: CircuitManagerOptions): CircuitManager {
  const { transport, crypto, now, guards, observer } = options;
  const randomInt = options.randomInt ?? randomIntFrom((n) => crypto.randomBytes(n));
  const sessions = new Map<string, Promise<RpcSession>>();
  let pool: CircuitImpl[] = [];
  /** The build under way for each isolation key, shared by the requests that wait for it. */
  const building = new Map<string, Promise<CircuitImpl>>();
  let closed = false;

  const session = async (guard: PeerTarget): Promise<RpcSession> => {
    const existing = sessions.get(guard.peerId);
    if (existing !== undefined) {
      const s = await existing.catch(() => undefined);
      if (s !== undefined && !s.closed) return s;
      if (sessions.get(guard.peerId) === existing) sessions.delete(guard.peerId);
    }
    const opening = transport
      .dial(guard, ONION_PROTOCOL, AbortSignal.timeout(DIAL_TIMEOUT_MS))
      .then((stream) => new RpcSession(stream))
      .catch((cause: unknown) => {
        throw pathFailed(0, isSamizdatError(cause) ? cause : new SamizdatError('PATH_FAILED', `cannot reach the guard ${guard.peerId}`, { cause }));
      });
    sessions.set(guard.peerId, opening);
    opening.catch(() => {
      if (sessions.get(guard.peerId) === opening) sessions.delete(guard.peerId);
    });
    return opening;
  };

  class CircuitImpl implements Circuit {
    readonly path: SelectedPath;
    readonly isolation: string;
    readonly builtAtMs: number;
    inFlight = 0;
    private readonly onion: OnionCircuit;
    private readonly link: RpcSession;
    private failure: SamizdatError | undefined;

    constructor(path: SelectedPath, isolation: string, onion: OnionCircuit, link: RpcSession) {
      this.path = path;
      this.isolation = isolation;
      this.onion = onion;
      this.link = link;
      this.builtAtMs = now();
    }

    get broken(): boolean {
      return this.failure !== undefined || this.link.closed;
    }

    get stale(): boolean {
      return now() - this.builtAtMs > CIRCUIT_MAX_AGE_MS;
    }

    /** True the first time (so one dropped link counts once against the guard, not per request). */
    markBroken(err: SamizdatError): boolean {
      if (this.failure !== undefined) return false;
      this.failure = err;
      observer?.({ kind: 'broken', path: this.path, error: err });
      return true;
    }

    async send(target: OnionHop, request: Uint8Array, deadline: RequestDeadline): Promise<Uint8Array> {
      const attempt = { sessionForm: false };
      try {
        return await this.sendOnce(target, request, deadline, attempt);
      } catch (err) {
        // The target forgot this circuit's session (restart, eviction, key rotation): the circuit
        // has dropped it, so one more try opens a new session with a KEM.
        if (isSamizdatError(err, 'PATH_FAILED') && err.detail.hop === 3 && err.detail.code === 'BAD_KEY' && attempt.sessionForm) {
          return await this.sendOnce(target, request, deadline, attempt);
        }
        throw err;
      }
    }

    private async sendOnce(target: OnionHop, request: Uint8Array, deadline: RequestDeadline, attempt: { sessionForm: boolean }): Promise<Uint8Array> {
      if (this.failure !== undefined) throw this.failure;
      const timeoutMs = remaining(now, deadline);
      const wrapped = this.onion.wrapTargetRequest(target, request, { timeoutMs });
      attempt.sessionForm = wrapped.reply.sessionForm;
      this.inFlight++;
      try {
        let answer: Uint8Array;
        try {
          answer = await this.link.request(wrapped.request, deadline.signal === undefined ? { timeoutMs } : { timeoutMs, signal: deadline.signal });
        } catch (err) {
          // The guard link failed (hop 0), or no answer came in time from somewhere on the path.
          if (deadline.signal?.aborted === true) throw err; // the caller gave up: the path is not to blame
          if (this.link.closed) {
            const failure = pathFailed(0, err);
            if (this.markBroken(failure)) void guards.recordFailure(this.path.guard.peerId).catch(() => undefined);
            throw failure;
          }
          if (isSamizdatError(err, 'RATE_LIMITED')) throw err;
          // No answer in time: some hop (or the target) is stuck. Use a fresh path next time.
          const failure = new SamizdatError('PATH_FAILED', 'no answer through the circuit in time', { cause: err, detail: { reason: 'timeout' } });
          this.markBroken(failure);
          throw failure;
        }
        try {
          return this.onion.openAnswer(answer, wrapped.reply);
        } catch (err) {
          const hop = hopOf(err);
          if (hop !== undefined && hop < 3 && isSamizdatError(err)) {
            // RATE_LIMITED at the guard is back-pressure, not a broken circuit.
            if (!(hop === 0 && err.detail.code === 'RATE_LIMITED')) this.markBroken(err);
          }
          throw err;
        }
      } finally {
        this.inFlight--;
      }
    }

    destroy(): void {
      this.markBroken(new SamizdatError('PATH_FAILED', 'the circuit was closed'));
      if (this.link.closed) return;
      this.link.request(this.onion.destroyRequest(), { timeoutMs: DESTROY_TIMEOUT_MS }).catch(() => undefined);
    }
  }

  /** One attempt: pick a path, open the guard session, send the create onion. */
  const buildOnce = async (
    targetPeerId: string | undefined,
    isolation: string,
    exclude: readonly string[],
    deadline: RequestDeadline,
    note: (path: SelectedPath) => void,
  ): Promise<CircuitImpl> => {
    const consensus = options.consensus();
    const pinned = await guards.guardsFor(consensus.nodes, targetPeerId === undefined ? [] : [targetPeerId]);
    const path = selectPath({
      nodes: consensus.nodes,
      guards: pinned,
      ...(targetPeerId === undefined ? {} : { target: targetPeerId }),
      exclude,
      allowSameSubnet: options.allowSameSubnet,
      randomInt,
    });
    note(path);
    const started = now();
    const hops = [path.guard, path.middle, path.exit].map((n) => onionHopOf(crypto, n));
    const onion = new OnionCircuit(crypto, hops, now);
    /** The guard link once the create went out on it. */
    let sent: RpcSession | undefined;
    try {
      // The dial may be shared and take its own DIAL_TIMEOUT_MS: this build waits for it only as
      // long as its deadline allows, and what is left after it is the create's time.
      const link = await withinDeadline(session(path.guard), now, deadline);
      const timeoutMs = Math.min(CIRCUIT_BUILD_TIMEOUT_MS, remaining(now, deadline));
      sent = link;
      const answer = await link.request(onion.createRequest({ timeoutMs }), deadline.signal === undefined ? { timeoutMs } : { timeoutMs, signal: deadline.signal });
      onion.checkCreated(answer);
      const circuit = new CircuitImpl(path, isolation, onion, link);
      void guards.recordSuccess(path.guard.peerId).catch(() => undefined);
      observer?.({ kind: 'built', path, ms: now() - started });
      return circuit;
    } catch (err) {
      // The guard may hold its part of a circuit that failed further on (a failure past the
      // middle looks like a success to it): tell it to drop it rather than wait for the idle sweep.
      sent?.request(onion.destroyRequest(), { timeoutMs: DESTROY_TIMEOUT_MS }).catch(() => undefined);
      if (isDeadline(err)) {
        // Our own time ran out: nothing to hold against the guard.
        observer?.({ kind: 'build-failed', path, error: err as SamizdatError });
        throw err;
      }
      const failure = hopOf(err) !== undefined ? (err as SamizdatError) : pathFailed(0, err);
      observer?.({ kind: 'build-failed', path, error: failure });
      if (hopOf(failure) === 0 && failure.detail.code !== 'RATE_LIMITED' && deadline.signal?.aborted !== true) {
        await guards.recordFailure(path.guard.peerId).catch(() => undefined);
      }
      throw failure;
    }
  };

  const buildWithRetries = async (targetPeerId: string | undefined, isolation: string, deadline: RequestDeadline): Promise<CircuitImpl> => {
    const exclude: string[] = [];
    let last: unknown;
    let path: SelectedPath | undefined;
    for (let attempt = 0; attempt < MAX_BUILD_ATTEMPTS; attempt++) {
      if (closed) throw new SamizdatError('PATH_FAILED', 'the onion client is closed');
      try {
        path = undefined;
        const circuit = await buildOnce(targetPeerId, isolation, exclude, deadline, (p) => (path = p));
        if (closed) {
          circuit.destroy();
          throw new SamizdatError('PATH_FAILED', 'the onion client is closed');
        }
        pool = [circuit, ...pool];
        trim();
        return circuit;
      } catch (err) {
        last = err;
        const hop = hopOf(err);
        // No path exists (selectPath), or the caller's time is up: trying again cannot help.
        if (path === undefined || hop === undefined || deadline.signal?.aborted === true || deadline.deadlineMs <= now()) throw err;
        // Avoid the node that failed on the next try (a guard is also counted by the store).
        const failed = peerOfHop(path, hop);
        if (failed !== undefined) exclude.push(failed);
      }
    }
    throw last;
  };

  /** Drops broken circuits and, past MAX_CIRCUITS or CIRCUIT_MAX_AGE_MS, idle ones (oldest first). */
  const trim = (): void => {
    const keep: CircuitImpl[] = [];
    for (const c of pool) {
      if (c.broken || (c.stale && c.inFlight === 0) || (keep.length >= MAX_CIRCUITS && c.inFlight === 0)) c.destroy();
      else keep.push(c);
    }
    pool = keep;
  };

  const usable = (c: CircuitImpl, target: string | undefined, isolation: string): boolean =>
    !c.broken &&
    !c.stale &&
    c.isolation === isolation &&
    (target === undefined || (c.path.guard.peerId !== target && c.path.middle.peerId !== target && c.path.exit.peerId !== target));

  const startBuild = (targetPeerId: string | undefined, isolation: string, deadline: RequestDeadline): Promise<CircuitImpl> => {
    const b = buildWithRetries(targetPeerId, isolation, deadline);
    building.set(isolation, b);
    const clear = (): void => {
      if (building.get(isolation) === b) building.delete(isolation);
    };
    b.then(clear, clear);
    return b;
  };

  const manager: CircuitManager = {
    async circuitFor(targetPeerId, deadline, isolation = '') {
      for (;;) {
        if (closed) throw new SamizdatError('PATH_FAILED', 'the onion client is closed');
        trim();
        const found = pool.find((c) => usable(c, targetPeerId, isolation));
        if (found !== undefined) return found;
        const pending = building.get(isolation);
        if (pending === undefined) return startBuild(targetPeerId, isolation, deadline);
        // Share a build already under way for the same key (64 requests at start-up need one
        // circuit, not 64); its failure is theirs too, but each waits only as long as its own deadline.
        const c = await withinDeadline(pending, now, deadline);
        if (usable(c, targetPeerId, isolation)) return c;
        remaining(now, deadline);
      }
    },
    build: (deadline, isolation = '') => buildWithRetries(undefined, isolation, deadline),
    circuits: () => pool.filter((c) => !c.broken),
    close() {
      closed = true;
      for (const c of pool) c.destroy();
      pool = [];
      // Let the destroy requests go out before the sessions close.
      const all = [...sessions.values()];
      sessions.clear();
      setTimeout(() => {
        for (const s of all) s.then((x) => x.close()).catch(() => undefined);
      }, 50).unref();
    },
  };
  return manager;
}
