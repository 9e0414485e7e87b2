/** Shared fixtures of the directory tests: a network of authority keys and signed node descriptors. */
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import type { CryptoProvider, PrivateKey } from '../../src/crypto/provider.ts';
import { createNetworkConfig, signNodeDescriptor, verifyNodeDescriptor } from '../../src/directory/index.ts';
import type { NetworkConfig, NodeDescriptor } from '../../src/directory/index.ts';

export const crypto: CryptoProvider = createNodeCryptoProvider();

export interface TestAuthority {
  readonly name: string;
  readonly seed: Uint8Array;
  readonly key: PrivateKey;
}

export function makeAuthorities(count: number): TestAuthority[] {
  return Array.from({ length: count }, (_, i) => {
    const seed = crypto.randomBytes(32);
    return { name: `a${i + 1}`, seed, key: crypto.importPrivateKey('ed25519', seed) };
  });
}

export function makeNetwork(
  authorities: readonly TestAuthority[],
  options: { addresses?: (i: number) => string[]; consensusPeriodMs?: number; name?: string } = {},
): NetworkConfig {
  return createNetworkConfig({
    name: options.name ?? 'testnet',
    authorities: authorities.map((a, i) => ({
      name: a.name,
      publicKey: a.key.publicKey,
      addresses: options.addresses?.(i) ?? [`/ip4/127.0.0.1/tcp/${7001 + i}`],
    })),
    consensusPeriodMs: options.consensusPeriodMs ?? 60_000,
  });
}

export interface TestNode {
  readonly seed: Uint8Array;
  readonly key: PrivateKey;
  readonly onionX25519: Uint8Array;
  readonly onionMlKem: Uint8Array;
}

export function makeNode(): TestNode {
  const seed = crypto.randomBytes(32);
  return {
    seed,
    key: crypto.importPrivateKey('ed25519', seed),
    onionX25519: crypto.generateKey('x25519').publicKey,
    onionMlKem: crypto.generateKey('ml-kem-768').publicKey,
  };
}

export function describeNode(node: TestNode, publishedAtMs: number, addresses: readonly string[] = ['/ip4/10.0.0.1/tcp/4001']): NodeDescriptor {
  const signed = signNodeDescriptor(crypto, node.key, {
    addresses,
    onionX25519: node.onionX25519,
    onionMlKem: node.onionMlKem,
    version: 'samizdat/0.1.0',
    publishedAtMs,
  });
  return verifyNodeDescriptor(crypto, signed, { now: publishedAtMs });
}
