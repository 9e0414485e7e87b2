import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSamizdatError } from '../errors.ts';
import { CLIENT_RATE_LIMIT, NODE_RATE_LIMIT, createClassedBucket, createPeerBuckets, type RateLimit } from './rate-limit.ts';

const takes = (take: () => void, count: number): number => {
  let ok = 0;
  for (let i = 0; i < count; i++) {
    try {
      take();
      ok++;
    } catch (err) {
      if (!isSamizdatError(err, 'RATE_LIMITED')) throw err;
    }
  }
  return ok;
};

describe('createClassedBucket', () => {
  it('follows the limit it is given at each take', () => {
    const clock = 1_000;
    let limit: RateLimit = CLIENT_RATE_LIMIT;
    const bucket = createClassedBucket(() => limit, () => clock);
    assert.equal(takes(() => bucket.take(), 5_000), CLIENT_RATE_LIMIT.burst);
    // The peer turns out to be a node (the consensus caught up): its node limit applies at once.
    limit = NODE_RATE_LIMIT;
    assert.equal(takes(() => bucket.take(), 5_000), NODE_RATE_LIMIT.burst);
    // A new object with the same numbers is the same limit: no fresh burst.
    limit = { ...NODE_RATE_LIMIT };
    assert.equal(takes(() => bucket.take(), 10), 0);
  });
});

describe('createPeerBuckets', () => {
  it('gives a peer that became a node the node limit, though its bucket was made at the client limit', () => {
    let clock = 0;
    const nodes = new Set<string>();
    const buckets = createPeerBuckets((peer) => (nodes.has(peer) ? NODE_RATE_LIMIT : CLIENT_RATE_LIMIT), () => clock);
    assert.equal(takes(() => buckets.take('exit'), 2_000), CLIENT_RATE_LIMIT.burst);
    nodes.add('exit');
    clock += 1_000; // a second of a node's sustained rate
    assert.equal(takes(() => buckets.take('exit'), 5_000), NODE_RATE_LIMIT.burst);
    assert.equal(takes(() => buckets.take('client'), 2_000), CLIENT_RATE_LIMIT.burst);
  });
});
