/** `samizdat authority run`: one directory authority in the foreground. */
import { startAuthority } from '../../node/authority-runner.ts';
import { createJsonLogger } from '../../node/logger.ts';
import type { CommandSpec } from '../command.ts';
import { printJson } from '../io.ts';
import { networkFileOf } from '../network-option.ts';

export const authorityRun: CommandSpec = {
  path: ['authority', 'run'],
  summary: 'run a directory authority (foreground; Ctrl-C stops it)',
  options: {
    dir: { type: 'string', value: 'DIR', description: 'data directory (key, cached consensus)' },
    listen: { type: 'string', value: 'MULTIADDR', description: 'listen address (default: this authority\'s address in the network file)' },
  },
  positionals: { min: 0, max: 0 },
  details: [
    'The authority\'s key is DIR/identity.key (made on first start); its public key must be listed in',
    'the network file. Logs go to standard error as JSON lines.',
  ],
  async run(ctx) {
    const dir = typeof ctx.options.dir === 'string' ? ctx.options.dir : 'authority';
    const listen = typeof ctx.options.listen === 'string' ? [ctx.options.listen] : undefined;
    const logger = createJsonLogger({ write: ctx.io.stderr, now: ctx.io.now, component: 'authority' });
    const shutdown = ctx.io.shutdownSignal();
    const authority = await startAuthority({
      dir,
      networkFile: networkFileOf(ctx.io, ctx.global),
      ...(listen === undefined ? {} : { listen }),
      crypto: ctx.io.crypto,
      now: ctx.io.now,
      logger,
    });
    if (ctx.global.json) printJson(ctx.io, { event: 'ready', peerId: authority.peerId, addresses: authority.addresses });
    else ctx.io.stdout(`authority ${authority.peerId} of network "${authority.network.name}" listening on ${authority.addresses.join(' ')}\n`);
    await shutdown;
    await authority.stop();
    return 0;
  },
};
