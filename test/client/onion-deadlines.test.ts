/**
 * Every request ends by its own deadline, even while a guard dial hangs: the dial (shared, with
 * its own DIAL_TIMEOUT_MS) and a circuit build another request started are waited for only as
 * long as each caller's deadline allows, and running out of one's own time is not held against
 * the guard. No network: the transport's dial black-holes until its signal aborts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GuardStore } from '../../src/client/guard-store.ts';
import { createCircuitManager } from '../../src/client/onion-circuits.ts';
import { concatBytes, createNodeCryptoProvider, generateHybridKeyPair } from '../../src/crypto/index.ts';
import type { Consensus, NodeDescriptor } from '../../src/directory/index.ts';
import { isSamizdatError } from '../../src/errors.ts';
import type { RpcTransport } from '../../src/wire/index.ts';

const crypto = createNodeCryptoProvider();
const nodes: NodeDescriptor[] = Array.from({ length: 5 }, (_, i) => {
  const key = generateHybridKeyPair(crypto);
  return {
    nodeId: new Uint8Array(32).fill(i + 1),
    peerId: `12D3KooWnode${i}`,
    addresses: [`/ip4/127.0.0.1/tcp/${4000 + i}`],
    onionX25519: key.publicKey.subarray(0, 32),
    onionMlKem: key.publicKey.subarray(32),
    version: 'test',
    publishedAtMs: 0,
    signed: new Uint8Array(0),
  };
});
const consensus: Consensus = { network: 'test', validAfterMs: 0, validUntilMs: Date.now() + 3_600_000, swarmSize: 5, nodes, signers: [], document: concatBytes(), body: concatBytes(), stale: false };
const blackHole: RpcTransport = {
  peerId: 'client',
  handle: () => Promise.resolve(),
  unhandle: () => Promise.resolve(),
  dial: (_target, _protocol, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })),
};

describe('onion circuits: deadlines', () => {
  it('a request ends by its deadline while the guard dial hangs, alone or sharing another build, and the guard is not blamed', async () => {
    const failures: string[] = [];
    const guards: GuardStore = {
      file: '',
      current: () => [],
      guardsFor: () => Promise.resolve([nodes[0]!.peerId, nodes[1]!.peerId]),
      recordFailure: (peerId) => Promise.resolve(void failures.push(peerId)),
      recordSuccess: () => Promise.resolve(),
    };
    const manager = createCircuitManager({ transport: blackHole, crypto, now: Date.now, consensus: () => consensus, guards, allowSameSubnet: true });
    try {
      const timed = async (deadlineMs: number, signal?: AbortSignal): Promise<number> => {
        const start = Date.now();
        await assert.rejects(manager.circuitFor(undefined, { deadlineMs: start + deadlineMs, ...(signal === undefined ? {} : { signal }) }), (e) => isSamizdatError(e, 'PATH_FAILED'));
        return Date.now() - start;
      };
      // A long request starts the build; a short one shares it and still ends on time.
      const long = manager.circuitFor(undefined, { deadlineMs: Date.now() + 60_000 }).catch(() => undefined);
      const shared = await timed(400);
      assert.ok(shared < 1_500, `a request sharing a hung build ended after ${shared} ms (deadline 400 ms)`);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const aborted = await timed(30_000, controller.signal);
      assert.ok(aborted < 1_500, `an aborted request ended after ${aborted} ms`);
      // (The long request's dial fails after DIAL_TIMEOUT_MS: that one is the guard's.)
      assert.deepEqual(failures, [], 'running out of our own time is not the guard failing');
      manager.close();
      await long;
    } finally {
      manager.close();
    }
  });

  it('a request alone ends by its deadline, not the 5 s dial timeout', async () => {
    const guards: GuardStore = { file: '', current: () => [], guardsFor: () => Promise.resolve([nodes[2]!.peerId]), recordFailure: () => Promise.resolve(), recordSuccess: () => Promise.resolve() };
    const manager = createCircuitManager({ transport: blackHole, crypto, now: Date.now, consensus: () => consensus, guards, allowSameSubnet: true });
    try {
      const start = Date.now();
      await assert.rejects(manager.circuitFor(undefined, { deadlineMs: start + 400 }), (e) => isSamizdatError(e, 'PATH_FAILED'));
      assert.ok(Date.now() - start < 1_500, `ended after ${Date.now() - start} ms (deadline 400 ms)`);
    } finally {
      manager.close();
    }
  });
});
