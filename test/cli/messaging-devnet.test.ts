// Issue 5 end to end, as a new user runs it: `samizdat devnet up` (3 authorities and 6 service
// nodes, each its own OS process on 127.0.0.1), two profiles made with `account create` (one with
// a passphrase file), `contact add`, `send`, `inbox`, `history`, `watch --json` as a long-running
// child, the user-facing errors, an offline recipient; then every node's storage is scanned:
// no plaintext, no Account ID, and no identity key outside the places a key belongs.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import { deriveAccountKeys } from '../../src/identity/account-keys.ts';
import { BUNDLE, INBOX, messagesOf, rawFindings, rawX25519Findings, rowFindings, snapshotRows, type NodeRow, type WatchedKey } from './node-storage.ts';
import { isOneLineError, runCli, type CliResult } from './run-cli.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/samizdat.js');
const NODES = 6;
const crypto = createNodeCryptoProvider();
const scratch = mkdtempSync(path.join(tmpdir(), 'samizdat-e2e-'));
const devnetDir = path.join(scratch, 'devnet');
const networkFile = path.join(devnetDir, 'network.json');
const passFile = path.join(scratch, 'passphrase.txt');
// HOME is the scratch directory, so nothing reads or writes the real ~/.samizdat.
const env = { HOME: scratch };

// Long, distinctive strings: a short one could turn up by chance in a megabyte of ciphertext.
const NAME_A = 'Alice Liddell';
const NAME_B = 'Robert Zimmerman';
const TEXT_1 = 'Meet me at the old mill at noon';
const TEXT_2 = 'Agreed: the old mill, and bring the pamphlets';
const WATCH_TEXTS = [1, 2, 3].map((i) => `watched message ${i}: the press runs tonight`);
const OFFLINE_TEXT = 'While you were away the samizdat went out';
const REQUEST_TEXT = 'A stranger writes first: may I join the readers?';

interface Profile {
  readonly dir: string;
  readonly args: readonly string[];
  accountId: string;
  recoveryPhrase: string;
}
const alice: Profile = { dir: path.join(scratch, 'alice'), args: [], accountId: '', recoveryPhrase: '' };
// Bob's keys are encrypted at rest: every command of his reads the passphrase file.
const bob: Profile = { dir: path.join(scratch, 'bob'), args: ['--passphrase-file', passFile], accountId: '', recoveryPhrase: '' };

/** `samizdat ARGS --profile P [--passphrase-file F]`, plus `--network` for the commands that go online. */
function cli(who: Profile, args: readonly string[], online = true): Promise<CliResult> {
  return runCli([...args, '--profile', who.dir, ...who.args, ...(online ? ['--network', networkFile] : [])], { env });
}

function json<T>(r: CliResult, what: string): T {
  assert.equal(r.code, 0, `${what}: exit ${String(r.code)}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

interface Sent {
  id: string;
  to: string;
  replicas: number;
}
interface Incoming {
  id: string;
  from: string;
  fromName: string | null;
  text: string;
  sentAt: number;
  receivedAt: number;
}
interface Record_ {
  id: string;
  direction: 'in' | 'out';
  peer: string;
  peerName: string | null;
  text: string;
  state: string;
}

/** Checks one incoming message (JSON) from a contact; `request` (when present) must be false. */
function assertIncoming(m: Incoming | undefined, id: string, from: string, fromName: string, text: string): void {
  assert.ok(m !== undefined);
  for (const key of ['id', 'from', 'fromName', 'text', 'sentAt', 'receivedAt']) assert.ok(key in m, `${key} in ${JSON.stringify(m)}`);
  assert.deepEqual([m.id, m.from, m.fromName, m.text], [id, from, fromName, text]);
  assert.ok(Number.isSafeInteger(m.sentAt) && m.receivedAt >= m.sentAt - 60_000, JSON.stringify(m));
  if ('request' in m) assert.equal((m as { request: unknown }).request, false);
}

async function send(from: Profile, to: string, text: string): Promise<Sent> {
  const sent = json<Sent>(await cli(from, ['send', to, text, '--json']), `send ${text}`);
  assert.match(sent.id, /^[0-9a-f]{32}$/);
  assert.equal(sent.to, to);
  assert.ok(sent.replicas >= 2, `stored on ${sent.replicas} members`);
  return sent;
}

/** A long-running `samizdat ...` child whose output is collected as it comes. */
interface Child {
  readonly process: ChildProcess;
  readonly lines: string[];
  /** When each line arrived (ms since the epoch). */
  readonly times: number[];
  stderr: string;
  readonly exited: Promise<number | string>;
}

function spawnCli(args: readonly string[]): Child {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env, SAMIZDAT_PASSPHRASE: undefined }, stdio: ['ignore', 'pipe', 'pipe'] });
  const result: Child = {
    process: child,
    lines: [],
    times: [],
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'))),
  };
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop() ?? '';
    result.lines.push(...parts);
    result.times.push(...parts.map(() => Date.now()));
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (result.stderr += d));
  return result;
}

async function until(check: () => boolean, timeoutMs: number, what: string, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${child === undefined ? '' : `; stderr: ${child.stderr}`}`);
    const status = child?.process.exitCode ?? child?.process.signalCode ?? null;
    if (child !== undefined && status !== null) throw new Error(`exited (${status}) while waiting for ${what}: ${child.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops `child` with `signal` and returns its exit status, SIGKILL after `graceMs`. */
async function stop(child: Child, signal: NodeJS.Signals, graceMs: number): Promise<number | string> {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill(signal);
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  const status = await child.exited;
  clearTimeout(timer);
  return status;
}

/** Processes (other than this one) whose command line mentions the scratch directory. */
function leftoverPids(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return []; // not Linux: nothing to inspect
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(scratch)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

let devnet: Child | undefined;
let watcher: Child | undefined;
/** Row snapshots taken while envelopes sat in an inbox, and at the end. */
const snapshots: NodeRow[][] = [];
/** Every message of the conversation, in the order sent. */
const conversation: { id: string; fromAlice: boolean; text: string }[] = [];
let startupMs = 0;

async function createProfile(who: Profile): Promise<void> {
  // No --network and no network file under HOME: the account is made offline, as on a new machine.
  const created = json<{ accountId: string; recoveryPhrase: string }>(await cli(who, ['account', 'create', '--json'], false), 'account create');
  who.accountId = created.accountId;
  who.recoveryPhrase = created.recoveryPhrase;
}

async function setUp(): Promise<void> {
  const started = Date.now();
  writeFileSync(passFile, 'correct horse battery staple\n', { mode: 0o600 });
  devnet = spawnCli(['devnet', 'up', '--nodes', String(NODES), '--dir', devnetDir]);
  const running = devnet;
  const ready = until(() => running.lines.some((l) => l.startsWith('ready: ')), 150_000, 'devnet up', running);
  ready.catch(() => undefined); // awaited below; a failure before that must not go unhandled
  // The profiles and contacts need no network: set them up while the devnet starts.
  await Promise.all([createProfile(alice), createProfile(bob)]);
  const [a, b] = await Promise.all([
    cli(alice, ['contact', 'add', bob.accountId, '--name', NAME_B], false),
    cli(bob, ['contact', 'add', alice.accountId, '--name', NAME_A], false),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  await ready;
  assert.ok(running.lines.includes(`ready: ${networkFile}`), running.lines.join('\n'));
  startupMs = Date.now() - started;
}

async function tearDown(): Promise<void> {
  if (watcher !== undefined) await stop(watcher, 'SIGKILL', 1_000);
  const early = devnet === undefined ? [] : devnet.lines.filter((l) => l.startsWith('stopping'));
  const status = devnet === undefined ? 0 : await stop(devnet, 'SIGTERM', 20_000);
  // `devnet up` stops its members before it exits; give the OS a moment to reap them, then make
  // sure nothing started by this test is still running (and kill it by id if it is).
  const deadline = Date.now() + 5_000;
  let left = leftoverPids();
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = leftoverPids();
  }
  for (const pid of left) process.kill(pid, 'SIGKILL');
  if (process.env.SAMIZDAT_KEEP_TEST_DIR === undefined) rmSync(scratch, { recursive: true, force: true });
  assert.deepEqual(left, [], 'processes left running after the devnet stopped');
  // `devnet up` reports a member that exits while it runs; none should have.
  assert.deepEqual(early, [], `devnet up was stopped before the tests ended: ${devnet?.lines.slice(-5).join(' | ') ?? ''}`);
  const exits = devnet?.lines.filter((l) => l.includes(' exited (')) ?? [];
  assert.deepEqual(exits, [], `devnet members exited (logs in ${path.join(devnetDir, 'logs')}; set SAMIZDAT_KEEP_TEST_DIR to keep them)`);
  assert.equal(status, 0, `devnet up exit status; stdout: ${devnet?.lines.join('\n') ?? ''}`);
}

// Generous bounds: on an idle 2-core machine the whole file takes well under a minute, but the
// suite may share the machine with other heavy tests.
describe('messaging through the CLI on a real devnet', { timeout: 300_000 }, () => {
  before(setUp, { timeout: 180_000 });
  after(tearDown);

  it('A writes to B and B replies, each reading the other through inbox', async (t) => {
    t.diagnostic(`devnet up (${NODES} nodes) and both profiles ready after ${startupMs} ms`);
    // Bob goes online once (publishing his prekey bundle) so that Alice can start a session.
    assert.deepEqual(json<Incoming[]>(await cli(bob, ['inbox', '--json']), 'first inbox'), []);

    const first = await send(alice, NAME_B, TEXT_1);
    snapshots.push(snapshotRows(devnetDir));
    const got = json<Incoming[]>(await cli(bob, ['inbox', '--json']), 'bob inbox');
    assert.equal(got.length, 1, JSON.stringify(got));
    assertIncoming(got[0], first.id, alice.accountId, NAME_A, TEXT_1);

    const reply = await send(bob, NAME_A.toLowerCase(), TEXT_2); // contact names match case-insensitively
    snapshots.push(snapshotRows(devnetDir));
    const back = json<Incoming[]>(await cli(alice, ['inbox', '--json']), 'alice inbox');
    assert.equal(back.length, 1, JSON.stringify(back));
    assertIncoming(back[0], reply.id, bob.accountId, NAME_B, TEXT_2);
    conversation.push({ id: first.id, fromAlice: true, text: TEXT_1 }, { id: reply.id, fromAlice: false, text: TEXT_2 });
  });

  it('watch --json prints each message as one JSON line within seconds, and exits 0 on SIGTERM', async (t) => {
    const w = spawnCli(['watch', '--json', '--profile', bob.dir, ...bob.args, '--network', networkFile]);
    watcher = w;
    try {
      await until(() => w.stderr.includes('watching for messages'), 30_000, 'the watcher to start', w);
      const timings: string[] = [];
      for (const text of WATCH_TEXTS) {
        const started = Date.now();
        const sent = await send(alice, NAME_B, text);
        const returned = Date.now();
        await until(() => w.lines.some((l) => l.includes(sent.id)), 10_000, `"${text}" on the watcher`, w);
        const at = w.lines.findIndex((l) => l.includes(sent.id));
        timings.push(`send ${returned - started} ms, line at +${(w.times[at] ?? 0) - started} ms`);
        assertIncoming(JSON.parse(w.lines[at] ?? '') as Incoming, sent.id, alice.accountId, NAME_A, text);
        conversation.push({ id: sent.id, fromAlice: true, text });
      }
      t.diagnostic(`watch: ${timings.join('; ')} (from the start of each send command)`);
      const stoppedAt = Date.now();
      assert.equal(await stop(w, 'SIGTERM', 10_000), 0, w.stderr);
      t.diagnostic(`watch exited ${Date.now() - stoppedAt} ms after SIGTERM`);
      assert.equal(w.lines.filter((l) => l !== '').length, 3, w.lines.join('\n'));
    } finally {
      // Never leave the watcher running: it would read the next test's messages.
      await stop(w, 'SIGKILL', 1_000);
      watcher = undefined;
    }
  });

  it('a bad Account ID and an unknown contact exit 1 with one line and no stack trace', async () => {
    const [badId, unknown] = await Promise.all([
      cli(alice, ['contact', 'add', 'sz1qthisisnotanaccountid', '--name', 'Mallory'], false),
      cli(alice, ['send', 'Nobody We Know', 'hello?']),
    ]);
    for (const r of [badId, unknown]) {
      assert.equal(r.code, 1, r.stderr);
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.equal(r.stdout, '');
    }
    assert.match(badId.stderr, /not a valid Account ID/);
    assert.match(unknown.stderr, /"Nobody We Know" is neither a contact nor a valid Account ID/);
  });

  it('a message sent while the recipient runs nothing is in its next inbox', async () => {
    const sent = await send(alice, bob.accountId, OFFLINE_TEXT); // by Account ID this time
    snapshots.push(snapshotRows(devnetDir));
    const got = json<Incoming[]>(await cli(bob, ['inbox', '--json']), 'bob inbox');
    assert.deepEqual(got.map((m) => [m.id, m.fromName, m.text]), [[sent.id, NAME_A, OFFLINE_TEXT]]);
    conversation.push({ id: sent.id, fromAlice: true, text: OFFLINE_TEXT });
  });

  it('history on each side shows the whole conversation, oldest first, with directions and states', async () => {
    assert.equal(conversation.length, 6);
    // By contact name on one side and by Account ID on the other; history reads only the profile.
    const [ha, hb] = await Promise.all([cli(alice, ['history', NAME_B, '--json'], false), cli(bob, ['history', alice.accountId, '--json'], false)]);
    const pick = (r: Record_): unknown[] => [r.id, r.direction, r.peer, r.peerName, r.text, r.state];
    assert.deepEqual(
      json<Record_[]>(ha, 'alice history').map(pick),
      conversation.map((m) => [m.id, m.fromAlice ? 'out' : 'in', bob.accountId, NAME_B, m.text, m.fromAlice ? 'stored' : 'received']),
    );
    assert.deepEqual(
      json<Record_[]>(hb, 'bob history').map(pick),
      conversation.map((m) => [m.id, m.fromAlice ? 'in' : 'out', alice.accountId, NAME_A, m.text, m.fromAlice ? 'received' : 'stored']),
    );
  });

  it('requests, accept, block and requests off through the CLI (issue 6)', async () => {
    const carol: Profile = { dir: path.join(scratch, 'carol'), args: [], accountId: '', recoveryPhrase: '' };
    const dave: Profile = { dir: path.join(scratch, 'dave'), args: [], accountId: '', recoveryPhrase: '' };
    await Promise.all([createProfile(carol), createProfile(dave)]);
    // A stranger's first message (paid with proof of work) is a request, text only.
    await send(carol, bob.accountId, REQUEST_TEXT);
    const got = json<(Incoming & { request: boolean })[]>(await cli(bob, ['inbox', '--json']), 'bob inbox');
    assert.deepEqual(got.map((m) => [m.from, m.fromName, m.text, m.request]), [[carol.accountId, null, REQUEST_TEXT, true]]);
    const pending = json<{ accountId: string; messages: { text: string }[] }[]>(await cli(bob, ['requests', '--json'], false), 'requests');
    assert.deepEqual(pending.map((r) => [r.accountId, r.messages.map((m) => m.text)]), [[carol.accountId, [REQUEST_TEXT]]]);
    // Accepting tells Carol.
    const accepted = await cli(bob, ['requests', 'accept', carol.accountId, '--name', 'Carol', '--json']);
    assert.equal(json<{ state: string }>(accepted, 'accept').state, 'accepted');
    const told = await cli(carol, ['inbox']);
    assert.equal(told.code, 0, told.stderr);
    assert.match(told.stderr, /accepted your message request/);
    // Blocked: Carol's next message is dropped unread.
    assert.equal((await cli(bob, ['block', 'Carol'], false)).code, 0);
    await send(carol, bob.accountId, 'this one is never shown');
    assert.deepEqual(json<unknown[]>(await cli(bob, ['inbox', '--json']), 'bob inbox after block'), []);
    const bobHistory = json<{ text: string }[]>(await cli(bob, ['history', carol.accountId, '--json'], false), 'history');
    assert.ok(!bobHistory.some((m) => m.text === 'this one is never shown'));
    // Requests off: the nodes refuse a stranger's deposit once Bob's policy is out.
    assert.equal((await cli(bob, ['settings', 'set', 'requests', 'off'], false)).code, 0);
    assert.equal((await cli(bob, ['inbox'])).code, 0); // publishes the policy
    const refused = await cli(dave, ['send', bob.accountId, 'hello?']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.ok(isOneLineError(refused.stderr) && /contacts only/.test(refused.stderr), refused.stderr);
    assert.equal((await cli(bob, ['settings', 'set', 'requests', 'on'], false)).code, 0);
  });

  it('no node stores plaintext, an Account ID, or a sender\'s identity key outside its own bundle', async (t) => {
    const people = [
      { name: 'alice', profile: alice },
      { name: 'bob', profile: bob },
    ];
    const keys: WatchedKey[] = people.flatMap(({ name, profile }) => {
      const k = deriveAccountKeys(crypto, profile.recoveryPhrase);
      assert.equal(k.accountId, profile.accountId);
      return [
        { owner: name, kind: 'ed25519' as const, bytes: k.identityPublicKey, account: k.identityPublicKey },
        { owner: name, kind: 'x25519' as const, bytes: k.mailboxX25519.publicKey, account: k.identityPublicKey },
      ];
    });
    const [aliceEd, , bobEd] = keys;
    assert.ok(aliceEd !== undefined && bobEd !== undefined);
    const texts = [TEXT_1, TEXT_2, ...WATCH_TEXTS, OFFLINE_TEXT, NAME_A, NAME_B, alice.accountId, bob.accountId, alice.recoveryPhrase, bob.recoveryPhrase];

    // The snapshots must have caught the envelopes in flight, or the row check proves nothing.
    const [afterFirst, afterReply, afterOffline] = snapshots;
    assert.ok(afterFirst !== undefined && afterReply !== undefined && afterOffline !== undefined);
    const holders = (rows: NodeRow[], account: Uint8Array, ns: number): number => new Set(messagesOf(rows, account, ns).map((r) => r.node)).size;
    assert.ok(holders(afterFirst, bobEd.bytes, INBOX) >= 2, 'first envelope (with the handshake) on >= 2 nodes');
    assert.ok(holders(afterReply, aliceEd.bytes, INBOX) >= 2, 'reply envelope on >= 2 nodes');
    assert.ok(holders(afterOffline, bobEd.bytes, INBOX) >= 2, 'offline envelope on >= 2 nodes');

    // Read messages leave the swarm (deletes reach every member by replication or anti-entropy).
    let final: NodeRow[] = [];
    await until(() => {
      final = snapshotRows(devnetDir);
      return messagesOf(final, bobEd.bytes, INBOX).length + messagesOf(final, aliceEd.bytes, INBOX).length === 0;
    }, 15_000, 'the read envelopes to be deleted on every node');
    snapshots.push(final);
    const bundles = [aliceEd, bobEd].map((k) => messagesOf(final, k.bytes, BUNDLE));
    for (const b of bundles) assert.ok(new Set(b.map((r) => r.node)).size >= 2, 'bundle on >= 2 nodes');

    // The needle search works on real rows: each bundle holds its owner's two identity keys ...
    for (const key of keys) {
      const own = bundles.flat().filter((r) => Buffer.compare(r.row['account'] as Uint8Array, key.account) === 0);
      assert.ok(own.every((r) => Buffer.from(r.row['body'] as Uint8Array).includes(Buffer.from(key.bytes))), `${key.owner}'s ${key.kind} key in its bundle`);
    }
    // ... and nowhere else: not in an envelope, not in another account's rows, not as text.
    assert.deepEqual(snapshots.flatMap((rows) => rowFindings(rows, keys, texts)), []);

    // Raw bytes of every file (databases, -wal and -shm, freed pages, logs, consensus files).
    const hex = keys.map((k) => ({ label: `${k.owner}'s ${k.kind} key in hex`, bytes: new TextEncoder().encode(Buffer.from(k.bytes).toString('hex')) }));
    const textNeedles = texts.map((t) => ({ label: `"${t.slice(0, 40)}"`, bytes: new TextEncoder().encode(t) }));
    assert.deepEqual(rawFindings(devnetDir, [...textNeedles, ...hex]), []);
    const x = rawX25519Findings(devnetDir, keys, bundles.flat());
    assert.deepEqual(x.findings, []);
    assert.ok(x.inBundles >= 4, `x25519 keys found inside bundles ${x.inBundles} times`);
    const envelopes = snapshots.flat().filter((r) => r.table === 'message' && r.row['ns'] === INBOX).length;
    t.diagnostic(`rows checked: ${snapshots.flat().length} (${envelopes} inbox envelopes); raw x25519 occurrences, all in bundles: ${x.inBundles}`);
  });

});
