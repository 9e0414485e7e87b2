/**
 * The web server (src/web) on 127.0.0.1:0 for tests, over an in-memory network
 * (memory-swarm.ts) instead of onion paths, with a fetch-based API client that sends the token
 * and a reader for the event stream. Used by src/web/*.test.ts; usable by browser tests too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ClientNetwork } from '../../src/client/client-network.ts';
import type { CryptoProvider, PasswordKdfParams } from '../../src/crypto/provider.ts';
import { startWebServer, type WebServer, type WebServerOptions } from '../../src/web/server.ts';
import type { MemoryNetwork } from './memory-swarm.ts';

/** Argon2id parameters cheap enough for tests (never for real profiles). */
export const TEST_KDF_PARAMS: PasswordKdfParams = { memoryKiB: 256, passes: 1, parallelism: 1 };

/** A ClientNetwork over the in-memory network, with a fixed status. */
export function memoryClientNetwork(net: MemoryNetwork): ClientNetwork {
  return {
    ...net.view(),
    prekeyRotationMs: 12 * 3_600_000,
    status: () => ({
      consensus: { validAfterMs: 1_000, validUntilMs: 2_000, nodes: 5 },
      path: { guard: 'member-1', middle: 'member-2', exit: 'member-3' },
      reachableNodes: 5,
    }),
    close: () => Promise.resolve(),
  };
}

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: unknown;
}

export interface SseEvent {
  readonly type: string;
  readonly data: unknown;
}

export interface EventReader {
  /** The next event of `type` matching `where` (earlier events of other kinds are skipped and kept). */
  next(type: string, where?: (data: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): void;
}

export interface WebHarness {
  readonly server: WebServer;
  readonly base: string;
  readonly profileDir: string;
  /** Non-Samizdat errors the server met (bugs): tests expect none. */
  readonly internalErrors: readonly unknown[];
  call(method: string, pathname: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer>;
  events(): Promise<EventReader>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly crypto: CryptoProvider;
  /** Default: a network nobody else uses. */
  readonly net?: MemoryNetwork;
  /** Default: a new temporary directory, removed on close. */
  readonly profileDir?: string;
  readonly connect?: WebServerOptions['connect'];
  readonly passphrase?: string;
  readonly staticDir?: string;
}

export async function startWebHarness(options: HarnessOptions): Promise<WebHarness> {
  const ownDir = options.profileDir === undefined;
  const profileDir = options.profileDir ?? mkdtempSync(path.join(tmpdir(), 'samizdat-web-'));
  const net = options.net;
  const internalErrors: unknown[] = [];
  const connect = options.connect ?? (net === undefined ? () => Promise.reject(new Error('no network in this test')) : () => Promise.resolve(memoryClientNetwork(net)));
  const server = await startWebServer({
    crypto: options.crypto,
    now: Date.now,
    profileDir,
    connect,
    kdfParams: TEST_KDF_PARAMS,
    session: { pollWaitMs: 0, minPollIntervalMs: 20, retryMs: 20, depositPowBits: 4 },
    onInternalError: (err) => {
      internalErrors.push(err);
      console.error('web server internal error:', err);
    },
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    ...(options.staticDir === undefined ? {} : { staticDir: options.staticDir }),
  });
  const base = `http://127.0.0.1:${server.port}`;
  const readers: EventReader[] = [];

  const call = async (method: string, pathname: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> => {
    const init: RequestInit = { method, headers: { Authorization: `Bearer ${server.token}`, ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json', ...init.headers };
    }
    const response = await fetch(`${base}${pathname}`, init);
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text === '' ? null : (JSON.parse(text) as unknown) };
  };

  const events = async (): Promise<EventReader> => {
    const controller = new AbortController();
    const response = await fetch(`${base}/api/events?token=${server.token}`, { signal: controller.signal });
    if (response.status !== 200 || response.body === null) throw new Error(`event stream answered ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const queue: SseEvent[] = [];
    let buffer = '';
    const pump = async (): Promise<void> => {
      const { value, done } = await reader.read();
      if (done) throw new Error('the event stream ended');
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (type !== undefined && data !== undefined) queue.push({ type, data: JSON.parse(data) as unknown });
      }
    };
    const eventReader: EventReader = {
      async next(type, where = () => true, timeoutMs = 20_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const index = queue.findIndex((e) => e.type === type && where(e.data as Record<string, unknown>));
          if (index >= 0) return queue.splice(index, 1)[0]!.data as Record<string, unknown>;
          const left = deadline - Date.now();
          if (left <= 0) throw new Error(`no ${type} event within ${timeoutMs} ms (seen: ${queue.map((e) => e.type).join(', ')})`);
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([pump(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${type} event within ${timeoutMs} ms`)), left)))]).finally(() =>
            clearTimeout(timer),
          );
        }
      },
      close() {
        controller.abort();
      },
    };
    readers.push(eventReader);
    return eventReader;
  };

  return {
    server,
    base,
    profileDir,
    internalErrors,
    call,
    events,
    async close() {
      for (const r of readers) r.close();
      await server.close();
      if (ownDir) rmSync(profileDir, { recursive: true, force: true });
    },
  };
}
