/**
 * A hostile middle (or exit) cannot get an honest guard blamed: it answers a create with a `created` too
 * large for the guard to seal and pass back (but within the frame limit). The guard seals that
 * as that hop's failure, so the client sees PATH_FAILED naming it and does not count a failure
 * against its guard, and the guard keeps no circuit of the failed builds. Real hosts on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { describe, it } from 'node:test';
import type { GuardStore } from '../../src/client/guard-store.ts';
import { createCircuitManager } from '../../src/client/onion-circuits.ts';
import { concatBytes, createNodeCryptoProvider, generateHybridKeyPair } from '../../src/crypto/index.ts';
import type { Consensus, NodeDescriptor } from '../../src/directory/index.ts';
import { isSamizdatError } from '../../src/errors.ts';
import { createHost, type Host } from '../../src/node/host.ts';
import { ONION_PROTOCOL, createOnionKeyRing, createRelayService, type RelayService } from '../../src/onion/index.ts';
import { OnionResponseSchema } from '../../src/wire/gen/samizdat/v1/onion_pb.ts';
import { encodeMessage, serveSession } from '../../src/wire/index.ts';
import { eventually } from '../support/eventually.ts';

const crypto = createNodeCryptoProvider();

async function startNode(hostile: boolean): Promise<{ host: Host; relay: RelayService | undefined; descriptor: NodeDescriptor }> {
  const host = await createHost({ identitySeed: crypto.randomBytes(32), listen: ['/ip4/127.0.0.1/tcp/0'] });
  await host.start();
  const key = generateHybridKeyPair(crypto);
  let relay: RelayService | undefined;
  if (hostile) {
    const oversized = encodeMessage(OnionResponseSchema, create(OnionResponseSchema, { response: { case: 'created', value: new Uint8Array(98_250) } }));
    await host.transport.handle(ONION_PROTOCOL, (stream) => serveSession(stream, () => Promise.resolve(oversized)));
  } else {
    relay = createRelayService({ transport: host.transport, crypto, keys: createOnionKeyRing(crypto, [{ key }]), now: Date.now, deliver: (request) => Promise.resolve(request) });
    await relay.start();
  }
  const descriptor: NodeDescriptor = { nodeId: crypto.randomBytes(32), peerId: host.peerId, addresses: host.addresses(), onionX25519: key.publicKey.subarray(0, 32), onionMlKem: key.publicKey.subarray(32), version: 'test', publishedAtMs: 0, signed: new Uint8Array(0) };
  return { host, relay, descriptor };
}

describe('onion circuits: a hostile middle', () => {
  it('an oversized answer is the failure of the hop that sent it, never the guard\'s', async () => {
    const guard = await startNode(false);
    const exit = await startNode(false);
    const middle = await startNode(true);
    const client = await createHost({ identitySeed: crypto.randomBytes(32), listen: [] });
    await client.start();
    const nodes = [guard.descriptor, middle.descriptor, exit.descriptor];
    const consensus: Consensus = { network: 'test', validAfterMs: 0, validUntilMs: Date.now() + 3_600_000, swarmSize: 5, nodes, signers: [], document: concatBytes(), body: concatBytes(), stale: false };
    const blamed: string[] = [];
    const guards: GuardStore = { file: '', current: () => [], guardsFor: () => Promise.resolve([guard.descriptor.peerId]), recordFailure: (p) => Promise.resolve(void blamed.push(p)), recordSuccess: () => Promise.resolve() };
    const failed: { hostileAt: number | undefined; hop: unknown }[] = [];
    const manager = createCircuitManager({
      transport: client.transport, crypto, now: Date.now, consensus: () => consensus, guards, allowSameSubnet: true,
      observer: (e) => {
        const at = e.path.middle.peerId === middle.descriptor.peerId ? 1 : e.path.exit.peerId === middle.descriptor.peerId ? 2 : undefined;
        if (e.kind === 'build-failed') failed.push({ hostileAt: at, hop: e.error.detail.hop });
      },
    });
    try {
      await assert.rejects(manager.build({ deadlineMs: Date.now() + 8_000 }), (e) => isSamizdatError(e, 'PATH_FAILED'));
      // With three nodes the hostile one is the middle or the exit of every path tried.
      assert.ok(failed.length > 0 && failed.every((f) => f.hostileAt !== undefined));
      assert.ok(failed.every((f) => f.hop === f.hostileAt), `failures named hops ${failed.map((f) => `${String(f.hop)} (hostile at ${String(f.hostileAt)})`).join(', ')}`);
      assert.deepEqual(blamed, [], 'no failure counted against the guard');
      // The guard keeps no circuit: it drops one whose middle failed, and the client destroys one
      // whose exit failed (that one looked built to the guard).
      await eventually(() => guard.relay?.circuitCount === 0, 5_000, 'the guard to drop the failed circuits');
    } finally {
      manager.close();
      for (const n of [guard, exit, middle]) {
        await n.relay?.stop();
        await n.host.stop();
      }
      await client.stop();
    }
  });
});
