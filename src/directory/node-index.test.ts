import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes } from '../crypto/bytes.ts';
import type { Consensus } from './consensus.ts';
import type { NodeDescriptor } from './descriptor.ts';
import { createNodeIndex } from './node-index.ts';

const node = (peerId: string, address: string): NodeDescriptor => ({ peerId, addresses: [address] }) as unknown as NodeDescriptor;
const consensusOf = (nodes: NodeDescriptor[]): Consensus => ({
  network: 'test',
  validAfterMs: 0,
  validUntilMs: 1,
  swarmSize: 3,
  nodes,
  signers: [],
  document: concatBytes(),
  body: concatBytes(),
  stale: false,
});

describe('createNodeIndex', () => {
  it('finds a listed node with its consensus addresses, and nothing else', () => {
    const current = consensusOf([node('a', '/ip4/127.0.0.1/tcp/1'), node('b', '/ip4/127.0.0.1/tcp/2')]);
    const targets = createNodeIndex(() => current);
    assert.deepEqual(targets.find('b'), node('b', '/ip4/127.0.0.1/tcp/2'));
    assert.equal(targets.find('c'), undefined);
  });

  it('follows a new consensus: a node that left is gone, one that joined or moved is found', () => {
    let current: Consensus | undefined = consensusOf([node('a', '/ip4/127.0.0.1/tcp/1')]);
    const targets = createNodeIndex(() => current);
    assert.ok(targets.find('a'));
    current = consensusOf([node('b', '/ip4/127.0.0.1/tcp/2'), node('a', '/ip4/127.0.0.1/tcp/9')]);
    assert.deepEqual(targets.find('a'), node('a', '/ip4/127.0.0.1/tcp/9'));
    assert.ok(targets.find('b'));
    current = undefined;
    assert.equal(targets.find('a'), undefined);
  });
});
