/**
 * The mailbox RPC of one real node on loopback against bad input: each bad request gets its typed
 * error and the next good request on the same session still succeeds. Also: WRONG_SWARM, long-poll,
 * rate limits, garbage on the raw stream.
 */
import assert from 'node:assert/strict';
import { signOwnerItem } from '../../src/identity/owner-item.ts';
import { after, before, describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { createMailboxClient, type MailboxClient } from '../../src/client/mailbox-client.ts';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import type { PrivateKey } from '../../src/crypto/provider.ts';
import { isSamizdatError, type ErrorCode } from '../../src/errors.ts';
import { retrieveRequestDigest, signOwnerAuth, storeRequestDigest } from '../../src/identity/request-auth.ts';
import type { Host } from '../../src/node/host.ts';
import { MAILBOX_PROTOCOL } from '../../src/node/mailbox-service.ts';
import { FrameDecoder, decodeMessage, encodeFrame, errorFromReply } from '../../src/wire/index.ts';
import type { RpcSession } from '../../src/wire/index.ts';
import { SessionFrameSchema } from '../../src/wire/gen/samizdat/v1/frame_pb.ts';
import {
  MailboxRequestSchema,
  MailboxResponseSchema,
  OwnerAuthSchema,
  RetrieveRequestSchema,
  StoreRequestSchema,
} from '../../src/wire/gen/samizdat/v1/mailbox_pb.ts';
import type { MailboxResponse, OwnerAuth } from '../../src/wire/gen/samizdat/v1/mailbox_pb.ts';
import {
  mailboxRequest,
  memberOf,
  nodeSpec,
  rawCall,
  rawSession,
  startClientHost,
  startCluster,
  type Cluster,
  type RunningNode,
} from './mailbox-cluster.ts';

const crypto = createNodeCryptoProvider();
const TTL = 3_600_000n;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function errorOf(response: MailboxResponse): { code: ErrorCode; message: string } {
  assert.equal(response.response.case, 'error', `expected an error, got ${String(response.response.case)}`);
  const err = errorFromReply(response.response.value);
  return { code: err.code, message: err.message };
}

function ownerAuth(key: PrivateKey, method: 'store' | 'retrieve', namespace: string, digest: Uint8Array, timestampMs = Date.now(), nonce?: Uint8Array): OwnerAuth {
  const proof = signOwnerAuth(crypto, key, { method, namespace, account: key.publicKey, requestDigest: digest, timestampMs, ...(nonce === undefined ? {} : { nonce }) });
  return create(OwnerAuthSchema, proof);
}

function retrieveReq(key: PrivateKey, auth: OwnerAuth | undefined, namespace = 'inbox') {
  const value = create(RetrieveRequestSchema, { account: key.publicKey, namespace, after: 0n, limit: 10, waitMs: 0, ...(auth === undefined ? {} : { auth }) });
  return mailboxRequest({ case: 'retrieve', value });
}

function goodRetrieve(key: PrivateKey) {
  return retrieveReq(key, ownerAuth(key, 'retrieve', 'inbox', retrieveRequestDigest(crypto, 0n, 10, 0)));
}

describe('mailbox RPC error handling on a real node', () => {
  let cluster: Cluster;
  let node: RunningNode;
  let clientHost: Host;
  let session: RpcSession;
  let client: MailboxClient;
  const owner = crypto.generateKey('ed25519');

  before(async () => {
    // One node with a swarm of two nodes (k = 5 caps at n); a low client rate for the rate-limit test
    // is set on a second node below, so these tests never hit it. Deposit proofs are off here
    // (deposit-proofs.test.ts covers them).
    cluster = await startCluster(crypto, 2, { limits: { clientRate: { ratePerSecond: 1_000, burst: 1_000 }, depositPowBits: 0 } });
    node = cluster.node(0);
    clientHost = await startClientHost(crypto);
    session = await rawSession(clientHost, node.target);
    client = createMailboxClient({ transport: clientHost.transport, crypto, now: Date.now });
  });

  after(async () => {
    session.close();
    client.close();
    await clientHost.stop();
    await cluster.close();
  });

  /** After every bad request, a good one on the same session must work. */
  const stillServes = async (): Promise<void> => {
    const response = await rawCall(session, goodRetrieve(owner));
    assert.equal(response.response.case, 'retrieve');
  };

  it('answers a good store and retrieve', async () => {
    const stored = await client.store(node.target, { account: owner.publicKey, namespace: 'inbox', body: utf8('hello'), ttlMs: 60_000 });
    assert.equal(stored.replicas, 2);
    const got = await client.retrieve(node.target, { account: owner.publicKey, namespace: 'inbox', identityKey: owner });
    assert.deepEqual(got.messages.map((m) => new TextDecoder().decode(m.body)), ['hello']);
    assert.equal(got.full, false, 'a node with room says so');
    await stillServes();
  });

  it('BAD_SIGNATURE for a signature by another key, or none', async () => {
    const other = crypto.generateKey('ed25519');
    const forged = ownerAuth(other, 'retrieve', 'inbox', retrieveRequestDigest(crypto, 0n, 10, 0));
    assert.equal(errorOf(await rawCall(session, retrieveReq(owner, forged))).code, 'BAD_SIGNATURE');
    assert.equal(errorOf(await rawCall(session, retrieveReq(owner, undefined))).code, 'BAD_SIGNATURE');
    // A signature over other request fields (limit 11 instead of 10) does not verify either.
    const moved = ownerAuth(owner, 'retrieve', 'inbox', retrieveRequestDigest(crypto, 0n, 11, 0));
    assert.equal(errorOf(await rawCall(session, retrieveReq(owner, moved))).code, 'BAD_SIGNATURE');
    await stillServes();
  });

  it('CLOCK_SKEW for a timestamp more than 60 s off', async () => {
    const stale = ownerAuth(owner, 'retrieve', 'inbox', retrieveRequestDigest(crypto, 0n, 10, 0), Date.now() - 120_000);
    assert.equal(errorOf(await rawCall(session, retrieveReq(owner, stale))).code, 'CLOCK_SKEW');
    const future = ownerAuth(owner, 'retrieve', 'inbox', retrieveRequestDigest(crypto, 0n, 10, 0), Date.now() + 120_000);
    assert.equal(errorOf(await rawCall(session, retrieveReq(owner, future))).code, 'CLOCK_SKEW');
    await stillServes();
  });

  it('BAD_SIGNATURE for a replayed nonce', async () => {
    const request = goodRetrieve(owner);
    assert.equal((await rawCall(session, request)).response.case, 'retrieve');
    const replay = errorOf(await rawCall(session, request));
    assert.equal(replay.code, 'BAD_SIGNATURE');
    assert.match(replay.message, /replay/);
    await stillServes();
  });

  it('TOO_LARGE for a body over 64 KiB (and the client refuses it before sending)', async () => {
    const body = new Uint8Array(65_537);
    const value = create(StoreRequestSchema, { account: owner.publicKey, namespace: 'inbox', body, ttlMs: TTL });
    assert.equal(errorOf(await rawCall(session, mailboxRequest({ case: 'store', value }))).code, 'TOO_LARGE');
    await assert.rejects(client.store(node.target, { account: owner.publicKey, namespace: 'inbox', body, ttlMs: 60_000 }), (e: unknown) => isSamizdatError(e, 'TOO_LARGE'));
    await stillServes();
  });

  it('MALFORMED "unknown namespace"', async () => {
    const value = create(StoreRequestSchema, { account: owner.publicKey, namespace: 'outbox', body: utf8('x'), ttlMs: TTL });
    const err = errorOf(await rawCall(session, mailboxRequest({ case: 'store', value })));
    assert.equal(err.code, 'MALFORMED');
    assert.match(err.message, /unknown namespace/);
    await stillServes();
  });

  it('TOO_LARGE for a TTL over 14 days; MALFORMED for a zero TTL', async () => {
    const over = create(StoreRequestSchema, { account: owner.publicKey, namespace: 'inbox', body: utf8('x'), ttlMs: 14n * 86_400_000n + 1n });
    assert.equal(errorOf(await rawCall(session, mailboxRequest({ case: 'store', value: over }))).code, 'TOO_LARGE');
    const zero = create(StoreRequestSchema, { account: owner.publicKey, namespace: 'inbox', body: utf8('x'), ttlMs: 0n });
    assert.equal(errorOf(await rawCall(session, mailboxRequest({ case: 'store', value: zero }))).code, 'MALFORMED');
    await stillServes();
  });

  it('MALFORMED for a short account, an empty request and bytes that are not a MailboxRequest', async () => {
    const shortAccount = create(StoreRequestSchema, { account: new Uint8Array(31), namespace: 'inbox', body: utf8('x'), ttlMs: TTL });
    assert.equal(errorOf(await rawCall(session, mailboxRequest({ case: 'store', value: shortAccount }))).code, 'MALFORMED');
    assert.equal(errorOf(await rawCall(session, mailboxRequest({ case: undefined }))).code, 'MALFORMED');
    assert.equal(errorOf(await rawCall(session, new Uint8Array([0x0a, 0xff, 0xff, 0xff]))).code, 'MALFORMED');
    assert.equal(errorOf(await rawCall(session, crypto.randomBytes(300).map((b) => b | 0x07))).code, 'MALFORMED');
    await stillServes();
  });

  it('owner writes to bundle need the signature; anyone reads the bundle', async () => {
    const body = signOwnerItem(crypto, owner, 'bundle', utf8('bundle'));
    const unsigned = create(StoreRequestSchema, { account: owner.publicKey, namespace: 'bundle', body, ttlMs: TTL });
    assert.equal(errorOf(await rawCall(session, mailboxRequest({ case: 'store', value: unsigned }))).code, 'BAD_SIGNATURE');
    // A request signed by the owner whose item is not owner-signed is refused too (replicas must be checkable).
    const bare = utf8('an unsigned bundle, long enough to be mistaken for a signature and a payload'.repeat(2));
    const bareSigned = create(StoreRequestSchema, { account: owner.publicKey, namespace: 'bundle', body: bare, ttlMs: TTL, auth: ownerAuth(owner, 'store', 'bundle', storeRequestDigest(crypto, bare, TTL)) });
    assert.equal(errorOf(await rawCall(session, mailboxRequest({ case: 'store', value: bareSigned }))).code, 'BAD_SIGNATURE');
    const signed = create(StoreRequestSchema, { ...unsigned, auth: ownerAuth(owner, 'store', 'bundle', storeRequestDigest(crypto, body, TTL)) });
    assert.equal((await rawCall(session, mailboxRequest({ case: 'store', value: signed }))).response.case, 'store');
    const read = await client.retrieve(node.target, { account: owner.publicKey, namespace: 'bundle' });
    assert.deepEqual(read.messages.map((m) => new TextDecoder().decode(m.body)), ['bundle']);
  });

  it('garbage on the raw stream gets one typed error frame, and the node keeps serving', async () => {
    for (const garbage of [new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), encodeFrame(new Uint8Array([0x08, 0x01, 0x1a, 0x05, 0x0a]))]) {
      const stream = await clientHost.transport.dial(node.target, MAILBOX_PROTOCOL, AbortSignal.timeout(5_000));
      stream.send(garbage);
      await stream.close();
      const decoder = new FrameDecoder();
      const frames: Uint8Array[] = [];
      for await (const chunk of stream) frames.push(...decoder.push(chunk instanceof Uint8Array ? chunk : chunk.subarray()));
      assert.equal(frames.length, 1);
      const frame = decodeMessage(SessionFrameSchema, frames[0] ?? new Uint8Array(0));
      assert.equal(frame.id, 0n);
      assert.ok(frame.error !== undefined);
      assert.equal(errorFromReply(frame.error).code, 'MALFORMED');
    }
    await stillServes();
  });

  it('long-poll returns soon after another client stores', async () => {
    const other = await startClientHost(crypto);
    const sender = createMailboxClient({ transport: other.transport, crypto, now: Date.now });
    try {
      const before = await client.retrieve(node.target, { account: owner.publicKey, namespace: 'inbox', identityKey: owner });
      const cursor = before.messages[before.messages.length - 1]?.cursor ?? 0n;
      const started = Date.now();
      const poll = client.retrieve(node.target, { account: owner.publicKey, namespace: 'inbox', after: cursor, waitMs: 20_000, identityKey: owner });
      await new Promise((r) => setTimeout(r, 300));
      // Stored at the other swarm member: the message reaches the polled node by replication.
      await sender.store(cluster.node(1).target, { account: owner.publicKey, namespace: 'inbox', body: utf8('wake up'), ttlMs: 60_000 });
      const storedAt = Date.now();
      const got = await poll;
      const wokeAt = Date.now();
      assert.deepEqual(got.messages.map((m) => new TextDecoder().decode(m.body)), ['wake up']);
      assert.ok(wokeAt - started < 5_000, 'the poll must not run to its 20 s wait');
      assert.ok(wokeAt - storedAt < 1_000, `woke ${wokeAt - storedAt} ms after the store`);
      assert.equal(node.mailbox.waiters.size, 0);
    } finally {
      sender.close();
      await other.stop();
    }
  });

  it('answers WRONG_SWARM with the swarm it computes for an account it does not serve', async () => {
    // A view of a larger consensus with k = 2: find an account whose swarm leaves this node out.
    const others = Array.from({ length: 6 }, (_, i) => nodeSpec(crypto, cluster.dir, `far${i}`));
    const members = [...cluster.members, ...others.map((s, i) => memberOf(crypto, s, [`/ip4/127.0.0.1/tcp/${9 + i}`]))];
    node.swarm.update(members, 2);
    try {
      let stranger = crypto.generateKey('ed25519');
      while (node.swarm.swarmOf(stranger.publicKey).some((m) => m.peerId === node.spec.peerId)) stranger = crypto.generateKey('ed25519');
      const expected = node.swarm.swarmOf(stranger.publicKey).map((m) => m.peerId);
      await assert.rejects(client.store(node.target, { account: stranger.publicKey, namespace: 'inbox', body: utf8('x'), ttlMs: 60_000 }), (err: unknown) => {
        assert.ok(isSamizdatError(err, 'WRONG_SWARM'));
        assert.deepEqual((err.detail['swarm'] as { peerId: string }[]).map((m) => m.peerId), expected);
        return true;
      });
    } finally {
      node.swarm.update(cluster.members, 5);
    }
    await stillServes();
  });

  it('RATE_LIMITED past the per-peer rate, with a retry hint', async () => {
    const limited = cluster.node(1);
    await limited.mailbox.stop();
    const { createMailboxService } = await import('../../src/node/mailbox-service.ts');
    const strict = createMailboxService({
      transport: limited.host.transport,
      store: limited.store,
      swarm: limited.swarm,
      crypto,
      now: Date.now,
      limits: { clientRate: { ratePerSecond: 5, burst: 5 } },
    });
    await strict.start();
    const s = await rawSession(clientHost, limited.target);
    try {
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => rawCall(s, goodRetrieve(owner))));
      const limitedErrors = results.filter((r) => r.status === 'rejected' && isSamizdatError(r.reason, 'RATE_LIMITED'));
      assert.ok(results.filter((r) => r.status === 'fulfilled').length >= 5);
      assert.ok(limitedErrors.length >= 1);
      const first = limitedErrors[0];
      assert.ok(first?.status === 'rejected' && isSamizdatError(first.reason) && (first.reason.retryAfterMs ?? 0) > 0);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal((await rawCall(s, goodRetrieve(owner))).response.case, 'retrieve');

      // Requests that arrive through onion circuits are limited per delivering exit, too.
      const signal = new AbortController().signal;
      const viaExit = async (exit: string) => {
        const bytes = await strict.answer(toBinary(MailboxRequestSchema, goodRetrieve(owner)), signal, exit);
        return fromBinary(MailboxResponseSchema, bytes).response;
      };
      const burst = await Promise.all(Array.from({ length: 12 }, () => viaExit('exit-a')));
      const refused = burst.filter((r) => r.case === 'error' && errorFromReply(r.value).code === 'RATE_LIMITED');
      assert.ok(refused.length >= 5, `exit-a was refused ${refused.length} of 12`);
      assert.equal((await viaExit('exit-b')).case, 'retrieve', 'another exit has its own bucket');

      // A new stream buys no fresh burst: the peer's bucket outlives its sessions.
      await Promise.allSettled(Array.from({ length: 8 }, () => rawCall(s, goodRetrieve(owner))));
      s.close();
      const again = await rawSession(clientHost, limited.target);
      try {
        const second = await Promise.allSettled(Array.from({ length: 6 }, () => rawCall(again, goodRetrieve(owner))));
        const passed = second.filter((r) => r.status === 'fulfilled').length;
        assert.ok(passed <= 2, `a new session passed ${passed} of 6 right after the last one used up the bucket`);
      } finally {
        again.close();
      }
    } finally {
      s.close();
      await strict.stop();
    }
  });
});
