/**
 * One RpcSession per peer for one protocol, opened on first use and reopened when it fails.
 * Node-to-node traffic (replication, anti-entropy) reuses a single long-lived stream per peer
 * instead of paying a stream set-up per request.
 */
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { RpcSession } from '../wire/index.ts';
import type { PeerTarget, RpcTransport } from '../wire/index.ts';

/** Longest wait for a dial (connection + protocol negotiation) before the request fails. */
export const SESSION_DIAL_TIMEOUT_MS = 5_000;

export interface SessionPool {
  /** Sends `body` to `target` on its session (opened or reopened as needed). */
  request(target: PeerTarget, body: Uint8Array, options: { timeoutMs: number; signal?: AbortSignal }): Promise<Uint8Array>;
  /** Closes and forgets the session to one peer. */
  drop(peerId: string): void;
  /** Closes every session; later requests fail with PATH_FAILED. */
  close(): void;
}

export function createSessionPool(options: { transport: RpcTransport; protocol: string }): SessionPool {
  const { transport, protocol } = options;
  const sessions = new Map<string, Promise<RpcSession>>();
  const shutdown = new AbortController();

  const open = (target: PeerTarget): Promise<RpcSession> => {
    const existing = sessions.get(target.peerId);
    if (existing !== undefined) return existing;
    const opening = (async () => {
      const signal = AbortSignal.any([shutdown.signal, AbortSignal.timeout(SESSION_DIAL_TIMEOUT_MS)]);
      try {
        return new RpcSession(await transport.dial(target, protocol, signal));
      } catch (cause) {
        throw new SamizdatError('PATH_FAILED', `cannot reach ${target.peerId}`, { cause, detail: { peerId: target.peerId } });
      }
    })();
    sessions.set(target.peerId, opening);
    // A failed dial is forgotten at once so the next request dials again.
    opening.catch(() => {
      if (sessions.get(target.peerId) === opening) sessions.delete(target.peerId);
    });
    return opening;
  };

  return {
    async request(target, body, requestOptions) {
      if (shutdown.signal.aborted) throw new SamizdatError('PATH_FAILED', 'the session pool is closed');
      let session = await open(target);
      if (session.closed) {
        // The peer went away since the last request (restart, network): dial once more.
        this.drop(target.peerId);
        session = await open(target);
      }
      try {
        return await session.request(body, requestOptions);
      } catch (err) {
        if (session.closed) this.drop(target.peerId);
        throw isSamizdatError(err) ? err : new SamizdatError('PATH_FAILED', 'the session failed', { cause: err });
      }
    },
    drop(peerId) {
      const entry = sessions.get(peerId);
      if (entry === undefined) return;
      sessions.delete(peerId);
      entry.then((s) => s.close()).catch(() => undefined);
    },
    close() {
      shutdown.abort(new SamizdatError('PATH_FAILED', 'the session pool is closed'));
      for (const peerId of [...sessions.keys()]) this.drop(peerId);
    },
  };
}
