// `samizdat devnet up` as a user runs it: separate processes, a progress line per member,
// `ready: DIR/network.json`, and SIGTERM stops every process it started.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { runCli } from '../cli/run-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'samizdat-devnet-cli-'));
const BIN = path.resolve(import.meta.dirname, '../../bin/samizdat.js');

function processesUsing(text: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((l) => l.includes(text) && !l.includes('ps -eo'));
}

after(() => {
  for (const line of processesUsing(dir)) process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

it('devnet up starts authorities and nodes, net status sees them all, SIGTERM stops everything', { timeout: 120_000 }, async () => {
  const child = spawn(process.execPath, [BIN, 'devnet', 'up', '--nodes', '3', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: string) => {
      out += d;
      if (out.includes('ready: ')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`devnet exited early (${code}): ${out}`)));
  });
  await ready;
  const networkFile = path.join(dir, 'network.json');
  assert.match(out, /authority-1 up/);
  assert.match(out, /node-03 up/);
  assert.ok(out.includes(`ready: ${networkFile}`));
  const network = JSON.parse(readFileSync(networkFile, 'utf8')) as { authorities: unknown[]; seeds: string[] };
  assert.equal(network.authorities.length, 3);
  assert.ok(network.seeds.length >= 3);
  assert.ok(network.seeds.every((s) => s.startsWith('/ip4/127.0.0.1/')));

  const status = await runCli(['net', 'status', '--network', networkFile, '--json']);
  assert.equal(status.code, 0, status.stderr);
  const parsed = JSON.parse(status.stdout) as { nodes: { peerId: string; addresses: string[] }[]; validAfter: number; validUntil: number };
  assert.equal(parsed.nodes.length, 3);
  assert.ok(parsed.validUntil > parsed.validAfter);
  assert.ok(parsed.nodes.every((n) => n.addresses.every((a) => a.startsWith('/ip4/127.0.0.1/'))));
  assert.equal(processesUsing(dir).length, 1 + 3 + 3);

  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.deepEqual(processesUsing(dir), []);
});
