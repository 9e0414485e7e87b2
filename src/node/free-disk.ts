/**
 * The free space on a node's data file system, for the mailbox store's free-space floor
 * (MailboxStoreOptions.freeDiskBytes). statfs is a system call, and the store asks before every
 * new item, so a reading is kept for FREE_DISK_PROBE_INTERVAL_MS.
 */
import { statfsSync } from 'node:fs';

/** How long one statfs reading is used. */
export const FREE_DISK_PROBE_INTERVAL_MS = 1_000;

/** The part of statfs this needs: free blocks for unprivileged users, and the block size. */
export type StatFs = (path: string) => { readonly bavail: number | bigint; readonly bsize: number | bigint };

export interface FreeDiskProbeOptions {
  readonly dir: string;
  readonly now: () => number;
  /** Default: node:fs statfsSync. */
  readonly statfs?: StatFs;
  /** Told once when statfs fails; the probe then answers Infinity (only the quota counts). */
  readonly onError?: (err: unknown) => void;
}

/** A function answering the free bytes under `dir`, at most one statfs per interval. */
export function createFreeDiskProbe(options: FreeDiskProbeOptions): () => number {
  const statfs = options.statfs ?? statfsSync;
  let readAt = -Infinity;
  let free = Infinity;
  let warned = false;
  return () => {
    const t = options.now();
    if (t - readAt < FREE_DISK_PROBE_INTERVAL_MS) return free;
    readAt = t;
    try {
      const s = statfs(options.dir);
      free = Number(s.bavail) * Number(s.bsize);
      if (!Number.isFinite(free) || free < 0) free = Infinity;
    } catch (err) {
      // A file system without statfs: not a reason to refuse every write.
      free = Infinity;
      if (!warned) {
        warned = true;
        options.onError?.(err);
      }
    }
    return free;
  };
}
