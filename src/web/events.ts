/**
 * The server-sent event stream of the web UI (GET /api/events): every open stream gets every
 * event, as `event: TYPE` and one line of JSON `data:`. A comment line every
 * EVENT_KEEPALIVE_MS keeps proxies and the browser from timing the stream out. Events are not
 * stored: a page that (re)connects reloads the state it shows through the API.
 */
import type { ServerResponse } from 'node:http';
import { SamizdatError } from '../errors.ts';
import type { MessageState } from '../client/conversations.ts';
import type { PathStatus } from '../client/client-network.ts';
import { SECURITY_HEADERS } from './security.ts';

/** Open event streams at once (a few tabs; more is a runaway page). */
export const MAX_EVENT_STREAMS = 16;
/** Interval of the keep-alive comment on idle streams. */
export const EVENT_KEEPALIVE_MS = 15_000;

/** The events and their data (DESIGN: issue7-design.md). */
export interface WebEvents {
  readonly message: {
    readonly accountId: string;
    readonly name: string | null;
    readonly id: string;
    readonly text: string;
    readonly sentAt: number;
    readonly receivedAt: number;
    readonly request: boolean;
    readonly identityChanged: boolean;
    readonly sessionReset: boolean;
  };
  readonly 'message-state': {
    readonly accountId: string;
    readonly id: string;
    readonly state: MessageState;
    readonly error?: { readonly code: string; readonly message: string };
  };
  readonly request: { readonly accountId: string };
  readonly network: { readonly online: boolean; readonly path: PathStatus | null };
  readonly contacts: Record<string, never>;
  /** Something the user should know that is not a message (a message that could not be opened). */
  readonly notice: { readonly kind: 'undecryptable'; readonly code: string; readonly accountId: string | null };
}

export type WebEventType = keyof WebEvents;

export interface EventHub {
  /** Takes over `res` as an event stream (TOO_LARGE when MAX_EVENT_STREAMS are open); `first` events are sent to it alone. */
  attach(res: ServerResponse, first?: readonly WebEventMessage[]): void;
  emit<T extends WebEventType>(type: T, data: WebEvents[T]): void;
  /** Open streams. */
  readonly size: number;
  /** Ends every stream. */
  close(): void;
}

export type WebEventMessage = { [T in WebEventType]: { readonly type: T; readonly data: WebEvents[T] } }[WebEventType];

function frame(type: string, data: unknown): string {
  // JSON.stringify never emits a raw newline, so one data line is enough.
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function createEventHub(options: { readonly keepaliveMs?: number } = {}): EventHub {
  const streams = new Set<ServerResponse>();
  const keepalive = setInterval(() => {
    for (const res of streams) res.write(': keep-alive\n\n');
  }, options.keepaliveMs ?? EVENT_KEEPALIVE_MS);
  keepalive.unref();

  return {
    attach(res, first = []) {
      if (streams.size >= MAX_EVENT_STREAMS) {
        throw new SamizdatError('TOO_LARGE', `at most ${MAX_EVENT_STREAMS} event streams may be open at once`, { detail: { limit: MAX_EVENT_STREAMS } });
      }
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.write('retry: 2000\n\n');
      for (const event of first) res.write(frame(event.type, event.data));
      streams.add(res);
      res.on('close', () => streams.delete(res));
      res.on('error', () => streams.delete(res)); // a write racing the page going away
    },
    emit(type, data) {
      const text = frame(type, data);
      for (const res of streams) res.write(text);
    },
    get size() {
      return streams.size;
    },
    close() {
      clearInterval(keepalive);
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}
