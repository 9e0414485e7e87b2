// Path selection (issue 4): distinct hops, never the target, a pinned guard, no two hops in one
// /24 or /48 unless the network allows it, and PATH_FAILED exactly when no such path exists.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { randomIntFrom, selectPath, subnetOf, subnetsOf } from '../../src/client/path-select.ts';
import type { NodeDescriptor } from '../../src/directory/index.ts';
import { isSamizdatError } from '../../src/errors.ts';
import { fakeNode, seededRandomInt } from './nodes.ts';

const ADDRESS_POOL = [
  '/ip4/10.0.0.1/tcp/1',
  '/ip4/10.0.0.2/tcp/1',
  '/ip4/10.0.1.1/tcp/1',
  '/ip4/10.0.2.1/tcp/1',
  '/ip4/192.168.7.9/tcp/1',
  '/ip6/2001:db8:1::1/tcp/1',
  '/ip6/2001:db8:1:ffff::2/tcp/1',
  '/ip6/2001:db8:2::1/tcp/1',
  '/ip6/::ffff:10.0.1.7/tcp/1',
];

const networkArb = fc
  .array(fc.uniqueArray(fc.constantFrom(...ADDRESS_POOL), { minLength: 1, maxLength: 2 }), { minLength: 0, maxLength: 9 })
  .map((addrs) => addrs.map((a, i) => fakeNode(`peer${i}`, a)));

const caseArb = networkArb.chain((nodes) =>
  fc.record({
    nodes: fc.constant(nodes),
    guards: fc.uniqueArray(fc.constantFrom(...nodes.map((n) => n.peerId), 'not-in-consensus'), { maxLength: 2 }),
    target: fc.option(fc.constantFrom(...nodes.map((n) => n.peerId), 'elsewhere'), { nil: undefined }),
    allowSameSubnet: fc.boolean(),
    seed: fc.integer(),
  }),
);

function valid(a: NodeDescriptor, b: NodeDescriptor, allowSameSubnet: boolean): boolean {
  if (a.peerId === b.peerId) return false;
  if (allowSameSubnet) return true;
  const sa = subnetsOf(a);
  return ![...subnetsOf(b)].some((s) => sa.has(s));
}

/** Brute force: does any guard/middle/exit triple satisfy the rules? */
function pathExists(nodes: readonly NodeDescriptor[], guards: readonly string[], target: string | undefined, allow: boolean): boolean {
  const usable = nodes.filter((n) => n.peerId !== target);
  for (const g of usable.filter((n) => guards.includes(n.peerId))) {
    for (const m of usable) {
      for (const e of usable) if (valid(g, m, allow) && valid(g, e, allow) && valid(m, e, allow)) return true;
    }
  }
  return false;
}

describe('subnetOf', () => {
  it('maps IPv4 to its /24 and IPv6 to its /48', () => {
    assert.equal(subnetOf('/ip4/10.1.2.3/tcp/4001'), '4:10.1.2');
    assert.equal(subnetOf('/ip6/2001:db8:1:2::5/tcp/1'), '6:2001:db8:1');
    assert.equal(subnetOf('/ip6/2001:db8:1::/tcp/1'), '6:2001:db8:1');
    assert.equal(subnetOf('/ip6/::1/tcp/1'), '6:0:0:0');
    assert.equal(subnetOf('/ip6/2001:0db8:0001:0000:0000:0000:0000:0001/tcp/1'), '6:2001:db8:1');
  });
  it('treats IPv4-mapped IPv6 as the IPv4 /24', () => {
    assert.equal(subnetOf('/ip6/::ffff:10.0.1.7/tcp/1'), '4:10.0.1');
    assert.equal(subnetOf('/ip6/::ffff:a00:107/tcp/1'), '4:10.0.1');
  });
  it('returns undefined for what is not an IP literal', () => {
    for (const a of ['/dns4/example.com/tcp/1', '/ip4/300.1.1.1/tcp/1', '/ip6/1:2:3/tcp/1', '/ip6/1::2::3/tcp/1', 'garbage', '']) assert.equal(subnetOf(a), undefined, a);
  });
});

describe('selectPath', () => {
  it('property: a returned path follows every rule; PATH_FAILED exactly when none exists', () => {
    fc.assert(
      fc.property(caseArb, ({ nodes, guards, target, allowSameSubnet, seed }) => {
        const exists = pathExists(nodes, guards, target, allowSameSubnet);
        let path;
        try {
          path = selectPath({ nodes, guards, ...(target === undefined ? {} : { target }), allowSameSubnet, randomInt: seededRandomInt(seed) });
        } catch (err) {
          assert.ok(isSamizdatError(err, 'PATH_FAILED'), String(err));
          assert.equal(exists, false, 'a valid path existed');
          return;
        }
        assert.ok(exists);
        const { guard, middle, exit } = path;
        assert.ok(guards.includes(guard.peerId), 'guard is pinned');
        for (const hop of [guard, middle, exit]) {
          assert.notEqual(hop.peerId, target);
          assert.ok(nodes.includes(hop));
        }
        assert.ok(valid(guard, middle, allowSameSubnet) && valid(guard, exit, allowSameSubnet) && valid(middle, exit, allowSameSubnet));
      }),
      { numRuns: 2_000 },
    );
  });

  it('is a function of the injected randomness', () => {
    const nodes = Array.from({ length: 10 }, (_, i) => fakeNode(`p${i}`, [`/ip4/10.0.${i}.1/tcp/1`]));
    const pick = (seed: number) => selectPath({ nodes, guards: ['p0', 'p1'], allowSameSubnet: false, randomInt: seededRandomInt(seed) });
    assert.deepEqual(pick(7), pick(7));
  });

  it('uses every eligible node as middle and exit over many paths', () => {
    const nodes = Array.from({ length: 8 }, (_, i) => fakeNode(`p${i}`, [`/ip4/10.0.${i}.1/tcp/1`]));
    const middles = new Set<string>();
    const exits = new Set<string>();
    const guards = new Set<string>();
    const randomInt = randomIntFrom((n) => new Uint8Array(Array.from({ length: n }, () => Math.floor(Math.random() * 256))));
    for (let i = 0; i < 500; i++) {
      const p = selectPath({ nodes, guards: ['p0', 'p1'], target: 'p7', allowSameSubnet: false, randomInt });
      middles.add(p.middle.peerId);
      exits.add(p.exit.peerId);
      guards.add(p.guard.peerId);
    }
    assert.deepEqual([...guards].sort(), ['p0', 'p1']);
    assert.deepEqual([...middles].sort(), ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    assert.deepEqual([...exits].sort(), ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  });

  it('on a one-host devnet needs allowSameSubnet', () => {
    const nodes = Array.from({ length: 6 }, (_, i) => fakeNode(`p${i}`, [`/ip4/127.0.0.1/tcp/${4000 + i}`]));
    assert.throws(() => selectPath({ nodes, guards: ['p0'], allowSameSubnet: false, randomInt: seededRandomInt(1) }), (e: unknown) => isSamizdatError(e, 'PATH_FAILED') && e.detail.reason === 'subnets');
    const p = selectPath({ nodes, guards: ['p0'], allowSameSubnet: true, randomInt: seededRandomInt(1) });
    assert.equal(new Set([p.guard.peerId, p.middle.peerId, p.exit.peerId]).size, 3);
  });

  it('names why it failed', () => {
    const nodes = [fakeNode('a', ['/ip4/10.0.0.1/tcp/1']), fakeNode('b', ['/ip4/10.0.1.1/tcp/1']), fakeNode('c', ['/ip4/10.0.2.1/tcp/1'])];
    const reason = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return isSamizdatError(e, 'PATH_FAILED') ? e.detail.reason : e;
      }
      return 'no error';
    };
    assert.equal(reason(() => selectPath({ nodes, guards: ['zz'], allowSameSubnet: false, randomInt: seededRandomInt(1) })), 'no-guard');
    assert.equal(reason(() => selectPath({ nodes, guards: ['a'], target: 'c', allowSameSubnet: false, randomInt: seededRandomInt(1) })), 'too-few-nodes');
  });
});

describe('randomIntFrom', () => {
  it('stays in range and rejects bad bounds', () => {
    const r = randomIntFrom((n) => new Uint8Array(n).fill(0xff));
    const r2 = randomIntFrom((n) => new Uint8Array(n));
    assert.equal(r2(7), 0);
    for (const b of [1, 2, 3, 1000, 2 ** 32]) {
      // all-0xff bytes are above the rejection limit for most bounds, so vary bytes
      let i = 0;
      const rr = randomIntFrom((n) => Uint8Array.from({ length: n }, () => (i++ * 37) & 0xff));
      const v = rr(b);
      assert.ok(v >= 0 && v < b);
    }
    assert.equal(r(1), 0);
    assert.throws(() => r(0), (e: unknown) => isSamizdatError(e, 'INVALID_ARGUMENT'));
    assert.throws(() => r(1.5), (e: unknown) => isSamizdatError(e, 'INVALID_ARGUMENT'));
  });
});
