/**
 * Sends that a crashed process left in state 'sending': the next process that prepares finishes
 * them from the outbox with the same envelope (so the recipient reads the message once), or marks
 * them 'failed'; a send whose process still runs is left to it. The same holds for the note that
 * tells a requester they were accepted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../crypto/bytes.ts';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { deriveAccountKeys, type AccountKeys } from '../identity/account-keys.ts';
import { generateRecoveryPhrase } from '../identity/recovery-phrase.ts';
import { eventually } from '../../test/support/eventually.ts';
import { createMemoryNetwork, type MemoryNetwork } from '../../test/support/memory-swarm.ts';
import { createMessenger, type Messenger } from './messenger.ts';
import type { ProcessLiveness, ProcessMark } from './process-liveness.ts';
import { openProfileDb, type ProfileDb } from './profile-db.ts';
import { MAX_OUTBOX_RESUME, OUTBOX_MAX_AGE_MS } from './profile-db-limits.ts';
import type { SwarmMailbox } from './swarm-mailbox.ts';

const crypto = createNodeCryptoProvider();
const HOUR = 3_600_000;

/** A fake machine: processes are alive until `end` is called on them. */
function machine(): { processOf(pid: number): ProcessLiveness; markOf(pid: number): ProcessMark; end(pid: number): void } {
  const ended = new Set<number>();
  const markOf = (pid: number): ProcessMark => ({ pid, started: `start-${pid}`, namespace: '' });
  return {
    processOf: (pid) => ({ self: markOf(pid), isAlive: (mark) => !ended.has(mark.pid) && mark.started === `start-${mark.pid}` }),
    markOf,
    end: (pid) => ended.add(pid),
  };
}

/** The outbox's rows. */
const outboxOf = (db: ProfileDb) => [...db.outbox.entries()];

interface Party {
  readonly keys: AccountKeys;
  readonly db: ProfileDb;
  /** What onResumed told this party's messengers: [recipient Account ID, message id, state]. */
  readonly resumed: [string, string, string][];
  /** A messenger on this profile run by process `pid`, over `swarm` (the network's by default). */
  messenger(pid: number, swarm?: SwarmMailbox): Messenger;
}

function party(net: MemoryNetwork, host: ReturnType<typeof machine>, now: () => number): Party {
  const keys = deriveAccountKeys(crypto, generateRecoveryPhrase((n) => crypto.randomBytes(n)));
  const db = openProfileDb({ path: ':memory:', crypto, now, account: keys });
  const resumed: [string, string, string][] = [];
  return {
    keys,
    db,
    resumed,
    messenger: (pid, swarm) => {
      const view = net.view();
      return createMessenger({
        crypto, now, db, keys, swarm: swarm ?? view.swarm, mailbox: view.mailbox, prekeyRotationMs: 12 * HOUR, depositPowBits: 4, liveness: host.processOf(pid),
        onResumed: (outcome) => resumed.push([outcome.accountId, outcome.id, outcome.state]),
      });
    },
  };
}

/** A swarm whose inbox stores never answer: the sending process "crashes" with the envelope in flight. */
function hanging(swarm: SwarmMailbox): SwarmMailbox {
  return { ...swarm, store: (o) => (o.namespace === 'inbox' ? new Promise(() => undefined) : swarm.store(o)) };
}

/** A swarm that refuses inbox stores (the network is down for deposits). */
function refusing(swarm: SwarmMailbox): SwarmMailbox {
  return { ...swarm, store: (o) => (o.namespace === 'inbox' ? Promise.reject(new Error('network down')) : swarm.store(o)) };
}

interface World {
  readonly net: MemoryNetwork;
  readonly host: ReturnType<typeof machine>;
  readonly alice: Party;
  readonly bob: Party;
  /** Moves the shared clock on. */
  advance(ms: number): void;
}

/** Alice and Bob on one in-memory network and one fake machine, with one clock. */
function world(): World {
  let clock = Date.now();
  const now = (): number => clock;
  const net = createMemoryNetwork(crypto, now);
  const host = machine();
  return { net, host, alice: party(net, host, now), bob: party(net, host, now), advance: (ms) => (clock += ms) };
}

/** Alice's process 1 records a message to Bob and never finishes sending it (its id is `id`). */
async function crashedSend(): Promise<World & { id: string }> {
  const w = world();
  const { net, alice, bob } = w;
  await bob.messenger(10).prepare();
  const first = alice.messenger(1, hanging(net.view().swarm));
  const id = await new Promise<string>((resolve) => void first.send(bob.keys.accountId, 'sent just before the crash', { onRecorded: resolve }));
  assert.equal(alice.db.messages.get(bob.keys.identityPublicKey, id)?.state, 'sending');
  assert.equal(outboxOf(alice.db).length, 1);
  assert.equal(outboxOf(alice.db)[0]?.sealedAtMs, alice.db.messages.get(bob.keys.identityPublicKey, id)?.sentAt);
  return { ...w, id };
}

describe('messenger: sends a crashed process left behind', () => {
  it('the next process delivers it with the saved envelope: stored, read once, outbox empty', async () => {
    const { net, host, alice, bob, id } = await crashedSend();
    host.end(1);
    const stores = net.stores;
    await alice.messenger(2).prepare({ force: true });
    assert.equal(alice.db.messages.get(bob.keys.identityPublicKey, id)?.state, 'stored');
    assert.deepEqual(outboxOf(alice.db), []);
    assert.deepEqual(alice.resumed, [[bob.keys.accountId, id, 'stored']], 'a UI is told');
    assert.ok(net.stores > stores, 'the envelope was deposited');
    const got = await bob.messenger(10).receive();
    assert.deepEqual(got.map((m) => [m.id, m.text]), [[id, 'sent just before the crash']]);
    // The session goes on: the next message uses the ratchet state saved with the first.
    await alice.messenger(2).send(bob.keys.accountId, 'and after');
    assert.deepEqual((await bob.messenger(10).receive()).map((m) => m.text), ['and after']);
  });

  it('a send whose process still runs is left alone', async () => {
    const { alice, bob, id } = await crashedSend();
    await alice.messenger(2).prepare({ force: true });
    assert.equal(alice.db.messages.get(bob.keys.identityPublicKey, id)?.state, 'sending');
    assert.equal(alice.db.outbox.get(bob.keys.identityPublicKey, id)?.owner.pid, 1);
    assert.deepEqual(await bob.messenger(10).receive(), []);
  });

  it('when the network refuses it, the message ends failed and prepare goes on', async () => {
    const { net, host, alice, bob, id } = await crashedSend();
    host.end(1);
    await alice.messenger(2, refusing(net.view().swarm)).prepare({ force: true });
    assert.equal(alice.db.messages.get(bob.keys.identityPublicKey, id)?.state, 'failed');
    assert.deepEqual(outboxOf(alice.db), []);
    assert.deepEqual(alice.resumed, [[bob.keys.accountId, id, 'failed']]);
  });

  it("the note that a request was accepted goes out too when the accepting process died", async () => {
    const { net, host, alice, bob } = world();
    await alice.messenger(20).prepare();
    await bob.messenger(10).prepare();
    await alice.messenger(20).send(bob.keys.accountId, 'hello, may I write to you?');
    assert.deepEqual((await bob.messenger(10).receive()).map((m) => m.request), [true]);
    // Bob's process 11 accepts, records the note, and never gets it out.
    void bob.messenger(11, hanging(net.view().swarm)).accept(alice.keys.accountId, 'alice');
    await eventually(() => outboxOf(bob.db).length === 1, 5_000, 'the note in the outbox');
    host.end(11);
    await bob.messenger(12).prepare({ force: true });
    assert.deepEqual(outboxOf(bob.db), []);
    assert.deepEqual(bob.resumed, [], 'a note is no message: nothing to tell a UI');
    assert.deepEqual((await alice.messenger(20).receive()).map((m) => m.kind), ['accepted']);
  });

  it('an ordinary send leaves no outbox row, whether it is stored or fails', async () => {
    const { net, alice, bob } = world();
    await bob.messenger(10).prepare();
    const sent = await alice.messenger(1).send(bob.keys.accountId, 'plain');
    assert.equal(alice.db.messages.get(bob.keys.identityPublicKey, sent.id)?.state, 'stored');
    assert.deepEqual(outboxOf(alice.db), []);
    let failedId = '';
    await assert.rejects(alice.messenger(1, refusing(net.view().swarm)).send(bob.keys.accountId, 'lost', { onRecorded: (i) => (failedId = i) }), /network down/);
    assert.equal(alice.db.messages.get(bob.keys.identityPublicKey, failedId)?.state, 'failed');
    assert.deepEqual(outboxOf(alice.db), []);
  });

  it('a send sealed more than OUTBOX_MAX_AGE_MS ago ends failed, not deposited, even while its owner looks alive', async () => {
    for (const ownerEnded of [true, false]) {
      const w = await crashedSend();
      const { host, alice, bob, id } = w;
      if (ownerEnded) host.end(1);
      w.advance(OUTBOX_MAX_AGE_MS - 60_000);
      await alice.messenger(2).prepare({ force: true });
      if (!ownerEnded) assert.equal(alice.db.messages.get(bob.keys.identityPublicKey, id)?.state, 'sending', 'young enough, and its owner runs');
      w.advance(120_000);
      await alice.messenger(2).prepare({ force: true });
      assert.equal(alice.db.messages.get(bob.keys.identityPublicKey, id)?.state, ownerEnded ? 'stored' : 'failed');
      if (ownerEnded) continue; // delivered within the limit
      assert.deepEqual(outboxOf(alice.db), []);
      assert.deepEqual(alice.resumed, [[bob.keys.accountId, id, 'failed']]);
      assert.deepEqual(await bob.messenger(10).receive(), [], 'nothing was deposited');
    }
  });

  it('a process whose send another took over does not record an outcome over it', async () => {
    const { net, host, alice, bob } = world();
    await bob.messenger(10).prepare();
    const view = net.view();
    let refuse: (err: Error) => void = () => undefined;
    const stuck: SwarmMailbox = { ...view.swarm, store: (o) => (o.namespace === 'inbox' ? new Promise((_, reject) => (refuse = reject)) : view.swarm.store(o)) };
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow: SwarmMailbox = { ...view.swarm, store: (o) => (o.namespace === 'inbox' ? released.then(() => view.swarm.store(o)) : view.swarm.store(o)) };
    let id = '';
    const first = alice.messenger(1, stuck).send(bob.keys.accountId, 'taken over', { onRecorded: (i) => (id = i) });
    await eventually(() => outboxOf(alice.db).length === 1, 5_000, 'the send recorded');
    host.end(1); // judged ended (say, from another PID namespace) while it still runs
    const second = alice.messenger(2, slow).prepare({ force: true });
    await eventually(() => outboxOf(alice.db)[0]?.owner.pid === 2, 5_000, 'process 2 claims the send');
    // Process 1 gives up while process 2 is depositing: its failure is not recorded.
    refuse(new Error('the first process gives up'));
    await assert.rejects(first, /gives up/);
    assert.equal(alice.db.messages.get(bob.keys.identityPublicKey, id)?.state, 'sending');
    assert.equal(outboxOf(alice.db).length, 1, "process 2's row stays");
    release();
    await second;
    assert.equal(alice.db.messages.get(bob.keys.identityPublicKey, id)?.state, 'stored');
    assert.deepEqual((await bob.messenger(10).receive()).map((m) => m.text), ['taken over']);
  });

  it("a process finishes its own send whose outcome it could not record", async () => {
    const { alice, bob, id, host } = await crashedSend();
    // As if process 2 had claimed it and failed to record the outcome (a locked database).
    const row = outboxOf(alice.db)[0];
    assert.ok(row !== undefined);
    alice.db.outbox.put({ ...row, owner: host.markOf(2) });
    await alice.messenger(2).prepare({ force: true });
    assert.equal(alice.db.messages.get(bob.keys.identityPublicKey, id)?.state, 'stored');
    assert.deepEqual((await bob.messenger(10).receive()).map((m) => m.id), [id]);
  });

  it('many sends of live processes do not hide one whose process ended', async () => {
    const { host, alice, bob, id } = await crashedSend();
    const row = outboxOf(alice.db)[0];
    assert.ok(row !== undefined);
    for (let i = 0; i < 3 * MAX_OUTBOX_RESUME; i++) {
      alice.db.outbox.put({ ...row, id: toHex(crypto.randomBytes(16)), owner: host.markOf(3) });
    }
    host.end(1);
    await alice.messenger(2).prepare({ force: true });
    assert.equal(alice.db.messages.get(bob.keys.identityPublicKey, id)?.state, 'stored');
    assert.equal(outboxOf(alice.db).length, 3 * MAX_OUTBOX_RESUME, "process 3's rows are left to it");
  });
});
