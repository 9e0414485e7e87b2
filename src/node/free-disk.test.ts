import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FREE_DISK_PROBE_INTERVAL_MS, createFreeDiskProbe } from './free-disk.ts';

describe('free disk probe', () => {
  it('reads statfs at most once per interval, and answers bavail x bsize', () => {
    let t = 0;
    let calls = 0;
    let bavail = 1_000n;
    const probe = createFreeDiskProbe({ dir: '/x', now: () => t, statfs: () => (calls++, { bavail, bsize: 4096 }) });
    assert.equal(probe(), 4_096_000);
    bavail = 10n;
    t += FREE_DISK_PROBE_INTERVAL_MS - 1;
    assert.equal(probe(), 4_096_000, 'still the cached reading');
    assert.equal(calls, 1);
    t += 1;
    assert.equal(probe(), 40_960);
    assert.equal(calls, 2);
  });

  it('answers Infinity when statfs fails, and says so once', () => {
    let t = 0;
    const errors: unknown[] = [];
    const probe = createFreeDiskProbe({ dir: '/x', now: () => t, statfs: () => { throw new Error('ENOSYS'); }, onError: (e) => errors.push(e) });
    assert.equal(probe(), Infinity);
    t += FREE_DISK_PROBE_INTERVAL_MS;
    assert.equal(probe(), Infinity);
    assert.equal(errors.length, 1);
  });

  it('reads a real directory', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'samizdat-free-disk-'));
    try {
      const free = createFreeDiskProbe({ dir, now: Date.now })();
      assert.ok(Number.isSafeInteger(free) && free > 0, String(free));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
