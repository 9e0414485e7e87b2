// The service-node network as separate OS processes on 127.0.0.1 (issue 3's integration tests):
// a plain libp2p peer sees our protocols, a store at one member is served by another, acknowledged
// stores survive SIGKILL, and a swarm tolerates two members down and catches them up.
import assert from 'node:assert/strict';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openMailboxStore } from '../../src/node/mailbox-store.ts';
import { DEVNET_CONSENSUS_PERIOD_MS } from '../../src/devnet/devnet.ts';
import { eventually, startTestNet, type TestNet } from './fixtures.ts';

const NODES = 6;
let net: TestNet;

before(async () => {
  // The devnet's own 5 s period, not the fixture's 2 s: in a full parallel test run a 2 s period
  // let busy nodes miss probes and drop out of a consensus, or lag one behind, mid-test.
  net = await startTestNet(NODES, DEVNET_CONSENSUS_PERIOD_MS);
});
after(async () => {
  await net.close();
});

function newAccount() {
  const identityKey = net.crypto.generateKey('ed25519');
  return { identityKey, account: identityKey.publicKey };
}

const DAY = 86_400_000;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('service-node network (real processes)', { timeout: 240_000 }, () => {
  it('a plain js-libp2p peer with identify dials a node and sees its protocols', async () => {
    const consensus = await net.consensus();
    const node = consensus.nodes[0];
    assert.ok(node !== undefined);
    const peer = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], services: { identify: identify() } });
    try {
      const address = node.addresses[0] ?? '';
      await peer.dial(multiaddr(`${address}/p2p/${node.peerId}`));
      await eventually(async () => (await peer.peerStore.get(peer.getConnections()[0]!.remotePeer)).protocols.includes('/samizdat/mailbox/1.0.0'), 10_000, 'identify');
      const protocols = (await peer.peerStore.get(peer.getConnections()[0]!.remotePeer)).protocols;
      for (const p of ['/samizdat/mailbox/1.0.0', '/samizdat/replicate/1.0.0', '/samizdat/dir/consensus/1.0.0', '/ipfs/id/1.0.0']) {
        assert.ok(protocols.includes(p), `${p} in ${protocols.join(', ')}`);
      }
    } finally {
      await peer.stop();
    }
  });

  it('a message stored via one swarm member is retrieved via another', async () => {
    const { account, identityKey } = newAccount();
    const [a, b] = await net.swarmOf(account);
    assert.ok(a !== undefined && b !== undefined);
    const stored = await net.mailbox.store(a, { account, namespace: 'inbox', body: new Uint8Array([1, 2, 3]), ttlMs: DAY });
    assert.ok(stored.replicas >= 2, `replicas ${stored.replicas}`);
    await eventually(async () => {
      const got = await net.mailbox.retrieve(b, { account, namespace: 'inbox', identityKey });
      return got.messages.some((m) => hex(m.id) === hex(stored.id));
    }, 10_000, 'replication to the second member');
  });

  it('every acknowledged store survives a SIGKILL of the node that acknowledged it', async () => {
    const { account, identityKey } = newAccount();
    const [target] = await net.swarmOf(account);
    assert.ok(target !== undefined);
    const member = net.devnet.members.get(target.name);
    assert.ok(member !== undefined);
    const acked: string[] = [];
    let killed = false;
    let sent = 0;
    const worker = async (): Promise<void> => {
      while (sent < 1_000 && !killed) {
        const i = sent++;
        try {
          const r = await net.mailbox.store(target, { account, namespace: 'inbox', body: new TextEncoder().encode(`message ${i}`), ttlMs: DAY });
          acked.push(hex(r.id));
          if (acked.length === 300 && !killed) {
            killed = true;
            member.process.kill('SIGKILL');
          }
        } catch {
          // after the kill every store fails; that is expected
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.ok(killed && acked.length >= 300, `acked ${acked.length} of ${sent}`);
    await member.exited;
    const store = openMailboxStore({ path: path.join(net.dir, target.name, 'mailbox.db'), crypto: net.crypto, now: Date.now });
    try {
      const held = new Set(store.ids(account, 'inbox').map(hex));
      const missing = acked.filter((id) => !held.has(id));
      assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged stores lost`);
    } finally {
      store.close();
    }
    await net.devnet.restart(target.name);
    await eventually(async () => {
      const ids = new Set<string>();
      let after = 0n;
      for (;;) {
        const page = await net.mailbox.retrieve(target, { account, namespace: 'inbox', identityKey, after, limit: 256 });
        for (const m of page.messages) ids.add(hex(m.id));
        const last = page.messages.at(-1);
        if (!page.more || last === undefined) break;
        after = last.cursor;
      }
      return acked.every((id) => ids.has(id));
    }, 20_000, 'the restarted node to serve every acknowledged message');
  });

  it('with 2 of 5 swarm members down every message is still served; restarted members catch up', async () => {
    const { account, identityKey } = newAccount();
    const swarm = await net.swarmOf(account);
    assert.equal(swarm.length, 5);
    const [first] = swarm;
    assert.ok(first !== undefined);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(hex((await net.mailbox.store(first, { account, namespace: 'inbox', body: new Uint8Array([i]), ttlMs: DAY })).id));
    const down = swarm.slice(3);
    const up = swarm.slice(0, 3);
    await Promise.all(down.map((m) => net.devnet.members.get(m.name)?.stop() ?? Promise.resolve()));
    for (let i = 40; i < 60; i++) ids.push(hex((await net.mailbox.store(first, { account, namespace: 'inbox', body: new Uint8Array([i]), ttlMs: DAY })).id));
    const holds = async (target: (typeof swarm)[number]): Promise<boolean> => {
      const got = await net.mailbox.retrieve(target, { account, namespace: 'inbox', identityKey, limit: 256 });
      const have = new Set(got.messages.map((m) => hex(m.id)));
      return ids.every((id) => have.has(id));
    };
    for (const member of up) await eventually(() => holds(member), 15_000, `${member.name} to hold all 60`);
    for (const member of down) await net.devnet.restart(member.name);
    try {
      for (const member of down) await eventually(() => holds(member), 60_000, `restarted ${member.name} to catch up`);
    } catch (err) {
      for (const member of swarm) {
        const log = readFileSync(path.join(net.dir, 'logs', `${member.name}.log`), 'utf8').trim().split('\n');
        console.error(`--- ${member.name} (last lines)\n${log.slice(-15).join('\n')}`);
      }
      throw err;
    }
  });
});
