/**
 * Group commit for the mailbox store (mailbox-store.ts): the first write of a turn of the event
 * loop opens a transaction, each write is a savepoint in it (a failed write rolls back alone), and
 * the transaction commits on the next turn (setImmediate). One commit then carries every store,
 * delete and nonce that arrived together, instead of a WAL commit each (commits were 38 % of the
 * node's CPU in the store phase of `npm run bench -- mailbox`). `durable()` resolves once the
 * writes made so far are committed: whoever acknowledges a write awaits it first.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SamizdatError } from '../errors.ts';
import { errorText } from './mailbox-store-schema.ts';

export interface GroupCommit {
  /** Runs `fn` atomically: a savepoint in the open transaction, opened if none is. */
  write<T>(fn: () => T): T;
  /** Resolves once every write so far is committed; STORAGE_FAILED when the commit fails. */
  durable(): Promise<void>;
  /** Commits the open transaction now (before the database closes). */
  commit(): void;
}

export function createGroupCommit(db: DatabaseSync): GroupCommit {
  const prepare = (sql: string) => db.prepare(sql);
  const q = {
    begin: prepare('BEGIN IMMEDIATE'),
    commit: prepare('COMMIT'),
    rollback: prepare('ROLLBACK'),
    savepoint: prepare('SAVEPOINT op'),
    release: prepare('RELEASE op'),
    rollbackToSavepoint: prepare('ROLLBACK TO op'),
  };

  /** The open transaction and who waits for its commit; undefined when none is open. */
  let batch: { waiters: { resolve: () => void; reject: (err: unknown) => void }[] } | undefined;

  const commit = (): void => {
    const current = batch;
    if (current === undefined) return;
    batch = undefined;
    try {
      q.commit.run();
    } catch (cause) {
      try {
        if (db.isTransaction) q.rollback.run();
      } catch {
        // the commit's error is the one to report
      }
      const err = new SamizdatError('STORAGE_FAILED', `mailbox storage failed to commit: ${errorText(cause)}`, { cause });
      for (const waiter of current.waiters) waiter.reject(err);
      return;
    }
    for (const waiter of current.waiters) waiter.resolve();
  };

  return {
    write(fn) {
      if (batch === undefined) {
        q.begin.run();
        batch = { waiters: [] };
        setImmediate(commit);
      }
      q.savepoint.run();
      try {
        const result = fn();
        q.release.run();
        return result;
      } catch (err) {
        q.rollbackToSavepoint.run();
        q.release.run();
        throw err;
      }
    },

    durable() {
      const current = batch;
      if (current === undefined) return Promise.resolve();
      return new Promise((resolve, reject) => current.waiters.push({ resolve, reject }));
    },

    commit,
  };
}
