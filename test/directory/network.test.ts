/**
 * The directory over real libp2p hosts on 127.0.0.1: 3 authorities and 4 nodes agree on a
 * consensus; the network survives one authority going down; a node that stops answering leaves
 * the next consensus; anyone can bootstrap from a node alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  createAuthorityService,
  createDirectoryFollower,
  createNetworkConfig,
  CONSENSUS_PROTOCOL,
  FETCH_PARALLELISM,
  NOTHING_NEWER_QUORUM,
  fetchConsensus,
  fetchConsensusFrom,
  fetchNewerConsensus,
  serveConsensus,
  signNodeDescriptor,
} from '../../src/directory/index.ts';
import type { AuthorityService, Consensus, DirectoryFollower, NetworkConfig } from '../../src/directory/index.ts';
import { createHost } from '../../src/node/host.ts';
import type { Host } from '../../src/node/host.ts';
import type { RpcTransport } from '../../src/wire/index.ts';
import { crypto, makeAuthorities, makeNode } from './fixtures.ts';

const PERIOD_MS = 2_000;
const LISTEN = ['/ip4/127.0.0.1/tcp/0'];

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

async function waitForAsync<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(200);
  }
}

describe('directory over libp2p on loopback', () => {
  const hosts: Host[] = [];
  const services: { stop(): Promise<void> }[] = [];
  const authorityKeys = makeAuthorities(3);
  const nodeKeys = Array.from({ length: 4 }, () => makeNode());
  let network: NetworkConfig;
  let authorities: AuthorityService[] = [];
  let authorityHosts: Host[] = [];
  let nodeHosts: Host[] = [];
  let followers: DirectoryFollower[] = [];

  async function host(seed: Uint8Array, listen = LISTEN): Promise<Host> {
    const h = await createHost({ identitySeed: seed, listen });
    hosts.push(h);
    await h.start();
    return h;
  }

  before(async () => {
    authorityHosts = await Promise.all(authorityKeys.map((a) => host(a.seed)));
    network = createNetworkConfig({
      name: 'loopnet',
      authorities: authorityKeys.map((a, i) => ({ name: a.name, publicKey: a.key.publicKey, addresses: authorityHosts[i]!.addresses() })),
      consensusPeriodMs: PERIOD_MS,
    });
    authorities = authorityKeys.map((a, i) =>
      createAuthorityService({ transport: authorityHosts[i]!.transport, crypto, now: Date.now, network, identity: a.key }),
    );
    services.push(...authorities);
    await Promise.all(authorities.map((a) => a.start()));

    nodeHosts = await Promise.all(nodeKeys.map((n) => host(n.seed)));
    followers = nodeKeys.map((n, i) => {
      const descriptor = signNodeDescriptor(crypto, n.key, {
        addresses: nodeHosts[i]!.addresses(),
        onionX25519: n.onionX25519,
        onionMlKem: n.onionMlKem,
        version: 'samizdat/test',
        publishedAtMs: Date.now(),
      });
      return createDirectoryFollower({ transport: nodeHosts[i]!.transport, crypto, network, now: Date.now, selfDescriptor: () => descriptor });
    });
    services.push(...followers);
    await Promise.all(followers.map((f) => f.start()));
  });

  after(async () => {
    for (const s of services) await s.stop().catch(() => undefined);
    await Promise.all(hosts.map((h) => h.stop().catch(() => undefined)));
  });

  let first: Consensus;

  it('3 authorities and 4 nodes produce a consensus listing all 4, signed by at least 2', async () => {
    // Retried: libp2p refuses more than 5 new inbound connections per second from one IP, and
    // here every peer is 127.0.0.1 (followers also retry on their own after a quarter period).
    for (const f of followers) await waitForAsync('publication to all 3 authorities', 5_000, async () => ((await f.publish()) === 3 ? true : undefined));
    const results = await Promise.all(authorities.map((a) => a.runRound()));
    first = await waitFor('a consensus with 4 nodes', 10_000, () =>
      results.concat(authorities.map((a) => a.current())).find((c) => c !== undefined && c.nodes.length === 4),
    );
    assert.ok(first.signers.length >= 2, `signers: ${first.signers.join(',')}`);
    assert.deepEqual(new Set(first.nodes.map((n) => n.peerId)), new Set(nodeHosts.map((h) => h.peerId)));
    // Every node follows the directory and ends up holding a 4-node consensus too.
    await waitFor('every node to hold the consensus', 10_000, () =>
      followers.every((f) => (f.current()?.nodes.length ?? 0) === 4) ? true : undefined,
    );
  });

  it('with 1 of 3 authorities down the next rounds still produce a consensus', async () => {
    await authorities[2]!.stop();
    await authorityHosts[2]!.stop();
    const stoppedAt = Date.now();
    const next = await waitFor('a consensus from a period after the outage', 4 * PERIOD_MS + 3_000, () => {
      const c = authorities[0]!.current();
      return c !== undefined && c.validAfterMs > stoppedAt && c.nodes.length === 4 ? c : undefined;
    });
    assert.deepEqual([...next.signers].sort(), ['a1', 'a2']);
  });

  it('a node that stops answering leaves the next consensus', async () => {
    await followers[3]!.stop();
    await nodeHosts[3]!.stop();
    const stoppedAt = Date.now();
    const next = await waitFor('a consensus without the stopped node', 4 * PERIOD_MS + 3_000, () => {
      const c = authorities[1]!.current();
      return c !== undefined && c.validAfterMs > stoppedAt ? c : undefined;
    });
    assert.equal(next.nodes.length, 3);
    assert.ok(!next.nodes.some((n) => n.peerId === nodeHosts[3]!.peerId));
  });

  it('a restarted authority catches up on the current consensus mid-period', async () => {
    const restarted = await host(authorityKeys[2]!.seed, authorityHosts[2]!.addresses());
    const service = createAuthorityService({ transport: restarted.transport, crypto, now: Date.now, network, identity: authorityKeys[2]!.key });
    services.push(service);
    await service.start();
    const latest = authorities[0]!.current()!;
    await service.runRound();
    const caught = await waitFor('the restarted authority to serve a current consensus', 3 * PERIOD_MS, () => {
      const c = service.current();
      return c !== undefined && c.validAfterMs >= latest.validAfterMs ? c : undefined;
    });
    assert.ok(caught.signers.length >= 2);
  });

  it('a client bootstraps from a node alone (no authority reachable)', async () => {
    const client = await host(crypto.randomBytes(32), []);
    const direct = await fetchConsensusFrom({ transport: client.transport, crypto, network, now: Date.now }, { peerId: nodeHosts[0]!.peerId, addresses: nodeHosts[0]!.addresses() }, 0);
    assert.ok(direct !== undefined && direct.nodes.length >= 3);
    // Authorities at dead addresses; the only live source is a seed that is a plain node.
    const cutOff = createNetworkConfig({
      name: network.name,
      authorities: network.authorities.map((a) => ({ name: a.name, publicKey: a.publicKey, addresses: ['/ip4/127.0.0.1/tcp/1'] })),
      seeds: [`${nodeHosts[1]!.addresses()[0]!}/p2p/${nodeHosts[1]!.peerId}`],
      consensusPeriodMs: PERIOD_MS,
    });
    const fetched = await fetchConsensus({ transport: client.transport, crypto, network: cutOff, now: Date.now, timeoutMs: 3_000 });
    assert.ok(fetched.signers.length >= 2);
    assert.ok(fetched.nodes.length >= 3);
  });

  it('a refresh with nothing newer ends after a quorum of answers, not after asking every source', async () => {
    // Six sources of their own serving the first consensus, beside the 3 authorities.
    const sources = await Promise.all(Array.from({ length: 6 }, () => host(crypto.randomBytes(32))));
    for (const source of sources) await serveConsensus(source.transport, () => first);
    const client = await host(crypto.randomBytes(32), []);
    let asked = 0;
    const counting: RpcTransport = {
      ...client.transport,
      dial: (target, protocol, signal) => {
        if (protocol === CONSENSUS_PROTOCOL) asked++;
        return client.transport.dial(target, protocol, signal);
      },
    };
    const targets = sources.map((h) => ({ peerId: h.peerId, addresses: h.addresses() }));
    const options = { transport: counting, crypto, network, now: Date.now, targets };
    // Newer than an hour from now: nobody has anything newer.
    assert.equal(await fetchNewerConsensus({ ...options, newerThanMs: Date.now() + 3_600_000, maxAttempts: 9 }), undefined);
    // The lanes start FETCH_PARALLELISM requests; a lane answered before the quorum may start one
    // more, and after the answer that completes the quorum none starts another. Two spare for a
    // failed request (one is not an answer): asking all 9 is what this must not do.
    assert.ok(asked >= NOTHING_NEWER_QUORUM && asked <= FETCH_PARALLELISM + NOTHING_NEWER_QUORUM + 1, `asked ${asked} of 9 sources`);
    const found = await fetchNewerConsensus({ ...options, newerThanMs: first.validAfterMs - 1 });
    assert.ok(found !== undefined && found.validAfterMs >= first.validAfterMs);
  });
});
