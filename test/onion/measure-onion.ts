/**
 * Rough onion timings on one machine (all hosts in this process): `node test/onion/measure-onion.ts`.
 * Not a test and not the bench suite (bench/ owns published numbers); a quick look for developers.
 */
import { createNodeCryptoProvider, generateHybridKeyPair, utf8 } from '../../src/crypto/index.ts';
import {
  OnionCircuit,
  buildCreateOnion,
  createOnionKeyRing,
  createReplayCache,
  onionKeyId,
  openTargetRequest,
  peelCreateLayer,
  createTargetSessionTable,
  openTargetSession,
  type OnionHop,
} from '../../src/onion/index.ts';
import { startOnionDevnet } from './onion-devnet.ts';

const crypto = createNodeCryptoProvider();
const TIMEOUT_MS = 10_000;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function timeIt(runs: number, fn: () => void): number {
  const start = performance.now();
  for (let i = 0; i < runs; i++) fn();
  return (performance.now() - start) / runs;
}

const keys = [0, 1, 2].map(() => generateHybridKeyPair(crypto));
const hops: OnionHop[] = keys.map((key, i) => ({ peerId: `peer${i}`, addresses: ['/ip4/127.0.0.1/tcp/1'], onionPublicKey: key.publicKey, keyId: onionKeyId(crypto, key.publicKey) }));
const ring = createOnionKeyRing(crypto, [{ key: keys[0]! }]);
const replay = createReplayCache({ now: () => 0, maxEntries: 1_000_000 });
const sessions = createTargetSessionTable({ now: Date.now });
console.log(`client buildCreateOnion (3 hops): ${timeIt(300, () => buildCreateOnion(crypto, hops, Date.now())).toFixed(3)} ms`);
const layers = Array.from({ length: 300 }, () => buildCreateOnion(crypto, [hops[0]!], Date.now()).layer);
let n = 0;
console.log(`relay peelCreateLayer (one hop): ${timeIt(300, () => peelCreateLayer(crypto, ring, replay, layers[n++]!, { nowMs: Date.now(), notBeforeMs: 0 })).toFixed(3)} ms`);
const targetLayers = Array.from({ length: 300 }, () => openTargetSession(crypto, hops[0]!, new Uint8Array(200), Date.now()).layer);
n = 0;
console.log(`client sealTargetRequest: ${timeIt(300, () => openTargetSession(crypto, hops[0]!, new Uint8Array(200), Date.now())).toFixed(3)} ms`);
console.log(`target openTargetRequest: ${timeIt(300, () => openTargetRequest(crypto, ring, replay, sessions, targetLayers[n++]!, { fromPeer: 'exit', clock: { nowMs: Date.now(), notBeforeMs: 0 } })).toFixed(3)} ms`);

const net = await startOnionDevnet(['guard', 'middle', 'exit', 'target', 'client']);
const hop = (name: string): OnionHop => net.nodes[name]!.hop;
const session = await net.session('client', 'guard');
const path = [hop('guard'), hop('middle'), hop('exit')];

const createTimes: number[] = [];
let circuit = new OnionCircuit(crypto, path, Date.now);
for (let i = 0; i < 100; i++) {
  const start = performance.now();
  circuit = new OnionCircuit(crypto, path, Date.now);
  circuit.checkCreated(await session.request(circuit.createRequest({ timeoutMs: TIMEOUT_MS }), { timeoutMs: TIMEOUT_MS }));
  createTimes.push(performance.now() - start);
}
console.log(`circuit create over loopback (client build + 3 hops): p50 ${percentile(createTimes, 50).toFixed(2)} ms, p99 ${percentile(createTimes, 99).toFixed(2)} ms`);

const send = async (): Promise<void> => {
  const { request, reply } = circuit.wrapTargetRequest(hop('target'), utf8('retrieve please'), { timeoutMs: TIMEOUT_MS });
  circuit.openAnswer(await session.request(request, { timeoutMs: TIMEOUT_MS }), reply);
};
const direct = await net.session('client', 'target');
void direct;
const requestTimes: number[] = [];
for (let i = 0; i < 500; i++) {
  const start = performance.now();
  await send();
  requestTimes.push(performance.now() - start);
}
console.log(`relayed request (1 KiB bucket) sequential: p50 ${percentile(requestTimes, 50).toFixed(2)} ms, p99 ${percentile(requestTimes, 99).toFixed(2)} ms`);

const total = 4_000;
const concurrency = 64;
const cpuStart = process.cpuUsage();
const wallStart = performance.now();
let started = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (started < total) {
      started += 1;
      await send();
    }
  }),
);
const wallMs = performance.now() - wallStart;
const cpu = process.cpuUsage(cpuStart);
const cpuMsPerRequest = (cpu.user + cpu.system) / 1000 / total;
console.log(`throughput, ${concurrency} in flight, one process: ${((total / wallMs) * 1000).toFixed(0)} requests/s`);
console.log(`CPU per request (client + 3 hops + target, all in this process): ${cpuMsPerRequest.toFixed(3)} ms`);
direct.close();
session.close();
await net.stop();
