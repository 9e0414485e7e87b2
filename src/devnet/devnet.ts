/**
 * `samizdat devnet up`: a complete local network on 127.0.0.1, every member a separate OS
 * process running the same commands an operator runs (`authority run`, `node run`):
 *   1. make (or reuse) the keys of 3 directory authorities and pick free ports for them;
 *   2. write DIR/network.json (authority keys and addresses, seeds, a short consensus period);
 *   3. start the authorities, then N service nodes, each logging to DIR/logs/NAME.log;
 *   4. wait for a consensus, signed by a majority of authorities, that lists every node, and for
 *      every node to serve it (a node that still served the one before, listing none, made
 *      `net status` right after ready show an empty network);
 *   5. add the nodes as seeds to DIR/network.json, and report ready.
 * `stop()` (Ctrl-C / SIGTERM in the CLI) stops every process it started.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { CryptoProvider } from '../crypto/provider.ts';
import { createNetworkConfig, fetchConsensus, fetchConsensusFrom, writeNetworkFile, type NetworkConfig } from '../directory/index.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { createHost } from '../node/host.ts';
import { loadOrCreateIdentityKey } from '../node/key-files.ts';
import type { PeerTarget } from '../wire/index.ts';
import { spawnMember, type ChildMember } from './child.ts';
import { freePort } from './free-port.ts';

export const DEVNET_AUTHORITIES = 3;
export const DEFAULT_DEVNET_NODES = 12;
/** Devnet consensus period: short, so a stopped node leaves the consensus within seconds. */
export const DEVNET_CONSENSUS_PERIOD_MS = 5_000;
/** Devnet onion key rotation: seconds, not a day, so rotation and deletion are exercised. */
export const DEVNET_ONION_KEY_ROTATION_MS = 30_000;
/** Devnet signed prekey rotation: minutes, not 12 hours, so clients rotate and republish in a session. */
export const DEVNET_PREKEY_ROTATION_MS = 5 * 60_000;
/** Devnet anti-entropy interval: short, so a restarted node catches up within seconds. */
export const DEVNET_SYNC_INTERVAL_MS = 2_000;
/** How long a member may take to start, and the whole network to agree on a consensus. */
export const DEVNET_START_TIMEOUT_MS = 60_000;
export const DEVNET_CONSENSUS_TIMEOUT_MS = 90_000;
/** Starts of one node before the devnet gives up (a start fails when another process took its port). */
export const NODE_START_ATTEMPTS = 3;

export interface DevnetOptions {
  readonly dir: string;
  readonly nodes: number;
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  /** Progress lines for the user ("authority 1 up", ...). */
  readonly progress: (line: string) => void;
  readonly consensusPeriodMs?: number;
  /** Proof-of-work bits nodes ask of strangers' deposits (default: the nodes' own default; 0 = off). */
  readonly depositPowBits?: number;
  /** Where each node start gets its TCP port (default: a port the OS just had free). */
  readonly nodePort?: () => Promise<number>;
}

export interface RunningDevnet {
  readonly networkFile: string;
  readonly network: NetworkConfig;
  /** The current process of each member by name ("authority-1", "node-01", ...). */
  readonly members: ReadonlyMap<string, ChildMember>;
  /** Calls `listener` with a member's name and exit status when it exits while the devnet runs. */
  onMemberExit(listener: (name: string, status: number | string) => void): void;
  /** Starts a stopped member again with the same data directory and address. */
  restart(name: string): Promise<ChildMember>;
  stop(): Promise<void>;
}

async function waitForFullConsensus(options: DevnetOptions, network: NetworkConfig, nodes: readonly PeerTarget[]): Promise<void> {
  const expected = nodes.length;
  const client = await createHost({ identitySeed: options.crypto.randomBytes(32), listen: [] });
  await client.start();
  const deadline = options.now() + DEVNET_CONSENSUS_TIMEOUT_MS;
  let seen = -1;
  const fetchOptions = { transport: client.transport, crypto: options.crypto, network, now: options.now, timeoutMs: 3_000 };
  /** validAfterMs of the authorities' consensus that lists every node, once there is one. */
  let full: number | undefined;
  let waiting = [...nodes];
  try {
    for (;;) {
      try {
        if (full === undefined) {
          const consensus = await fetchConsensus(fetchOptions);
          if (consensus.nodes.length !== seen) {
            seen = consensus.nodes.length;
            options.progress(`consensus signed by ${consensus.signers.length} authorities lists ${seen}/${expected} nodes`);
          }
          if (seen >= expected) full = consensus.validAfterMs;
        }
        if (full !== undefined) {
          const since = full - 1;
          const held = await Promise.all(waiting.map((node) => fetchConsensusFrom(fetchOptions, node, since).catch(() => undefined)));
          waiting = waiting.filter((_, i) => held[i] === undefined);
          if (waiting.length === 0) return;
        }
      } catch (err) {
        if (!isSamizdatError(err)) throw err;
      }
      if (options.now() > deadline) {
        const what = full === undefined ? `no consensus listing all ${expected} nodes` : `${waiting.length} of ${expected} nodes still serve an older consensus`;
        throw new SamizdatError('PATH_FAILED', `${what} after ${DEVNET_CONSENSUS_TIMEOUT_MS / 1000} s; see the logs in ${path.join(options.dir, 'logs')}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await client.stop();
  }
}

export async function startDevnet(options: DevnetOptions): Promise<RunningDevnet> {
  const { dir, crypto } = options;
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > 64) {
    throw new SamizdatError('USAGE', '--nodes must be an integer from 1 to 64');
  }
  const logs = path.join(dir, 'logs');
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  const networkFile = path.join(dir, 'network.json');

  const authorities = [];
  for (let i = 1; i <= DEVNET_AUTHORITIES; i++) {
    const key = loadOrCreateIdentityKey(crypto, path.join(dir, `authority-${i}`));
    authorities.push({ name: `authority-${i}`, publicKey: key.key.publicKey, addresses: [`/ip4/127.0.0.1/tcp/${await freePort()}`] });
  }
  const base = { name: 'devnet', authorities, swarmSize: 5, consensusPeriodMs: options.consensusPeriodMs ?? DEVNET_CONSENSUS_PERIOD_MS, allowSameSubnet: true, onionKeyRotationMs: DEVNET_ONION_KEY_ROTATION_MS, prekeyRotationMs: DEVNET_PREKEY_ROTATION_MS };
  let network = createNetworkConfig(base);
  await writeNetworkFile(networkFile, network);

  const members = new Map<string, ChildMember>();
  const argsOf = new Map<string, readonly string[]>();
  const exitListeners: ((name: string, status: number | string) => void)[] = [];
  let stopping = false;
  const launch = (name: string): ChildMember => {
    const member = spawnMember(name, argsOf.get(name) ?? [], path.join(logs, `${name}.log`), DEVNET_START_TIMEOUT_MS);
    members.set(name, member);
    void member.exited.then((status) => {
      if (!stopping && members.get(name) === member) for (const l of exitListeners) l(name, status);
    });
    return member;
  };
  const stop = async (): Promise<void> => {
    stopping = true;
    await Promise.all([...members.values()].map((m) => m.stop()));
  };
  try {
    for (const a of authorities) {
      argsOf.set(a.name, ['authority', 'run', '--dir', path.join(dir, a.name), '--network', networkFile]);
      const ready = await launch(a.name).ready;
      options.progress(`${a.name} up: ${ready.addresses.join(' ')}`);
    }
    const nodeArgs = async (name: string): Promise<string[]> => [
      'node', 'run', '--dir', path.join(dir, name), '--network', networkFile, '--listen', `/ip4/127.0.0.1/tcp/${await (options.nodePort ?? freePort)()}`,
      '--sync-interval', String(DEVNET_SYNC_INTERVAL_MS), ...(options.depositPowBits === undefined ? [] : ['--deposit-pow-bits', String(options.depositPowBits)]),
    ];
    // freePort releases the port it found; another process (a parallel test's devnet, or any
    // outgoing connection's ephemeral port) can take it before the node listens, and the node
    // exits with EADDRINUSE. A node that exits before it is ready gets a new port and another try.
    const launchNode = async (name: string): Promise<{ name: string; ready: Awaited<ChildMember['ready']> }> => {
      for (let attempt = 1; ; attempt++) {
        argsOf.set(name, await nodeArgs(name));
        const member = launch(name);
        try {
          return { name, ready: await member.ready };
        } catch (err) {
          if (attempt >= NODE_START_ATTEMPTS || (await member.exited) !== 1) throw err;
          options.progress(`${name} exited before it was ready; starting it again on another port`);
        }
      }
    };
    const names = Array.from({ length: options.nodes }, (_, i) => `node-${String(i + 1).padStart(2, '0')}`);
    const started = names.map((name) => launchNode(name));
    // Every start is awaited, so none is left rejecting unobserved if an earlier one throws.
    const settled = await Promise.allSettled(started);
    const seeds: string[] = [];
    const targets: PeerTarget[] = [];
    for (const result of settled) {
      if (result.status === 'rejected') throw result.reason;
      const { name, ready } = result.value;
      targets.push({ peerId: ready.peerId, addresses: ready.addresses });
      options.progress(`${name} up: ${ready.peerId}`);
      for (const a of ready.addresses) if (seeds.length < 8) seeds.push(`${a}/p2p/${ready.peerId}`);
    }
    await waitForFullConsensus(options, network, targets);
    network = createNetworkConfig({ ...base, seeds });
    await writeNetworkFile(networkFile, network);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    networkFile,
    network,
    members,
    onMemberExit: (listener) => exitListeners.push(listener),
    async restart(name) {
      const old = members.get(name);
      if (old === undefined) throw new SamizdatError('INVALID_ARGUMENT', `no devnet member named ${name}`);
      await old.stop();
      const member = launch(name);
      await member.ready;
      return member;
    },
    stop,
  };
}
