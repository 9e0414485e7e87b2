// Guard pinning (issue 4): two guards kept on disk across restarts (atomic, mode 0600), replaced
// after GUARD_MAX_FAILURES consecutive failures, or once missing from the consensus for
// GUARD_UNLISTED_GRACE_MS (meanwhile a stand-in is used, and dropped when the guard returns).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { GUARD_COUNT, GUARD_FILE, GUARD_MAX_FAILURES, GUARD_UNLISTED_GRACE_MS, openGuardStore } from '../../src/client/guard-store.ts';
import { subnetsOf } from '../../src/client/path-select.ts';
import { createNodeCryptoProvider } from '../../src/crypto/index.ts';
import { peerIdOfPublicKey } from '../../src/directory/index.ts';
import { isSamizdatError } from '../../src/errors.ts';
import { fakeNode, seededRandomInt } from './nodes.ts';

const crypto = createNodeCryptoProvider();
const peers = Array.from({ length: 8 }, () => peerIdOfPublicKey(crypto.generateKey('ed25519').publicKey));
const PEER = (i: number): string => peers[i]!;
const nodes = Array.from({ length: 8 }, (_, i) => fakeNode(PEER(i), [`/ip4/10.0.${i % 4}.${i}/tcp/1`]));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'samizdat-guards-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

let clock = 1_000;
beforeEach(() => {
  clock = 1_000;
});
const open = (seed = 1, allowSameSubnet = false) => openGuardStore({ dir: path.join(dir, 'profile'), now: () => clock, randomInt: seededRandomInt(seed), allowSameSubnet });

describe('guard store', () => {
  it('pins two guards in different /24s and keeps them across restarts', async () => {
    const store = await open(1);
    const guards = await store.guardsFor(nodes);
    assert.equal(guards.length, GUARD_COUNT);
    const [a, b] = guards.map((g) => nodes.find((n) => n.peerId === g)!);
    assert.ok(![...subnetsOf(a!)].some((s) => subnetsOf(b!).has(s)), 'guards in different networks');
    const file = path.join(dir, 'profile', GUARD_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(path.dirname(file)), [GUARD_FILE], 'no temporary file left behind');
    const again = await open(99); // other randomness: the pinned guards still win
    assert.deepEqual(await again.guardsFor(nodes), guards);
  });

  it('replaces a guard after GUARD_MAX_FAILURES consecutive failures, not before; success resets', async () => {
    const store = await open(2);
    const [g0, g1] = await store.guardsFor(nodes);
    for (let i = 0; i < GUARD_MAX_FAILURES - 1; i++) await store.recordFailure(g0!);
    await store.recordSuccess(g0!);
    for (let i = 0; i < GUARD_MAX_FAILURES - 1; i++) await store.recordFailure(g0!);
    assert.deepEqual(await store.guardsFor(nodes), [g0, g1], 'still pinned after a reset count');
    // The count survives a restart.
    const reopened = await open(2);
    assert.equal(reopened.current().find((g) => g.peerId === g0)?.failures, GUARD_MAX_FAILURES - 1);
    await reopened.recordFailure(g0!);
    const next = await reopened.guardsFor(nodes);
    assert.equal(next.length, GUARD_COUNT);
    assert.ok(!next.includes(g0!), 'the failing guard is gone');
    assert.ok(next.includes(g1!), 'the other guard stays');
  });

  it('a guard missing from the consensus is skipped but kept for the grace period, then replaced', async () => {
    const store = await open(3);
    const [g0, g1] = await store.guardsFor(nodes);
    const without = nodes.filter((n) => n.peerId !== g0);
    // One consensus without it: a stand-in is used, and the guard stays pinned (on disk too).
    const meanwhile = await store.guardsFor(without);
    assert.ok(meanwhile.includes(g1!) && !meanwhile.includes(g0!) && meanwhile.length === GUARD_COUNT);
    const standIn = meanwhile.find((p) => p !== g1);
    const saved = (): { peerId: string; unlistedSinceMs?: number }[] => (JSON.parse(readFileSync(store.file, 'utf8')) as { guards: { peerId: string; unlistedSinceMs?: number }[] }).guards;
    assert.deepEqual(saved().map((g) => [g.peerId, g.unlistedSinceMs]), [[g0, clock], [g1, undefined], [standIn, undefined]]);
    // Listed again within the grace period (even after a restart): the guard is back, the stand-in goes.
    clock += GUARD_UNLISTED_GRACE_MS - 1;
    const reopened = await open(3);
    assert.deepEqual(await reopened.guardsFor(nodes), [g0, g1]);
    assert.deepEqual(saved().map((g) => g.peerId), [g0, g1]);
    // Missing for the whole grace period: replaced for good.
    await reopened.guardsFor(without);
    clock += GUARD_UNLISTED_GRACE_MS;
    const later = await reopened.guardsFor(without);
    assert.ok(!later.includes(g0!) && later.includes(g1!) && later.length === GUARD_COUNT);
    assert.deepEqual(saved().map((g) => g.peerId), later);
  });

  it('never pins an excluded node and copes with a tiny consensus', async () => {
    const store = await open(4, true);
    const two = nodes.slice(0, 2);
    assert.deepEqual(await store.guardsFor(two, [two[0]!.peerId]), [two[1]!.peerId]);
    assert.deepEqual(await store.guardsFor([]), []);
  });

  it('refuses a damaged file with STORAGE_FAILED naming it', async () => {
    const profile = path.join(dir, 'profile');
    await (await open()).guardsFor(nodes);
    for (const text of ['{', '[]', '{"version":2,"guards":[]}', `{"version":1,"guards":[{"peerId":"x","addedAtMs":0,"failures":0}]}`, `{"version":1,"guards":[{"peerId":"${PEER(1)}","addedAtMs":0,"failures":99}]}`]) {
      writeFileSync(path.join(profile, GUARD_FILE), text);
      await assert.rejects(open(), (e: unknown) => isSamizdatError(e, 'STORAGE_FAILED') && e.detail.file === path.join(profile, GUARD_FILE), text);
    }
  });
});
