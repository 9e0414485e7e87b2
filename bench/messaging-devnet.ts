/**
 * The `messaging` suite's end-to-end run: send -> watch latency on a devnet of real processes
 * (test/devnet/fixtures.ts). Two accounts, each with its own profile database (a temp file), its
 * own dial-only host, onion mailbox client and messenger, wired as src/cli/client-runtime.ts
 * does. The receiver loops on `receive({ waitMs })` exactly as `samizdat watch` does; the sender
 * sends MESSAGES texts one after another; the two are each other's contacts, and a warm-up
 * exchange (with a reply) comes first, so the timed messages are later messages of an established
 * session. For each message: when receive() returned it, less when send() was called, and less
 * when send() resolved.
 *
 * The mailbox objects handed to the messengers are timed wrappers around the real ones, so the
 * run also says where the time goes (store, second store, the delete after each batch) without
 * touching src/client/messenger.ts; the sender's transport counts the bytes it writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMessenger, type Messenger } from '../src/client/messenger.ts';
import type { MailboxClient } from '../src/client/mailbox-client.ts';
import { createOnionMailboxClient } from '../src/client/onion-mailbox-client.ts';
import { openProfileDb, type ProfileDb } from '../src/client/profile-db.ts';
import { createSwarmMailbox, type SwarmMailbox } from '../src/client/swarm-mailbox.ts';
import type { Consensus } from '../src/directory/index.ts';
import { deriveAccountKeys, type AccountKeys } from '../src/identity/account-keys.ts';
import { generateRecoveryPhrase } from '../src/identity/recovery-phrase.ts';
import { createHost } from '../src/node/host.ts';
import type { RpcTransport } from '../src/wire/index.ts';
import { startTestNet, type TestNet } from '../test/devnet/fixtures.ts';

export const DEVNET_NODES = 12;
export const MESSAGES = 500;
/** The long-poll of `samizdat watch` (src/cli/commands/messaging.ts WATCH_POLL_MS). */
const WATCH_POLL_MS = 25_000;
/** Pause after a failed receive, as `watch` does. */
const WATCH_RETRY_MS = 500;
/** How long to wait for the last messages after the last send. */
const DRAIN_MS = 20_000;
const WARM_UP_MESSAGES = 5;
/** The sending stops early after this long (a very loaded machine), so the suite stays bounded. */
const SEND_BUDGET_MS = 180_000;

/** Where a run's time went, from the timed wrappers (ms unless named otherwise). */
export interface Phases {
  /** Each send's first store (swarm.store: one onion round trip, the node waits for replica acks). */
  readonly store: number[];
  /** Second stores (mailbox.store on another member) when the first answered fewer than 2 replicas. */
  readonly secondStore: number[];
  /** Each send's time outside the stores: bundle (cached), encrypt, seal, database. */
  readonly sendLocal: number[];
  /** Each swarm delete of a received batch (watch runs it in the background after receive() returns). */
  readonly delete: number[];
  /** Messages per receive() that returned any. */
  readonly batch: number[];
  /** Per message: receive() returned it, less the inbox answer that carried it arrived. */
  readonly heldAfterArrival: number[];
}

export interface SendToWatchResult {
  /** receivedAt - send() called, per delivered message, sorted (ms). */
  readonly fromCall: number[];
  /** receivedAt - send() resolved, sorted (ms; negative when the message arrived before send() returned). */
  readonly fromResolve: number[];
  /** send() call to resolve, sorted (ms). */
  readonly sendMs: number[];
  readonly sendsPerSecond: number;
  /** Messages whose send() resolved (fewer than asked only when the send budget ran out). */
  readonly sent: number;
  readonly failedSends: number;
  readonly lost: number;
  readonly receiveErrors: number;
  /** Bytes the sender's host wrote (frames to its guard) per message, over the timed sends. */
  readonly wireBytesPerSend: number;
  /** The most common frame size the sender wrote during the timed sends (the store's OnionRequest in its RPC frame). */
  readonly commonFrameBytes: number;
  readonly phases: Phases;
}

interface Person {
  readonly keys: AccountKeys;
  readonly db: ProfileDb;
  readonly messenger: Messenger;
  close(): Promise<void>;
}

interface Probe {
  /** Called around each timed mailbox operation. */
  onStore?(ms: number, second: boolean): void;
  onRetrieve?(at: number): void;
  onDelete?(start: number, ms: number): void;
}

async function timed<T>(op: () => Promise<T>, done: (start: number, ms: number) => void): Promise<T> {
  const start = performance.now();
  try {
    return await op();
  } finally {
    done(start, performance.now() - start);
  }
}

function timedSwarm(swarm: SwarmMailbox, probe: Probe): SwarmMailbox {
  return {
    swarmOf: (account) => swarm.swarmOf(account),
    store: (o) => timed(() => swarm.store(o), (_s, ms) => probe.onStore?.(ms, false)),
    retrieve: async (o) => {
      const answer = await swarm.retrieve(o);
      probe.onRetrieve?.(performance.now());
      return answer;
    },
    delete: (o) => timed(() => swarm.delete(o), (start, ms) => probe.onDelete?.(start, ms)),
  };
}

function timedMailbox(mailbox: MailboxClient, probe: Probe): MailboxClient {
  return {
    store: (target, o) => timed(() => mailbox.store(target, o), (_s, ms) => probe.onStore?.(ms, true)),
    retrieve: (target, o) => mailbox.retrieve(target, o),
    delete: (target, o) => mailbox.delete(target, o),
    close: () => mailbox.close(),
  };
}

/** Counts what `inner` writes on the streams it dials, while `counter.on` is set. */
function countingTransport(inner: RpcTransport, counter: { on: boolean; frames: number[] }): RpcTransport {
  return {
    get peerId() {
      return inner.peerId;
    },
    handle: (protocol, handler) => inner.handle(protocol, handler),
    unhandle: (protocol) => inner.unhandle(protocol),
    async dial(target, protocol, signal) {
      const stream = await inner.dial(target, protocol, signal);
      return new Proxy(stream, {
        get(t, prop) {
          if (prop === 'send') {
            return (data: Uint8Array) => {
              if (counter.on) counter.frames.push(data.length);
              return t.send(data);
            };
          }
          const value: unknown = Reflect.get(t, prop, t);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
        },
      });
    },
  };
}

interface PersonOptions {
  readonly consensus: () => Consensus;
  readonly refresh: () => Promise<Consensus | undefined>;
  readonly probe: Probe;
  readonly transportOf: (t: RpcTransport) => RpcTransport;
  readonly makeMessenger: typeof createMessenger;
}

async function person(net: TestNet, options: PersonOptions): Promise<Person> {
  const { consensus, refresh, probe } = options;
  const crypto = net.crypto;
  const keys = deriveAccountKeys(crypto, generateRecoveryPhrase((n) => crypto.randomBytes(n)));
  const dir = mkdtempSync(path.join(tmpdir(), 'samizdat-bench-messaging-'));
  const closers: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async (): Promise<void> => {
    for (const fn of closers.reverse()) await fn();
  };
  try {
    const db = openProfileDb({ path: path.join(dir, 'profile.db'), crypto, now: Date.now, account: keys });
    closers.push(() => db.close());
    const host = await createHost({ identitySeed: crypto.randomBytes(32), listen: [] });
    await host.start();
    closers.push(() => host.stop());
    const mailbox = await createOnionMailboxClient({
      transport: options.transportOf(host.transport),
      crypto,
      now: Date.now,
      consensus,
      allowSameSubnet: net.devnet.network.allowSameSubnet,
      guardDir: dir,
    });
    closers.push(() => mailbox.close());
    const swarm = createSwarmMailbox({ mailbox, crypto, consensus, refresh });
    const messenger = options.makeMessenger({
      crypto,
      now: Date.now,
      db,
      keys,
      swarm: timedSwarm(swarm, probe),
      mailbox: timedMailbox(mailbox, probe),
      prekeyRotationMs: net.devnet.network.prekeyRotationMs,
    });
    await setUp(() => messenger.prepare());
    return { keys, db, messenger, close };
  } catch (err) {
    await close();
    throw err;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A set-up step (not measured) tried up to 3 times: on a loaded machine a circuit build can time out. */
async function setUp<T>(op: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (attempt >= 3) throw err;
      await sleep(1_000);
    }
  }
}
export const mean = (xs: readonly number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

function mode(xs: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best = NaN;
  let bestCount = 0;
  for (const [x, c] of counts) if (c > bestCount) [best, bestCount] = [x, c];
  return best;
}

export interface SendToWatchOptions {
  readonly messages?: number;
  /** Another messenger implementation to measure (a variant of src/client/messenger.ts). */
  readonly createMessenger?: typeof createMessenger;
}

/** Runs the whole measurement; the devnet and both clients are always stopped. */
export async function measureSendToWatch(options: SendToWatchOptions = {}): Promise<SendToWatchResult> {
  const messages = options.messages ?? MESSAGES;
  const makeMessenger = options.createMessenger ?? createMessenger;
  // A 10 s consensus period, as in the onion suite: under load a shorter one lets busy nodes miss probes.
  const net = await startTestNet(DEVNET_NODES, 10_000);
  const people: Person[] = [];
  const stop = new AbortController();
  let refresher: ReturnType<typeof setInterval> | undefined;
  try {
    let consensus = await net.consensus();
    refresher = setInterval(() => {
      net.consensus().then((c) => {
        if (c.validAfterMs > consensus.validAfterMs) consensus = c;
      }, () => undefined);
    }, 2_000);
    const refresh = async (): Promise<Consensus | undefined> => {
      const c = await net.consensus();
      if (c.validAfterMs <= consensus.validAfterMs) return undefined;
      consensus = c;
      return c;
    };

    const phases: Phases = { store: [], secondStore: [], sendLocal: [], delete: [], batch: [], heldAfterArrival: [] };
    let measuring = false;
    let storesOfSend = 0;
    const wire = { on: false, frames: [] as number[] };
    const senderProbe: Probe = {
      onStore: (ms, second) => {
        storesOfSend += ms;
        if (measuring) (second ? phases.secondStore : phases.store).push(ms);
      },
    };
    let lastArrival = 0;
    const receiverProbe: Probe = {
      onRetrieve: (at) => (lastArrival = at),
      // watch deletes in the background after receive() returns: each delete counted as it ends.
      onDelete: (_start, ms) => {
        if (measuring) phases.delete.push(ms);
      },
    };
    const sender = await person(net, { consensus: () => consensus, refresh, probe: senderProbe, transportOf: (t) => countingTransport(t, wire), makeMessenger });
    people.push(sender);
    const receiver = await person(net, { consensus: () => consensus, refresh, probe: receiverProbe, transportOf: (t) => t, makeMessenger });
    people.push(receiver);
    // Two people who know each other: contacts on both sides (no message requests).
    sender.db.contacts.add(receiver.keys.accountId, 'receiver');
    receiver.db.contacts.add(sender.keys.accountId, 'sender');

    // The watch loop: receivedAt per text.
    const received = new Map<string, number>();
    let receiveErrors = 0;
    const watching = (async () => {
      while (!stop.signal.aborted) {
        try {
          const got = await receiver.messenger.receive({ waitMs: WATCH_POLL_MS, signal: stop.signal });
          const at = performance.now();
          for (const m of got) received.set(m.text, at);
          if (measuring && got.length > 0) {
            phases.batch.push(got.length);
            for (let i = 0; i < got.length; i++) phases.heldAfterArrival.push(at - lastArrival);
          }
        } catch {
          if (stop.signal.aborted) break;
          receiveErrors++;
          await sleep(WATCH_RETRY_MS);
        }
      }
    })();
    const waitFor = async (texts: readonly string[], ms: number): Promise<void> => {
      const until = performance.now() + ms;
      while (performance.now() < until && texts.some((t) => !received.has(t))) await sleep(10);
    };

    // Warm-up: circuits built, bundles fetched, and a reply so the session is established
    // (the timed messages are later messages, not prekey messages).
    for (let i = 0; i < WARM_UP_MESSAGES; i++) await setUp(() => sender.messenger.send(receiver.keys.accountId, `warm-up ${i}`));
    await waitFor(Array.from({ length: WARM_UP_MESSAGES }, (_, i) => `warm-up ${i}`), DRAIN_MS);
    await setUp(() => receiver.messenger.send(sender.keys.accountId, 'reply'));
    await setUp(async () => {
      const replies = await sender.messenger.receive({ waitMs: 5_000 });
      if (!replies.some((m) => m.text === 'reply')) throw new Error('the warm-up reply did not arrive');
    });

    const texts = Array.from({ length: messages }, (_, i) => `m${String(i).padStart(15, '0')}`); // 16 bytes each
    const calledAt = new Map<string, number>();
    const resolvedAt = new Map<string, number>();
    const sendMs: number[] = [];
    let failedSends = 0;
    measuring = true;
    wire.on = true;
    const start = performance.now();
    for (const text of texts) {
      if (performance.now() - start > SEND_BUDGET_MS) break;
      storesOfSend = 0;
      const called = performance.now();
      calledAt.set(text, called);
      try {
        await sender.messenger.send(receiver.keys.accountId, text);
        const done = performance.now();
        resolvedAt.set(text, done);
        sendMs.push(done - called);
        phases.sendLocal.push(done - called - storesOfSend);
      } catch {
        failedSends++;
      }
    }
    const elapsed = performance.now() - start;
    wire.on = false;
    await waitFor([...resolvedAt.keys()], DRAIN_MS);
    measuring = false;

    const fromCall: number[] = [];
    const fromResolve: number[] = [];
    let lost = 0;
    for (const [text, done] of resolvedAt) {
      const at = received.get(text);
      if (at === undefined) {
        lost++;
        continue;
      }
      fromCall.push(at - (calledAt.get(text) ?? NaN));
      fromResolve.push(at - done);
    }
    const byNumber = (a: number, b: number) => a - b;
    stop.abort();
    await Promise.race([watching, sleep(5_000)]);
    return {
      fromCall: fromCall.sort(byNumber),
      fromResolve: fromResolve.sort(byNumber),
      sendMs: sendMs.sort(byNumber),
      sendsPerSecond: (resolvedAt.size * 1000) / elapsed,
      sent: resolvedAt.size,
      failedSends,
      lost,
      receiveErrors,
      wireBytesPerSend: wire.frames.reduce((a, b) => a + b, 0) / Math.max(1, resolvedAt.size + failedSends),
      commonFrameBytes: mode(wire.frames),
      phases,
    };
  } finally {
    stop.abort();
    if (refresher !== undefined) clearInterval(refresher);
    for (const p of people.reverse()) await p.close().catch(() => undefined);
    await net.close();
  }
}
