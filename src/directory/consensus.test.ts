import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { SamizdatError } from '../errors.ts';
import { ConsensusBodySchema, ConsensusDocumentSchema } from '../wire/gen/samizdat/v1/directory_pb.ts';
import { crypto, describeNode, makeAuthorities, makeNetwork, makeNode } from '../../test/directory/fixtures.ts';
import type { TestAuthority } from '../../test/directory/fixtures.ts';
import { samizdatCode } from '../../test/support/providers.ts';
import { computeConsensusBody, encodeConsensusDocument, signConsensusBody, verifyConsensus } from './consensus.ts';
import type { NodeDescriptor } from './descriptor.ts';
import { MAX_CONSENSUS_BYTES } from './limits.ts';
import { signVote, verifyVote } from './vote.ts';
import type { Vote } from './vote.ts';

const PERIOD = 60_000;
const P = 1_750_000_020_000 - (1_750_000_020_000 % PERIOD);
const NOW = P + 1_000;
const authorities = makeAuthorities(3);
const network = makeNetwork(authorities, { consensusPeriodMs: PERIOD });
const nodes = Array.from({ length: 5 }, () => makeNode());
const descriptors = nodes.map((n) => describeNode(n, P - 5_000));

function vote(authority: TestAuthority, listed: readonly NodeDescriptor[], period = P): Vote {
  return verifyVote(crypto, network, signVote(crypto, network, authority.key, period, listed.map((d) => d.signed)), { now: NOW });
}

function document(body: Uint8Array, signers: readonly TestAuthority[]): Uint8Array {
  return encodeConsensusDocument(body, signers.map((a) => signConsensusBody(crypto, a.key, body)));
}

const [a1, a2, a3] = authorities as [TestAuthority, TestAuthority, TestAuthority];
const allVotes = [vote(a1, descriptors), vote(a2, descriptors.slice(0, 4)), vote(a3, descriptors.slice(1))];

describe('votes', () => {
  it('round-trip and carry verified descriptors', () => {
    const v = allVotes[0];
    assert.equal(v?.authority.name, 'a1');
    assert.equal(v?.validAfterMs, P);
    assert.equal(v?.validUntilMs, P + 3 * PERIOD);
    assert.equal(v?.nodes.length, 5);
  });

  it('reject votes from keys outside the network and tampered votes', () => {
    const outsider = makeAuthorities(1)[0] as TestAuthority;
    const forged = signVote(crypto, network, outsider.key, P, []);
    assert.throws(() => verifyVote(crypto, network, forged, { now: NOW }), samizdatCode('BAD_SIGNATURE'));
    const signed = signVote(crypto, network, a1.key, P, descriptors.map((d) => d.signed));
    const tampered = signed.slice();
    tampered[20] = (tampered[20] ?? 0) ^ 0x40;
    assert.throws(() => verifyVote(crypto, network, tampered, { now: NOW }), (err: unknown) => err instanceof SamizdatError);
  });

  it('raise only SamizdatError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        try {
          verifyVote(crypto, network, bytes, { now: NOW });
        } catch (err) {
          assert.ok(err instanceof SamizdatError, String(err));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('computeConsensusBody', () => {
  it('lists a node only when more than half of the authorities voted for it, sorted by node_id', () => {
    const body = fromBinary(ConsensusBodySchema, computeConsensusBody(network, allVotes, P));
    // Node 0 is in votes a1, a2; node 4 in a1, a3; nodes 1-3 in all three: all five have 2+ of 3.
    assert.equal(body.nodes.length, 5);
    const one = fromBinary(ConsensusBodySchema, computeConsensusBody(network, [vote(a1, descriptors), vote(a2, descriptors.slice(0, 1))], P));
    assert.equal(one.nodes.length, 1, 'nodes in only one of three votes are left out');
    const split = [vote(a1, descriptors), vote(a2, descriptors.slice(0, 1)), vote(a3, descriptors.slice(1, 2))];
    const splitBody = verifyConsensus(crypto, network, document(computeConsensusBody(network, split, P), [a1, a2]), { now: NOW });
    assert.deepEqual(new Set(splitBody.nodes.map((n) => n.peerId)), new Set(descriptors.slice(0, 2).map((d) => d.peerId)));
    const ids = body.nodes.map((n) => n.body);
    assert.equal(ids.length, new Set(ids.map((b) => b.join())).size);
    assert.equal(body.validAfterMs, BigInt(P));
    assert.equal(body.validUntilMs, BigInt(P + 3 * PERIOD));
    assert.equal(body.network, 'testnet');
  });

  it('counts one vote per authority and ignores votes of other periods', () => {
    const twice = [vote(a1, descriptors), vote(a1, descriptors)];
    assert.equal(fromBinary(ConsensusBodySchema, computeConsensusBody(network, twice, P)).nodes.length, 0);
    const other = [vote(a1, descriptors, P - PERIOD), vote(a2, descriptors, P - PERIOD)];
    assert.equal(fromBinary(ConsensusBodySchema, computeConsensusBody(network, other, P)).nodes.length, 0);
  });

  it('takes the newest descriptor of a node', () => {
    const node = nodes[0]!;
    const older = describeNode(node, P - 9_000, ['/ip4/10.0.0.9/tcp/1']);
    const newer = describeNode(node, P - 1_000, ['/ip4/10.0.0.10/tcp/1']);
    const consensus = verifyConsensus(crypto, network, document(computeConsensusBody(network, [vote(a1, [older]), vote(a2, [newer])], P), [a1, a2]), { now: NOW });
    assert.deepEqual(consensus.nodes.map((n) => n.addresses), [['/ip4/10.0.0.10/tcp/1']]);
  });

  it('is deterministic: any order of the same votes gives the same bytes', () => {
    const expected = computeConsensusBody(network, allVotes, P);
    fc.assert(
      fc.property(fc.shuffledSubarray(allVotes, { minLength: 3, maxLength: 3 }), (votes) => {
        assert.deepEqual(computeConsensusBody(network, votes, P), expected);
      }),
      { numRuns: 20 },
    );
  });
});

describe('verifyConsensus', () => {
  const body = computeConsensusBody(network, allVotes, P);

  it('accepts signatures from 2 of 3 authorities and returns the nodes', () => {
    const c = verifyConsensus(crypto, network, document(body, [a1, a3]), { now: NOW });
    assert.equal(c.nodes.length, 5);
    assert.deepEqual([...c.signers].sort(), ['a1', 'a3']);
    assert.equal(c.stale, false);
    assert.equal(c.swarmSize, 5);
  });

  it('rejects a consensus signed by only 1 of 3, even with the signature repeated', () => {
    const one = signConsensusBody(crypto, a1.key, body);
    for (const bytes of [document(body, [a1]), encodeConsensusDocument(body, [one, one, one])]) {
      assert.throws(() => verifyConsensus(crypto, network, bytes, { now: NOW }), (err: unknown) => {
        assert.ok(err instanceof SamizdatError && err.code === 'BAD_SIGNATURE', String(err));
        assert.deepEqual(err.detail, { valid: 1, needed: 2 });
        return true;
      });
    }
  });

  it('does not count forged or unknown authority signatures', () => {
    const outsider = makeAuthorities(1)[0] as TestAuthority;
    const forged = { authorityId: a2.key.publicKey, signature: signConsensusBody(crypto, outsider.key, body).signature };
    const unknown = signConsensusBody(crypto, outsider.key, body);
    const bytes = encodeConsensusDocument(body, [signConsensusBody(crypto, a1.key, body), forged, unknown]);
    assert.throws(() => verifyConsensus(crypto, network, bytes, { now: NOW }), samizdatCode('BAD_SIGNATURE'));
    // Signatures over another body do not count either.
    const other = computeConsensusBody(network, allVotes.slice(0, 1), P);
    const mixed = encodeConsensusDocument(body, [signConsensusBody(crypto, a1.key, body), signConsensusBody(crypto, a2.key, other)]);
    assert.throws(() => verifyConsensus(crypto, network, mixed, { now: NOW }), samizdatCode('BAD_SIGNATURE'));
  });

  it('rejects an expired consensus unless stale is allowed', () => {
    const bytes = document(body, [a1, a2]);
    const later = P + 3 * PERIOD + 1;
    assert.throws(() => verifyConsensus(crypto, network, bytes, { now: later }), samizdatCode('EXPIRED'));
    assert.equal(verifyConsensus(crypto, network, bytes, { now: later, allowStale: true }).stale, true);
  });

  it('rejects another network, a body out of order and oversize input', () => {
    const otherNet = makeNetwork(authorities, { consensusPeriodMs: PERIOD, name: 'othernet' });
    assert.throws(() => verifyConsensus(crypto, otherNet, document(body, [a1, a2]), { now: NOW }), samizdatCode('MALFORMED'));
    const parsed = fromBinary(ConsensusBodySchema, body);
    const reversed = toBinary(ConsensusBodySchema, create(ConsensusBodySchema, { ...parsed, nodes: [...parsed.nodes].reverse() }));
    assert.throws(() => verifyConsensus(crypto, network, document(reversed, [a1, a2]), { now: NOW }), samizdatCode('MALFORMED'));
    assert.throws(() => verifyConsensus(crypto, network, new Uint8Array(MAX_CONSENSUS_BYTES + 1), { now: NOW }), samizdatCode('TOO_LARGE'));
  });

  it('round-trips the document bytes', () => {
    const bytes = document(body, [a1, a2, a3]);
    const c = verifyConsensus(crypto, network, bytes, { now: NOW });
    assert.deepEqual(c.document, bytes);
    assert.deepEqual(toBinary(ConsensusDocumentSchema, fromBinary(ConsensusDocumentSchema, bytes)), bytes);
  });

  it('raises only SamizdatError on random or mutated bytes', () => {
    const bytes = document(body, [a1, a2]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4000 }), fc.nat(), fc.nat(255), (random, pos, byte) => {
        const mutated = bytes.slice();
        mutated[pos % mutated.length] = byte;
        for (const input of [random, mutated]) {
          try {
            verifyConsensus(crypto, network, input, { now: NOW });
          } catch (err) {
            assert.ok(err instanceof SamizdatError, String(err));
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
