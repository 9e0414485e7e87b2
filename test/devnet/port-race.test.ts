// A devnet node whose port another process took between freePort and its listen: the node exits
// with EADDRINUSE before it is ready, and startDevnet starts it again on a new port, up to
// NODE_START_ATTEMPTS times. The race is made certain by handing the node a port a server holds.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import { NODE_START_ATTEMPTS, startDevnet } from '../../src/devnet/devnet.ts';
import { freePort } from '../../src/devnet/free-port.ts';
import { isSamizdatError } from '../../src/errors.ts';

const crypto = createNodeCryptoProvider();
const dirs: string[] = [];
let holder: Server;
let heldPort = 0;

before(async () => {
  holder = createServer();
  heldPort = await new Promise<number>((resolve) =>
    holder.listen(0, '127.0.0.1', () => {
      const address = holder.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    }),
  );
});

after(() => {
  holder.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Lines of `ps` naming processes whose arguments contain `text` (the devnet's directory). */
function processesUsing(text: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((l) => l.includes(text) && !l.includes('ps -eo'));
}

function devnetDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'samizdat-port-race-'));
  dirs.push(dir);
  return dir;
}

it('a node that loses its port to another process starts again on a new one', { timeout: 90_000 }, async () => {
  let calls = 0;
  const lines: string[] = [];
  const devnet = await startDevnet({
    dir: devnetDir(),
    nodes: 1,
    crypto,
    now: Date.now,
    progress: (line) => lines.push(line),
    consensusPeriodMs: 2_000,
    depositPowBits: 0,
    nodePort: () => (++calls === 1 ? Promise.resolve(heldPort) : freePort()),
  });
  try {
    assert.equal(calls, 2);
    assert.ok(lines.includes('node-01 exited before it was ready; starting it again on another port'), lines.join('\n'));
    const ready = await devnet.members.get('node-01')?.ready;
    assert.ok(ready !== undefined && ready.addresses.length > 0);
    assert.ok(ready.addresses.every((a) => !a.endsWith(`/tcp/${heldPort}`)), ready.addresses.join(' '));
  } finally {
    await devnet.stop();
  }
});

it(`gives up after ${NODE_START_ATTEMPTS} starts, naming the node, and stops what it started`, { timeout: 90_000 }, async () => {
  let calls = 0;
  const dir = devnetDir();
  const started = startDevnet({
    dir,
    nodes: 1,
    crypto,
    now: Date.now,
    progress: () => undefined,
    consensusPeriodMs: 2_000,
    depositPowBits: 0,
    nodePort: () => {
      calls++;
      return Promise.resolve(heldPort);
    },
  });
  await assert.rejects(started, (err: unknown) => isSamizdatError(err, 'PATH_FAILED') && err.message.includes('node-01'));
  assert.equal(calls, NODE_START_ATTEMPTS);
  assert.deepEqual(processesUsing(dir), []);
});
