/**
 * Durability of acknowledged puts across a crash of the process (SIGKILL): WAL mode with
 * synchronous=NORMAL must keep every committed transaction. A child process stores messages in
 * groups (several puts share one group commit) and prints each returned id only after
 * `durable()` resolved, as the mailbox service acknowledges; it is then killed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { toHex } from '../crypto/bytes.ts';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { openMailboxStore } from './mailbox-store.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'samizdat-mailbox-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const storeUrl = pathToFileURL(path.join(import.meta.dirname, 'mailbox-store.ts')).href;
const cryptoUrl = pathToFileURL(path.join(import.meta.dirname, '..', 'crypto', 'node-provider.ts')).href;
const ACCOUNT = new Uint8Array(32).fill(0x5a);
/** The child puts groups of 1..GROUP_MAX messages, each group awaiting one durable(). */
const GROUP_MAX = 7;

/** The child: puts STORE_COUNT messages (0 = until killed), acking each id on stdout once durable, then SIGKILLs itself. */
const CHILD = `
import { openMailboxStore } from ${JSON.stringify(storeUrl)};
import { createNodeCryptoProvider } from ${JSON.stringify(cryptoUrl)};
const store = openMailboxStore({ path: process.env.STORE_PATH, crypto: createNodeCryptoProvider(), now: Date.now });
const account = new Uint8Array(32).fill(0x5a);
const count = Number(process.env.STORE_COUNT);
for (let i = 0; count === 0 || i < count; ) {
  const ids = [];
  for (let j = 0; j < 1 + (i % ${GROUP_MAX}) && (count === 0 || i < count); j++, i++) {
    ids.push(store.put(account, 'inbox', new TextEncoder().encode('crash test message ' + i), 3600000).id);
  }
  await store.durable();
  for (const id of ids) process.stdout.write(Buffer.from(id).toString('hex') + '\\n');
}
process.kill(process.pid, 'SIGKILL');
`;

interface ChildRun {
  readonly acked: string[];
  readonly signal: NodeJS.Signals | null;
}

/** Runs the child; with killAfter, the parent SIGKILLs it once that many acks arrived. */
function runChild(file: string, count: number, killAfter?: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: { ...process.env, STORE_PATH: file, STORE_COUNT: String(count) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (killAfter !== undefined && out.split('\n').length > killAfter && child.exitCode === null) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`child ended without SIGKILL (signal ${String(signal)}): ${err}`));
        return;
      }
      // Only complete lines are acknowledgements; a torn last line is not.
      const acked = out.split('\n').slice(0, -1);
      resolve({ acked, signal });
    });
  });
}

function storedIds(file: string): Set<string> {
  const store = openMailboxStore({ path: file, crypto: createNodeCryptoProvider(), now: Date.now });
  try {
    return new Set(store.ids(ACCOUNT, 'inbox').map(toHex));
  } finally {
    store.close();
  }
}

describe('mailbox store crash durability', () => {
  it('keeps all N acknowledged puts after the process SIGKILLs itself', async () => {
    const file = path.join(dir, 'self-kill.db');
    const { acked } = await runChild(file, 500);
    assert.equal(acked.length, 500);
    const stored = storedIds(file);
    assert.equal(stored.size, 500);
    for (const id of acked) assert.ok(stored.has(id), `acknowledged ${id} is missing`);
  });

  it('keeps every acknowledged put when killed from outside in the middle of a stream', async () => {
    const file = path.join(dir, 'outside-kill.db');
    const { acked } = await runChild(file, 0, 300);
    assert.ok(acked.length >= 300, `only ${acked.length} acks`);
    const stored = storedIds(file);
    for (const id of acked) assert.ok(stored.has(id), `acknowledged ${id} is missing`);
    // At most the group in flight (committed, its acks not yet written when the kill came) is extra.
    assert.ok(stored.size <= acked.length + GROUP_MAX, `${stored.size} stored for ${acked.length} acks`);
  });
});
