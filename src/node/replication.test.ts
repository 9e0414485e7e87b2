/**
 * What a member reports as held when a peer pushes items (ReplicationService.accept): an item its
 * full inbox refused is not held, so the sender neither counts it as a replica nor hands the
 * account off as if it were.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import type { RpcTransport } from '../wire/index.ts';
import { ReplicaItemSchema } from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import { messageId, openMailboxStore } from './mailbox-store.ts';
import { createReplicationService } from './replication.ts';
import type { SwarmView } from './swarm-view.ts';

const crypto = createNodeCryptoProvider();
/** No consensus yet: this node serves every account. */
const swarm: SwarmView = { selfNodeId: new Uint8Array(32), swarmOf: () => [], isNode: () => true, onChange: () => () => undefined };

describe('replication: accept', () => {
  it('counts new items and ones already held, not ones a full inbox refused', () => {
    const store = openMailboxStore({ path: ':memory:', crypto, now: Date.now, limits: { maxInboxMessages: 2 } });
    const replication = createReplicationService({ transport: {} as RpcTransport, store, swarm, crypto, now: Date.now });
    const account = crypto.randomBytes(32);
    const items = [1, 2, 3].map((i) => {
      const body = new Uint8Array([i, 7, 7]);
      return create(ReplicaItemSchema, { account, namespace: 'inbox', id: messageId(crypto, 'inbox', account, body), body, expiresAtMs: BigInt(Date.now() + 60_000) });
    });
    assert.equal(replication.accept(items), 2, 'the third does not fit');
    assert.equal(store.usage(account, 'inbox').messages, 2);
    assert.equal(replication.accept(items.slice(0, 2)), 2, 'duplicates are held');
    store.close();
  });
});
