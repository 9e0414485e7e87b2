/**
 * In-process onion relays on 127.0.0.1 for client tests: real libp2p hosts running src/onion's
 * relay service, each with its own onion key, and a hand-made consensus listing them (the
 * descriptors are not signed: the circuit code only reads peer IDs, addresses and onion keys).
 * `deliver` is the target handler every relay runs.
 */
import { concatBytes } from '../../src/crypto/index.ts';
import type { CryptoProvider } from '../../src/crypto/index.ts';
import { generateHybridKeyPair } from '../../src/crypto/hybrid-kem.ts';
import type { Consensus, NodeDescriptor } from '../../src/directory/index.ts';
import { createHost, type Host } from '../../src/node/host.ts';
import { createOnionKeyRing, createRelayService, type RelayService } from '../../src/onion/index.ts';

export interface TestRelay {
  readonly host: Host;
  readonly relay: RelayService;
  readonly descriptor: NodeDescriptor;
  /** Requests this relay answered as a target. */
  delivered: number;
  stop(): Promise<void>;
}

export interface TestRelays {
  readonly relays: TestRelay[];
  readonly consensus: () => Consensus;
  readonly stop: () => Promise<void>;
}

export async function startRelays(crypto: CryptoProvider, count: number, deliver: (relay: number, request: Uint8Array) => Promise<Uint8Array>): Promise<TestRelays> {
  const relays: TestRelay[] = [];
  for (let i = 0; i < count; i++) {
    const host = await createHost({ identitySeed: crypto.randomBytes(32), listen: ['/ip4/127.0.0.1/tcp/0'] });
    await host.start();
    const key = generateHybridKeyPair(crypto);
    const keys = createOnionKeyRing(crypto, [{ key }]);
    let stopped = false;
    const entry: TestRelay = {
      host,
      relay: createRelayService({
        transport: host.transport,
        crypto,
        keys,
        now: Date.now,
        deliver: async (request) => {
          entry.delivered++;
          return deliver(i, request);
        },
      }),
      descriptor: {
        nodeId: new Uint8Array(32),
        peerId: host.peerId,
        addresses: host.addresses(),
        onionX25519: key.publicKey.subarray(0, 32),
        onionMlKem: key.publicKey.subarray(32),
        version: 'test',
        publishedAtMs: Date.now(),
        signed: new Uint8Array(0),
      },
      delivered: 0,
      async stop() {
        if (stopped) return;
        stopped = true;
        await entry.relay.stop();
        await host.stop();
      },
    };
    await entry.relay.start();
    relays.push(entry);
  }
  const nodes = relays.map((r) => r.descriptor);
  const consensus: Consensus = {
    network: 'test',
    validAfterMs: Date.now(),
    validUntilMs: Date.now() + 3_600_000,
    swarmSize: 5,
    nodes,
    signers: [],
    document: concatBytes(),
    body: concatBytes(),
    stale: false,
  };
  return {
    relays,
    consensus: () => consensus,
    async stop() {
      await Promise.all(relays.map((r) => r.stop()));
    },
  };
}
