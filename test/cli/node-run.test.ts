/** `samizdat node run` refuses bad options at once, before it opens anything. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isOneLineError, runCli } from './run-cli.ts';

describe('samizdat node run options', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'samizdat-node-run-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a --max-storage that is not a size of at least 64 MiB (exit 2, one line)', async () => {
    for (const bad of ['8', '63M', 'lots', '1.5G', '-1G']) {
      const r = await runCli(['node', 'run', '--dir', path.join(dir, 'n'), `--max-storage=${bad}`]);
      assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.match(r.stderr, /--max-storage wants a size of at least 67108864 bytes/);
    }
    assert.deepEqual(readdirSync(dir), [], 'nothing was created');
  });

  it('lists --max-storage in its help', async () => {
    const r = await runCli(['node', 'run', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--max-storage SIZE/);
  });
});
