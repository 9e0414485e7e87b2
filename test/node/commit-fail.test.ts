/**
 * Nothing is acknowledged that is not on disk, even when the store's group commit fails while the
 * request waits for something else (replication to the swarm). The failure is real: the child
 * runs under a file-size limit (commit-fail-child.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CHILD = path.join(import.meta.dirname, 'commit-fail-child.ts');

/** Runs the child under `ulimit -f` (512-byte blocks): the 8 x 60 KiB group transaction cannot commit. */
async function storesUnderFileLimit(replicateMs: number | undefined): Promise<{ answers: string[]; held: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'samizdat-commit-fail-'));
  try {
    const args = [CHILD, dir, ...(replicateMs === undefined ? [] : [String(replicateMs)])].map((a) => `'${a}'`).join(' ');
    const { stdout } = await run('sh', ['-c', `ulimit -f 300 && exec '${process.execPath}' ${args}`], { timeout: 30_000 });
    return JSON.parse(stdout) as { answers: string[]; held: number };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('mailbox: a failed commit is never acknowledged', { skip: process.platform === 'win32' && 'needs sh and ulimit' }, () => {
  for (const replicateMs of [undefined, 30]) {
    it(replicateMs === undefined ? 'without replication' : `when replication takes ${replicateMs} ms first`, async () => {
      const { answers, held } = await storesUnderFileLimit(replicateMs);
      assert.equal(held, 0, 'the group transaction did not commit');
      assert.deepEqual(answers, Array(8).fill('error STORAGE_FAILED'));
    });
  }
});
