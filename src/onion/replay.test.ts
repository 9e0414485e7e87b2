import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSamizdatError } from '../errors.ts';
import { createReplayCache } from './replay-cache.ts';
import { createReplayWindow } from './replay-window.ts';

const hash = (n: number): Uint8Array => new Uint8Array(32).fill(n);

describe('replay cache', () => {
  it('remembers until the key expires', () => {
    let t = 1_000;
    const cache = createReplayCache({ now: () => t, maxEntries: 10 });
    assert.equal(cache.checkAndRemember(hash(1), 2_000), true);
    assert.equal(cache.checkAndRemember(hash(1), 2_000), false);
    t = 2_000;
    assert.equal(cache.checkAndRemember(hash(1), 3_000), true);
  });

  it('refuses with RATE_LIMITED when full of live entries, accepts again once they expire', () => {
    let t = 0;
    const cache = createReplayCache({ now: () => t, maxEntries: 3 });
    for (let i = 0; i < 3; i++) assert.equal(cache.checkAndRemember(hash(i), 500), true);
    assert.throws(
      () => cache.checkAndRemember(hash(9), 500),
      (e) => isSamizdatError(e, 'RATE_LIMITED') && e.retryAfterMs !== undefined && e.retryAfterMs <= 500,
    );
    assert.equal(cache.checkAndRemember(hash(0), 500), false, 'a full cache still detects replays');
    t = 500;
    assert.equal(cache.checkAndRemember(hash(9), 900), true);
    assert.equal(cache.size, 1);
  });

  it('uses the default lifetime when the key lifetime is unknown', () => {
    let t = 0;
    const cache = createReplayCache({ now: () => t, maxEntries: 3, defaultTtlMs: 100 });
    assert.equal(cache.checkAndRemember(hash(1)), true);
    t = 99;
    assert.equal(cache.checkAndRemember(hash(1)), false);
    t = 100;
    assert.equal(cache.checkAndRemember(hash(1)), true);
  });
});

describe('replay window', () => {
  it('accepts each counter once, out of order within 1,024, and rejects older ones', () => {
    const w = createReplayWindow();
    const base = 2n ** 90n;
    assert.equal(w.accept(base + 5n), true);
    assert.equal(w.accept(base + 3n), true);
    assert.equal(w.accept(base + 3n), false);
    assert.equal(w.accept(base + 5n), false);
    assert.equal(w.accept(base + 2000n), true);
    assert.equal(w.accept(base + 2000n - 1023n), true);
    assert.equal(w.accept(base + 2000n - 1024n), false, 'just outside the window');
    assert.equal(w.accept(base + 6n), false, 'far below the window');
    assert.equal(w.check(base + 2001n), true);
  });

  for (const size of [64, 50, 1]) {
    it(`matches a set model under random use (window of ${size})`, () => {
      const w = createReplayWindow(size);
      const seen = new Set<bigint>();
      let highest = -1n;
      let x = 12345;
      for (let i = 0; i < 5_000; i++) {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        const c = BigInt(Math.max(0, Number(highest) + (x % 100) - 70));
        const expected = !seen.has(c) && (highest < 0n || c > highest || highest - c < BigInt(size));
        assert.equal(w.accept(c), expected, `counter ${c}`);
        if (expected) {
          seen.add(c);
          if (c > highest) highest = c;
        }
      }
    });
  }
});
