/** Small pieces the directory services share: the logger they accept, abortable sleep, shuffling. */
import type { CryptoProvider } from '../crypto/provider.ts';

/** What a directory service logs through; any structured logger fits (pino, console wrappers). */
export interface DirectoryLogger {
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

export const SILENT_LOGGER: DirectoryLogger = { info: () => undefined, warn: () => undefined };

/** Resolves after `ms` or when `signal` aborts (never rejects); the timer is cleared either way. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A uniformly shuffled copy of `items` (Fisher-Yates over the provider's randomness). */
export function shuffle<T>(crypto: CryptoProvider, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const bytes = crypto.randomBytes(4);
    const r = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
    const j = r % (i + 1);
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

/** Runs `work` over `items` with at most `limit` in flight; resolves when all settled. */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item).catch(() => undefined);
    }
  });
  await Promise.all(lanes);
}
