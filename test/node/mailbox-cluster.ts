/**
 * Real service nodes on 127.0.0.1 for mailbox tests: libp2p hosts, SQLite stores in a temp
 * directory, the mailbox, replication and anti-entropy services, and a static swarm view built
 * from signed descriptors of every member. Nodes can be stopped and restarted on the same port
 * with the same database file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { create } from '@bufbuild/protobuf';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import { signNodeDescriptor, peerIdOfPublicKey } from '../../src/directory/index.ts';
import { createMailboxClient, type MailboxClient } from '../../src/client/mailbox-client.ts';
import { createAntiEntropy, type AntiEntropy } from '../../src/node/anti-entropy.ts';
import { createHost, type Host } from '../../src/node/host.ts';
import { MAILBOX_PROTOCOL, createMailboxService, type MailboxService, type MailboxServiceLimits } from '../../src/node/mailbox-service.ts';
import { openMailboxStore, type MailboxLimits, type MailboxStore } from '../../src/node/mailbox-store.ts';
import { createReplicationService, type ReplicationService } from '../../src/node/replication.ts';
import { createSwarmView, type UpdatableSwarmView } from '../../src/node/swarm-view-impl.ts';
import type { SwarmMember } from '../../src/node/swarm-view.ts';
import { RpcSession, decodeMessage, encodeMessage } from '../../src/wire/index.ts';
import type { PeerTarget } from '../../src/wire/index.ts';
import { MailboxRequestSchema, MailboxResponseSchema } from '../../src/wire/gen/samizdat/v1/mailbox_pb.ts';
import type { MailboxRequest, MailboxResponse } from '../../src/wire/gen/samizdat/v1/mailbox_pb.ts';

export { eventually } from '../support/eventually.ts';

export interface NodeSpec {
  readonly seed: Uint8Array;
  readonly nodeId: Uint8Array;
  readonly peerId: string;
  readonly dbPath: string;
  listen: string;
}

export interface RunningNode {
  readonly spec: NodeSpec;
  readonly host: Host;
  readonly store: MailboxStore;
  readonly swarm: UpdatableSwarmView;
  readonly replication: ReplicationService;
  readonly mailbox: MailboxService;
  readonly antiEntropy: AntiEntropy;
  readonly target: PeerTarget;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly crypto: CryptoProvider;
  readonly members: readonly SwarmMember[];
  readonly swarmSize?: number;
  readonly antiEntropyIntervalMs?: number;
  readonly limits?: Partial<MailboxServiceLimits>;
  /** The stores' limits (the node storage quota, say). */
  readonly storeLimits?: Partial<MailboxLimits>;
  readonly now?: () => number;
}

/** Identity and database path of a node; the port is chosen when it first starts. */
export function nodeSpec(crypto: CryptoProvider, dir: string, name: string): NodeSpec {
  const seed = crypto.randomBytes(32);
  const nodeId = crypto.importPrivateKey('ed25519', seed).publicKey;
  return { seed, nodeId, peerId: peerIdOfPublicKey(nodeId), dbPath: path.join(dir, `${name}.db`), listen: '/ip4/127.0.0.1/tcp/0' };
}

/** A swarm member with a real signed descriptor (onion keys are random bytes of the right sizes). */
export function memberOf(crypto: CryptoProvider, spec: NodeSpec, addresses: readonly string[]): SwarmMember {
  const key = crypto.importPrivateKey('ed25519', spec.seed);
  const descriptor = signNodeDescriptor(crypto, key, {
    addresses,
    onionX25519: crypto.randomBytes(32),
    onionMlKem: crypto.randomBytes(1184),
    version: 'samizdat/test',
    publishedAtMs: Date.now(),
  });
  return { nodeId: spec.nodeId, peerId: spec.peerId, addresses, descriptor };
}

/** Starts the host only (to learn its address before the swarm view exists). */
export async function startHost(spec: NodeSpec): Promise<Host> {
  const host = await createHost({ identitySeed: spec.seed, listen: [spec.listen] });
  await host.start();
  const address = host.addresses().find((a) => a.startsWith('/ip4/127.0.0.1/tcp/'));
  if (address === undefined) throw new Error('host has no loopback TCP address');
  spec.listen = address; // restart on the same port
  return host;
}

/** Starts store and services on a running host. */
export async function startServices(spec: NodeSpec, host: Host, options: StartOptions): Promise<RunningNode> {
  const { crypto } = options;
  const now = options.now ?? Date.now;
  const store = openMailboxStore({ path: spec.dbPath, crypto, now, ...(options.storeLimits === undefined ? {} : { limits: options.storeLimits }) });
  const swarm = createSwarmView({ crypto, selfNodeId: spec.nodeId, members: options.members, ...(options.swarmSize === undefined ? {} : { swarmSize: options.swarmSize }) });
  const replication = createReplicationService({ transport: host.transport, store, swarm, crypto, now });
  const mailbox = createMailboxService({ transport: host.transport, store, swarm, crypto, now, replication, ...(options.limits === undefined ? {} : { limits: options.limits }) });
  const antiEntropy = createAntiEntropy({ replication, store, swarm, intervalMs: options.antiEntropyIntervalMs ?? 60_000 });
  await replication.start();
  await mailbox.start();
  await antiEntropy.start();
  return {
    spec,
    host,
    store,
    swarm,
    replication,
    mailbox,
    antiEntropy,
    target: { peerId: spec.peerId, addresses: [spec.listen] },
    async stop() {
      await antiEntropy.stop();
      await mailbox.stop();
      await replication.stop();
      await host.stop();
      store.close();
    },
  };
}

export interface Cluster {
  readonly dir: string;
  readonly specs: NodeSpec[];
  readonly nodes: (RunningNode | undefined)[];
  members: SwarmMember[];
  node(i: number): RunningNode;
  stopNode(i: number): Promise<void>;
  restartNode(i: number): Promise<RunningNode>;
  close(): Promise<void>;
}

/** `n` nodes that all know each other (k = swarmSize, default 5). */
export async function startCluster(crypto: CryptoProvider, n: number, options: Omit<StartOptions, 'crypto' | 'members'> = {}): Promise<Cluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'samizdat-mailbox-'));
  const specs = Array.from({ length: n }, (_, i) => nodeSpec(crypto, dir, `node${i}`));
  const hosts: Host[] = [];
  try {
    for (const spec of specs) hosts.push(await startHost(spec));
  } catch (err) {
    for (const h of hosts) await h.stop();
    throw err;
  }
  const members = specs.map((spec) => memberOf(crypto, spec, [spec.listen]));
  const nodes: (RunningNode | undefined)[] = [];
  for (let i = 0; i < n; i++) {
    const spec = specs[i];
    const host = hosts[i];
    if (spec === undefined || host === undefined) throw new Error('unreachable');
    nodes.push(await startServices(spec, host, { ...options, crypto, members }));
  }
  const cluster: Cluster = {
    dir,
    specs,
    nodes,
    members,
    node(i) {
      const node = nodes[i];
      if (node === undefined) throw new Error(`node ${i} is not running`);
      return node;
    },
    async stopNode(i) {
      const node = nodes[i];
      nodes[i] = undefined;
      await node?.stop();
    },
    async restartNode(i) {
      const spec = specs[i];
      if (spec === undefined) throw new Error(`no node ${i}`);
      const host = await startHost(spec);
      const node = await startServices(spec, host, { ...options, crypto, members: cluster.members });
      nodes[i] = node;
      return node;
    },
    async close() {
      for (let i = 0; i < nodes.length; i++) await cluster.stopNode(i).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

/** A dial-only client host. */
export async function startClientHost(crypto: CryptoProvider): Promise<Host> {
  const host = await createHost({ identitySeed: crypto.randomBytes(32), listen: [] });
  await host.start();
  return host;
}

export interface DirectClient {
  readonly host: Host;
  /** A mailbox client on the direct channel over `host`. */
  readonly client: MailboxClient;
  /** Closes the client, then stops the host. */
  stop(): Promise<void>;
}

/** A dial-only host with a direct mailbox client on it. */
export async function startDirectClient(crypto: CryptoProvider): Promise<DirectClient> {
  const host = await startClientHost(crypto);
  const client = createMailboxClient({ transport: host.transport, crypto, now: Date.now });
  return {
    host,
    client,
    async stop() {
      client.close();
      await host.stop();
    },
  };
}

/** One raw mailbox RPC session, for requests a well-behaved client would never send. */
export async function rawSession(host: Host, target: PeerTarget): Promise<RpcSession> {
  return new RpcSession(await host.transport.dial(target, MAILBOX_PROTOCOL, AbortSignal.timeout(5_000)));
}

export async function rawCall(session: RpcSession, request: MailboxRequest | Uint8Array): Promise<MailboxResponse> {
  const bytes = request instanceof Uint8Array ? request : encodeMessage(MailboxRequestSchema, request);
  return decodeMessage(MailboxResponseSchema, await session.request(bytes, { timeoutMs: 10_000 }));
}

export function mailboxRequest(value: MailboxRequest['request']): MailboxRequest {
  return create(MailboxRequestSchema, { request: value });
}
