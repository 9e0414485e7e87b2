/** Shared setup of the mailbox store's tests: stores on fresh files with a settable clock. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { utf8 } from '../../src/crypto/bytes.ts';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import { openMailboxStore, type MailboxLimits, type MailboxStore } from '../../src/node/mailbox-store.ts';

export const T0 = 1_700_000_000_000;
export const HOUR = 3_600_000;
export const alice = new Uint8Array(32).fill(0xa1);
export const bob = new Uint8Array(32).fill(0xb0);
export const text = (s: string): Uint8Array => utf8(s);

export interface StoreFixture {
  readonly crypto: ReturnType<typeof createNodeCryptoProvider>;
  /** This test file's directory (removed after its tests). */
  readonly dir: string;
  /** A path for a new database file in `dir`. */
  readonly freshPath: () => string;
  /** A store on a fresh file (or `file`) with a settable clock starting at T0. */
  readonly open: (limits?: Partial<MailboxLimits>, file?: string) => { store: MailboxStore; clock: { t: number }; file: string };
  /** XOR of the SHA-256 of each id: a namespace's digest as the store defines it. */
  readonly xorOfHashes: (ids: readonly Uint8Array[]) => Uint8Array;
}

/** Call once at the top of a test file: its directory is removed after the file's tests. */
export function createStoreFixture(): StoreFixture {
  const crypto = createNodeCryptoProvider();
  const dir = mkdtempSync(path.join(tmpdir(), 'samizdat-mailbox-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  const freshPath = (): string => path.join(dir, `store-${files++}.db`);
  return {
    crypto,
    dir,
    freshPath,
    open: (limits = {}, file = freshPath()) => {
      const clock = { t: T0 };
      return { store: openMailboxStore({ path: file, crypto, now: () => clock.t, limits }), clock, file };
    },
    xorOfHashes: (ids) => {
      const out = new Uint8Array(32);
      for (const id of ids) {
        const h = crypto.hash('sha256', id);
        for (let i = 0; i < 32; i++) out[i] = (out[i] ?? 0) ^ (h[i] ?? 0);
      }
      return out;
    },
  };
}
