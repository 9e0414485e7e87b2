/**
 * The node storage quota on real nodes over loopback: past it a store is refused with
 * STORAGE_FULL, which reaches the client typed, while reads and deletes go on (flagged `full`, and
 * a long-poll is answered at once) and the freed room takes new items.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MailboxClient } from '../../src/client/mailbox-client.ts';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import { isSamizdatError } from '../../src/errors.ts';
import { STORED_ROW_OVERHEAD_BYTES } from '../../src/node/mailbox-store-schema.ts';
import { startCluster, startDirectClient, type Cluster, type DirectClient } from './mailbox-cluster.ts';

const crypto = createNodeCryptoProvider();
const BODY = 2_000;

describe('node storage quota over the wire', () => {
  let cluster: Cluster;
  let user: DirectClient;
  let client: MailboxClient;
  const alice = crypto.generateKey('ed25519');
  const bob = crypto.generateKey('ed25519');

  before(async () => {
    // Room for one 2,000-byte message and its tombstone, not for two messages.
    const maxStorageBytes = BODY + 2 * STORED_ROW_OVERHEAD_BYTES + 500;
    cluster = await startCluster(crypto, 2, { limits: { depositPowBits: 0 }, storeLimits: { maxStorageBytes } });
    user = await startDirectClient(crypto);
    client = user.client;
  });

  after(async () => {
    await user.stop();
    await cluster.close();
  });

  it('refuses a store past the quota with STORAGE_FULL, keeps serving, and takes one again after a delete', async () => {
    const target = cluster.node(0).target;
    const first = await client.store(target, { account: alice.publicKey, namespace: 'inbox', body: new Uint8Array(BODY).fill(1), ttlMs: 60_000 });
    assert.equal(first.replicas, 2, 'both members had room');
    await assert.rejects(
      client.store(target, { account: bob.publicKey, namespace: 'inbox', body: new Uint8Array(BODY).fill(2), ttlMs: 60_000 }),
      (e) => isSamizdatError(e, 'STORAGE_FULL') && /another member of the swarm/.test(e.message),
    );
    const held = await client.retrieve(target, { account: alice.publicKey, namespace: 'inbox', identityKey: alice });
    assert.equal(held.messages.length, 1, 'what it held is still there and readable');
    assert.equal(held.full, true, 'and the answer says the node is full, so clients read elsewhere');
    const started = Date.now();
    const polled = await client.retrieve(target, { account: bob.publicKey, namespace: 'inbox', identityKey: bob, waitMs: 10_000 });
    assert.deepEqual([polled.messages.length, polled.full], [0, true]);
    assert.ok(Date.now() - started < 5_000, 'a full node does not hold a long-poll');
    assert.equal(await client.delete(target, { account: alice.publicKey, namespace: 'inbox', ids: [first.id], identityKey: alice }), 1);
    const again = await client.store(target, { account: bob.publicKey, namespace: 'inbox', body: new Uint8Array(BODY).fill(2), ttlMs: 60_000 });
    assert.ok(again.replicas >= 1);
    assert.ok(cluster.node(0).store.totals().storageBytes <= BODY + 2 * STORED_ROW_OVERHEAD_BYTES + 500);
  });
});
