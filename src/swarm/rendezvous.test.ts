import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { toHex, utf8 } from '../crypto/bytes.ts';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { DEFAULT_SWARM_SIZE, accountKey, compareBytes, createSwarmIndex, type SwarmIndex } from './rendezvous.ts';
import { nobleProvider } from '../../test/support/providers.ts';
import { codeOf } from '../../test/support/error-code.ts';

const crypto = createNodeCryptoProvider();

// ---- An independent reference: the formula of the module comment, with BigInt and a full sort. ----

function sha256(...parts: Uint8Array[]): Uint8Array {
  return crypto.hash('sha256', Uint8Array.from(parts.flatMap((p) => [...p])));
}
function key64(label: string, id: Uint8Array): bigint {
  const d = sha256(utf8(label), Uint8Array.of(0), id);
  return BigInt(`0x${toHex(d.subarray(0, 8))}`);
}
function fmix32Ref(v: bigint): bigint {
  const M = 0xffffffffn;
  let h = v & M;
  h ^= h >> 16n;
  h = (h * 0x85ebca6bn) & M;
  h ^= h >> 13n;
  h = (h * 0xc2b2ae35n) & M;
  h ^= h >> 16n;
  return h;
}
function scoreRef(nodeId: Uint8Array, accountId: Uint8Array): bigint {
  const v = key64('samizdat/v1/swarm-node', nodeId) ^ key64('samizdat/v1/swarm-account', accountId);
  const lo = fmix32Ref(v >> 32n);
  const hi = fmix32Ref(lo ^ (v & 0xffffffffn));
  return (hi << 32n) | lo;
}
function swarmRef(nodeIds: readonly Uint8Array[], accountId: Uint8Array, k: number): string[] {
  return nodeIds
    .map((id) => ({ id, score: scoreRef(id, accountId) }))
    .sort((a, b) => (a.score === b.score ? compareBytes(a.id, b.id) : a.score > b.score ? -1 : 1))
    .slice(0, k)
    .map((e) => toHex(e.id));
}

const hexIds = (index: SwarmIndex, swarm: readonly number[]): string[] => swarm.map((i) => toHex(index.nodeId(i)));

const nodeIdsArb = (minLength: number, maxLength: number): fc.Arbitrary<Uint8Array[]> =>
  fc.uniqueArray(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength, maxLength, selector: (b) => toHex(b) });
const accountArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const kArb = fc.integer({ min: 1, max: 8 });


describe('rendezvous hashing', () => {
  it('matches fixed vectors of the documented score formula', () => {
    // Regression vectors: changing the formula reshuffles every swarm in a live network.
    const node = Uint8Array.from({ length: 32 }, (_, i) => i);
    const account = new Uint8Array(32).fill(0xff);
    const index = createSwarmIndex(crypto, [node]);
    const score = index.scoreOf(0, accountKey(crypto, account));
    assert.equal(score, scoreRef(node, account));
    assert.equal(score.toString(16).padStart(16, '0'), SCORE_VECTOR);
  });

  it('agrees with the BigInt reference (full sort), on both crypto providers', () => {
    fc.assert(
      fc.property(nodeIdsArb(1, 30), accountArb, kArb, (ids, account, k) => {
        const expected = swarmRef(ids, account, k);
        for (const provider of [crypto, nobleProvider]) {
          const index = createSwarmIndex(provider, ids);
          assert.deepEqual(hexIds(index, index.swarmOf(account, k)), expected);
          assert.deepEqual(index.swarmIdsOf(account, k).map(toHex), expected);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('is deterministic and returns min(k, n) distinct nodes', () => {
    fc.assert(
      fc.property(nodeIdsArb(0, 25), accountArb, fc.integer({ min: 1, max: 40 }), (ids, account, k) => {
        const a = createSwarmIndex(crypto, ids).swarmOf(account, k);
        const b = createSwarmIndex(crypto, ids).swarmOf(account, k);
        assert.deepEqual(a, b);
        assert.equal(a.length, Math.min(k, ids.length));
        assert.equal(new Set(a).size, a.length);
        for (const i of a) assert.ok(Number.isInteger(i) && i >= 0 && i < ids.length);
      }),
    );
  });

  it('does not depend on the order of the node list', () => {
    fc.assert(
      fc.property(
        nodeIdsArb(1, 30).chain((ids) => fc.tuple(fc.constant(ids), fc.shuffledSubarray(ids, { minLength: ids.length }))),
        accountArb,
        kArb,
        ([ids, shuffled], account, k) => {
          const a = createSwarmIndex(crypto, ids);
          const b = createSwarmIndex(crypto, shuffled);
          assert.deepEqual(hexIds(a, a.swarmOf(account, k)), hexIds(b, b.swarmOf(account, k)));
        },
      ),
    );
  });

  it('when a node leaves, only accounts that had it change, by exactly that node being replaced', () => {
    fc.assert(
      fc.property(
        nodeIdsArb(2, 30).chain((ids) => fc.tuple(fc.constant(ids), fc.nat(ids.length - 1))),
        fc.array(accountArb, { minLength: 1, maxLength: 20 }),
        kArb,
        ([ids, leaver], accounts, k) => {
          const before = createSwarmIndex(crypto, ids);
          const after = createSwarmIndex(crypto, ids.filter((_, i) => i !== leaver));
          const gone = toHex(ids[leaver] ?? new Uint8Array(0));
          for (const account of accounts) {
            const old = hexIds(before, before.swarmOf(account, k));
            const now = hexIds(after, after.swarmOf(account, k));
            if (!old.includes(gone)) {
              assert.deepEqual(now, old);
              continue;
            }
            const kept = old.filter((h) => h !== gone);
            // The survivors keep their order; at most one newcomer fills the freed slot, last.
            assert.deepEqual(now.slice(0, kept.length), kept);
            assert.equal(now.length, Math.min(k, ids.length - 1));
            for (const h of now.slice(kept.length)) assert.ok(!old.includes(h));
          }
        },
      ),
    );
  });

  it('when a node joins, a swarm changes only if the newcomer enters its top k', () => {
    fc.assert(
      fc.property(
        nodeIdsArb(2, 30).chain((ids) => fc.tuple(fc.constant(ids), fc.nat(ids.length - 1))),
        fc.array(accountArb, { minLength: 1, maxLength: 20 }),
        kArb,
        ([ids, joiner], accounts, k) => {
          const before = createSwarmIndex(crypto, ids.filter((_, i) => i !== joiner));
          const after = createSwarmIndex(crypto, ids);
          const added = toHex(ids[joiner] ?? new Uint8Array(0));
          for (const account of accounts) {
            const old = hexIds(before, before.swarmOf(account, k));
            const now = hexIds(after, after.swarmOf(account, k));
            if (!now.includes(added)) {
              assert.deepEqual(now, old);
              continue;
            }
            // The newcomer is inserted at its rank; the others keep their order and the last may drop.
            const withoutNew = now.filter((h) => h !== added);
            assert.deepEqual(withoutNew, old.slice(0, withoutNew.length));
            assert.equal(now.length, Math.min(k, ids.length));
          }
        },
      ),
    );
  });

  it('returns all n nodes, best first, when k > n', () => {
    const ids = [1, 2, 3].map((b) => new Uint8Array(32).fill(b));
    const account = new Uint8Array(32).fill(9);
    const index = createSwarmIndex(crypto, ids);
    const all = index.swarmOf(account, 10);
    assert.deepEqual([...all].sort(), [0, 1, 2]);
    assert.deepEqual(hexIds(index, all), swarmRef(ids, account, 3));
    assert.deepEqual(createSwarmIndex(crypto, []).swarmOf(account, DEFAULT_SWARM_SIZE), []);
  });

  it('spreads accounts evenly (statistical sanity; the bench measures at scale)', () => {
    const n = 100;
    const ids = Array.from({ length: n }, (_, i) => sha256(utf8(`node ${i}`)));
    const index = createSwarmIndex(crypto, ids);
    const load = new Array<number>(n).fill(0);
    const accounts = 20_000;
    for (let a = 0; a < accounts; a++) {
      for (const i of index.swarmOfPrehashed(accountKey(crypto, sha256(utf8(`account ${a}`))), DEFAULT_SWARM_SIZE)) {
        load[i] = (load[i] ?? 0) + 1;
      }
    }
    const mean = (accounts * DEFAULT_SWARM_SIZE) / n;
    // Binomial: sd ~ 31 around 1000, so 1.25 x mean is ~8 sd away.
    assert.ok(Math.max(...load) / mean < 1.25, `max/mean = ${Math.max(...load) / mean}`);
    assert.ok(Math.min(...load) / mean > 0.75, `min/mean = ${Math.min(...load) / mean}`);
  });

  it('rejects bad input with INVALID_ARGUMENT', () => {
    const id = new Uint8Array(32);
    const index = createSwarmIndex(crypto, [id]);
    const bad: (() => unknown)[] = [
      () => createSwarmIndex(crypto, [id, id.slice()]),
      () => createSwarmIndex(crypto, [new Uint8Array(0)]),
      () => createSwarmIndex(crypto, [new Uint8Array(257)]),
      () => createSwarmIndex(crypto, ['ab' as unknown as Uint8Array]),
      () => createSwarmIndex(crypto, 'x' as unknown as Uint8Array[]),
      () => index.swarmOf(id, 0),
      () => index.swarmOf(id, 1.5),
      () => index.swarmOf(id, Number.NaN),
      () => index.swarmOf(new Uint8Array(0), 5),
      () => index.swarmOf([1, 2] as unknown as Uint8Array, 5),
      () => index.swarmOfPrehashed({ hi: 0.5, lo: 0 }, 5),
      () => index.swarmOfPrehashed(null as unknown as { hi: number; lo: number }, 5),
      () => index.nodeId(1),
      () => index.scoreOf(-1, accountKey(crypto, id)),
    ];
    for (const fn of bad) assert.equal(codeOf(fn), 'INVALID_ARGUMENT');
  });

  it('copies node IDs, so later changes to the caller’s arrays do not move swarms', () => {
    const ids = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    const index = createSwarmIndex(crypto, ids);
    const account = new Uint8Array(32).fill(3);
    const before = hexIds(index, index.swarmOf(account, 2));
    ids[0]?.fill(7);
    assert.deepEqual(hexIds(index, index.swarmOf(account, 2)), before);
  });
});

/** score(node = 00 01 .. 1f, account = ff x 32), hex: recorded from the reference implementation. */
const SCORE_VECTOR = '298d0fd35432c69e';
