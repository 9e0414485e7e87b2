/** `samizdat devnet up`: a complete local network in the foreground. */
import path from 'node:path';
import { DEFAULT_DEVNET_NODES, startDevnet } from '../../devnet/devnet.ts';
import { SamizdatError } from '../../errors.ts';
import type { CommandSpec } from '../command.ts';
import { printJson } from '../io.ts';
import { defaultDevnetDir } from '../network-option.ts';
import type { WebServer } from '../../web/server.ts';
import { parsePort, serveUi } from './ui.ts';

export const devnetUp: CommandSpec = {
  path: ['devnet', 'up'],
  summary: 'start 3 authorities and N service nodes on 127.0.0.1 (foreground; Ctrl-C stops them all)',
  options: {
    nodes: { type: 'string', value: 'N', description: `number of service nodes (default ${DEFAULT_DEVNET_NODES})` },
    dir: { type: 'string', value: 'DIR', description: 'devnet directory (default ~/.samizdat/devnet)' },
    ui: { type: 'boolean', description: 'once ready, also serve the web UI for --profile (as `samizdat ui`) and print its address' },
    'ui-port': { type: 'string', value: 'N', description: 'port of the web UI (default: any free port)' },
  },
  positionals: { min: 0, max: 0 },
  details: [
    'Each member is a separate process running `samizdat authority run` or `samizdat node run`;',
    'logs are in DIR/logs. When a consensus listing every node is signed, DIR/network.json is',
    'written and `ready: DIR/network.json` printed; other commands use that file by default.',
    'With --ui (what `npm start` passes) the web UI for the profile (--profile, default',
    '~/.samizdat/profile) is served over this devnet and `ui: http://127.0.0.1:PORT/#token=...` printed.',
  ],
  async run(ctx) {
    const nodesText = typeof ctx.options.nodes === 'string' ? ctx.options.nodes : String(DEFAULT_DEVNET_NODES);
    if (!/^\d+$/.test(nodesText)) throw new SamizdatError('USAGE', '--nodes must be a whole number');
    const uiPort = parsePort(ctx.options['ui-port'], '--ui-port');
    const dir = path.resolve(typeof ctx.options.dir === 'string' ? ctx.options.dir : defaultDevnetDir(ctx.io));
    const shutdown = ctx.io.shutdownSignal();
    const progress = (line: string): void => {
      if (ctx.global.json) printJson(ctx.io, { event: 'progress', message: line });
      else ctx.io.stdout(`${line}\n`);
    };
    const devnet = await startDevnet({ dir, nodes: Number(nodesText), crypto: ctx.io.crypto, now: ctx.io.now, progress });
    if (ctx.global.json) printJson(ctx.io, { event: 'ready', networkFile: devnet.networkFile });
    else ctx.io.stdout(`ready: ${devnet.networkFile}\n`);
    devnet.onMemberExit((name, status) => progress(`${name} exited (${status}); the rest keep running`));
    let ui: WebServer | undefined;
    if (ctx.options.ui === true) {
      try {
        ui = await serveUi(ctx, { port: uiPort, networkFile: devnet.networkFile });
      } catch (err) {
        await devnet.stop();
        throw err;
      }
    }
    const signal = await shutdown;
    progress(`stopping (received ${signal})`);
    await ui?.close();
    await devnet.stop();
    progress('stopped');
    return 0;
  },
};
