/** `samizdat net status`: fetch and verify the current consensus from any reachable node. */
import { fetchConsensus, readNetworkFile } from '../../directory/index.ts';
import { createHost } from '../../node/host.ts';
import type { CommandSpec } from '../command.ts';
import { printJson } from '../io.ts';
import { networkFileOf } from '../network-option.ts';

export const netStatus: CommandSpec = {
  path: ['net', 'status'],
  summary: 'fetch and verify the current consensus and list its nodes',
  options: {},
  positionals: { min: 0, max: 0 },
  details: ['--json prints {"network", "validAfter", "validUntil", "signers", "nodes": [{"id", "peerId", "addresses", "version"}]} (times in ms since the epoch).'],
  async run(ctx) {
    const network = await readNetworkFile(networkFileOf(ctx.io, ctx.global));
    const host = await createHost({ identitySeed: ctx.io.crypto.randomBytes(32), listen: [] });
    await host.start();
    try {
      const consensus = await fetchConsensus({ transport: host.transport, crypto: ctx.io.crypto, network, now: ctx.io.now });
      const nodes = consensus.nodes.map((n) => ({ id: Buffer.from(n.nodeId).toString('hex'), peerId: n.peerId, addresses: n.addresses, version: n.version }));
      if (ctx.global.json) {
        printJson(ctx.io, { network: consensus.network, validAfter: consensus.validAfterMs, validUntil: consensus.validUntilMs, signers: consensus.signers, nodes });
      } else {
        const iso = (ms: number): string => new Date(ms).toISOString();
        ctx.io.stdout(
          [
            `network ${consensus.network}: consensus valid ${iso(consensus.validAfterMs)} .. ${iso(consensus.validUntilMs)}, signed by ${consensus.signers.join(', ')}`,
            `${nodes.length} nodes:`,
            ...nodes.map((n) => `  ${n.peerId}  ${n.addresses.join(' ')}`),
            '',
          ].join('\n'),
        );
      }
      return 0;
    } finally {
      await host.stop();
    }
  },
};
