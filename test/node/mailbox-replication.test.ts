/**
 * Replication and anti-entropy across five real nodes on loopback (k = 5): a store at one member
 * reaches the others; with two members down every message stays retrievable; restarted on their
 * old databases they catch up; a consensus change hands an account off to a new member.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import { createMailboxClient, type MailboxClient } from '../../src/client/mailbox-client.ts';
import type { PrivateKey } from '../../src/crypto/provider.ts';
import type { Host } from '../../src/node/host.ts';
import { createSwarmView } from '../../src/node/swarm-view-impl.ts';
import { REPLICATION_PROTOCOL } from '../../src/node/replication.ts';
import { RpcSession, encodeMessage } from '../../src/wire/index.ts';
import { create } from '@bufbuild/protobuf';
import { ReplicaDeleteSchema, ReplicaRequestSchema, ReplicaPushSchema } from '../../src/wire/gen/samizdat/v1/mailbox_pb.ts';
import { deleteRequestDigest, signOwnerAuth } from '../../src/identity/request-auth.ts';
import { MAX_DELETE_PROOF_AGE_MS } from '../../src/node/delete-proof.ts';
import { isSamizdatError } from '../../src/errors.ts';
import {
  eventually,
  memberOf,
  nodeSpec,
  startClientHost,
  startCluster,
  startDirectClient,
  startHost,
  startServices,
  type Cluster,
  type DirectClient,
  type RunningNode,
} from './mailbox-cluster.ts';

const crypto = createNodeCryptoProvider();
const TTL = 3_600_000;
/** These tests are about replication: inbox deposits need no proof here (deposit-proofs.test.ts covers them). */
const NO_DEPOSIT_PROOFS = { depositPowBits: 0 };

function text(body: Uint8Array): string {
  return new TextDecoder().decode(body);
}

describe('mailbox replication across five nodes', () => {
  let cluster: Cluster;
  let clientHost: Host;
  let client: MailboxClient;
  let owner: PrivateKey;
  let account: Uint8Array;

  before(async () => {
    cluster = await startCluster(crypto, 5, { antiEntropyIntervalMs: 200, limits: NO_DEPOSIT_PROOFS });
    clientHost = await startClientHost(crypto);
    client = createMailboxClient({ transport: clientHost.transport, crypto, now: Date.now });
    owner = crypto.generateKey('ed25519');
    account = owner.publicKey;
  });

  after(async () => {
    client.close();
    await clientHost.stop();
    await cluster.close();
  });

  const readAll = async (node: RunningNode): Promise<string[]> => {
    const out: string[] = [];
    let cursor = 0n;
    for (;;) {
      const page = await client.retrieve(node.target, { account, namespace: 'inbox', after: cursor, identityKey: owner });
      out.push(...page.messages.map((m) => text(m.body)));
      const last = page.messages[page.messages.length - 1];
      if (!page.more || last === undefined) return out.sort();
      cursor = last.cursor;
    }
  };

  it('stores via member A and retrieves via member B; all five hold it', async () => {
    const stored = await client.store(cluster.node(0).target, { account, namespace: 'inbox', body: new TextEncoder().encode('m0'), ttlMs: TTL });
    assert.equal(stored.replicas, 5);
    assert.equal(stored.id.length, 32);
    const got = await client.retrieve(cluster.node(1).target, { account, namespace: 'inbox', identityKey: owner });
    assert.deepEqual(got.messages.map((m) => text(m.body)), ['m0']);
    assert.deepEqual(got.messages[0]?.id, stored.id);
  });

  it('keeps every message retrievable with two of five members down, and the restarted ones catch up', async () => {
    await cluster.stopNode(3);
    await cluster.stopNode(4);
    const expected = ['m0'];
    for (let i = 1; i <= 20; i++) {
      const body = `m${i}`;
      const r = await client.store(cluster.node(i % 3).target, { account, namespace: 'inbox', body: new TextEncoder().encode(body), ttlMs: TTL });
      assert.equal(r.replicas, 3, 'the two stopped members cannot acknowledge');
      expected.push(body);
    }
    expected.sort();
    for (const i of [0, 1, 2]) assert.deepEqual(await readAll(cluster.node(i)), expected);

    const restarted = [await cluster.restartNode(3), await cluster.restartNode(4)];
    // They start with what they held (m0) and must receive the rest from anti-entropy only.
    for (const node of restarted) assert.ok(node.store.digestOf(account, 'inbox').count < expected.length);
    await eventually(() => restarted.every((n) => n.store.digestOf(account, 'inbox').count === expected.length), 10_000, 'restarted nodes to catch up');
    for (const node of restarted) assert.deepEqual(await readAll(node), expected);
  });

  it('refuses replication from a peer that is not a node of the consensus', async () => {
    const stream = await clientHost.transport.dial(cluster.node(0).target, REPLICATION_PROTOCOL, AbortSignal.timeout(5_000));
    const session = new RpcSession(stream);
    const push = create(ReplicaRequestSchema, { request: { case: 'push', value: create(ReplicaPushSchema, { items: [] }) } });
    await assert.rejects(session.request(encodeMessage(ReplicaRequestSchema, push), { timeoutMs: 5_000 }), (err: unknown) => isSamizdatError(err, 'PATH_FAILED'));
    session.close();
  });

  it('hands an account off when a new member joins its swarm, then drops it', async () => {
    // A newcomer whose key puts it into the account's swarm: with six nodes and k = 5, one of the
    // five old members leaves that swarm (it stays a node of the consensus).
    let spec = nodeSpec(crypto, cluster.dir, 'newcomer');
    const swarmWith = (candidate: typeof spec) =>
      createSwarmView({ crypto, selfNodeId: candidate.nodeId, members: [...cluster.members, memberOf(crypto, candidate, ['/ip4/127.0.0.1/tcp/1'])] }).swarmOf(account);
    while (!swarmWith(spec).some((m) => m.peerId === spec.peerId)) spec = nodeSpec(crypto, cluster.dir, 'newcomer');
    const host = await startHost(spec);
    const members = [...cluster.members, memberOf(crypto, spec, [spec.listen])];
    const newcomer = await startServices(spec, host, { crypto, members, antiEntropyIntervalMs: 200 });
    try {
      const inSwarm = new Set(newcomer.swarm.swarmOf(account).map((m) => m.peerId));
      const leavingIndex = cluster.specs.findIndex((s) => !inSwarm.has(s.peerId));
      const leaving = cluster.node(leavingIndex);
      const held = leaving.store.digestOf(account, 'inbox').count;
      assert.ok(held > 0);
      cluster.members = members;
      for (let i = 0; i < 5; i++) cluster.node(i).swarm.update(members);
      await eventually(() => leaving.store.accounts().length === 0, 10_000, 'the leaving member to hand off and drop the account');
      await eventually(() => newcomer.store.digestOf(account, 'inbox').count === held, 10_000, 'the newcomer to hold the account');
      assert.equal((await readAll(newcomer)).length, held);
      // The old member now answers WRONG_SWARM with the new swarm.
      await assert.rejects(client.retrieve(leaving.target, { account, namespace: 'inbox', identityKey: owner }), (err: unknown) => {
        assert.ok(isSamizdatError(err, 'WRONG_SWARM'));
        const swarm = err.detail['swarm'] as { peerId: string }[];
        assert.deepEqual(swarm.map((m) => m.peerId).sort(), [...inSwarm].sort());
        return true;
      });
    } finally {
      await newcomer.stop();
    }
  });
});

describe('anti-entropy with inboxes larger than one answer', () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster(crypto, 2, { limits: NO_DEPOSIT_PROOFS });
  });

  after(async () => {
    await cluster.close();
  });

  it('pages the IDs and converges both ways without a store RPC', async () => {
    const account = crypto.generateKey('ed25519').publicKey;
    const [a, b] = [cluster.node(0), cluster.node(1)];
    // 3,000 IDs each (about 100 KB of IDs) do not fit one answer; the two sets are disjoint.
    for (let i = 0; i < 3_000; i++) {
      a.store.put(account, 'inbox', new TextEncoder().encode(`a${i}`), TTL);
      b.store.put(account, 'inbox', new TextEncoder().encode(`b${i}`), TTL);
    }
    const report = await a.antiEntropy.runOnce();
    assert.equal(report.failures, 0);
    assert.equal(report.pushed, 3_000);
    assert.equal(report.fetched, 3_000);
    assert.deepEqual(a.store.digestOf(account, 'inbox'), b.store.digestOf(account, 'inbox'));
    assert.equal(a.store.digestOf(account, 'inbox').count, 6_000);
    // A second round finds nothing to do.
    const idle = await a.antiEntropy.runOnce();
    assert.equal(idle.pushed + idle.fetched, 0);
  });
});

describe('deletes with a member down (tombstones)', () => {
  let cluster: Cluster;
  let user: DirectClient;
  let client: MailboxClient;

  before(async () => {
    // Rounds are run by hand (the helper's timer interval is a minute).
    cluster = await startCluster(crypto, 5, { limits: NO_DEPOSIT_PROOFS });
    user = await startDirectClient(crypto);
    client = user.client;
  });

  after(async () => {
    await user.stop();
    await cluster.close();
  });

  const runAll = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) {
      const report = await cluster.node(i).antiEntropy.runOnce();
      assert.equal(report.failures, 0, `anti-entropy round of node ${i}`);
    }
  };

  it('a message deleted while a member was down does not come back once it restarts', async () => {
    const owner = crypto.generateKey('ed25519');
    const account = owner.publicKey;
    const body = new TextEncoder().encode('delete me');
    const stored = await client.store(cluster.node(0).target, { account, namespace: 'inbox', body, ttlMs: TTL });
    assert.equal(stored.replicas, 5);
    const kept = await client.store(cluster.node(0).target, { account, namespace: 'inbox', body: new TextEncoder().encode('keep me'), ttlMs: TTL });
    assert.equal(kept.replicas, 5);

    await cluster.stopNode(4);
    assert.equal(await client.delete(cluster.node(0).target, { account, namespace: 'inbox', ids: [stored.id], identityKey: owner }), 1);
    const holders = (): number[] => [0, 1, 2, 3, 4].filter((i) => cluster.nodes[i]?.store.get(account, 'inbox', [stored.id]).length === 1);
    await eventually(() => holders().length === 0, 5_000, 'the live delete to reach the running members');

    const restarted = await cluster.restartNode(4);
    assert.deepEqual(holders(), [4], 'the restarted member still holds the deleted message');
    // Its own round offers the message to the others first: every one of them refuses it.
    assert.equal((await restarted.antiEntropy.runOnce()).failures, 0);
    assert.deepEqual(holders(), [4]);
    await runAll();
    assert.deepEqual(holders(), [], 'the restarted member learned of the delete');
    assert.deepEqual(restarted.store.tombstones(account, 'inbox'), [stored.id]);
    for (let round = 0; round < 3; round++) await runAll();
    assert.deepEqual(holders(), []);
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(cluster.node(i).store.ids(account, 'inbox'), [kept.id], `node ${i} keeps the other message`);
    }
  });

  it('a member that missed the delete also learns of it from a member that only relayed it', async () => {
    const owner = crypto.generateKey('ed25519');
    const account = owner.publicKey;
    const stored = await client.store(cluster.node(1).target, { account, namespace: 'inbox', body: new TextEncoder().encode('relayed'), ttlMs: TTL });
    assert.equal(stored.replicas, 5);
    await cluster.stopNode(3);
    assert.equal(await client.delete(cluster.node(1).target, { account, namespace: 'inbox', ids: [stored.id], identityKey: owner }), 1);
    const holders = (): number[] => [0, 1, 2, 3, 4].filter((i) => cluster.nodes[i]?.store.get(account, 'inbox', [stored.id]).length === 1);
    await eventually(() => holders().length === 0, 5_000, 'the live delete to reach the running members');
    // The deleting member goes down before node 3 comes back; the others hold only tombstones.
    await cluster.stopNode(1);
    await cluster.restartNode(3);
    assert.deepEqual(holders(), [3]);
    // Rounds with node 1 down report it as a failure; the rest of each round still runs.
    for (const i of [0, 2, 3, 4]) await cluster.node(i).antiEntropy.runOnce();
    assert.deepEqual(holders(), []);
    await cluster.restartNode(1);
    await runAll();
    await runAll();
    assert.deepEqual(holders(), []);
  });

  it("a member's delete without the owner's signed delete, or with one over other IDs or too old, deletes nothing", async () => {
    const owner = crypto.generateKey('ed25519');
    const account = owner.publicKey;
    const [honest, hostile] = [cluster.node(0), cluster.node(1)];
    const stored = await client.store(honest.target, { account, namespace: 'inbox', body: new TextEncoder().encode('keep me'), ttlMs: TTL });
    const other = await client.store(honest.target, { account, namespace: 'inbox', body: new TextEncoder().encode('another'), ttlMs: TTL });
    const relay = (value: Parameters<typeof create<typeof ReplicaDeleteSchema>>[1]) =>
      hostile.replication.call(honest.target, create(ReplicaRequestSchema, { request: { case: 'delete', value: create(ReplicaDeleteSchema, value) } }));
    const code = (c: string) => (e: unknown) => isSamizdatError(e, c as never);
    await assert.rejects(relay({ account, namespace: 'inbox', ids: [stored.id] }), code('BAD_SIGNATURE'), 'no proof');
    // The owner's real signed delete of another message, relayed as if it named this one.
    const signed = (ids: Uint8Array[], timestampMs = Date.now()) =>
      signOwnerAuth(crypto, owner, { method: 'delete', namespace: 'inbox', account, requestDigest: deleteRequestDigest(crypto, ids), timestampMs });
    await assert.rejects(relay({ account, namespace: 'inbox', ids: [stored.id], auth: signed([other.id]) }), code('BAD_SIGNATURE'), 'other IDs');
    await assert.rejects(relay({ account, namespace: 'inbox', ids: [stored.id, other.id], auth: signed([other.id]) }), code('BAD_SIGNATURE'), 'more IDs');
    const tooOld = Date.now() - MAX_DELETE_PROOF_AGE_MS - 60_000;
    await assert.rejects(relay({ account, namespace: 'inbox', ids: [stored.id], auth: signed([stored.id], tooOld) }), code('CLOCK_SKEW'), 'too old');
    assert.equal(honest.store.usage(account, 'inbox').messages, 2);
    assert.deepEqual(honest.store.tombstones(account, 'inbox'), []);
    // The owner's own delete, relayed (an hour late, as anti-entropy may), is done.
    assert.equal((await relay({ account, namespace: 'inbox', ids: [stored.id], auth: signed([stored.id], Date.now() - 3_600_000) })).response.value, 1);
    assert.equal(honest.store.usage(account, 'inbox').messages, 1);
    // The tombstone keeps the proof, so this member can relay it in turn.
    const [tombstone] = honest.store.tombstonesAfter(0, 100).filter((t) => t.account.every((b, i) => b === account[i]));
    assert.ok(tombstone?.proof !== undefined);
    assert.deepEqual(honest.store.deleteProof(tombstone.proof)?.ids, [stored.id]);
  });
});
