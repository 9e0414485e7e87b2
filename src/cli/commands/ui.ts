/** `samizdat ui`: serve the web UI for one profile on 127.0.0.1 until Ctrl-C. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readNetworkFile } from '../../directory/index.ts';
import { SamizdatError } from '../../errors.ts';
import { startWebServer, type WebServer } from '../../web/server.ts';
import { DEFAULT_STATIC_DIR } from '../../web/static-files.ts';
import { openClientNetwork } from '../client-runtime.ts';
import type { CommandSpec } from '../command.ts';
import { printJson, type CommandContext } from '../io.ts';
import { networkFileOf } from '../network-option.ts';
import { readPassphrase } from '../passphrase.ts';

/** A --port value: 0 (any free port) to 65535. */
export function parsePort(text: string | boolean | undefined, option: string): number {
  if (text === undefined || typeof text === 'boolean') return 0;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65_535) throw new SamizdatError('USAGE', `${option} must be a port number from 0 to 65535`);
  return Number(text);
}

/**
 * Starts the web server for the global --profile over the network file `networkFile` (read on
 * each connection attempt, so the UI may start before the network does) and prints its address
 * as `ui: URL` (--json: {"event": "ui", "url": URL}).
 */
export async function serveUi(ctx: CommandContext, options: { readonly port: number; readonly networkFile: string }): Promise<WebServer> {
  const { crypto, now } = ctx.io;
  const profileDir = ctx.global.profile;
  const passphrase = readPassphrase(ctx.io, ctx.global);
  const server = await startWebServer({
    crypto,
    now,
    profileDir,
    port: options.port,
    ...(passphrase === undefined ? {} : { passphrase }),
    // SAMIZDAT_DEBUG=1 shows what the page only sees as INTERNAL (as the CLI shows stack traces).
    onInternalError: (err) => {
      if (ctx.io.env.SAMIZDAT_DEBUG === '1') ctx.io.stderr(`ui: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    },
    connect: async () => await openClientNetwork(ctx.io, await readNetworkFile(options.networkFile), profileDir, { follow: true }),
  });
  if (!existsSync(path.join(DEFAULT_STATIC_DIR, 'index.html'))) {
    ctx.io.stderr('note: the web UI is not built (web/dist is missing); run `npm run build:web`, then reload the page\n');
  }
  if (ctx.global.json) printJson(ctx.io, { event: 'ui', url: server.url });
  else ctx.io.stdout(`ui: ${server.url}\n`);
  return server;
}

export const ui: CommandSpec = {
  path: ['ui'],
  summary: 'serve the web UI for a profile on 127.0.0.1 and print the address to open (Ctrl-C stops it)',
  options: { port: { type: 'string', value: 'N', description: 'port to listen on (default: any free port)' } },
  positionals: { min: 0, max: 0 },
  details: [
    'Prints `ui: http://127.0.0.1:PORT/#token=...`: open it in a browser on this computer. The token',
    'is new on every start and only this address works (it listens on 127.0.0.1 only).',
    'The page creates or restores an account when the profile has none, and asks for the',
    'passphrase of a protected profile (or set SAMIZDAT_PASSPHRASE / --passphrase-file).',
    'It receives messages as `watch` does while it runs; the network file is read again until the',
    'network can be reached, so it may start before `samizdat devnet up` is ready.',
    '--json prints {"event": "ui", "url": "..."}.',
  ],
  async run(ctx) {
    const port = parsePort(ctx.options.port, '--port');
    const shutdown = ctx.io.shutdownSignal();
    const server = await serveUi(ctx, { port, networkFile: networkFileOf(ctx.io, ctx.global) });
    const signal = await shutdown;
    if (!ctx.global.json) ctx.io.stderr(`stopping (received ${signal})\n`);
    await server.close();
    return 0;
  },
};
