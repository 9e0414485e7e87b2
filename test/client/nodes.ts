/** Node descriptors for client tests that only need peer IDs and addresses (keys are dummies). */
import type { NodeDescriptor } from '../../src/directory/index.ts';
import type { RandomInt } from '../../src/client/path-select.ts';

export function fakeNode(peerId: string, addresses: readonly string[]): NodeDescriptor {
  return {
    nodeId: new Uint8Array(32),
    peerId,
    addresses,
    onionX25519: new Uint8Array(32),
    onionMlKem: new Uint8Array(1184),
    version: 'test',
    publishedAtMs: 0,
    signed: new Uint8Array(0),
  };
}

/** A deterministic RandomInt from a 32-bit seed (mulberry32). */
export function seededRandomInt(seed: number): RandomInt {
  let a = seed >>> 0;
  return (bound) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(r * bound);
  };
}
