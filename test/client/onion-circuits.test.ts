// The client's circuits and onion channel against real in-process relays (src/onion's relay
// service on libp2p hosts over TCP loopback): requests reach the target and back, circuits are
// reused, the target is never a hop, each account's requests get circuits of their own, a dead
// middle gives PATH_FAILED{hop: 1} and a new path, idempotent requests retry on their own, and
// target errors arrive typed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openGuardStore } from '../../src/client/guard-store.ts';
import { createOnionChannel } from '../../src/client/onion-channel.ts';
import { createCircuitManager, type CircuitEvent } from '../../src/client/onion-circuits.ts';
import { createNodeCryptoProvider } from '../../src/crypto/index.ts';
import { SamizdatError, isSamizdatError } from '../../src/errors.ts';
import { createHost, type Host } from '../../src/node/host.ts';
import { startRelays, type TestRelays } from './onion-relays.ts';

const crypto = createNodeCryptoProvider();
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

let relays: TestRelays;
let client: Host;
let dir: string;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'samizdat-onion-client-'));
  relays = await startRelays(crypto, 7, async (i, request) => {
    const asked = text(request);
    if (asked === 'wrong-swarm') throw new SamizdatError('WRONG_SWARM', 'not mine');
    if (asked.startsWith('slow')) await new Promise((r) => setTimeout(r, 300));
    return bytes(`relay ${i} answers ${asked}`);
  });
  client = await createHost({ identitySeed: crypto.randomBytes(32), listen: [] });
  await client.start();
});
after(async () => {
  await client.stop();
  await relays.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function channel(name: string) {
  const events: CircuitEvent[] = [];
  const guards = await openGuardStore({ dir: path.join(dir, name), now: Date.now, randomInt: (n) => Math.floor(Math.random() * n), allowSameSubnet: true });
  const circuits = createCircuitManager({ transport: client.transport, crypto, now: Date.now, consensus: relays.consensus, guards, allowSameSubnet: true, observer: (e) => events.push(e) });
  return { events, guards, circuits, channel: createOnionChannel({ crypto, now: Date.now, consensus: relays.consensus, circuits }) };
}

const built = (events: readonly CircuitEvent[]) => events.filter((e) => e.kind === 'built');

describe('onion channel over in-process relays', { timeout: 60_000 }, () => {
  it('reaches the target, reuses one circuit, and never routes through the target', async () => {
    const { channel: ch, events } = await channel('a');
    try {
      const target = relays.relays[0]!.descriptor;
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => ch.request(target, bytes(`q${i}`), { timeoutMs: 5_000, idempotent: false })));
      answers.forEach((a, i) => assert.equal(text(a), `relay 0 answers q${i}`));
      assert.equal(built(events).length, 1, 'one circuit for 20 concurrent requests');
      // Every node as target: each request avoids its target as a hop.
      for (const r of relays.relays) assert.match(text(await ch.request(r.descriptor, bytes('x'), { timeoutMs: 5_000, idempotent: false })), /answers x/);
      for (const e of built(events)) {
        if (e.kind !== 'built') continue;
        assert.equal(new Set([e.path.guard.peerId, e.path.middle.peerId, e.path.exit.peerId]).size, 3);
      }
      for (const c of ch.circuits.circuits()) assert.ok(c.path !== undefined);
    } finally {
      ch.close();
    }
  });

  it('keeps each account\'s requests on circuits of their own, sharing one build per account', async () => {
    const { channel: ch, events } = await channel('isolation');
    try {
      const target = relays.relays[0]!.descriptor;
      const [a, b] = [crypto.randomBytes(32), crypto.randomBytes(32)];
      const ask = (account: Uint8Array | undefined, i: number) =>
        ch.request(target, bytes(`q${i}`), { timeoutMs: 5_000, idempotent: false, ...(account === undefined ? {} : { account }) });
      await Promise.all([a, b, undefined].flatMap((account) => Array.from({ length: 5 }, (_, i) => ask(account, i))));
      assert.equal(built(events).length, 3, 'one circuit for each of A, B and no account, however many requests');
      const live = ch.circuits.circuits();
      assert.deepEqual(live.map((c) => c.isolation).sort(), [Buffer.from(a).toString('hex'), Buffer.from(b).toString('hex'), ''].sort());
      // More requests about A ride A's circuit: nothing new is built.
      await ask(a, 9);
      assert.equal(built(events).length, 3);
    } finally {
      ch.close();
    }
  });

  it('passes the target handler errors through typed, keeping the circuit', async () => {
    const { channel: ch, events } = await channel('b');
    try {
      const target = relays.relays[1]!.descriptor;
      await assert.rejects(ch.request(target, bytes('wrong-swarm'), { timeoutMs: 5_000, idempotent: true }), (e: unknown) => isSamizdatError(e, 'WRONG_SWARM'));
      assert.match(text(await ch.request(target, bytes('ok'), { timeoutMs: 5_000, idempotent: true })), /answers ok/);
      assert.equal(built(events).length, 1);
    } finally {
      ch.close();
    }
  });

  it('looks a target up in the consensus of the moment: gone from a new one, it is PATH_FAILED{hop: 3}; back, it is reached', async () => {
    const { circuits } = await channel('c2');
    const full = relays.consensus();
    const target = relays.relays[2]!.descriptor;
    let current = full;
    const ch = createOnionChannel({ crypto, now: Date.now, consensus: () => current, circuits });
    try {
      assert.match(text(await ch.request(target, bytes('one'), { timeoutMs: 5_000, idempotent: true })), /answers one/);
      current = { ...full, nodes: full.nodes.filter((n) => n.peerId !== target.peerId) };
      await assert.rejects(
        ch.request(target, bytes('two'), { timeoutMs: 5_000, idempotent: true }),
        (e: unknown) => isSamizdatError(e, 'PATH_FAILED') && e.detail.hop === 3 && e.detail.reason === 'target-not-in-consensus',
      );
      current = { ...full };
      assert.match(text(await ch.request(target, bytes('three'), { timeoutMs: 5_000, idempotent: true })), /answers three/);
    } finally {
      ch.close();
    }
  });

  it('a target outside the consensus is PATH_FAILED{hop: 3}', async () => {
    const { channel: ch } = await channel('c');
    try {
      await assert.rejects(ch.request({ peerId: 'nobody', addresses: [] }, bytes('x'), { timeoutMs: 1_000, idempotent: true }), (e: unknown) => isSamizdatError(e, 'PATH_FAILED') && e.detail.hop === 3);
    } finally {
      ch.close();
    }
  });

  it('a middle that dies gives PATH_FAILED{hop: 1}, then a new path succeeds within the deadline', async () => {
    const { channel: ch, events } = await channel('d');
    try {
      // Find a target and a circuit, then stop that circuit's middle.
      const target = relays.relays[2]!.descriptor;
      await ch.request(target, bytes('warm'), { timeoutMs: 5_000, idempotent: false });
      const first = ch.circuits.circuits()[0]!;
      const middle = relays.relays.find((r) => r.descriptor.peerId === first.path.middle.peerId)!;
      const started = Date.now();
      const slow = ch.request(target, bytes('slow store'), { timeoutMs: 10_000, idempotent: false });
      await new Promise((r) => setTimeout(r, 50));
      await middle.host.stop(); // a crash: connections drop with the relay still holding the request
      await assert.rejects(slow, (e: unknown) => isSamizdatError(e, 'PATH_FAILED') && e.detail.hop === 1);
      // The next (non-idempotent) request builds a new path avoiding nothing in particular but works.
      const again = await ch.request(target, bytes('after'), { timeoutMs: 10_000 - (Date.now() - started), idempotent: false });
      assert.match(text(again), /answers after/);
      assert.ok(Date.now() - started < 10_000);
      assert.ok(built(events).length >= 2);
      const newest = ch.circuits.circuits()[0]!;
      assert.notEqual(newest.path.middle.peerId, middle.descriptor.peerId);
    } finally {
      ch.close();
    }
  });

  it('an idempotent request through a dead middle is retried on a new path by itself', async () => {
    const { channel: ch, events } = await channel('e');
    try {
      const alive = relays.relays.filter((r) => r.host.libp2p.status === 'started');
      const target = alive[0]!.descriptor;
      await ch.request(target, bytes('warm'), { timeoutMs: 5_000, idempotent: true });
      const first = ch.circuits.circuits()[0]!;
      const middle = relays.relays.find((r) => r.descriptor.peerId === first.path.middle.peerId)!;
      const pending = ch.request(target, bytes('slow read'), { timeoutMs: 10_000, idempotent: true });
      await new Promise((r) => setTimeout(r, 50));
      await middle.host.stop();
      assert.match(text(await pending), /answers slow read/);
      assert.ok(events.some((e) => e.kind === 'broken' && e.error.detail.hop === 1), 'the first path broke at hop 1');
    } finally {
      ch.close();
    }
  });
});
