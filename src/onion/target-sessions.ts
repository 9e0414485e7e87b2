/**
 * The target's table of target sessions (README "Target sessions"): the keys an opening target
 * layer set up, found again by session id for the later requests of the same circuit, so only the
 * first request of a circuit to a target pays for a KEM. Bounded and idle-expiring; evicting a
 * session is always safe (the client gets BAD_KEY and opens a new one), so when full the least
 * recently used one goes. A session also dies with the onion key that opened it, keeping forward
 * secrecy for recorded traffic. Pure: the clock is injected.
 */
import { toHex, type AeadKey } from '../crypto/index.ts';
import { SamizdatError } from '../errors.ts';
import { createReplayWindow, type ReplayWindow } from './replay-window.ts';

/**
 * Sessions one target holds: ~1.2 KiB each (two keys, replay window, ids), so about 24 MiB when
 * full; as many as the circuits a relay holds, since a client has one per circuit and target.
 */
export const MAX_TARGET_SESSIONS = 20_000;

/** A session unused this long is forgotten: the same idle time as a circuit's. */
export const TARGET_SESSION_IDLE_MS = 10 * 60_000;

export interface TargetSessionKeys {
  /** 16 bytes, derived from the KEM secret. */
  readonly sessionId: Uint8Array;
  /** As bytes, or prepared once (aesGcmKey) for the session's many requests. */
  readonly requestKey: Uint8Array | AeadKey;
  readonly responseKey: Uint8Array | AeadKey;
}

export interface TargetSession extends TargetSessionKeys {
  /** The peer (the exit) that opened it: only it may use the session. */
  readonly fromPeer: string;
  /** When the onion key that opened it is deleted (undefined: unknown, idle expiry only). */
  readonly keyExpiresAtMs: number | undefined;
  /** Counters seen (the opening request is counter 0). */
  readonly window: ReplayWindow;
  lastUsedMs: number;
}

export interface TargetSessionTable {
  /** Adds a session just opened (counter 0 already used); evicts the least recently used when full. */
  add(keys: TargetSessionKeys, fromPeer: string, keyExpiresAtMs: number | undefined): void;
  /** The live session with this id for `fromPeer`, or undefined (unknown, idle, key deleted or another peer). */
  get(sessionId: Uint8Array, fromPeer: string): TargetSession | undefined;
  readonly size: number;
  clear(): void;
}

export function createTargetSessionTable(options: { now: () => number; maxSessions?: number; idleMs?: number }): TargetSessionTable {
  const { now } = options;
  const maxSessions = options.maxSessions ?? MAX_TARGET_SESSIONS;
  const idleMs = options.idleMs ?? TARGET_SESSION_IDLE_MS;
  // Map order is least recently used first: get() moves a session to the end.
  const sessions = new Map<string, TargetSession>();

  const dead = (session: TargetSession, t: number): boolean =>
    t - session.lastUsedMs > idleMs || (session.keyExpiresAtMs !== undefined && t >= session.keyExpiresAtMs);

  return {
    add(keys, fromPeer, keyExpiresAtMs) {
      // A session is opened once: opening it again would reset its replay window.
      if (sessions.has(toHex(keys.sessionId))) throw new SamizdatError('MALFORMED', 'replayed target layer (session already open)');
      const t = now();
      for (const [id, session] of sessions) {
        if (sessions.size < maxSessions && !dead(session, t)) break;
        sessions.delete(id);
      }
      const window = createReplayWindow();
      window.accept(0n);
      sessions.set(toHex(keys.sessionId), { ...keys, fromPeer, keyExpiresAtMs, window, lastUsedMs: t });
    },
    get(sessionId, fromPeer) {
      const id = toHex(sessionId);
      const session = sessions.get(id);
      if (session === undefined) return undefined;
      const t = now();
      if (dead(session, t)) {
        sessions.delete(id);
        return undefined;
      }
      if (session.fromPeer !== fromPeer) return undefined;
      session.lastUsedMs = t;
      sessions.delete(id);
      sessions.set(id, session);
      return session;
    },
    get size() {
      return sessions.size;
    },
    clear() {
      sessions.clear();
    },
  };
}
