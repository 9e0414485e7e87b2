/**
 * The per-mailbox bookkeeping of the mailbox store: each (account, namespace) keeps a row with
 * its item count, byte total and set digest (the XOR of its items' SHA-256 IDs, which anti-entropy
 * compares), and a namespace's caps and the node's storage quota bound what one more item may
 * add. Every function here runs inside one of the store's transactions (mailbox-store.ts), so a
 * mailbox's rows and its aggregate change together or not at all. No I/O of its own beyond the prepared statements.
 */
import type { CryptoProvider } from '../crypto/provider.ts';
import type { MailboxLimits, Namespace } from './mailbox-store-api.ts';
import { blob, emptyAggregate, int, xorInto, type Aggregate } from './mailbox-store-helpers.ts';
import type { prepareMailboxQueries } from './mailbox-store-queries.ts';
import { STORED_ROW_OVERHEAD_BYTES } from './mailbox-store-schema.ts';

type Queries = ReturnType<typeof prepareMailboxQueries>;

export interface MailboxAggregates {
  /** The stored aggregate of a mailbox (a fresh empty one if it holds nothing). */
  load(account: Uint8Array, ns: number): Aggregate;
  /** Writes `agg` back; an empty mailbox keeps no row. */
  save(account: Uint8Array, ns: number, agg: Aggregate): void;
  /** Adds (sign 1) or removes (sign -1) one item in `agg`. XOR is its own inverse. */
  count(agg: Aggregate, id: Uint8Array, size: number, sign: 1 | -1): void;
  /** Message and byte caps of a namespace ('bundle' replaces instead). */
  capsOf(namespace: Namespace): { messages: number; bytes: number };
  /**
   * Whether one more item of `size` fits: undefined when it does, else which cap it meets (the
   * mailbox's, or the node's storage quota). First drops the mailbox's expired items if needed.
   */
  makeRoom(account: Uint8Array, ns: number, namespace: Namespace, agg: Aggregate, size: number, t: number): 'mailbox' | 'node' | undefined;
  /** True when the node's stored bytes plus `extra` stay within its storage quota. */
  nodeHasRoom(extra: number): boolean;
  /** The bytes counted against the quota (the trigger-kept total). */
  storedBytes(): number;
  /** What a row of `size` body bytes adds to the node's storage count. */
  storedSize(size: number): number;
  /** Removes every item of a 'bundle' mailbox; returns the latest expiry among them (or -Infinity). */
  clearBundle(account: Uint8Array, ns: number): number;
  /** For a known id: raises its expiry to `expiresAtMs` if later; returns the stored row's facts. */
  touchExisting(id: Uint8Array, expiresAtMs: number): { cursor: bigint; expiresAtMs: number } | undefined;
  /** Inserts an item, counts it in `agg` and saves `agg`; returns the item's cursor. */
  insert(account: Uint8Array, ns: number, id: Uint8Array, body: Uint8Array, expiresAtMs: number, agg: Aggregate): bigint;
}

export function createMailboxAggregates(q: Queries, crypto: CryptoProvider, limits: MailboxLimits, freeDiskBytes?: () => number): MailboxAggregates {
  const save = (account: Uint8Array, ns: number, agg: Aggregate): void => {
    if (agg.count === 0) q.aggDelete.run(account, ns);
    else q.aggPut.run(account, ns, agg.count, agg.bytes, agg.digest);
  };
  const count = (agg: Aggregate, id: Uint8Array, size: number, sign: 1 | -1): void => {
    agg.count += sign;
    agg.bytes += sign * size;
    xorInto(agg.digest, crypto.hash('sha256', id));
  };
  const storedSize = (size: number): number => size + STORED_ROW_OVERHEAD_BYTES;
  /**
   * Within the quota (the trigger-kept total, mailbox-store-schema.ts V4, read inside the running
   * transaction) and, when the store knows the disk's free space, above the free-space floor.
   */
  const storedBytes = (): number => int(q.storage.get() ?? {}, 'bytes');
  const nodeHasRoom = (extra: number): boolean =>
    storedBytes() + extra <= limits.maxStorageBytes &&
    (freeDiskBytes === undefined || freeDiskBytes() - Math.max(extra, 0) >= limits.minFreeDiskBytes);
  const capsOf = (namespace: Namespace): { messages: number; bytes: number } =>
    namespace === 'inbox'
      ? { messages: limits.maxInboxMessages, bytes: limits.maxInboxBytes }
      : { messages: limits.maxConfigMessages, bytes: limits.maxConfigMessages * limits.maxBodyBytes };

  return {
    load(account, ns) {
      const row = q.aggGet.get(account, ns);
      if (row === undefined) return emptyAggregate();
      return { count: int(row, 'count'), bytes: int(row, 'bytes'), digest: blob(row, 'digest').slice() };
    },
    save,
    count,
    capsOf,
    makeRoom(account, ns, namespace, agg, size, t) {
      const caps = capsOf(namespace);
      const full = (): 'mailbox' | 'node' | undefined => {
        if (agg.count + 1 > caps.messages || agg.bytes + size > caps.bytes) return 'mailbox';
        return nodeHasRoom(storedSize(size)) ? undefined : 'node';
      };
      if (full() === undefined) return undefined;
      for (const row of q.mailboxExpired.all(account, ns, t)) {
        const id = blob(row, 'id');
        q.deleteById.run(id);
        count(agg, id, int(row, 'size'), -1);
      }
      return full();
    },
    nodeHasRoom,
    storedBytes,
    storedSize,
    clearBundle(account, ns) {
      let latest = -Infinity;
      for (const row of q.mailboxItems.all(account, ns)) {
        latest = Math.max(latest, int(row, 'expires_at'));
        q.deleteById.run(blob(row, 'id'));
      }
      return latest;
    },
    touchExisting(id, expiresAtMs) {
      const row = q.byId.get(id);
      if (row === undefined) return undefined;
      const stored = int(row, 'expires_at');
      if (expiresAtMs > stored) q.extend.run(expiresAtMs, id, expiresAtMs);
      return { cursor: BigInt(int(row, 'cursor')), expiresAtMs: Math.max(stored, expiresAtMs) };
    },
    insert(account, ns, id, body, expiresAtMs, agg) {
      const { lastInsertRowid } = q.insert.run(account, ns, id, body, expiresAtMs);
      count(agg, id, body.length, 1);
      save(account, ns, agg);
      return BigInt(lastInsertRowid);
    },
  };
}
