/**
 * Issue 6: "A flood of 10,000 deposits from unknown accounts into one mailbox: the flood is
 * limited, the owner's contacts still get through promptly, the node stays responsive."
 *
 * Three real nodes on loopback (one swarm, k = 3) with the node's real per-mailbox buckets
 * (STRANGER_DEPOSIT_RATE, CONTACT_DEPOSIT_RATE); only the proof-of-work difficulty is lowered so
 * that 10,000 valid proofs cost the test a fraction of a second: the point is the per-mailbox
 * limit, which no amount of work buys past. Ten flooding clients (each within its own per-peer
 * rate) in a separate process (deposit-flooder.ts) spread 10,000 deposits with valid proofs over
 * the three members. Meanwhile a contact deposits with the owner's deposit key, strangers deposit
 * into other mailboxes, and the owner reads its inbox; their latencies are measured.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { MailboxClient } from '../../src/client/mailbox-client.ts';
import { toHex } from '../../src/crypto/bytes.ts';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import { signDeposit, solveDepositPow } from '../../src/identity/deposit-proof.ts';
import { encodeMailboxPolicy } from '../../src/identity/mailbox-policy.ts';
import { STRANGER_DEPOSIT_RATE } from '../../src/node/deposit-gate.ts';
import type { PeerTarget } from '../../src/wire/index.ts';
import { startCluster, startDirectClient, type Cluster, type DirectClient } from './mailbox-cluster.ts';

const crypto = createNodeCryptoProvider();
const TTL = 3_600_000;
const FLOOD = 10_000;
const FLOODERS = 10;
/** Requests in flight per flooding client. */
const WINDOW = 4;
const BITS = 4;
const NODES = 3;
/** Longest a contact's deposit, another mailbox's deposit or an owner read may take during the flood. */
const LATENCY_BOUND_MS = 1_500;
/** Time between two probes (a contact deposit, another mailbox's deposit or an owner read). */
const PROBE_INTERVAL_MS = 40;

interface FloodResult {
  readonly storedAt: number[];
  readonly limited: number;
  readonly unexpected: string[];
}

/** Starts the flooding process; resolves `ready` once its proofs are computed and clients connected. */
function startFlooder(targets: readonly PeerTarget[], account: Uint8Array) {
  const config = { targets, account: toHex(account), count: FLOOD, clients: FLOODERS, window: WINDOW, bits: BITS, ttlMs: TTL };
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'deposit-flooder.ts'), JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  let onReady: () => void = () => undefined;
  let onDone: (r: FloodResult) => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const done = new Promise<FloodResult>((resolve) => (onDone = resolve));
  const failed = new Promise<never>((_, reject) => child.on('close', (code) => reject(new Error(`the flooder exited (${code})`))));
  failed.catch(() => undefined);
  lines.on('line', (line) => {
    const event = JSON.parse(line) as { event: string } & FloodResult;
    if (event.event === 'ready') onReady();
    if (event.event === 'done') onDone(event);
  });
  return {
    ready: Promise.race([ready, failed]),
    go(): Promise<FloodResult> {
      child.stdin.write('go\n');
      return Promise.race([done, failed]);
    },
    stop: () => child.kill(),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

describe('a flood of 10,000 stranger deposits into one mailbox', () => {
  let cluster: Cluster;
  let user: DirectClient;
  let client: MailboxClient;
  let targets: PeerTarget[];

  before(async () => {
    cluster = await startCluster(crypto, NODES, { swarmSize: NODES, limits: { depositPowBits: BITS } });
    targets = cluster.nodes.map((n, i) => n?.target ?? assert.fail(`node ${i} is down`));
    user = await startDirectClient(crypto);
    client = user.client;
  });

  after(async () => {
    await user.stop();
    await cluster.close();
  });

  it('stores at most the stranger allowance, lets contacts through at once and keeps serving everyone else', async () => {
    const owner = crypto.generateKey('ed25519');
    const account = owner.publicKey;
    const depositKey = crypto.generateKey('ed25519');
    const policy = encodeMailboxPolicy({ contactDepositKey: depositKey.publicKey, refuseStrangers: false, sequence: 1n });
    const first = targets[0] ?? assert.fail();
    assert.equal((await client.store(first, { account, namespace: 'config', body: policy, ttlMs: TTL, identityKey: owner })).replicas, NODES);
    // Strangers writing to six other mailboxes during the flood, with their proofs ready.
    const bystanders = Array.from({ length: 6 }, () => crypto.generateKey('ed25519').publicKey);
    const bystanderDeposits: { account: Uint8Array; body: Uint8Array; powNonce: Uint8Array }[] = [];
    for (let i = 0; i < 120; i++) {
      const b = bystanders[i % bystanders.length] ?? assert.fail();
      const body = crypto.randomBytes(200);
      bystanderDeposits.push({ account: b, body, powNonce: await solveDepositPow(crypto, b, body, BITS) });
    }
    // Sessions open before the clock starts.
    for (const t of targets) await client.retrieve(t, { account, namespace: 'inbox', identityKey: owner });

    const flooder = startFlooder(targets, account);
    try {
      await flooder.ready;
      const started = performance.now();
      let result: FloodResult | undefined;
      const flood = flooder.go().then((r) => (result = r));

      // While it runs: a contact's deposits, other mailboxes' deposits and the owner's reads.
      const contactMs: number[] = [];
      const othersMs: number[] = [];
      for (let probe = 0; result === undefined; probe++) {
        await Promise.race([flood, new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS))]);
        if (result !== undefined) break;
        const target = targets[probe % NODES] ?? assert.fail();
        if (probe % 5 === 0) {
          const body = crypto.randomBytes(200);
          const contactSignature = signDeposit(crypto, depositKey, account, body);
          contactMs.push(await timed(() => client.store(target, { account, namespace: 'inbox', body, ttlMs: TTL, proof: { contactSignature } })));
        } else if (probe % 2 === 0) {
          const d = bystanderDeposits[probe % bystanderDeposits.length] ?? assert.fail();
          othersMs.push(await timed(() => client.store(target, { account: d.account, namespace: 'inbox', body: d.body, ttlMs: TTL, proof: { powNonce: d.powNonce } })));
        } else {
          othersMs.push(await timed(() => client.retrieve(target, { account, namespace: 'inbox', identityKey: owner, limit: 100 })));
        }
      }
      const { storedAt, limited, unexpected } = await flood;
      const seconds = (performance.now() - started) / 1000;

      // The flood is limited: each member took at most its bucket's allowance for the flood's duration.
      const allowance = Math.floor(STRANGER_DEPOSIT_RATE.burst + STRANGER_DEPOSIT_RATE.ratePerSecond * seconds) + 1;
      const stored = storedAt.reduce((a, b) => a + b, 0);
      assert.deepEqual(unexpected, []);
      assert.equal(stored + limited, FLOOD);
      for (const n of storedAt) assert.ok(n <= allowance, `a member stored ${n} flood deposits, allowance ${allowance}`);
      const inbox = cluster.node(0).store.usage(account, 'inbox').messages;
      assert.ok(inbox <= NODES * allowance + contactMs.length, `the inbox holds ${inbox}`);

      // Contacts got through promptly, and everyone else was served.
      contactMs.sort((a, b) => a - b);
      othersMs.sort((a, b) => a - b);
      const report = {
        floodSeconds: Number(seconds.toFixed(2)),
        floodStored: storedAt,
        floodLimited: limited,
        contactMs: { n: contactMs.length, p50: Math.round(percentile(contactMs, 50)), max: Math.round(contactMs.at(-1) ?? Number.NaN) },
        othersMs: { n: othersMs.length, p50: Math.round(percentile(othersMs, 50)), p99: Math.round(percentile(othersMs, 99)) },
      };
      process.stderr.write(`deposit flood: ${JSON.stringify(report)}\n`);
      // Bounds with room for a loaded 2-core machine (the flooder takes one core, three nodes share
      // the other): typical runs there show contacts p50 ~150 ms, max < 700 ms; others p50 ~90 ms.
      assert.ok(contactMs.length >= 3 && othersMs.length >= 10, 'the probes ran during the flood');
      assert.ok(percentile(contactMs, 50) < 500 && (contactMs.at(-1) ?? Infinity) < LATENCY_BOUND_MS, `contacts' deposits took ${JSON.stringify(report.contactMs)} ms`);
      assert.ok(percentile(othersMs, 50) < 500 && percentile(othersMs, 99) < LATENCY_BOUND_MS, `other requests took ${JSON.stringify(report.othersMs)} ms`);
      const got = await client.retrieve(first, { account, namespace: 'inbox', identityKey: owner, limit: 256 });
      assert.equal(got.messages.length, inbox);
    } finally {
      flooder.stop();
    }
  });
});
