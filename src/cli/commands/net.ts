/** `samizdat net status` (the consensus) and `samizdat net path` (the client's onion path). */
import { openGuardStore } from '../../client/guard-store.ts';
import { CIRCUIT_BUILD_TIMEOUT_MS, MAX_BUILD_ATTEMPTS, createCircuitManager } from '../../client/onion-circuits.ts';
import { randomIntFrom } from '../../client/path-select.ts';
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

/** `samizdat net path`: build a circuit from the profile's pinned guards and show its hops. */
export const netPath: CommandSpec = {
  path: ['net', 'path'],
  summary: "build an onion circuit (pinned guard, middle, exit) and show the client's path",
  options: {},
  positionals: { min: 0, max: 0 },
  details: [
    'Fetches and verifies the consensus, loads (or picks) the two pinned guards kept in the profile',
    'directory (guards.json), and builds a real circuit guard -> middle -> exit, so success proves',
    'the path works.',
    '--json prints {"guard": {"peerId", "addresses"}, "middle": {...}, "exit": {...}, "buildMs": n}.',
  ],
  async run(ctx) {
    const network = await readNetworkFile(networkFileOf(ctx.io, ctx.global));
    const host = await createHost({ identitySeed: ctx.io.crypto.randomBytes(32), listen: [] });
    await host.start();
    try {
      const consensus = await fetchConsensus({ transport: host.transport, crypto: ctx.io.crypto, network, now: ctx.io.now });
      const randomInt = randomIntFrom((n) => ctx.io.crypto.randomBytes(n));
      const guards = await openGuardStore({ dir: ctx.global.profile, now: ctx.io.now, randomInt, allowSameSubnet: network.allowSameSubnet });
      let buildMs = 0;
      const circuits = createCircuitManager({
        transport: host.transport,
        crypto: ctx.io.crypto,
        now: ctx.io.now,
        consensus: () => consensus,
        guards,
        allowSameSubnet: network.allowSameSubnet,
        randomInt,
        observer: (e) => {
          if (e.kind === 'built') buildMs = e.ms;
          else if (e.kind === 'build-failed') ctx.io.stderr(`path through ${e.path.guard.peerId} failed: ${e.error.message}; trying another\n`);
        },
      });
      try {
        const circuit = await circuits.build({ deadlineMs: ctx.io.now() + CIRCUIT_BUILD_TIMEOUT_MS * MAX_BUILD_ATTEMPTS });
        const hop = (n: { peerId: string; addresses: readonly string[] }) => ({ peerId: n.peerId, addresses: n.addresses });
        const { guard, middle, exit } = circuit.path;
        if (ctx.global.json) {
          printJson(ctx.io, { guard: hop(guard), middle: hop(middle), exit: hop(exit), buildMs });
        } else {
          ctx.io.stdout(
            [
              `circuit built in ${buildMs} ms (guards pinned in ${guards.file}):`,
              `  guard   ${guard.peerId}  ${guard.addresses.join(' ')}`,
              `  middle  ${middle.peerId}  ${middle.addresses.join(' ')}`,
              `  exit    ${exit.peerId}  ${exit.addresses.join(' ')}`,
              '',
            ].join('\n'),
          );
        }
        return 0;
      } finally {
        circuits.close();
      }
    } finally {
      await host.stop();
    }
  },
};
