/**
 * An instrumented onion devnet on 127.0.0.1 for tests and measurements: real libp2p hosts, each
 * running the relay service with an in-memory key ring, an echo `deliver` handler and an observer
 * that records what every hop saw.
 */
import { concatBytes, createNodeCryptoProvider, generateHybridKeyPair, utf8, type CryptoProvider } from '../../src/crypto/index.ts';
import { createHost, type Host } from '../../src/node/host.ts';
import type { PeerTarget } from '../../src/wire/index.ts';
import { ONION_PROTOCOL, createOnionKeyRing, createRelayService, onionKeyId, type OnionHop, type RelayObservation, type RelayService, type RelayWorkKind } from '../../src/onion/index.ts';
import { RpcSession } from '../../src/wire/index.ts';

export const ECHO_PREFIX = utf8('echo:');

export interface DevnetNode {
  readonly name: string;
  readonly host: Host;
  readonly hop: OnionHop;
  readonly relay: RelayService | undefined;
}

export interface Observation extends RelayObservation {
  readonly at: string;
}

export interface OnionDevnet {
  readonly crypto: CryptoProvider;
  readonly nodes: Record<string, DevnetNode>;
  readonly observations: Observation[];
  /** A new session from `from` to `to` on the onion protocol. */
  session(from: string, to: string): Promise<RpcSession>;
  stop(): Promise<void>;
}

/** Starts one host per name; every name but `client` also runs a relay service. */
export async function startOnionDevnet(names: readonly string[], options: { deliverDelayMs?: number; resolveNext?: (target: PeerTarget) => PeerTarget | undefined; admit?: (fromPeer: string, kind: RelayWorkKind) => void } = {}): Promise<OnionDevnet> {
  const crypto = createNodeCryptoProvider();
  const observations: Observation[] = [];
  const nodes: Record<string, DevnetNode> = {};
  for (const name of names) {
    const host = await createHost({ identitySeed: crypto.randomBytes(32), listen: ['/ip4/127.0.0.1/tcp/0'] });
    await host.start();
    const key = generateHybridKeyPair(crypto);
    const hop: OnionHop = { peerId: host.peerId, addresses: host.addresses(), onionPublicKey: key.publicKey, keyId: onionKeyId(crypto, key.publicKey) };
    let relay: RelayService | undefined;
    if (name !== 'client') {
      relay = createRelayService({
        transport: host.transport,
        crypto,
        keys: createOnionKeyRing(crypto, [{ key }]),
        now: () => Date.now(),
        deliver: async (request) => {
          if (options.deliverDelayMs !== undefined) await new Promise((r) => setTimeout(r, options.deliverDelayMs));
          return concatBytes(ECHO_PREFIX, request);
        },
        observer: (event) => observations.push({ ...event, at: name }),
        ...(options.resolveNext === undefined ? {} : { resolveNext: options.resolveNext }),
        ...(options.admit === undefined ? {} : { admit: options.admit }),
      });
      await relay.start();
    }
    nodes[name] = { name, host, hop, relay };
  }
  const get = (name: string): DevnetNode => {
    const node = nodes[name];
    if (node === undefined) throw new Error(`no node ${name}`);
    return node;
  };
  return {
    crypto,
    nodes,
    observations,
    async session(from, to) {
      const stream = await get(from).host.transport.dial(get(to).hop, ONION_PROTOCOL, AbortSignal.timeout(5_000));
      return new RpcSession(stream);
    },
    async stop() {
      for (const node of Object.values(nodes)) {
        await node.relay?.stop();
        await node.host.stop();
      }
    },
  };
}
