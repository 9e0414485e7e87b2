import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { createMemoryNetwork } from '../../test/support/memory-swarm.ts';
import { startWebHarness, type EventReader, type WebHarness } from '../../test/support/web-harness.ts';

const crypto = createNodeCryptoProvider();

type Json = Record<string, unknown>;
const errorCode = (json: unknown): unknown => (json as { error?: { code?: unknown } }).error?.code;

interface Person {
  readonly h: WebHarness;
  readonly accountId: string;
  readonly uri: string;
  readonly events: EventReader;
}

async function person(net: ReturnType<typeof createMemoryNetwork>): Promise<Person> {
  const h = await startWebHarness({ crypto, net });
  const events = await h.events();
  const created = (await h.call('POST', '/api/account/create', {})).json as { accountId: string };
  // Online once the first poll succeeded (the prekey bundle is published before it).
  await events.next('network', (d) => d.online === true);
  const state = (await h.call('GET', '/api/state')).json as { account: { uri: string }; online: boolean };
  assert.equal(state.online, true);
  return { h, accountId: created.accountId, uri: state.account.uri, events };
}

async function ok(h: WebHarness, method: string, pathname: string, body?: unknown): Promise<Json & unknown[]> {
  const answer = await h.call(method, pathname, body);
  assert.equal(answer.status, 200, `${method} ${pathname}: ${JSON.stringify(answer.json)}`);
  return answer.json as Json & unknown[];
}

describe('web API: two profiles on an in-memory network', () => {
  const net = createMemoryNetwork(crypto);
  let alice: Person;
  let bob: Person;
  let carol: Person;

  before(async () => {
    [alice, bob, carol] = await Promise.all([person(net), person(net), person(net)]);
  });
  after(async () => {
    await Promise.all([alice, bob, carol].map((p) => p.h.close()));
    for (const p of [alice, bob, carol]) assert.deepEqual(p.h.internalErrors, [], 'no unexpected errors in the servers');
  });

  it('exchange messages through the API; the event streams carry message, request and message-state', async () => {
    const added = await ok(alice.h, 'POST', '/api/contacts', { idOrUri: bob.uri, name: 'Bob' });
    assert.deepEqual({ ...added, addedAt: 0 }, { name: 'Bob', accountId: bob.accountId, verified: false, state: 'accepted', addedAt: 0 });
    await alice.events.next('contacts');

    const sent = await ok(alice.h, 'POST', '/api/messages', { to: bob.accountId, text: 'hello bob' });
    assert.equal(sent.state, 'sending');
    assert.match(String(sent.id), /^[0-9a-f]{32}$/);
    const stored = await alice.events.next('message-state', (d) => d.id === sent.id);
    assert.deepEqual(stored, { accountId: bob.accountId, id: sent.id, state: 'stored' });

    const arrived = await bob.events.next('message', (d) => d.id === sent.id);
    assert.equal(arrived.text, 'hello bob');
    assert.equal(arrived.accountId, alice.accountId);
    assert.equal(arrived.request, true);
    assert.equal(arrived.identityChanged, false);
    assert.deepEqual(await bob.events.next('request'), { accountId: alice.accountId });

    const requests = await ok(bob.h, 'GET', '/api/requests');
    assert.equal(requests.length, 1);
    const request = requests[0] as { accountId: string; messages: { id: string; text: string }[] };
    assert.equal(request.accountId, alice.accountId);
    assert.deepEqual(request.messages.map((m) => [m.id, m.text]), [[sent.id, 'hello bob']]);

    const accepted = await ok(bob.h, 'POST', `/api/requests/${alice.accountId}/accept`, { name: 'Alice' });
    assert.equal(accepted.name, 'Alice');
    assert.equal(accepted.state, 'accepted');
    assert.equal(accepted.notified, true);
    assert.deepEqual(await ok(bob.h, 'GET', '/api/requests'), []);
    await alice.events.next('contacts'); // "Bob accepted your request"

    const reply = await ok(bob.h, 'POST', '/api/messages', { to: 'Alice', text: 'hi alice' });
    const got = await alice.events.next('message', (d) => d.id === reply.id);
    assert.equal(got.name, 'Bob');
    assert.equal(got.request, false);
    assert.equal(got.text, 'hi alice');

    const conversations = await ok(alice.h, 'GET', '/api/conversations');
    assert.deepEqual(conversations, [
      { accountId: bob.accountId, name: 'Bob', verified: false, state: 'accepted', last: { text: 'hi alice', direction: 'in', sentAt: got.sentAt, state: 'received' } },
    ]);
    const messages = (await ok(alice.h, 'GET', `/api/conversations/${encodeURIComponent(bob.accountId)}/messages`)) as unknown as Json[];
    assert.deepEqual(messages.map((m) => [m.direction, m.text, m.state]), [
      ['out', 'hello bob', 'stored'],
      ['in', 'hi alice', 'received'],
    ]);
    const page = (await ok(alice.h, 'GET', `/api/conversations/Bob/messages?limit=1`)) as unknown as Json[];
    assert.deepEqual(page.map((m) => m.text), ['hi alice']);
    const older = (await ok(alice.h, 'GET', `/api/conversations/Bob/messages?before=${String(page[0]?.seq)}`)) as unknown as Json[];
    assert.deepEqual(older.map((m) => m.text), ['hello bob']);
    assert.equal((await alice.h.call('GET', '/api/conversations/Bob/messages?limit=0')).status, 400);
    assert.equal((await alice.h.call('GET', '/api/conversations/nobody/messages')).status, 404);
  });

  it('identical messages sent at once get their own ids and states', async () => {
    const answers = await Promise.all([1, 2, 3].map(() => ok(alice.h, 'POST', '/api/messages', { to: 'Bob', text: 'same' })));
    const ids = answers.map((a) => String(a.id));
    assert.equal(new Set(ids).size, 3);
    for (const id of ids) {
      await alice.events.next('message-state', (d) => d.id === id && d.state === 'stored');
      await bob.events.next('message', (d) => d.id === id && d.text === 'same');
    }
  });

  it('refusals come back at once: an empty text, an unknown recipient, a mistyped or known Account ID', async () => {
    const empty = await alice.h.call('POST', '/api/messages', { to: bob.accountId, text: '  ' });
    assert.equal(empty.status, 400);
    const unknown = await alice.h.call('POST', '/api/messages', { to: 'nobody', text: 'x' });
    assert.equal(unknown.status, 404);
    assert.equal(errorCode(unknown.json), 'NOT_FOUND');
    const last = bob.accountId.at(-1) === 'q' ? 'p' : 'q';
    const typo = await alice.h.call('POST', '/api/contacts', { idOrUri: `${bob.accountId.slice(0, -1)}${last}`, name: 'typo' });
    assert.equal(typo.status, 400);
    assert.equal(errorCode(typo.json), 'BAD_CHECKSUM');
    const twice = await alice.h.call('POST', '/api/contacts', { idOrUri: bob.accountId, name: 'Bobby' });
    assert.equal(twice.status, 409);
    assert.equal(errorCode(twice.json), 'ALREADY_EXISTS');
  });

  it('safety codes match on both sides; a wrong code is refused (409) and the right one verifies', async () => {
    const fromAlice = await ok(alice.h, 'GET', '/api/contacts/Bob/safety-code');
    const fromBob = await ok(bob.h, 'GET', `/api/contacts/${alice.accountId}/safety-code`);
    assert.match(String(fromAlice.code), /^(\d{5} ){11}\d{5}$/);
    assert.equal(fromAlice.code, fromBob.code);
    assert.equal(fromAlice.verified, false);
    const wrong = String(fromAlice.code).replace(/^\d/, (d) => String((Number(d) + 1) % 10));
    const refused = await alice.h.call('POST', '/api/contacts/Bob/verify', { code: wrong });
    assert.equal(refused.status, 409);
    assert.equal(errorCode(refused.json), 'VERIFICATION_FAILED');
    const verified = await ok(alice.h, 'POST', '/api/contacts/Bob/verify', { code: fromBob.code });
    assert.equal(verified.verified, true);
    assert.equal((await ok(alice.h, 'GET', '/api/contacts/Bob/safety-code')).verified, true);
    // Bob checks Alice by her samizdat: URI (what scanning her QR code gives).
    assert.equal((await ok(bob.h, 'POST', `/api/contacts/${alice.accountId}/verify`, { code: alice.uri })).verified, true);
    // A contact nobody has written to yet has no code.
    await ok(carol.h, 'POST', '/api/contacts', { idOrUri: alice.accountId, name: 'Alice' });
    const none = await carol.h.call('GET', '/api/contacts/Alice/safety-code');
    assert.equal(none.status, 404);
    assert.equal(errorCode(none.json), 'NOT_FOUND');
  });

  it('requests: decline deletes, block drops later messages, unblock makes it a request again', async () => {
    const first = await ok(carol.h, 'POST', '/api/messages', { to: bob.accountId, text: 'buy now' });
    await bob.events.next('request', (d) => d.accountId === carol.accountId);
    assert.equal(((await ok(bob.h, 'GET', '/api/requests')) as unknown[]).length, 1);
    assert.deepEqual(await ok(bob.h, 'POST', `/api/requests/${carol.accountId}/decline`), { accountId: carol.accountId, declined: true });
    assert.deepEqual(await ok(bob.h, 'GET', '/api/requests'), []);
    assert.equal((await bob.h.call('POST', `/api/requests/${carol.accountId}/decline`)).status, 404);
    await carol.events.next('message-state', (d) => d.id === first.id && d.state === 'stored');

    const blocked = await ok(bob.h, 'POST', '/api/block', { accountId: carol.accountId });
    assert.equal(blocked.state, 'blocked');
    const dropped = await ok(carol.h, 'POST', '/api/messages', { to: bob.accountId, text: 'buy again' });
    await carol.events.next('message-state', (d) => d.id === dropped.id && d.state === 'stored');
    // A later message from Alice arrives, so Bob's loop has read past Carol's.
    const later = await ok(alice.h, 'POST', '/api/messages', { to: 'Bob', text: 'still there?' });
    await bob.events.next('message', (d) => d.id === later.id);
    assert.deepEqual(await ok(bob.h, 'GET', '/api/requests'), []);
    const contacts = (await ok(bob.h, 'GET', '/api/contacts')) as unknown as Json[];
    assert.deepEqual(contacts.map((c) => [c.accountId, c.state]).sort(), [[alice.accountId, 'accepted'], [carol.accountId, 'blocked']].sort());
    assert.equal(((await ok(bob.h, 'GET', '/api/conversations')) as unknown[]).length, 1, 'nothing kept from a blocked account');

    const unblocked = await ok(bob.h, 'POST', '/api/unblock', { accountId: carol.accountId });
    assert.equal(unblocked.state, 'request');
    assert.equal((await bob.h.call('POST', '/api/unblock', { accountId: carol.accountId })).status, 404);
    const blockTypo = await bob.h.call('POST', '/api/block', { accountId: 'sz1nothing' });
    assert.equal(blockTypo.status, 404);
    await ok(bob.h, 'POST', '/api/block', { accountId: carol.accountId });
    const toBlocked = await bob.h.call('POST', '/api/messages', { to: carol.accountId, text: 'x' });
    assert.equal(toBlocked.status, 400, 'writing to a blocked account is refused before anything is recorded');
  });

  it('network status: the path and consensus of the connection, online after a poll', async () => {
    const status = await ok(alice.h, 'GET', '/api/network');
    assert.deepEqual(status, {
      online: true,
      connected: true,
      consensus: { validAfterMs: 1_000, validUntilMs: 2_000, nodes: 5 },
      path: { guard: 'member-1', middle: 'member-2', exit: 'member-3' },
      reachableNodes: 5,
      lastError: null,
    });
    // A new event stream starts with the current network state.
    const stream = await alice.h.events();
    assert.deepEqual(await stream.next('network'), { online: true, path: { guard: 'member-1', middle: 'member-2', exit: 'member-3' } });
    stream.close();
  });
});
