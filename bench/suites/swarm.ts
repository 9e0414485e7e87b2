/**
 * Swarm placement at network scale: 2,000 simulated nodes (random 32-byte IDs) and 1,000,000
 * accounts, k = 5. Measures load balance (busiest node over the mean), the share of accounts whose
 * swarm changes when one node leaves (the ideal is k/n: exactly the accounts it served), and the
 * speed of a swarm look-up. About 2 x 2 x 10^9 scores; progress goes to stderr.
 */
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import { DEFAULT_SWARM_SIZE, accountKey, createSwarmIndex, type AccountKey } from '../../src/swarm/index.ts';
import type { BenchRow, BenchSuite } from '../report.ts';

const NODES = 2_000;
const ACCOUNTS = 1_000_000;
const K = DEFAULT_SWARM_SIZE;
const PROGRESS_EVERY = 250_000;

function progress(text: string): void {
  process.stderr.write(`  swarm: ${text}\n`);
}

async function run(): Promise<readonly BenchRow[]> {
  const crypto = createNodeCryptoProvider();
  const nodeIds = Array.from({ length: NODES }, () => crypto.randomBytes(32));

  // Account keys, hashed once each (as a node does for the accounts it holds).
  const hashStart = performance.now();
  const keys: AccountKey[] = [];
  while (keys.length < ACCOUNTS) {
    const chunk = crypto.randomBytes(32 * 2048);
    for (let off = 0; off < chunk.length && keys.length < ACCOUNTS; off += 32) {
      keys.push(accountKey(crypto, chunk.subarray(off, off + 32)));
    }
  }
  const hashMs = performance.now() - hashStart;
  progress(`${ACCOUNTS.toLocaleString('en')} account keys in ${(hashMs / 1000).toFixed(1)} s`);

  // Pass 1: every account's swarm; load per node.
  const index = createSwarmIndex(crypto, nodeIds);
  const swarms = new Int32Array(ACCOUNTS * K);
  const load = new Float64Array(NODES);
  const start = performance.now();
  for (let a = 0; a < ACCOUNTS; a++) {
    const swarm = index.swarmOfPrehashed(keys[a] ?? { hi: 0, lo: 0 }, K);
    for (let j = 0; j < K; j++) {
      const node = swarm[j] ?? 0;
      swarms[a * K + j] = node;
      load[node] = (load[node] ?? 0) + 1;
    }
    if ((a + 1) % PROGRESS_EVERY === 0) progress(`pass 1: ${(a + 1).toLocaleString('en')} accounts`);
  }
  const lookupMs = performance.now() - start;
  const mean = (ACCOUNTS * K) / NODES;
  let max = 0;
  let min = Infinity;
  for (const l of load) {
    max = Math.max(max, l);
    min = Math.min(min, l);
  }

  // Pass 2: one node leaves; recompute every swarm from scratch and compare as sets of node IDs.
  const leaver = Math.floor(Math.random() * NODES);
  const smaller = createSwarmIndex(crypto, nodeIds.filter((_, i) => i !== leaver));
  let changed = 0;
  let held = 0;
  for (let a = 0; a < ACCOUNTS; a++) {
    const swarm = smaller.swarmOfPrehashed(keys[a] ?? { hi: 0, lo: 0 }, K);
    let hadLeaver = false;
    let same = true;
    for (let j = 0; j < K; j++) {
      const old = swarms[a * K + j] ?? 0;
      if (old === leaver) hadLeaver = true;
      // Map the smaller index's positions back to the full list's.
      const now = swarm[j] ?? 0;
      const nowFull = now >= leaver ? now + 1 : now;
      let found = false;
      for (let m = 0; m < K; m++) if (swarms[a * K + m] === nowFull) found = true;
      if (!found) same = false;
    }
    if (hadLeaver) held++;
    if (!same) changed++;
    if ((a + 1) % PROGRESS_EVERY === 0) progress(`pass 2: ${(a + 1).toLocaleString('en')} accounts`);
  }
  const movedFraction = changed / ACCOUNTS;
  const ideal = K / NODES;

  await Promise.resolve();
  return [
    { metric: `max/mean accounts per node (n=${NODES}, ${ACCOUNTS / 1e6}M accounts, k=${K})`, value: max / mean, unit: 'x', target: '<= 1.25' },
    { metric: 'min/mean accounts per node', value: min / mean, unit: 'x' },
    { metric: 'mean accounts per node (each account counts on k nodes)', value: mean, unit: 'accounts' },
    {
      metric: 'accounts whose swarm changes when 1 node leaves',
      value: movedFraction,
      unit: 'fraction',
      peer: `k/n ideal ${ideal}`,
      ratio: ideal / movedFraction,
      target: 'close to k/n',
    },
    { metric: 'changed swarms / swarms that held the leaver', value: changed / held, unit: 'x', target: '= 1 (only those move)' },
    { metric: `swarm look-ups (prehashed, ${NODES} nodes, k=${K})`, value: (ACCOUNTS * 1000) / lookupMs, unit: 'ops/s' },
    { metric: 'scores per second (one node x one account)', value: (ACCOUNTS * NODES * 1000) / lookupMs, unit: 'scores/s' },
    { metric: 'account keys (SHA-256) per second', value: (ACCOUNTS * 1000) / hashMs, unit: 'ops/s' },
  ];
}

export const suite: BenchSuite = {
  name: 'swarm',
  description: `rendezvous hashing: ${NODES} nodes x ${ACCOUNTS.toLocaleString('en')} accounts, k=${K}: balance, churn on a leave, look-up rate`,
  run,
};
