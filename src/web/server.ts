/**
 * The local web server of the Samizdat client (issue 7): one profile, served on 127.0.0.1 only,
 * over node:http. It serves the built frontend (web/dist) and the JSON API under /api (api.ts),
 * including the event stream GET /api/events (events.ts). Security (security.ts): a random token
 * per start, shown to the user in the URL fragment and required on every /api request; a Host
 * check against DNS rebinding; a strict CSP; bounded bodies (http.ts). Nothing it logs carries a
 * token, a key or a message.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CryptoProvider, PasswordKdfParams } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import type { AccountSessionOptions, ConnectNetwork, Emit } from './account-session.ts';
import { matchRoute } from './api.ts';
import type { ApiCall, ApiContext } from './api-types.ts';
import { createEventHub } from './events.ts';
import { httpError, readJsonBody, sendError, sendJson } from './http.ts';
import { openProfileHost } from './profile-host.ts';
import { bearerToken, createToken, createTokenCheck, hostAllowed, originAllowed } from './security.ts';
import { DEFAULT_STATIC_DIR, serveStatic } from './static-files.ts';

/** The only address the server listens on. */
export const WEB_HOST = '127.0.0.1';

export interface WebServerOptions {
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  /** The profile directory served. */
  readonly profileDir: string;
  /** Connects the open account to the network (retried in the background until it works). */
  readonly connect: ConnectNetwork;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** A passphrase given at start (the profile opens at once instead of starting locked). */
  readonly passphrase?: string;
  /** The built frontend (default web/dist). */
  readonly staticDir?: string;
  /** Test knobs. */
  readonly kdfParams?: PasswordKdfParams;
  readonly session?: Pick<AccountSessionOptions, 'pollWaitMs' | 'minPollIntervalMs' | 'retryMs' | 'depositPowBits'>;
  readonly keepaliveMs?: number;
  /**
   * Told about errors that are not SamizdatErrors (bugs), which the client sees only as INTERNAL.
   * The CLI prints them with SAMIZDAT_DEBUG=1; they may name paths, never a token.
   */
  readonly onInternalError?: (err: unknown) => void;
}

export interface WebServer {
  readonly port: number;
  /** http://127.0.0.1:PORT/#token=TOKEN: what the user opens. Print it; never log it elsewhere. */
  readonly url: string;
  readonly token: string;
  /** Ends the event streams, stops the account session and closes the server. */
  close(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        err.code === 'EADDRINUSE'
          ? new SamizdatError('INVALID_ARGUMENT', `port ${port} on ${WEB_HOST} is in use; choose another with --port`)
          : new SamizdatError('STORAGE_FAILED', `cannot listen on ${WEB_HOST}:${port} (${err.code ?? 'error'})`, { cause: err }),
      );
    };
    server.once('error', onError);
    server.listen({ port, host: WEB_HOST }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Starts the server; PROFILE_CORRUPT, WRONG_PASSPHRASE (a given passphrase that is wrong) or a listen error otherwise. */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { crypto, now } = options;
  const token = createToken(crypto);
  const tokenCheck = createTokenCheck(crypto, token);
  const staticDir = options.staticDir ?? DEFAULT_STATIC_DIR;
  const hub = createEventHub(options.keepaliveMs === undefined ? {} : { keepaliveMs: options.keepaliveMs });
  const emit: Emit = (type, data) => hub.emit(type, data);
  const host = openProfileHost({
    crypto,
    now,
    dir: options.profileDir,
    connect: options.connect,
    emit,
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    ...(options.kdfParams === undefined ? {} : { kdfParams: options.kdfParams }),
    ...(options.session === undefined ? {} : { session: options.session }),
  });
  const ctx: ApiContext = { host, crypto, now, emit };
  let port = 0;

  const handleApi = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (!originAllowed(req.headers.origin, port)) throw httpError(403, 'REFUSED', 'requests from other sites are refused');
    const isEvents = url.pathname === '/api/events';
    const presented = bearerToken(req.headers.authorization) ?? (isEvents ? (url.searchParams.get('token') ?? undefined) : undefined);
    if (!tokenCheck.matches(presented)) throw httpError(401, 'REFUSED', 'missing or wrong token: open the address the server printed');
    if (isEvents) {
      if (req.method !== 'GET') throw httpError(405, 'INVALID_ARGUMENT', 'the event stream takes GET');
      const s = host.state();
      const view = s.account === null ? { online: false, path: null } : host.session().network();
      hub.attach(res, [{ type: 'network', data: { online: view.online, path: view.path } }]);
      return;
    }
    const match = matchRoute(req.method ?? '', url.pathname);
    if (match.kind === 'none') throw new SamizdatError('NOT_FOUND', `no API route ${url.pathname}`);
    if (match.kind === 'method') {
      sendError(res, httpError(405, 'INVALID_ARGUMENT', `${url.pathname} takes ${match.allowed.join(', ')}`), { Allow: match.allowed.join(', ') });
      return;
    }
    let body: Promise<Record<string, unknown>> | undefined;
    const call: ApiCall = { params: match.params, query: url.searchParams, body: () => (body ??= readJsonBody(req)) };
    const result = await match.handler(ctx, call);
    if (body === undefined) req.resume(); // a body nobody asked for is drained, not parsed
    sendJson(res, 200, result);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req.headers.host, port)) throw httpError(403, 'REFUSED', 'wrong Host header: open the UI at 127.0.0.1 or localhost');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${WEB_HOST}:${port}`);
    } catch {
      throw new SamizdatError('MALFORMED', 'bad request target');
    }
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) await handleApi(req, res, url);
    else await serveStatic(req, res, staticDir, url.pathname);
  };

  const server = createServer({ requestTimeout: 60_000, headersTimeout: 20_000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!(err instanceof SamizdatError)) options.onInternalError?.(err);
      // A refused or oversized request may still be sending its body: close rather than read it.
      const close = err instanceof SamizdatError && (err.code === 'TOO_LARGE' || err.detail.httpStatus === 403 || err.detail.httpStatus === 401);
      sendError(res, err, close ? { Connection: 'close' } : {});
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  try {
    port = await listen(server, options.port ?? 0);
  } catch (err) {
    hub.close();
    await host.close();
    throw err;
  }
  return {
    port,
    token,
    url: `http://${WEB_HOST}:${port}/#token=${token}`,
    async close() {
      hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await host.close();
    },
  };
}
