/** `samizdat authority run`: one directory authority in the foreground. */
import { toHex } from '../../crypto/bytes.ts';
import { peerIdOfPublicKey } from '../../directory/index.ts';
import { startAuthority } from '../../node/authority-runner.ts';
import { loadOrCreateIdentityKey } from '../../node/key-files.ts';
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

export const authorityKey: CommandSpec = {
  path: ['authority', 'key'],
  summary: 'create (if needed) and print an authority\'s public key, for the network file',
  options: {
    dir: { type: 'string', value: 'DIR', description: 'data directory (the key is DIR/identity.key)' },
  },
  positionals: { min: 0, max: 0 },
  details: ['--json prints {"publicKey": "<64 hex>", "peerId": "12D3Koo..."}. Only the public key leaves the machine.'],
  run(ctx) {
    const dir = typeof ctx.options.dir === 'string' ? ctx.options.dir : 'authority';
    const { key } = loadOrCreateIdentityKey(ctx.io.crypto, dir);
    const publicKey = toHex(key.publicKey);
    const peerId = peerIdOfPublicKey(key.publicKey);
    if (ctx.global.json) printJson(ctx.io, { publicKey, peerId });
    else ctx.io.stdout(`public key: ${publicKey}\npeer ID:    ${peerId}\n`);
    return Promise.resolve(0);
  },
};
