/**
 * An open account in the web server: its keys and database, the network connection (made in the
 * background and retried until it works), the messenger over it, and the receive loop that the
 * CLI's `watch` runs: rotate prekeys and republish the bundle when due, long-poll the inbox, hand
 * every arrival to the event stream. `online` is true when the last long-poll succeeded.
 *
 * Sending answers as soon as the message is in the database with state 'sending' (the API
 * returns its id at once) and reports the outcome later as a `message-state` event. The
 * messenger tells when it has recorded an outgoing message (`onRecorded`). No plaintext, key or
 * token is logged.
 */
import { toHex } from '../crypto/bytes.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { decodeAccountId, encodeAccountId } from '../identity/account-id.ts';
import type { AccountKeys } from '../identity/account-keys.ts';
import { encodeSamizdatUri } from '../identity/samizdat-uri.ts';
import type { ClientNetwork, NetworkStatus, PathStatus } from '../client/client-network.ts';
import type { Contact } from '../client/contacts.ts';
import { createMessenger, type IncomingMessage, type Messenger } from '../client/messenger.ts';
import type { ProfileDb } from '../client/profile-db.ts';
import { acceptRequest } from '../client/requests.ts';
import type { WebEventType, WebEvents } from './events.ts';

/** How long one long-poll waits at a node (the node caps it at 30 s), as `watch` does. */
export const POLL_WAIT_MS = 25_000;
/** Least time between two polls that brought nothing (a node that does not hold long-polls). */
export const MIN_POLL_INTERVAL_MS = 1_000;
/** Pause after a failed poll or connection attempt, doubling up to the maximum. */
export const RETRY_MS = 500;
export const MAX_RETRY_MS = 15_000;

/** Makes the network connection (PATH_FAILED and the like when the network cannot be reached). */
export type ConnectNetwork = () => Promise<ClientNetwork>;
export type Emit = <T extends WebEventType>(type: T, data: WebEvents[T]) => void;

export interface AccountSessionOptions {
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  readonly keys: AccountKeys;
  readonly db: ProfileDb;
  readonly connect: ConnectNetwork;
  readonly emit: Emit;
  /** Test knobs: the long-poll wait and the pauses, and the messenger's proof-of-work bits for strangers. */
  readonly pollWaitMs?: number;
  readonly minPollIntervalMs?: number;
  readonly retryMs?: number;
  readonly depositPowBits?: number;
}

export interface NetworkView extends Omit<NetworkStatus, 'consensus'> {
  readonly online: boolean;
  /** True once the network connection is made (a consensus was fetched). */
  readonly connected: boolean;
  readonly consensus: NetworkStatus['consensus'] | null;
  /** The code of the last failure to connect or poll, or null after a success. */
  readonly lastError: string | null;
}

export interface AccountSession {
  readonly keys: AccountKeys;
  readonly db: ProfileDb;
  /** The account's samizdat: URI (Account ID and key fingerprint), for sharing and QR codes. */
  readonly uri: string;
  readonly online: boolean;
  network(): NetworkView;
  /** Records a message to `to` (contact name or Account ID) and sends it in the background. */
  send(to: string, text: string): Promise<{ id: string; state: 'sending' | 'stored' }>;
  /**
   * Runs the messenger's prepare() soon (interrupting a long-poll): after a change it publishes,
   * such as a block rotating the deposit key.
   */
  republish(): void;
  /** Accepts a request and tells the requester when the network allows (`notified`). */
  accept(ref: string, name: string | undefined): Promise<{ contact: Contact; notified: boolean }>;
  close(): Promise<void>;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function codeOf(err: unknown): string {
  return isSamizdatError(err) ? err.code : 'INTERNAL';
}

/** The `error` of a failed message's `message-state` event. */
function failureOf(err: unknown): { code: string; message: string } {
  return { code: codeOf(err), message: isSamizdatError(err) ? err.message : 'unexpected error' };
}

function samePath(a: PathStatus | null, b: PathStatus | null): boolean {
  return a === b || (a !== null && b !== null && a.guard === b.guard && a.middle === b.middle && a.exit === b.exit);
}

/** Errors that mean "the network did not take it", as opposed to a refusal by the rules. */
function isNetworkError(err: unknown): boolean {
  return isSamizdatError(err) && ['PATH_FAILED', 'WRONG_SWARM', 'RATE_LIMITED', 'CLOCK_SKEW', 'PROOF_REQUIRED', 'STORAGE_FAILED', 'STORAGE_FULL'].includes(err.code);
}

export function startAccountSession(options: AccountSessionOptions): AccountSession {
  const { crypto, now, keys, db, emit } = options;
  const pollWaitMs = options.pollWaitMs ?? POLL_WAIT_MS;
  const minPollIntervalMs = options.minPollIntervalMs ?? MIN_POLL_INTERVAL_MS;
  const firstRetryMs = options.retryMs ?? RETRY_MS;
  const uri = encodeSamizdatUri(crypto, keys.identityPublicKey, keys.mailboxX25519.publicKey);
  const stop = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  let link: ClientNetwork | undefined;
  let messenger: Messenger | undefined;
  let online = false;
  let lastError: string | null = null;
  let shownPath: PathStatus | null = null;
  /** Aborts the current long-poll, so the loop goes round (and runs prepare()) at once. */
  let interrupt: AbortController | undefined;
  /** Set by republish(): the next round's prepare() runs even if one ran moments ago. */
  let forcePrepare = false;

  const currentPath = (): PathStatus | null => link?.status().path ?? null;

  const report = (nowOnline: boolean, error: string | null): void => {
    lastError = error;
    const path = currentPath();
    if (nowOnline === online && samePath(path, shownPath)) return;
    online = nowOnline;
    shownPath = path;
    emit('network', { online, path });
  };

  const deliver = (incoming: readonly IncomingMessage[]): void => {
    for (const m of incoming) {
      if (m.kind === 'accepted') {
        emit('contacts', {});
        continue;
      }
      emit('message', {
        accountId: m.from,
        name: m.fromName,
        id: m.id,
        text: m.text,
        sentAt: m.sentAt,
        receivedAt: m.receivedAt,
        request: m.request,
        identityChanged: m.identityChanged,
        sessionReset: m.sessionReset,
      });
      if (m.request) {
        emit('request', { accountId: m.from });
        emit('contacts', {});
      }
    }
  };

  const connect = async (): Promise<Messenger> => {
    const connected = await options.connect();
    if (stop.signal.aborted) {
      await connected.close();
      throw new SamizdatError('PATH_FAILED', 'the session closed while connecting');
    }
    link = connected;
    messenger = createMessenger({
      crypto,
      now,
      db,
      keys,
      swarm: connected.swarm,
      mailbox: connected.mailbox,
      prekeyRotationMs: connected.prekeyRotationMs,
      ...(options.depositPowBits === undefined ? {} : { depositPowBits: options.depositPowBits }),
      onUndecryptable: (code, from) => emit('notice', { kind: 'undecryptable', code, accountId: from ?? null }),
      // A message an ended process left 'sending', delivered now: the page updates it as its own.
      onResumed: ({ accountId, id, state, error }) =>
        emit('message-state', { accountId, id, state, ...(error === undefined ? {} : { error: failureOf(error) }) }),
    });
    return messenger;
  };

  const loop = async (): Promise<void> => {
    let retryMs = firstRetryMs;
    while (!stop.signal.aborted) {
      const started = performance.now();
      let arrived = 0;
      const poll = new AbortController();
      interrupt = poll;
      const signal = AbortSignal.any([stop.signal, poll.signal]);
      try {
        const m = messenger ?? (await connect());
        const force = forcePrepare;
        forcePrepare = false;
        await m.prepare({ force });
        // Until a poll has succeeded, ask without waiting, so the page learns at once that the
        // network answers; then hold long-polls open for new messages.
        const incoming = await m.receive({ waitMs: online ? pollWaitMs : 0, signal });
        arrived = incoming.length;
        report(true, null);
        deliver(incoming);
        retryMs = firstRetryMs;
      } catch (err) {
        if (stop.signal.aborted) break;
        if (poll.signal.aborted) continue; // interrupted to run prepare() now: not a failure
        report(false, codeOf(err));
        await sleep(retryMs, signal);
        retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
        continue;
      }
      const elapsed = performance.now() - started;
      if (arrived === 0 && elapsed < minPollIntervalMs) await sleep(minPollIntervalMs - elapsed, signal);
    }
  };
  const running = loop();

  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    void promise.then(
      () => inFlight.delete(promise),
      () => inFlight.delete(promise),
    );
    return promise;
  };

  const requireMessenger = (): Messenger => {
    if (messenger === undefined) {
      throw new SamizdatError('PATH_FAILED', `not connected to the network yet${lastError === null ? '' : ` (${lastError})`}; try again in a moment`);
    }
    return messenger;
  };

  /** The account `to` names, when it names one (else the messenger reports why not). */
  const peerOf = (to: string): { hex: string; accountId: string } | undefined => {
    let key = db.contacts.get(to)?.identityKey;
    if (key === undefined) {
      try {
        key = decodeAccountId(to);
      } catch {
        return undefined;
      }
    }
    return { hex: toHex(key), accountId: encodeAccountId(key) };
  };

  return {
    keys,
    db,
    uri,
    get online() {
      return online;
    },

    network() {
      const status = link?.status();
      return {
        online,
        connected: link !== undefined,
        consensus: status?.consensus ?? null,
        path: status?.path ?? null,
        reachableNodes: status?.reachableNodes ?? 0,
        lastError,
      };
    },

    async send(to, text) {
      const m = requireMessenger();
      if (text.trim().length === 0) throw new SamizdatError('INVALID_ARGUMENT', 'the message text is empty');
      const peer = peerOf(to);
      // Not a contact nor an Account ID: the messenger refuses it (NOT_FOUND) and the caller hears why.
      if (peer === undefined) return { id: (await m.send(to, text)).id, state: 'stored' };
      let resolveRecorded: (id: string) => void = () => undefined;
      const recorded = new Promise<string>((resolve) => (resolveRecorded = resolve));
      const sending = track(m.send(to, text, { onRecorded: (id) => resolveRecorded(id) }));
      const first = await Promise.race([
        recorded.then((id) => ({ kind: 'recorded' as const, id })),
        sending.then(
          (result) => ({ kind: 'done' as const, id: result.id }),
          (err: unknown) => ({ kind: 'failed' as const, err }),
        ),
      ]);
      if (first.kind === 'failed') throw first.err; // nothing was recorded: the caller hears why
      const { accountId } = peer;
      const id = first.id;
      if (first.kind === 'done') {
        emit('message-state', { accountId, id, state: 'stored' });
        return { id, state: 'stored' };
      }
      void sending.then(
        () => emit('message-state', { accountId, id, state: 'stored' }),
        (err: unknown) => emit('message-state', { accountId, id, state: 'failed', error: failureOf(err) }),
      );
      return { id, state: 'sending' };
    },

    republish() {
      forcePrepare = true;
      interrupt?.abort();
    },

    async accept(ref, name) {
      const before = db.contacts.require(ref);
      if (messenger === undefined) return { contact: acceptRequest(db, before.identityKey, name), notified: false };
      try {
        const contact = await track(messenger.accept(before.accountId, name));
        return { contact, notified: true };
      } catch (err) {
        const after = db.contacts.get(before.identityKey);
        // Accepted here, but the note to the requester did not get through: they learn it from our next message.
        if (after?.state === 'accepted' && isNetworkError(err)) return { contact: after, notified: false };
        throw err;
      }
    },

    async close() {
      stop.abort();
      await running;
      try {
        await link?.close();
      } finally {
        await Promise.allSettled([...inFlight]);
        db.close();
      }
    },
  };
}
