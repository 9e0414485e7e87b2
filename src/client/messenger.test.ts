import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { isSamizdatError } from '../errors.ts';
import { deriveAccountKeys, type AccountKeys } from '../identity/account-keys.ts';
import { toHex } from '../crypto/bytes.ts';
import { generateRecoveryPhrase } from '../identity/recovery-phrase.ts';
import { createMemoryNetwork, type MemoryNetwork } from '../../test/support/memory-swarm.ts';
import { createMessenger, type Messenger } from './messenger.ts';
import { openProfileDb, type ProfileDb } from './profile-db.ts';
import { block, declineRequest, listRequests, setRequestsEnabled, unblock } from './requests.ts';
import { MAX_MESSAGE_LIST_LIMIT } from './profile-db-limits.ts';
import { contactSafetyCode, verifyContact } from './verification.ts';

const crypto = createNodeCryptoProvider();
const HOUR = 3_600_000;

interface Person {
  readonly keys: AccountKeys;
  readonly accountId: string;
  readonly identity: Uint8Array;
  readonly db: ProfileDb;
  readonly messenger: Messenger;
  /** (code, from) of every envelope that could not be opened. */
  readonly undecryptable: [string, string | undefined][];
}

function person(net: MemoryNetwork, now: () => number = Date.now): Person {
  const keys = deriveAccountKeys(crypto, generateRecoveryPhrase((n) => crypto.randomBytes(n)));
  const db = openProfileDb({ path: ':memory:', crypto, now, account: keys });
  const { swarm, mailbox } = net.view();
  const undecryptable: [string, string | undefined][] = [];
  const messenger = createMessenger({ crypto, now, db, keys, swarm, mailbox, prekeyRotationMs: 12 * HOUR, depositPowBits: 4, onUndecryptable: (code, from) => undecryptable.push([code, from]) });
  return { keys, accountId: keys.accountId, identity: keys.identityPublicKey, db, messenger, undecryptable };
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle));
}

describe('messenger over an in-memory network', () => {
  it('a first message and a reply: contacts named, sessions established, the handshake stops after the answer', async () => {
    const net = createMemoryNetwork(crypto);
    const alice = person(net);
    const bob = person(net);
    await alice.messenger.prepare();
    await bob.messenger.prepare();
    alice.db.contacts.add(bob.accountId, 'bob');
    const sent = await alice.messenger.send('bob', 'hello bob');
    assert.equal(sent.replicas, 2, 'a second member got a copy');
    const got = await bob.messenger.receive();
    assert.equal(got.length, 1);
    const first = got[0]!;
    assert.deepEqual({ ...first, receivedAt: 0, fromName: first.fromName?.startsWith('request-') }, { id: sent.id, from: alice.accountId, fromName: true, text: 'hello bob', sentAt: first.sentAt, receivedAt: 0, sessionReset: false, request: true, kind: 'text', identityChanged: false });
    assert.deepEqual(await bob.messenger.receive(), [], 'read envelopes are deleted from the swarm');
    await bob.messenger.send(alice.accountId, 'hi alice');
    const reply = await alice.messenger.receive();
    assert.deepEqual(reply.map((m) => [m.fromName, m.text]), [['bob', 'hi alice']]);
    // Alice's next message no longer carries the handshake: a smaller envelope.
    const before = net.bodies().length;
    await alice.messenger.send('bob', 'short');
    const newest = net.bodies().slice(before)[0];
    assert.ok(newest !== undefined && newest.length < 4_000, `later envelope is ${newest?.length} bytes`);
    assert.deepEqual((await bob.messenger.receive()).map((m) => m.text), ['short']);
    assert.deepEqual(alice.db.messages.list(bob.identity).map((m) => [m.direction, m.text, m.state]), [
      ['out', 'hello bob', 'stored'],
      ['in', 'hi alice', 'received'],
      ['out', 'short', 'stored'],
    ]);
  });

  it('both start a session at the same time and converge on one', async () => {
    const net = createMemoryNetwork(crypto);
    const alice = person(net);
    const bob = person(net);
    await alice.messenger.prepare();
    await bob.messenger.prepare();
    await alice.messenger.send(bob.accountId, 'a1');
    await bob.messenger.send(alice.accountId, 'b1');
    assert.deepEqual((await alice.messenger.receive()).map((m) => m.text), ['b1']);
    assert.deepEqual((await bob.messenger.receive()).map((m) => m.text), ['a1']);
    for (let i = 0; i < 3; i++) {
      await alice.messenger.send(bob.accountId, `a${i + 2}`);
      assert.deepEqual((await bob.messenger.receive()).map((m) => m.text), [`a${i + 2}`]);
      await bob.messenger.send(alice.accountId, `b${i + 2}`);
      assert.deepEqual((await alice.messenger.receive()).map((m) => m.text), [`b${i + 2}`]);
    }
  });

  it('many messages in one direction, read in one batch, each once and in order', async () => {
    const net = createMemoryNetwork(crypto);
    const alice = person(net);
    const bob = person(net);
    await bob.messenger.prepare();
    for (let i = 0; i < 20; i++) await alice.messenger.send(bob.accountId, `m${i}`);
    const got = await bob.messenger.receive();
    assert.deepEqual(got.map((m) => m.text), Array.from({ length: 20 }, (_, i) => `m${i}`));
  });

  it('the swarm holds no plaintext, no sender Account ID and no sender key bytes', async () => {
    const net = createMemoryNetwork(crypto);
    const alice = person(net);
    const bob = person(net);
    await alice.messenger.prepare();
    await bob.messenger.prepare();
    const secret = 'MEET-AT-THE-BRIDGE-AT-NOON';
    await alice.messenger.send(bob.accountId, secret);
    await bob.messenger.send(alice.accountId, secret);
    const envelopes = net.bodies('inbox');
    assert.equal(envelopes.length, 2);
    for (const envelope of envelopes) {
      assert.ok(!contains(envelope, new TextEncoder().encode(secret)), 'no plaintext');
      assert.ok(!contains(envelope, new TextEncoder().encode(alice.accountId)) && !contains(envelope, new TextEncoder().encode(bob.accountId)), 'no Account ID text');
      assert.ok(!contains(envelope, alice.identity) && !contains(envelope, bob.identity), 'no identity key');
    }
  });

  it('sending to an account without a bundle, to a bad ID or to oneself fails with a typed error', async () => {
    const net = createMemoryNetwork(crypto);
    const alice = person(net);
    const nobody = person(net);
    await assert.rejects(alice.messenger.send(nobody.accountId, 'x'), (e) => isSamizdatError(e, 'NOT_FOUND'));
    await assert.rejects(alice.messenger.send('sz1notanaccount', 'x'), (e) => isSamizdatError(e, 'NOT_FOUND'));
    await assert.rejects(alice.messenger.send(alice.accountId, 'x'), (e) => isSamizdatError(e, 'INVALID_ARGUMENT'));
    assert.deepEqual(alice.db.messages.recent(), [], 'nothing recorded for a send that could not start');
  });

  it('rotated prekeys: a new bundle is published and messages sealed to the old one still open', async () => {
    let t = Date.now();
    const clock = (): number => t;
    const net = createMemoryNetwork(crypto, clock);
    const alice = person(net, clock);
    const bob = person(net, clock);
    await bob.messenger.prepare();
    await alice.messenger.send(bob.accountId, 'before rotation');
    t += 13 * HOUR;
    await bob.messenger.prepare();
    assert.equal(bob.db.prekeys.list('signed-x25519').length, 2, 'the old signed prekey is kept');
    assert.deepEqual((await bob.messenger.receive()).map((m) => m.text), ['before rotation']);
    t += 17 * 24 * HOUR;
    await bob.messenger.prepare();
    assert.equal(bob.db.prekeys.list('signed-x25519').length, 2, 'prekeys replaced more than 16 days ago are deleted');
  });

  it('unrecoverable session state: the user is told, and a new handshake brings both sides together', async () => {
    const net = createMemoryNetwork(crypto);
    const alice = person(net);
    const bob = person(net);
    await alice.messenger.prepare();
    await bob.messenger.prepare();
    await alice.messenger.send(bob.accountId, 'one');
    await bob.messenger.receive();
    await bob.messenger.send(alice.accountId, 'two');
    await alice.messenger.receive();
    // Bob's state for Alice is damaged on disk.
    bob.db.sessions.put(alice.identity, new Uint8Array([0xff, 0x01, 0x02]));
    await alice.messenger.send(bob.accountId, 'lost');
    assert.deepEqual(await bob.messenger.receive(), []);
    assert.deepEqual(bob.undecryptable, [['DECRYPT_FAILED', alice.accountId]], 'Bob is told who could not be read');
    const restart = await bob.messenger.send(alice.accountId, 'starting over');
    assert.equal(restart.sessionReset, false, 'the damaged record was already replaced when the message failed');
    const got = await alice.messenger.receive();
    assert.deepEqual(got.map((m) => [m.text, m.sessionReset]), [['starting over', true]], 'Alice is told the session was reset');
    await alice.messenger.send(bob.accountId, 'back together');
    assert.deepEqual((await bob.messenger.receive()).map((m) => m.text), ['back together']);
  });

  it('a damaged record on the sending side starts a new handshake and says so', async () => {
    const net = createMemoryNetwork(crypto);
    const alice = person(net);
    const bob = person(net);
    await bob.messenger.prepare();
    await alice.messenger.prepare();
    await alice.messenger.send(bob.accountId, 'one');
    await bob.messenger.receive();
    alice.db.sessions.put(bob.identity, new Uint8Array([0x0a, 0xff]));
    const sent = await alice.messenger.send(bob.accountId, 'two');
    assert.equal(sent.sessionReset, true);
    assert.deepEqual((await bob.messenger.receive()).map((m) => [m.text, m.sessionReset]), [['two', true]]);
  });

  it('requests: a stranger lands in requests; accepting tells them; declining forgets them; blocking drops them unread', async () => {
    const net = createMemoryNetwork(crypto);
    const alice = person(net);
    const bob = person(net);
    const mallory = person(net);
    for (const p of [alice, bob, mallory]) await p.messenger.prepare();
    await alice.messenger.send(bob.accountId, 'hi, I am alice');
    await mallory.messenger.send(bob.accountId, 'buy now');
    const got = await bob.messenger.receive();
    assert.deepEqual(got.map((m) => [m.text, m.request]), [['hi, I am alice', true], ['buy now', true]]);
    assert.deepEqual(listRequests(bob.db).map((c) => c.accountId).sort(), [alice.accountId, mallory.accountId].sort());
    // Accept Alice under a name: she is told.
    await bob.messenger.accept(alice.accountId, 'alice');
    const told = await alice.messenger.receive();
    assert.deepEqual(told.map((m) => [m.kind, m.request]), [['accepted', true]]);
    await alice.messenger.send(bob.accountId, 'thanks');
    assert.equal(net.proofs.at(-1), 'contact', 'once accepted, Alice signs her deposits with the key Bob sent');
    assert.equal(net.proofs[0], 'pow', 'a stranger pays with proof of work');
    assert.deepEqual((await bob.messenger.receive()).map((m) => [m.fromName, m.text, m.request]), [['alice', 'thanks', false]]);
    // Block Mallory: later messages are dropped unread and deleted from the swarm.
    block(crypto, bob.db, mallory.accountId);
    await mallory.messenger.send(bob.accountId, 'buy now!!');
    assert.deepEqual(await bob.messenger.receive(), []);
    assert.deepEqual(net.bodies('inbox').length, 0, 'deleted from the swarm');
    assert.equal(bob.db.messages.list(mallory.identity).filter((m) => m.text === 'buy now!!').length, 0);
    await assert.rejects(bob.messenger.send(mallory.accountId, 'x'), (e) => isSamizdatError(e, 'INVALID_ARGUMENT'));
    // Unblocking a stranger makes them a request again, not a contact.
    assert.equal(unblock(bob.db, mallory.accountId).state, 'request');
    declineRequest(bob.db, mallory.accountId);
    assert.equal(bob.db.contacts.get(mallory.accountId), undefined);
    assert.deepEqual(bob.db.messages.list(mallory.identity), []);
  });

  it('past MAX_PENDING_REQUESTS pending requests, a new stranger is dropped unread until the user answers one', async () => {
    const net = createMemoryNetwork(crypto);
    const keys = deriveAccountKeys(crypto, generateRecoveryPhrase((n) => crypto.randomBytes(n)));
    const db = openProfileDb({ path: ':memory:', crypto, now: Date.now, account: keys });
    const { swarm, mailbox } = net.view();
    const bob = createMessenger({ crypto, now: Date.now, db, keys, swarm, mailbox, prekeyRotationMs: 12 * HOUR, depositPowBits: 4, maxPendingRequests: 2 });
    await bob.prepare();
    const strangers = [person(net), person(net), person(net)];
    for (const s of strangers) await s.messenger.prepare();
    const [first, second, third] = strangers as [Person, Person, Person];
    await first.messenger.send(keys.accountId, 'one');
    await second.messenger.send(keys.accountId, 'two');
    assert.deepEqual((await bob.receive()).map((m) => m.text), ['one', 'two']);
    await third.messenger.send(keys.accountId, 'three');
    assert.deepEqual(await bob.receive(), [], 'the list is full: dropped unread');
    assert.equal(db.contacts.get(third.accountId), undefined, 'nothing kept of the third');
    assert.equal(net.bodies('inbox').length, 0, 'and deleted from the swarm');
    declineRequest(db, first.accountId);
    await third.messenger.send(keys.accountId, 'three again');
    assert.deepEqual((await bob.receive()).map((m) => [m.text, m.request]), [['three again', true]]);
    assert.deepEqual(listRequests(db).map((c) => c.accountId).sort(), [second.accountId, third.accountId].sort());
  });

  it('with requests off, strangers are dropped; contacts still get through', async () => {
    const net = createMemoryNetwork(crypto);
    const alice = person(net);
    const bob = person(net);
    const stranger = person(net);
    for (const p of [alice, bob, stranger]) await p.messenger.prepare();
    bob.db.contacts.add(alice.accountId, 'alice');
    setRequestsEnabled(bob.db, false);
    await stranger.messenger.send(bob.accountId, 'hello?');
    await alice.messenger.send(bob.accountId, 'hi');
    assert.deepEqual((await bob.messenger.receive()).map((m) => [m.fromName, m.text]), [['alice', 'hi']]);
    assert.equal(bob.db.contacts.get(stranger.accountId), undefined, 'no request entry');
    // Writing to a pending request accepts it.
    setRequestsEnabled(bob.db, true);
    await stranger.messenger.send(bob.accountId, 'hello again');
    await bob.messenger.receive();
    await bob.messenger.send(stranger.accountId, 'ok, hi');
    assert.equal(bob.db.contacts.get(stranger.accountId)?.state, 'accepted');
  });

  it("a verified contact whose identity keys changed: sending is held and incoming messages are flagged", async () => {
    const net = createMemoryNetwork(crypto);
    const alice = person(net);
    const bob = person(net);
    await alice.messenger.prepare();
    await bob.messenger.prepare();
    alice.db.contacts.add(bob.accountId, 'bob');
    bob.db.contacts.add(alice.accountId, 'alice');
    await alice.messenger.send('bob', 'hi');
    assert.deepEqual((await bob.messenger.receive()).map((m) => m.identityChanged), [false]);
    assert.ok(alice.db.contacts.get('bob')?.identityX25519 !== undefined, 'the key is remembered from the bundle');
    // Pretend both verified other keys than the ones the accounts now use.
    const other = crypto.generateKey('x25519').publicKey;
    alice.db.contacts.update('bob', { verified: true, identityX25519: other });
    bob.db.contacts.update('alice', { verified: true, identityX25519: other });
    await assert.rejects(alice.messenger.send('bob', 'held?'), (e) => isSamizdatError(e, 'VERIFICATION_FAILED'));
    assert.equal(alice.db.messages.list(bob.identity).filter((m) => m.text === 'held?').length, 0);
    await bob.messenger.send('alice', 'from bob').catch(() => undefined);
    bob.db.contacts.update('alice', { verified: false });
    await bob.messenger.send('alice', 'from bob');
    alice.db.contacts.update('bob', { verified: true });
    assert.deepEqual((await alice.messenger.receive()).map((m) => [m.text, m.identityChanged]), [['', true]], 'held: the text is not shown');
    assert.deepEqual(alice.db.messages.list(bob.identity).filter((m) => m.state === 'held').map((m) => m.text), ['from bob']);
    // Verifying again releases every held message, more than one page of them too.
    alice.db.transaction(() => {
      for (let i = 0; i < MAX_MESSAGE_LIST_LIMIT + 5; i++) {
        alice.db.messages.append(bob.identity, { id: toHex(crypto.randomBytes(16)), direction: 'in', text: `held ${i}`, sentAt: 1, receivedAt: 1, state: 'held' });
      }
    });
    const code = contactSafetyCode(crypto, alice.db, alice.keys, 'bob', Date.now());
    verifyContact(crypto, alice.db, alice.keys, 'bob', code.code, Date.now());
    const held = [...alice.db.messages.all()].filter((m) => m.state === 'held');
    assert.equal(held.length, 0, `${held.length} messages still held`);
  });

  it('blocks and the requests setting survive a restore from the recovery phrase', async () => {
    const net = createMemoryNetwork(crypto);
    const phrase = generateRecoveryPhrase((n) => crypto.randomBytes(n));
    const open = (): Person => {
      const keys = deriveAccountKeys(crypto, phrase);
      const db = openProfileDb({ path: ':memory:', crypto, now: Date.now, account: keys });
      const { swarm, mailbox } = net.view();
      return { keys, accountId: keys.accountId, identity: keys.identityPublicKey, db, messenger: createMessenger({ crypto, now: Date.now, db, keys, swarm, mailbox, prekeyRotationMs: 12 * HOUR, depositPowBits: 4 }), undecryptable: [] };
    };
    const bob = open();
    const mallory = person(net);
    await bob.messenger.prepare();
    block(crypto, bob.db, mallory.accountId);
    setRequestsEnabled(bob.db, false);
    await bob.messenger.prepare({ force: true });
    block(crypto, bob.db, person(net).accountId);
    await bob.messenger.prepare({ force: true });
    assert.equal(net.bodies('config').filter((b) => new TextDecoder().decode(b).includes('owner-backup')).length, 1, 'superseded backups are deleted');
    // A new device: same phrase, empty database.
    const restored = open();
    await restored.messenger.prepare();
    assert.equal(restored.db.contacts.get(mallory.accountId)?.state, 'blocked');
    assert.equal(restored.db.contacts.list().filter((c) => c.state === 'blocked').length, 2);
    assert.equal(restored.db.settings.get('requests'), 'off');
    // The backup is unreadable to anyone else: no Account ID in the clear.
    for (const body of net.bodies('config')) assert.ok(!contains(body, new TextEncoder().encode(mallory.accountId)));
  });
});
