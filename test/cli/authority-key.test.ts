import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { peerIdOfPublicKey } from '../../src/directory/index.ts';
import { fromHex } from '../../src/crypto/bytes.ts';
import { runCli } from './run-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'samizdat-authority-key-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('authority key creates the key once (mode 0600) and prints the same public key and peer ID', async () => {
  const first = await runCli(['authority', 'key', '--dir', dir, '--json']);
  assert.equal(first.code, 0, first.stderr);
  const printed = JSON.parse(first.stdout) as { publicKey: string; peerId: string };
  assert.match(printed.publicKey, /^[0-9a-f]{64}$/);
  assert.equal(printed.peerId, peerIdOfPublicKey(fromHex(printed.publicKey)));
  assert.equal(statSync(path.join(dir, 'identity.key')).mode & 0o777, 0o600);
  const again = await runCli(['--json', 'authority', 'key', '--dir', dir]);
  assert.deepEqual(JSON.parse(again.stdout), printed);
});
