/**
 * The `onion` bench's path rows: guard, middle, exit and target each in its own process
 * (bench/onion-relay.ts), the client in this one, nothing else running: what the onion path itself
 * costs, apart from the devnet's mailbox handler and directory traffic. First the transport floor:
 * one echo round trip to the guard's process through a bare TCP socket and through libp2p, each
 * also with neither process sleeping between messages, which shows what waking a process costs
 * on this machine (an onion retrieve wakes 8 processes, a direct one 2). Then the sequential
 * round trip, requests per second with ONION_PATH_CONCURRENCY in flight, and each process's CPU
 * time per request from /proc (Linux), so the per-hop figures are measured, not estimated.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { createNodeCryptoProvider } from '../src/crypto/index.ts';
import { SERVICE_NODE_V8_FLAGS } from '../src/node/heap-flags.ts';
import { createHost } from '../src/node/host.ts';
import { ONION_PROTOCOL, OnionCircuit, onionKeyId, type OnionHop } from '../src/onion/index.ts';
import { RpcSession } from '../src/wire/index.ts';
import type { BenchRow } from './report.ts';

const RELAY = path.join(import.meta.dirname, 'onion-relay.ts');
/** The echo protocol bench/onion-relay.ts serves beside the relay (defined here: importing that script would run it). */
export const ECHO_PROTOCOL = '/samizdat/bench/echo/1.0.0';
/** The same echo, after which the relay process polls instead of sleeping (see tcpEchoMs). */
export const ECHO_AWAKE_PROTOCOL = '/samizdat/bench/echo-awake/1.0.0';
const TIMEOUT_MS = 10_000;
const SEQUENTIAL = 2_000;
/**
 * Sequential requests before the path rows. After 2,000, the relays were still recompiling (36
 * to 50 µs of V8 worker-thread CPU per relay per request, against about 10 µs once warm) and the
 * sequential round trip came out at 1.31 ms, against 1.04 ms after 20,000; 10,000 still left 30
 * to 40 µs (see LATENCY_WARMUP_REQUESTS in suites/onion.ts). With the 200 this replaced, the row
 * read 1.54 ms. The worker-thread row shows whether a run was warm.
 */
const SEQUENTIAL_WARMUP = 20_000;
export const ONION_PATH_CONCURRENCY = 64;
const SECONDS = 3;

/** CPU seconds (user + system) a process has used, from /proc/PID/stat; undefined off Linux. */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds the V8 worker threads of a process have used (TurboFan and Maglev compiles, GC
 * helpers), from /proc/PID/task/<tid>/stat; undefined off Linux.
 */
function v8WorkerCpuSeconds(pid: number | undefined): number | undefined {
  try {
    let ticks = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      if (!stat.includes('(V8Worker)')) continue;
      const fields = stat.split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks / 100;
  } catch {
    return undefined;
  }
}

interface RelayInfo {
  readonly peerId: string;
  readonly addresses: string[];
  readonly onionPublicKey: string;
  readonly tcpEchoPort: number;
  readonly tcpAwakeEchoPort: number;
}

function startRelay(): { child: ChildProcess; hop: Promise<RelayInfo> } {
  const child = spawn(process.execPath, [...SERVICE_NODE_V8_FLAGS, RELAY], { stdio: ['ignore', 'pipe', 'inherit'] });
  const hop = new Promise<RelayInfo>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`onion relay exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line) as RelayInfo));
  });
  return { child, hop };
}

const ECHO_BYTES = 3_600; // about an onion message in the 1 KiB bucket
const ECHO_ROUNDS = 2_000;

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)] ?? NaN;
}

/**
 * Waits for `pending` without letting this process sleep: the event loop keeps turning
 * (setImmediate, so libuv checks its sockets without blocking) until it settles.
 */
async function awaitAwake<T>(pending: Promise<T>): Promise<T> {
  let waiting = true;
  const poll = (): void => {
    if (waiting) setImmediate(poll);
  };
  setImmediate(poll);
  try {
    return await pending;
  } finally {
    waiting = false;
  }
}

/**
 * Median of ECHO_ROUNDS sequential `roundTrip`s after 200 unmeasured ones. With `awake` this
 * process polls while it waits (awaitAwake), and the server, on its awake port or protocol, after
 * each answer: neither sleeps between messages. The difference to the sleeping echo is what waking
 * idle processes costs.
 */
async function medianRoundTripMs(roundTrip: () => Promise<unknown>, awake: boolean): Promise<number> {
  const once = awake ? () => awaitAwake(roundTrip()) : roundTrip;
  for (let i = 0; i < 200; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < ECHO_ROUNDS; i++) {
    const start = performance.now();
    await once();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** Median round trip of ECHO_BYTES through a bare TCP socket to the echo server on `port`. */
async function tcpEchoMs(port: number, awake = false): Promise<number> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const message = Buffer.alloc(ECHO_BYTES, 7);
  const roundTrip = (): Promise<void> =>
    new Promise((resolve) => {
      let received = 0;
      const onData = (chunk: Buffer): void => {
        received += chunk.length;
        if (received < message.length) return;
        socket.off('data', onData);
        resolve();
      };
      socket.on('data', onData);
      socket.write(message);
    });
  try {
    return await medianRoundTripMs(roundTrip, awake);
  } finally {
    socket.destroy();
  }
}

/**
 * Median round trip of ECHO_BYTES through an RpcSession (libp2p TCP, Noise, Yamux), to
 * ECHO_PROTOCOL or, `awake`, to ECHO_AWAKE_PROTOCOL.
 */
function libp2pEchoMs(session: RpcSession, awake = false): Promise<number> {
  const body = new Uint8Array(ECHO_BYTES);
  return medianRoundTripMs(() => session.request(body, { timeoutMs: TIMEOUT_MS }), awake);
}

export async function onionPathRows(): Promise<BenchRow[]> {
  const crypto = createNodeCryptoProvider();
  const relays = [0, 1, 2, 3].map(() => startRelay());
  const host = await createHost({ identitySeed: crypto.randomBytes(32), listen: [] });
  let session: RpcSession | undefined;
  try {
    const infos = await Promise.all(relays.map((r) => r.hop));
    const hops: OnionHop[] = infos.map((h) => {
      const onionPublicKey = new Uint8Array(Buffer.from(h.onionPublicKey, 'base64'));
      return { peerId: h.peerId, addresses: h.addresses, onionPublicKey, keyId: onionKeyId(crypto, onionPublicKey) };
    });
    const [guard, middle, exit, target] = hops;
    if (guard === undefined || middle === undefined || exit === undefined || target === undefined) throw new Error('relays');
    await host.start();
    session = new RpcSession(await host.transport.dial(guard, ONION_PROTOCOL, AbortSignal.timeout(TIMEOUT_MS)));
    const open = session;
    const circuit = new OnionCircuit(crypto, [guard, middle, exit], Date.now);
    circuit.checkCreated(await open.request(circuit.createRequest({ timeoutMs: TIMEOUT_MS }), { timeoutMs: TIMEOUT_MS }));
    const request = crypto.randomBytes(300); // an owner-signed retrieve is about this size
    const send = async (): Promise<void> => {
      const wrapped = circuit.wrapTargetRequest(target, request, { timeoutMs: TIMEOUT_MS });
      circuit.openAnswer(await open.request(wrapped.request, { timeoutMs: TIMEOUT_MS }), wrapped.reply);
    };
    for (let i = 0; i < SEQUENTIAL_WARMUP; i++) await send();
    const echo = new RpcSession(await host.transport.dial(guard, ECHO_PROTOCOL, AbortSignal.timeout(TIMEOUT_MS)));
    const libp2pRoundTrip = await libp2pEchoMs(echo).finally(() => echo.close());
    const awakeEcho = new RpcSession(await host.transport.dial(guard, ECHO_AWAKE_PROTOCOL, AbortSignal.timeout(TIMEOUT_MS)));
    const libp2pAwakeRoundTrip = await libp2pEchoMs(awakeEcho, true).finally(() => awakeEcho.close());
    const tcpRoundTrip = await tcpEchoMs(infos[0]?.tcpEchoPort ?? 0);
    const tcpAwakeRoundTrip = await tcpEchoMs(infos[0]?.tcpAwakeEchoPort ?? 0, true);

    const cpu = (): (number | undefined)[] => {
      const own = process.cpuUsage();
      return [(own.user + own.system) / 1e6, ...relays.map((r) => cpuSeconds(r.child.pid))];
    };
    const perRequest = (before: (number | undefined)[], after: (number | undefined)[], count: number): (number | undefined)[] =>
      after.map((a, i) => (a === undefined || before[i] === undefined ? undefined : ((a - before[i]) * 1e6) / count));

    const workerCpu = (): number => relays.reduce((sum, r) => sum + (v8WorkerCpuSeconds(r.child.pid) ?? NaN), 0);
    const workerBefore = workerCpu();
    const seqBefore = cpu();
    const latencies: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const start = performance.now();
      await send();
      latencies.push(performance.now() - start);
    }
    const seqCpu = perRequest(seqBefore, cpu(), SEQUENTIAL);
    const seqWorkerCpu = ((workerCpu() - workerBefore) * 1e6) / SEQUENTIAL;
    latencies.sort((a, b) => a - b);

    const rateBefore = cpu();
    let done = 0;
    const start = performance.now();
    const until = start + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: ONION_PATH_CONCURRENCY }, async () => {
        while (performance.now() < until) {
          await send();
          done++;
        }
      }),
    );
    const rate = done / ((performance.now() - start) / 1000);
    const rateCpu = perRequest(rateBefore, cpu(), done);

    const names = ['client', 'guard', 'middle', 'exit', 'target'];
    const cpuRows = (label: string, values: (number | undefined)[]): BenchRow[] =>
      values.flatMap((v, i) => (v === undefined ? [] : [{ metric: `path only, ${label}: CPU of the ${names[i]} process per request (measured, /proc)`, value: v, unit: 'µs' }]));
    return [
      { metric: `transport floor: ${ECHO_BYTES}-byte echo between two processes, bare TCP socket, p50`, value: tcpRoundTrip, unit: 'ms' },
      { metric: 'transport floor: the same bare TCP echo with neither process sleeping between messages (both poll), p50', value: tcpAwakeRoundTrip, unit: 'ms' },
      { metric: 'cost of waking an idle process, per one-way hop: (sleeping echo - awake echo) / 2', value: ((tcpRoundTrip - tcpAwakeRoundTrip) / 2) * 1000, unit: 'µs' },
      { metric: `transport: the same echo through libp2p (TCP, Noise, Yamux) and an RpcSession, p50`, value: libp2pRoundTrip, unit: 'ms', peer: 'bare TCP', ratio: tcpRoundTrip / libp2pRoundTrip },
      { metric: 'transport: the libp2p echo with neither process sleeping between messages (both poll), p50', value: libp2pAwakeRoundTrip, unit: 'ms' },
      { metric: 'cost of waking an idle process, per one-way hop, libp2p: (sleeping echo - awake echo) / 2 (wake-up plus running on cold caches)', value: ((libp2pRoundTrip - libp2pAwakeRoundTrip) / 2) * 1000, unit: 'µs' },
      { metric: 'path only (4 relay processes, fixed answer): sequential round trip p50', value: latencies[Math.floor(latencies.length / 2)] ?? NaN, unit: 'ms' },
      { metric: `path only: requests/s with ${ONION_PATH_CONCURRENCY} in flight`, value: rate, unit: 'req/s', target: '>= 1000/s on 2 cores' },
      ...cpuRows('sequential', seqCpu),
      ...(Number.isNaN(seqWorkerCpu)
        ? []
        : [{ metric: 'path only, sequential: CPU of the 4 relays\' V8 worker threads per request, together (compiles and GC helpers)', value: seqWorkerCpu, unit: 'µs' }]),
      ...cpuRows(`${ONION_PATH_CONCURRENCY} in flight`, rateCpu),
    ];
  } finally {
    session?.close();
    await host.stop();
    for (const r of relays) r.child.kill('SIGTERM');
  }
}
