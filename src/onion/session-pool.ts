/**
 * The relay's outgoing sessions: one RpcSession per next peer on the onion protocol, dialled on
 * first use, redialled once it failed. Created by the relay service; closed by its stop().
 */
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { RpcSession, type PeerTarget, type RpcTransport } from '../wire/index.ts';
import { RELAY_DIAL_TIMEOUT_MS } from './relay-limits.ts';

export interface RelaySessionPool {
  /** Sends `body` to `target`; PATH_FAILED when it cannot be reached or does not answer in time. */
  request(target: PeerTarget, body: Uint8Array, options: { timeoutMs: number; signal: AbortSignal }): Promise<Uint8Array>;
  close(): void;
}

export function createRelaySessionPool(transport: RpcTransport, protocol: string): RelaySessionPool {
  const sessions = new Map<string, Promise<RpcSession>>();
  const closing = new AbortController();

  /** Sessions known to be open (their entry in `sessions` resolved), for the fast path. */
  const ready = new Map<string, RpcSession>();

  const forget = (peerId: string, entry: Promise<RpcSession>): void => {
    if (sessions.get(peerId) !== entry) return;
    sessions.delete(peerId);
    ready.delete(peerId);
    entry.then((s) => s.close()).catch(() => undefined);
  };

  const session = (target: PeerTarget, timeoutMs: number): Promise<RpcSession> => {
    const existing = sessions.get(target.peerId);
    if (existing !== undefined) return existing;
    const signal = AbortSignal.any([closing.signal, AbortSignal.timeout(Math.min(timeoutMs, RELAY_DIAL_TIMEOUT_MS))]);
    const opening = transport.dial(target, protocol, signal).then(
      (stream) => new RpcSession(stream),
      (cause: unknown) => {
        throw new SamizdatError('PATH_FAILED', `cannot reach ${target.peerId}`, { cause, detail: { peerId: target.peerId } });
      },
    );
    sessions.set(target.peerId, opening);
    opening.catch(() => forget(target.peerId, opening));
    return opening;
  };

  /** Sends on a session that may still be opening, or failed and must be dialled again. */
  const requestSlow = async (target: PeerTarget, body: Uint8Array, options: { timeoutMs: number; signal: AbortSignal }): Promise<Uint8Array> => {
    if (closing.signal.aborted) throw new SamizdatError('PATH_FAILED', 'the relay is stopping');
    let entry = session(target, options.timeoutMs);
    let open = await entry;
    if (open.closed) {
      forget(target.peerId, entry);
      entry = session(target, options.timeoutMs);
      open = await entry;
    }
    if (sessions.get(target.peerId) === entry) ready.set(target.peerId, open);
    try {
      // close() closes every session, which fails its pending requests: no need to watch `closing` here.
      return await open.request(body, { timeoutMs: options.timeoutMs, signal: options.signal });
    } catch (err) {
      if (open.closed) forget(target.peerId, entry);
      throw isSamizdatError(err) ? err : new SamizdatError('PATH_FAILED', 'the session failed', { cause: err });
    }
  };

  return {
    request(target, body, options) {
      // The usual case, without a wait for the session's promise: a session that is open. Its
      // requests fail only with typed errors; once it failed, the slow path dials again.
      const open = ready.get(target.peerId);
      if (open !== undefined && !open.closed && !closing.signal.aborted) return open.request(body, { timeoutMs: options.timeoutMs, signal: options.signal });
      return requestSlow(target, body, options);
    },
    close() {
      closing.abort(new SamizdatError('PATH_FAILED', 'the relay is stopping'));
      for (const [peerId, entry] of [...sessions]) forget(peerId, entry);
    },
  };
}
