/**
 * Long-poll waiters: a retrieve that found nothing new parks here until a message for its
 * (account, namespace) is stored (by a client or by replication) or its wait ends. No polling
 * loop: `notify` wakes exactly the waiters of one pair.
 */
import { pairKey } from './mailbox-service-rules.ts';

export interface MailboxWaiters {
  /**
   * Resolves true when `notify` is called for the pair, false when `waitMs` passes or `signal`
   * aborts. The waiter is removed in every case.
   */
  wait(account: Uint8Array, namespace: string, waitMs: number, signal: AbortSignal): Promise<boolean>;
  /** Wakes every waiter of the pair. */
  notify(account: Uint8Array, namespace: string): void;
  /** Number of parked waiters (for metrics and tests). */
  readonly size: number;
  /** Wakes every waiter with false (service stop). */
  clear(): void;
}

export function createMailboxWaiters(): MailboxWaiters {
  const byPair = new Map<string, Set<(woken: boolean) => void>>();
  let size = 0;

  return {
    wait(account, namespace, waitMs, signal) {
      if (signal.aborted || waitMs <= 0) return Promise.resolve(false);
      const key = pairKey(account, namespace);
      return new Promise<boolean>((resolve) => {
        let set = byPair.get(key);
        if (set === undefined) {
          set = new Set();
          byPair.set(key, set);
        }
        const pairSet = set;
        const finish = (woken: boolean): void => {
          if (!pairSet.delete(finish)) return;
          size -= 1;
          if (pairSet.size === 0 && byPair.get(key) === pairSet) byPair.delete(key);
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve(woken);
        };
        const onAbort = (): void => finish(false);
        const timer = setTimeout(() => finish(false), waitMs);
        signal.addEventListener('abort', onAbort, { once: true });
        pairSet.add(finish);
        size += 1;
      });
    },
    notify(account, namespace) {
      const set = byPair.get(pairKey(account, namespace));
      if (set === undefined) return;
      for (const finish of [...set]) finish(true);
    },
    get size() {
      return size;
    },
    clear() {
      for (const set of [...byPair.values()]) for (const finish of [...set]) finish(false);
    },
  };
}
