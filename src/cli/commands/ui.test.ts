// `samizdat ui` as a user runs it: prints the address, serves the API for the profile (before an
// account exists and before the network is up), and stops cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { runCli } from '../../../test/cli/run-cli.ts';

const BIN = path.resolve(import.meta.dirname, '../../../bin/samizdat.js');
const dir = mkdtempSync(path.join(tmpdir(), 'samizdat-ui-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('ui prints its address, serves the profile with no account and no network, and stops on SIGTERM', { timeout: 30_000 }, async () => {
  const args = [BIN, 'ui', '--profile', path.join(dir, 'profile'), '--network', path.join(dir, 'missing.json'), '--port', '0'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: dir, SAMIZDAT_PASSPHRASE: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ui line: ${stdout} ${stderr}`)), 15_000);
      child.stdout.on('data', () => {
        const match = /^ui: (http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43})$/m.exec(stdout);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    const { origin, hash } = new URL(url);
    const headers = { Authorization: `Bearer ${hash.slice('#token='.length)}`, 'Content-Type': 'application/json' };
    const state = await fetch(`${origin}/api/state`, { headers });
    assert.deepEqual(await state.json(), { account: null, locked: false, online: false });
    assert.equal((await fetch(`${origin}/api/state`)).status, 401);
    const created = await fetch(`${origin}/api/account/create`, { method: 'POST', headers, body: '{}' });
    assert.equal(created.status, 200);
    // The network file does not exist: the server keeps trying and says why.
    let network: { online: boolean; lastError: string | null } = { online: true, lastError: null };
    for (let i = 0; i < 50 && network.lastError === null; i++) {
      await new Promise((r) => setTimeout(r, 100));
      network = (await (await fetch(`${origin}/api/network`, { headers })).json()) as typeof network;
    }
    assert.equal(network.online, false);
    assert.equal(network.lastError, 'STORAGE_FAILED');
    assert.doesNotMatch(stderr, /token|recovery|phrase/i, 'nothing secret on stderr');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGKILL');
  }
});

it('ui refuses a bad --port as a usage error', async () => {
  const result = await runCli(['ui', '--profile', path.join(dir, 'p2'), '--port', '70000']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--port must be a port number/);
});
