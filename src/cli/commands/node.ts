/** `samizdat node run`: one service node in the foreground. */
import { SamizdatError } from '../../errors.ts';
import { MAX_DEPOSIT_POW_BITS } from '../../identity/deposit-proof.ts';
import { createJsonLogger } from '../../node/logger.ts';
import { startServiceNode } from '../../node/service-node.ts';
import type { CommandSpec } from '../command.ts';
import { parseByteSize } from '../byte-size.ts';
import { printJson } from '../io.ts';
import { networkFileOf } from '../network-option.ts';

/**
 * The smallest `--max-storage`: 64 MiB, one full inbox. Below that a node would refuse most of
 * what its swarms send it; a typo such as `--max-storage 8` (bytes) fails at start instead.
 */
export const MIN_STORAGE_QUOTA_BYTES = 64 * 1024 * 1024;

/** Default listen address of a node: all IPv4 interfaces, TCP port 4100. */
export const DEFAULT_NODE_LISTEN = '/ip4/0.0.0.0/tcp/4100';

export const nodeRun: CommandSpec = {
  path: ['node', 'run'],
  summary: 'run a service node: stores ciphertext for its swarms and serves the consensus',
  options: {
    dir: { type: 'string', value: 'DIR', description: 'data directory (key, mailbox database, cached consensus)' },
    listen: { type: 'string', value: 'MULTIADDR', description: `listen address (default ${DEFAULT_NODE_LISTEN}); IP literals only` },
    announce: { type: 'string', value: 'MULTIADDR', description: 'address to publish instead of the listen address (e.g. the public IP behind NAT)' },
    metrics: { type: 'string', value: 'IP:PORT', description: 'serve Prometheus metrics at http://IP:PORT/metrics (e.g. 127.0.0.1:9464)' },
    'sync-interval': { type: 'string', value: 'MS', description: 'anti-entropy interval with swarm peers (default 10000)' },
    'deposit-pow-bits': { type: 'string', value: 'BITS', description: 'proof of work asked of deposits from strangers (default 18; 0 turns deposit proofs off, for tests)' },
    'max-storage': { type: 'string', value: 'SIZE', description: 'most the node stores, e.g. 500M or 20G (default 8G); past it new items go to other swarm members' },
  },
  positionals: { min: 0, max: 0 },
  details: ['The node key is DIR/identity.key (made on first start). Logs go to standard error as JSON lines.'],
  async run(ctx) {
    const dir = typeof ctx.options.dir === 'string' ? ctx.options.dir : 'node';
    const listen = typeof ctx.options.listen === 'string' ? ctx.options.listen : DEFAULT_NODE_LISTEN;
    const logger = createJsonLogger({ write: ctx.io.stderr, now: ctx.io.now, component: 'node' });
    const shutdown = ctx.io.shutdownSignal();
    const metrics = typeof ctx.options.metrics === 'string' ? { metrics: ctx.options.metrics } : {};
    const syncText = ctx.options['sync-interval'];
    if (typeof syncText === 'string' && (!/^\d{1,9}$/.test(syncText) || Number(syncText) < 100)) throw new SamizdatError('USAGE', '--sync-interval wants milliseconds (at least 100)');
    const sync = typeof syncText === 'string' ? { antiEntropyIntervalMs: Number(syncText) } : {};
    const announce = typeof ctx.options.announce === 'string' ? { announce: [ctx.options.announce] } : {};
    const bitsText = ctx.options['deposit-pow-bits'];
    if (typeof bitsText === 'string' && (!/^\d{1,2}$/.test(bitsText) || Number(bitsText) > MAX_DEPOSIT_POW_BITS)) throw new SamizdatError('USAGE', `--deposit-pow-bits wants 0..${MAX_DEPOSIT_POW_BITS}`);
    const pow = typeof bitsText === 'string' ? { depositPowBits: Number(bitsText) } : {};
    const storageText = ctx.options['max-storage'];
    const storage = typeof storageText === 'string' ? { maxStorageBytes: parseByteSize(storageText, '--max-storage', MIN_STORAGE_QUOTA_BYTES) } : {};
    const node = await startServiceNode({ dir, networkFile: networkFileOf(ctx.io, ctx.global), listen: [listen], crypto: ctx.io.crypto, now: ctx.io.now, logger, ...metrics, ...sync, ...announce, ...pow, ...storage });
    if (ctx.global.json) printJson(ctx.io, { event: 'ready', peerId: node.peerId, addresses: node.addresses });
    else ctx.io.stdout(`node ${node.peerId} of network "${node.network.name}" listening on ${node.addresses.join(' ')}\n`);
    await shutdown;
    await node.stop();
    return 0;
  },
};
