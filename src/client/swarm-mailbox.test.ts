import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import type { Consensus } from '../directory/index.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import type { PeerTarget } from '../wire/index.ts';
import type { MailboxClient, StoreOptions } from './mailbox-client.ts';
import { createSwarmMailbox } from './swarm-mailbox.ts';

const crypto = createNodeCryptoProvider();

/** A verified-looking consensus of `n` nodes (only what swarm computation reads is real). */
function consensusOf(n: number): Consensus {
  const nodes = Array.from({ length: n }, (_, i) => ({
    nodeId: new Uint8Array(32).fill(i + 1),
    peerId: `node-${i}`,
    addresses: [`/ip4/127.0.0.1/tcp/${4100 + i}`],
    onionX25519: new Uint8Array(32),
    onionMlKem: new Uint8Array(1184),
    version: 'test',
    publishedAtMs: 0,
    signed: new Uint8Array(0),
  }));
  return { network: 'test', validAfterMs: 0, validUntilMs: 1, swarmSize: 3, nodes, signers: [], document: new Uint8Array(0), body: new Uint8Array(0), stale: false };
}

/**
 * A mailbox client whose store answers `answer(target)` and whose retrieve says whether the
 * member is `full(target)`; it records whom it asked.
 */
function fakeMailbox(answer: (target: PeerTarget) => Error | undefined, full: (target: PeerTarget) => boolean = () => false): { mailbox: MailboxClient; asked: string[] } {
  const asked: string[] = [];
  const unused = (): never => assert.fail('not used here');
  const mailbox: MailboxClient = {
    store: (target: PeerTarget, o: StoreOptions) => {
      asked.push(target.peerId);
      const err = answer(target);
      return err === undefined ? Promise.resolve({ id: crypto.hash('sha256', o.body), expiresAtMs: 1, replicas: 1 }) : Promise.reject(err);
    },
    retrieve: (target: PeerTarget) => {
      asked.push(target.peerId);
      const err = answer(target);
      const messages = [{ id: new Uint8Array(32), body: utf8(target.peerId), expiresAtMs: 1, cursor: 1n }];
      return err === undefined ? Promise.resolve({ messages, more: false, full: full(target) }) : Promise.reject(err);
    },
    delete: unused,
    close: () => undefined,
  };
  return { mailbox, asked };
}

const account = new Uint8Array(32).fill(7);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const readOptions = { account, namespace: 'inbox' as const, identityKey: crypto.generateKey('ed25519') };
const request: StoreOptions = { account, namespace: 'inbox', body: new Uint8Array(10), ttlMs: 1000 };

describe('swarm mailbox', () => {
  it('moves past a member that is full (STORAGE_FULL) to the next one', async () => {
    const consensus = consensusOf(6);
    const full = new Set<string>();
    const { mailbox, asked } = fakeMailbox((t) => (full.has(t.peerId) ? new SamizdatError('STORAGE_FULL', 'full') : undefined));
    const swarm = createSwarmMailbox({ mailbox, crypto, consensus: () => consensus, refresh: () => Promise.resolve(undefined) });
    const members = swarm.swarmOf(account).map((m) => m.peerId);
    assert.equal(members.length, 3);
    full.add(members[0] ?? assert.fail());
    const result = await swarm.store(request);
    assert.equal(result.target.peerId, members[1]);
    assert.deepEqual(asked, members.slice(0, 2));
  });

  it('gives up with STORAGE_FULL when every member tried is full, and does not retry other refusals', async () => {
    const consensus = consensusOf(6);
    const full = createSwarmMailbox({ ...fakeMailbox(() => new SamizdatError('STORAGE_FULL', 'full')), crypto, consensus: () => consensus, refresh: () => Promise.resolve(undefined) });
    await assert.rejects(full.store(request), (e) => isSamizdatError(e, 'STORAGE_FULL') && /3 member\(s\) of the account's swarm were tried and are full/.test(e.message));
    const inboxFull = fakeMailbox(() => new SamizdatError('TOO_LARGE', 'the inbox of this account is full'));
    const swarm = createSwarmMailbox({ mailbox: inboxFull.mailbox, crypto, consensus: () => consensus, refresh: () => Promise.resolve(undefined) });
    await assert.rejects(swarm.store(request), (e) => isSamizdatError(e, 'TOO_LARGE'));
    assert.equal(inboxFull.asked.length, 1, 'a full inbox is full on every member: not retried');
  });

  it('reads from a member with room when the first is full, and from a full one only when all are', async () => {
    const consensus = consensusOf(6);
    const full = new Set<string>();
    const { mailbox, asked } = fakeMailbox(() => undefined, (t) => full.has(t.peerId));
    const swarm = createSwarmMailbox({ mailbox, crypto, consensus: () => consensus, refresh: () => Promise.resolve(undefined) });
    const members = swarm.swarmOf(account).map((m) => m.peerId);
    full.add(members[0] ?? assert.fail());
    const read = await swarm.retrieve(readOptions);
    assert.equal(read.target.peerId, members[1]);
    assert.equal(read.full, false);
    assert.deepEqual(asked, members.slice(0, 2));

    for (const m of members) full.add(m);
    asked.length = 0;
    const fromFull = await swarm.retrieve(readOptions);
    assert.equal(fromFull.target.peerId, members[0], 'every member is full: the first answer stands');
    assert.equal(fromFull.full, true);
    assert.equal(new TextDecoder().decode(fromFull.messages[0]?.body), members[0]);
    assert.deepEqual(asked, members, 'it asked each member once');
  });
});
