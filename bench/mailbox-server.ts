/**
 * The server side of the `mailbox` bench, run as its own process so the node and the load
 * generator do not share one event loop: N real service nodes (libp2p, SQLite in a temp dir,
 * mailbox + replication services) that all form one swarm of size k, plus a raw echo protocol on
 * node 0 for the side-by-side baseline. Prints one JSON line with the targets, then serves until
 * SIGTERM. Usage: node bench/mailbox-server.ts NODES K
 */
import { createNodeCryptoProvider } from '../src/crypto/node-provider.ts';
import { serveSession } from '../src/wire/index.ts';
import { startCluster } from '../test/node/mailbox-cluster.ts';

export const ECHO_PROTOCOL = '/samizdat/bench/echo/1.0.0';

const n = Number(process.argv[2] ?? '1');
const k = Number(process.argv[3] ?? '1');
const crypto = createNodeCryptoProvider();
// Rate limits and deposit proofs are lifted: the bench measures capacity, not the per-client or
// per-mailbox policy.
const unlimited = { ratePerSecond: 1e9, burst: 1e9 };
const cluster = await startCluster(crypto, n, { swarmSize: k, limits: { clientRate: unlimited, nodeRate: unlimited, depositPowBits: 0 } });
const node0 = cluster.node(0);
await node0.host.transport.handle(ECHO_PROTOCOL, (stream) => serveSession(stream, (body) => Promise.resolve(body)));
process.stdout.write(`${JSON.stringify({ targets: cluster.nodes.map((node) => node?.target) })}\n`);
const stop = (): void => {
  void cluster.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
