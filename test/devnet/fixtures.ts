/** A devnet of real processes for integration tests, plus a client host and swarm lookup. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMailboxClient, type MailboxClient } from '../../src/client/mailbox-client.ts';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import type { ChildMember } from '../../src/devnet/child.ts';
import { startDevnet, type RunningDevnet } from '../../src/devnet/devnet.ts';
import { fetchConsensus, fetchConsensusFrom, type Consensus } from '../../src/directory/index.ts';
import { createHost, type Host } from '../../src/node/host.ts';
import { createSwarmIndex } from '../../src/swarm/index.ts';
import type { PeerTarget } from '../../src/wire/index.ts';

export interface TestNet {
  readonly dir: string;
  readonly devnet: RunningDevnet;
  readonly crypto: CryptoProvider;
  readonly client: Host;
  readonly mailbox: MailboxClient;
  consensus(): Promise<Consensus>;
  /** The swarm of `account` as peer targets with their devnet member names, best first. */
  swarmOf(account: Uint8Array): Promise<(PeerTarget & { name: string })[]>;
  close(): Promise<void>;
}

/**
 * Starts a devnet of real processes for a test. Deposit proofs are off unless `depositPowBits` is
 * given: most tests store raw inbox messages without proofs; the messaging tests turn them on.
 */
export async function startTestNet(nodes: number, consensusPeriodMs = 2_000, options: { depositPowBits?: number } = {}): Promise<TestNet> {
  const crypto = createNodeCryptoProvider();
  const dir = mkdtempSync(path.join(tmpdir(), 'samizdat-net-'));
  const devnet = await startDevnet({ dir, nodes, crypto, now: Date.now, progress: () => undefined, consensusPeriodMs, depositPowBits: options.depositPowBits ?? 0 });
  const client = await createHost({ identitySeed: crypto.randomBytes(32), listen: [] });
  await client.start();
  const mailbox = createMailboxClient({ transport: client.transport, crypto, now: Date.now });
  // Right after start-up some sources (nodes used as seeds) may still serve the first, empty
  // consensus for up to a refresh interval: keep the newest seen and wait briefly for a full one.
  let newest: Consensus | undefined;
  const fetchOnce = async (): Promise<Consensus> => {
    const c = await fetchConsensus({ transport: client.transport, crypto, network: devnet.network, now: Date.now });
    if (newest === undefined || c.validAfterMs > newest.validAfterMs) newest = c;
    return newest;
  };
  const consensus = async (): Promise<Consensus> => {
    const deadline = Date.now() + 10_000;
    let c = await fetchOnce();
    while (c.nodes.length < nodes && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      c = await fetchOnce();
    }
    return c;
  };
  const names = new Map<string, string>();
  for (const [name, member] of devnet.members) names.set((await member.ready).peerId, name);
  await everyNodeListsAll(devnet, { transport: client.transport, crypto, network: devnet.network, now: Date.now }, nodes);
  return {
    dir,
    devnet,
    crypto,
    client,
    mailbox,
    consensus,
    async swarmOf(account) {
      const c = await consensus();
      const index = createSwarmIndex(crypto, c.nodes.map((n) => n.nodeId));
      return index.swarmOf(account, c.swarmSize).map((i) => {
        const n = c.nodes[i];
        if (n === undefined) throw new Error('index out of range');
        return { peerId: n.peerId, addresses: n.addresses, name: names.get(n.peerId) ?? '?' };
      });
    },
    async close() {
      mailbox.close();
      await client.stop();
      await devnet.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until every node serves a consensus that lists all `nodes` nodes. The client's view fills
 * first (consensus() above); a node's own follower catches up within a quarter period, and until
 * then its swarms differ from the client's: a store it acknowledges may find fewer replicas than
 * the swarm the client computed (seen as `replicas 1` in the network tests under a full parallel
 * run).
 */
async function everyNodeListsAll(devnet: RunningDevnet, options: Parameters<typeof fetchConsensusFrom>[0], nodes: number): Promise<void> {
  const members = [...devnet.members].filter(([name]) => name.startsWith('node-')).map(([, member]) => member);
  const listsAll = async (member: ChildMember): Promise<boolean> =>
    ((await fetchConsensusFrom(options, await member.ready, 0))?.nodes.length ?? 0) >= nodes;
  await eventually(async () => (await Promise.all(members.map(listsAll))).every(Boolean), 30_000, `every devnet node to list all ${nodes} nodes`);
}

/** Polls `check` every 250 ms until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // retry until the deadline
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
