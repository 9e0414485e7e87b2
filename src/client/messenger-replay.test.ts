/**
 * A node that serves an envelope again under another ID (or with no ID at all): the client knows
 * each envelope by the ID of its content, computed itself, so it does not open it twice, reports
 * nothing, and the session goes on (opening it again would fail on the used message key and look
 * like a peer that lost its session).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { twoParties } from '../../test/support/profile-party.ts';
import type { RetrievedMessage } from './mailbox-client.ts';
import { createMessenger } from './messenger.ts';
import type { SwarmMailbox } from './swarm-mailbox.ts';

const crypto = createNodeCryptoProvider();
const HOUR = 3_600_000;

describe('messenger: an envelope served again under another ID', () => {
  it('is not opened twice, nothing is reported, and the session goes on', async () => {
    const { net, alice, bob } = twoParties(crypto);
    const undecryptable: string[] = [];
    // Bob's swarm keeps every inbox body it ever served and serves each again under a fresh ID,
    // and once with an empty ID, as a hostile node may.
    const served: RetrievedMessage[] = [];
    const view = net.view();
    const replaying: SwarmMailbox = {
      ...view.swarm,
      retrieve: async (o) => {
        const answer = await view.swarm.retrieve(o);
        if (o.namespace !== 'inbox') return answer;
        const again = served.flatMap((m) => [{ ...m, id: crypto.randomBytes(32) }, { ...m, id: new Uint8Array(0) }]);
        served.push(...answer.messages);
        return { ...answer, messages: [...answer.messages, ...again] };
      },
    };
    const messenger = (p: typeof alice, swarm: SwarmMailbox) =>
      createMessenger({ crypto, now: Date.now, db: p.db, keys: p.keys, swarm, mailbox: view.mailbox, prekeyRotationMs: 12 * HOUR, depositPowBits: 4, onUndecryptable: (code) => undecryptable.push(code) });
    const a = messenger(alice, view.swarm);
    const b = messenger(bob, replaying);
    await a.prepare();
    await b.prepare();
    await b.send(alice.keys.accountId, 'hello alice');
    assert.deepEqual((await a.receive()).map((m) => m.text), ['hello alice']);
    await a.send(bob.keys.accountId, 'a1');
    assert.deepEqual((await b.receive()).map((m) => m.text), ['a1']);
    assert.deepEqual(await b.receive(), [], 'a1 served again twice: skipped');
    await a.send(bob.keys.accountId, 'a2');
    assert.deepEqual((await b.receive()).map((m) => m.text), ['a2']);
    assert.deepEqual(undecryptable, []);
    await b.send(alice.keys.accountId, 'b2');
    const got = await a.receive();
    assert.deepEqual(got.map((m) => [m.text, m.sessionReset]), [['b2', false]], 'no new handshake, no reset');
  });

  it('a message that cannot be opened from a blocked sender is dropped silently, and a stranger leaves no session behind', async () => {
    const { view, alice, bob } = twoParties(crypto);
    const undecryptable: [string, string | undefined][] = [];
    const messenger = (p: typeof alice) =>
      createMessenger({ crypto, now: Date.now, db: p.db, keys: p.keys, swarm: view.swarm, mailbox: view.mailbox, prekeyRotationMs: 12 * HOUR, depositPowBits: 4, onUndecryptable: (code, from) => undecryptable.push([code, from]) });
    const a = messenger(alice);
    const b = messenger(bob);
    await a.prepare();
    await b.prepare();
    await a.send(bob.keys.accountId, 'hello');
    await b.receive();
    await b.accept(alice.keys.accountId, 'alice');
    await a.receive();
    const peer = alice.keys.identityPublicKey;
    // Bob loses the session (say, a restored backup); Alice's next messages cannot be opened.
    const lose = () => assert.equal(bob.db.sessions.delete(peer), true);
    lose();
    await a.send(bob.keys.accountId, 'to a contact');
    await b.receive();
    assert.deepEqual(undecryptable.map(([, from]) => from), [alice.keys.accountId], 'a contact is named, to start over');
    bob.db.contacts.update(peer, { state: 'blocked' });
    lose();
    await a.send(bob.keys.accountId, 'to someone who blocked me');
    await b.receive();
    assert.equal(undecryptable.length, 1, 'nothing said of a blocked sender');
    assert.equal(bob.db.sessions.get(peer), undefined, 'nor anything kept');
    bob.db.contacts.remove(peer);
    await a.send(bob.keys.accountId, 'from a stranger now');
    await b.receive();
    assert.equal(bob.db.sessions.get(peer), undefined, 'a stranger leaves no session row');
    assert.deepEqual(undecryptable.at(-1)?.[1], undefined, 'and is not named');
  });

  it('a first message re-deposited after its seen entry expired, its prekeys still kept, does not replace the session', async () => {
    const { net, view, alice, bob, now, advance } = twoParties(crypto);
    const messenger = (p: typeof alice) => createMessenger({ crypto, now, db: p.db, keys: p.keys, swarm: view.swarm, mailbox: view.mailbox, prekeyRotationMs: 12 * HOUR, depositPowBits: 4 });
    const a = messenger(alice);
    const b = messenger(bob);
    await a.prepare();
    await b.prepare();
    await a.send(bob.keys.accountId, 'first');
    const first = net.bodies('inbox').at(-1)?.slice();
    assert.ok(first !== undefined);
    assert.deepEqual((await b.receive()).map((m) => m.text), ['first']);
    const session = bob.db.sessions.get(alice.keys.identityPublicKey);
    // Bob stays offline 17 days (his prekeys are not rotated, so not deleted); then someone
    // deposits Alice's first envelope again.
    advance(17 * 24 * HOUR);
    await view.swarm.store({ account: bob.keys.identityPublicKey, namespace: 'inbox', body: first, ttlMs: 24 * HOUR, proof: { powNonce: new Uint8Array(8) } });
    assert.deepEqual(await b.receive(), []);
    assert.deepEqual(bob.db.sessions.get(alice.keys.identityPublicKey), session, 'the session is the same');
  });
});
