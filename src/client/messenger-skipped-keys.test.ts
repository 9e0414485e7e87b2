/**
 * Skipped message keys expire with the TTL (SKIPPED_KEY_TTL_MS) also in a conversation that goes
 * quiet: prepare() drops them from the stored sessions, not only the ratchet when a session is
 * next used (forward secrecy for the messages that never came).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { SKIPPED_KEY_TTL_MS } from '../e2e/ratchet-limits.ts';
import { twoParties } from '../../test/support/profile-party.ts';
import { createMessenger } from './messenger.ts';
import { MAX_REQUEST_SKIPPED_KEYS } from './requests.ts';
import { loadPeerRecord } from './session-crypto.ts';
import type { SwarmMailbox } from './swarm-mailbox.ts';

const crypto = createNodeCryptoProvider();
const HOUR = 3_600_000;

/**
 * Alice and Bob with messengers, prepared; while losing, Alice's deposits "succeed" but never
 * reach Bob's inbox (the messages Bob will have to skip).
 */
async function lossyParties() {
  const { view, alice, bob, now, advance } = twoParties(crypto);
  let losing = false;
  const lossy: SwarmMailbox = {
    ...view.swarm,
    store: (o) => (losing && o.namespace === 'inbox' ? Promise.resolve({ id: crypto.randomBytes(32), expiresAtMs: now() + HOUR, replicas: 5, target: view.swarm.swarmOf(o.account)[0]! }) : view.swarm.store(o)),
  };
  const messenger = (p: typeof alice, swarm: SwarmMailbox) => createMessenger({ crypto, now, db: p.db, keys: p.keys, swarm, mailbox: view.mailbox, prekeyRotationMs: 12 * HOUR, depositPowBits: 4 });
  const a = messenger(alice, lossy);
  const b = messenger(bob, view.swarm);
  await a.prepare();
  await b.prepare();
  return { alice, bob, advance, a, b, lossless: view.swarm, messenger, setLosing: (on: boolean) => (losing = on) };
}

describe('messenger: skipped message keys', () => {
  it('are dropped from a quiet session once they expire', async () => {
    const { alice, bob, advance, a, b, lossless, messenger, setLosing } = await lossyParties();
    await a.send(bob.keys.accountId, 'a1');
    await b.receive();
    await b.accept(alice.keys.accountId, 'alice');
    await a.receive();
    setLosing(true);
    await a.send(bob.keys.accountId, 'lost 1');
    await a.send(bob.keys.accountId, 'lost 2');
    setLosing(false);
    await a.send(bob.keys.accountId, 'a4');
    assert.deepEqual((await b.receive()).map((m) => m.text), ['a4']);
    const skipped = (): number => loadPeerRecord(crypto, bob.db, alice.keys.identityPublicKey).current?.ratchet.skipped.entries.size ?? -1;
    assert.equal(skipped(), 2, 'the keys of the two lost messages are kept for a while');
    advance(SKIPPED_KEY_TTL_MS - HOUR);
    await b.prepare({ force: true });
    assert.equal(skipped(), 2, 'not yet expired');
    advance(2 * HOUR);
    // A new process of Bob's profile: its first prepare sweeps.
    await messenger(bob, lossless).prepare({ force: true });
    assert.equal(skipped(), 0, 'expired keys are gone from disk though the session was not used');
  });

  it('a pending request keeps at most MAX_REQUEST_SKIPPED_KEYS of them', async () => {
    const { alice, bob, a, b, setLosing } = await lossyParties();
    await a.send(bob.keys.accountId, 'hello');
    await b.receive();
    setLosing(true);
    for (let i = 0; i < MAX_REQUEST_SKIPPED_KEYS + 10; i++) await a.send(bob.keys.accountId, `lost ${i}`);
    setLosing(false);
    await a.send(bob.keys.accountId, 'still a stranger');
    assert.deepEqual((await b.receive()).map((m) => [m.text, m.request]), [['still a stranger', true]]);
    const skipped = loadPeerRecord(crypto, bob.db, alice.keys.identityPublicKey).current?.ratchet.skipped.entries.size;
    assert.equal(skipped, MAX_REQUEST_SKIPPED_KEYS, 'a stranger cannot make us keep more');
  });
});
