/**
 * `mailbox`: store and retrieve RPCs per second against one service node, next to a raw echo RPC
 * over the same libp2p connection in the same run; then the cost of k = 5 replication.
 * The nodes run in a child process (bench/mailbox-server.ts); this process generates the load with
 * the real mailbox client (owner-signed retrieves, 1 KiB bodies, 64 requests in flight).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createMailboxClient } from '../../src/client/mailbox-client.ts';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import { SERVICE_NODE_V8_FLAGS } from '../../src/node/heap-flags.ts';
import { createHost } from '../../src/node/host.ts';
import { RpcSession, type PeerTarget } from '../../src/wire/index.ts';
import type { BenchRow, BenchSuite } from '../report.ts';

const ECHO_PROTOCOL = '/samizdat/bench/echo/1.0.0';
const CONCURRENCY = 64;
const BODY_BYTES = 1024;
const SECONDS = 3;
const DAY = 86_400_000;

interface Server {
  readonly targets: PeerTarget[];
  stop(): Promise<void>;
}

async function startServer(nodes: number, k: number): Promise<Server> {
  const child = spawn(process.execPath, [...SERVICE_NODE_V8_FLAGS, path.join(import.meta.dirname, '../mailbox-server.ts'), String(nodes), String(k)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited (${code})`)));
  });
  const { targets } = JSON.parse(line) as { targets: PeerTarget[] };
  return {
    targets,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Runs `op` from CONCURRENCY workers for SECONDS; returns completed operations per second. */
async function rate(op: (worker: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < CONCURRENCY; i++) await op(i); // warm-up: sessions, JIT
  let done = 0;
  const until = performance.now() + SECONDS * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      while (performance.now() < until) {
        await op(w);
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

async function measure(nodes: number, k: number): Promise<{ echo: number; store: number; retrieve: number }> {
  const crypto = createNodeCryptoProvider();
  const server = await startServer(nodes, k);
  const client = await createHost({ identitySeed: crypto.randomBytes(32), listen: [] });
  await client.start();
  const mailbox = createMailboxClient({ transport: client.transport, crypto, now: Date.now });
  try {
    const target = server.targets[0];
    if (target === undefined) throw new Error('no bench target');
    const body = crypto.randomBytes(BODY_BYTES);
    const echo = new RpcSession(await client.transport.dial(target, ECHO_PROTOCOL, AbortSignal.timeout(5_000)));
    // One account per worker keeps every inbox under its message cap.
    const accounts = Array.from({ length: CONCURRENCY }, () => crypto.generateKey('ed25519'));
    const account = (w: number) => accounts[w % accounts.length]!;
    const echoRate = await rate(() => echo.request(body, { timeoutMs: 10_000 }));
    const storeRate = await rate((w) => mailbox.store(target, { account: account(w).publicKey, namespace: 'inbox', body, ttlMs: DAY }));
    const retrieveRate = await rate((w) => mailbox.retrieve(target, { account: account(w).publicKey, namespace: 'inbox', identityKey: account(w), limit: 1 }));
    echo.close();
    return { echo: echoRate, store: storeRate, retrieve: retrieveRate };
  } finally {
    mailbox.close();
    await client.stop();
    await server.stop();
  }
}

export const suite: BenchSuite = {
  name: 'mailbox',
  description: `store/retrieve RPC/s on one node vs a raw echo RPC on the same connection (${CONCURRENCY} in flight, ${BODY_BYTES} B bodies), then k = 5`,
  async run(): Promise<BenchRow[]> {
    const single = await measure(1, 1);
    const replicated = await measure(5, 5);
    return [
      { metric: 'echo RPC (1 node)', value: single.echo, unit: 'rpc/s' },
      { metric: 'store RPC (1 node, no replication)', value: single.store, unit: 'rpc/s', peer: 'echo RPC', ratio: single.store / single.echo, target: '>= 0.5 of echo and >= 5000/s' },
      { metric: 'retrieve RPC, owner-signed (1 node)', value: single.retrieve, unit: 'rpc/s', peer: 'echo RPC', ratio: single.retrieve / single.echo },
      { metric: 'echo RPC (5-node run)', value: replicated.echo, unit: 'rpc/s' },
      { metric: 'store RPC (k = 5 replication, 5 nodes in one process)', value: replicated.store, unit: 'rpc/s', peer: 'store without replication', ratio: replicated.store / single.store },
      { metric: 'retrieve RPC (k = 5 run)', value: replicated.retrieve, unit: 'rpc/s', peer: 'echo RPC (5-node run)', ratio: replicated.retrieve / replicated.echo },
    ];
  },
};
