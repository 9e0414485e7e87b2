/**
 * The service node's mailbox storage, on node:sqlite in WAL mode (schema and durability notes in
 * mailbox-store-schema.ts). Items are kept by (account, namespace) with an expiry. The store holds
 * only what a node must: the account, the namespace, the message ID and the ciphertext body. It
 * has no column for, and never receives, anything about a sender.
 *
 * Every write is atomic with its update of the per-mailbox count, byte total and set digest, so
 * the three can never disagree with the rows after a crash. Writes are group-committed
 * (mailbox-group-commit.ts); answers wait for `durable()`, so nothing is acknowledged before it is
 * on disk. Prepared statements are made once at open and reused: `put` is on the node's hot path.
 */
import type { DatabaseSync } from 'node:sqlite';
import { toHex } from '../crypto/bytes.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import {
  ID_BYTES,
  MAX_NONCE_BYTES,
  REPLICA_CLOCK_SKEW_MS,
  SWEEP_BATCH,
  messageId,
  type MailboxLimits,
  type MailboxStore,
  type MailboxStoreOptions,
  type ReplicaResult,
} from './mailbox-store-api.ts';
import {
  blob,
  checkAccount,
  checkBody,
  checkIds,
  checkProof,
  compareIds,
  emptyAggregate,
  fail,
  int,
  nsCode,
  resolveLimits,
  type Aggregate,
} from './mailbox-store-helpers.ts';
import { prepareMailboxQueries } from './mailbox-store-queries.ts';
import { errorText, openDatabase, STORED_ROW_OVERHEAD_BYTES } from './mailbox-store-schema.ts';
import { createGroupCommit } from './mailbox-group-commit.ts';
import { createTombstoneBook } from './mailbox-tombstones.ts';
import { createMailboxAggregates } from './mailbox-aggregates.ts';
import { createMailboxReads } from './mailbox-store-reads.ts';

export {
  DEFAULT_MAILBOX_LIMITS,
  MAX_LIST_LIMIT,
  MAX_NONCE_BYTES,
  NAMESPACES,
  REPLICA_CLOCK_SKEW_MS,
  messageId,
} from './mailbox-store-api.ts';
export type {
  ListOptions,
  MailboxLimits,
  MailboxStore,
  MailboxStoreOptions,
  Namespace,
  PutResult,
  ReplicaInput,
  ReplicaResult,
  DeleteProof,
  StoredDeleteProof,
  StoredItem,
  Tombstone,
} from './mailbox-store-api.ts';

export function openMailboxStore(options: MailboxStoreOptions): MailboxStore {
  const { crypto } = options;
  if (typeof options.path !== 'string' || options.path.length === 0) {
    throw new SamizdatError('INVALID_ARGUMENT', 'path must be a file path or ":memory:"');
  }
  if (typeof options.now !== 'function') throw new SamizdatError('INVALID_ARGUMENT', 'now must be a function');
  if (options.freeDiskBytes !== undefined && typeof options.freeDiskBytes !== 'function') {
    throw new SamizdatError('INVALID_ARGUMENT', 'freeDiskBytes must be a function');
  }
  const limits = resolveLimits(options.limits);
  const db = openDatabase(options.path);
  try {
    return createStore(db, crypto, options.now, limits, options.freeDiskBytes);
  } catch (cause) {
    db.close();
    if (cause instanceof SamizdatError) throw cause;
    throw new SamizdatError('STORAGE_FAILED', `mailbox database has an unexpected schema: ${errorText(cause)}`, { cause });
  }
}

function createStore(db: DatabaseSync, crypto: CryptoProvider, now: () => number, limits: MailboxLimits, freeDiskBytes: (() => number) | undefined): MailboxStore {
  const q = prepareMailboxQueries(db);
  let closed = false;

  const clock = (): number => {
    const t = now();
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new SamizdatError('INTERNAL', 'the clock returned a non-number');
    return Math.floor(t);
  };

  /** Runs `fn`, turning any non-Samizdat failure (SQLite I/O, a closed database) into STORAGE_FAILED. */
  const guard = <T>(fn: () => T): T => {
    if (closed) throw new SamizdatError('STORAGE_FAILED', 'the mailbox store is closed');
    try {
      return fn();
    } catch (cause) {
      if (cause instanceof SamizdatError) throw cause;
      throw new SamizdatError('STORAGE_FAILED', `mailbox storage failed: ${errorText(cause)}`, { cause });
    }
  };

  const group = createGroupCommit(db);

  /** Runs `fn` atomically (a savepoint in the group transaction, mailbox-group-commit.ts). */
  const transaction = <T>(fn: () => T): T => guard(() => group.write(fn));

  const aggregates = createMailboxAggregates(q, crypto, limits, freeDiskBytes);

  const tombstones = createTombstoneBook(q, crypto, limits.maxTtlMs);

  /** Whether a bundle item of `size` fits the node's quota once the mailbox's current one (`agg`) is gone. */
  const bundleFits = (agg: Aggregate, size: number): boolean =>
    aggregates.nodeHasRoom(aggregates.storedSize(size) - agg.bytes - agg.count * STORED_ROW_OVERHEAD_BYTES);

  const storageFull = (): SamizdatError =>
    new SamizdatError('STORAGE_FULL', 'this node has no room for more items (its storage quota or its disk is full); another member of the swarm may take it', {
      detail: { limit: limits.maxStorageBytes },
    });

  const store: MailboxStore = {
    ...createMailboxReads({ q, guard, clock, aggregates, tombstones, maxBodyBytes: limits.maxBodyBytes }),

    put(account, namespace, body, ttlMs) {
      checkAccount(account);
      const ns = nsCode(namespace);
      checkBody(body, limits.maxBodyBytes, 'INVALID_ARGUMENT');
      if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > limits.maxTtlMs) {
        throw new SamizdatError('INVALID_ARGUMENT', `ttl must be an integer in 1..${limits.maxTtlMs} ms`, {
          detail: { limit: limits.maxTtlMs, actual: ttlMs },
        });
      }
      const t = clock();
      const id = messageId(crypto, namespace, account, body);
      return transaction(() => {
        if (tombstones.live(account, ns, id, t)) return { id, expiresAtMs: t + ttlMs, cursor: 0n, inserted: false };
        const existing = aggregates.touchExisting(id, t + ttlMs);
        if (existing !== undefined) return { id, ...existing, inserted: false };
        let agg = aggregates.load(account, ns);
        let expiresAtMs = t + ttlMs;
        // Every throw below rolls the whole transaction back, including any items dropped first.
        if (namespace === 'bundle') {
          if (!bundleFits(agg, body.length)) throw storageFull();
          // Later than the item it replaces, so the (expiry, id) rule of putReplica picks this one too.
          expiresAtMs = Math.max(expiresAtMs, aggregates.clearBundle(account, ns) + 1);
          agg = emptyAggregate();
        } else {
          const full = aggregates.makeRoom(account, ns, namespace, agg, body.length, t);
          if (full === 'node') throw storageFull();
          if (full === 'mailbox') {
            const caps = aggregates.capsOf(namespace);
            throw new SamizdatError('TOO_LARGE', `the ${namespace} of this account is full (${caps.messages} messages or ${caps.bytes} bytes)`, {
              detail: { reason: `${namespace}-full`, maxMessages: caps.messages, maxBytes: caps.bytes },
            });
          }
        }
        const cursor = aggregates.insert(account, ns, id, body, expiresAtMs, agg);
        return { id, expiresAtMs, cursor, inserted: true };
      });
    },

    putReplica(item) {
      if (typeof item !== 'object' || item === null) fail('MALFORMED', 'replica item must be an object');
      const { account, namespace, id, body, expiresAtMs } = item;
      checkAccount(account, 'MALFORMED');
      const ns = nsCode(namespace, 'MALFORMED');
      if (!(id instanceof Uint8Array) || id.length !== ID_BYTES) fail('MALFORMED', `id must be ${ID_BYTES} bytes`);
      checkBody(body, limits.maxBodyBytes, 'MALFORMED');
      if (typeof expiresAtMs !== 'number' || !Number.isSafeInteger(expiresAtMs)) fail('MALFORMED', 'expiresAtMs must be an integer');
      if (!crypto.constantTimeEqual(id, messageId(crypto, namespace, account, body))) {
        fail('MALFORMED', 'replica id does not match its content');
      }
      const t = clock();
      if (expiresAtMs <= t) return 'present';
      if (expiresAtMs > t + limits.maxTtlMs + REPLICA_CLOCK_SKEW_MS) {
        throw new SamizdatError('MALFORMED', 'replica expires later than the longest TTL allows', {
          detail: { limit: t + limits.maxTtlMs + REPLICA_CLOCK_SKEW_MS, actual: expiresAtMs },
        });
      }
      return transaction((): ReplicaResult => {
        if (tombstones.live(account, ns, id, t)) return 'present';
        if (aggregates.touchExisting(id, expiresAtMs) !== undefined) return 'present';
        let agg = aggregates.load(account, ns);
        if (namespace === 'bundle') {
          for (const row of q.mailboxItems.all(account, ns)) {
            const storedExpiry = int(row, 'expires_at');
            const storedWins = storedExpiry > expiresAtMs || (storedExpiry === expiresAtMs && compareIds(blob(row, 'id'), id) > 0);
            if (storedWins) return 'present';
          }
          if (!bundleFits(agg, body.length)) return 'refused';
          aggregates.clearBundle(account, ns);
          agg = emptyAggregate();
        } else if (aggregates.makeRoom(account, ns, namespace, agg, body.length, t) !== undefined) {
          aggregates.save(account, ns, agg);
          return 'refused';
        }
        aggregates.insert(account, ns, id, body, expiresAtMs, agg);
        return 'inserted';
      });
    },

    delete(account, namespace, ids, proof) {
      checkAccount(account);
      const ns = nsCode(namespace);
      checkIds(ids);
      if (ids.length === 0) return 0;
      if (proof !== undefined) checkProof(proof);
      const t = clock();
      return transaction(() => {
        const agg = aggregates.load(account, ns);
        const held: { id: Uint8Array; expiresAtMs: number }[] = [];
        const notHeld: Uint8Array[] = [];
        let deleted = 0;
        for (const id of ids) {
          const row = q.deleteOne.get(id, account, ns);
          if (row !== undefined) {
            deleted++;
            aggregates.count(agg, id, int(row, 'size'), -1);
          }
          if (id.length !== ID_BYTES) continue;
          if (row !== undefined) held.push({ id, expiresAtMs: int(row, 'expires_at') });
          else notHeld.push(id);
        }
        if (deleted > 0) aggregates.save(account, ns, agg);
        // A full node still takes deletes; it only stops adding tombstones of IDs it never held.
        const unheldCap = aggregates.nodeHasRoom(notHeld.length * STORED_ROW_OVERHEAD_BYTES) ? aggregates.capsOf(namespace).messages : 0;
        tombstones.record(account, ns, held, notHeld, unheldCap, proof, t);
        return deleted;
      });
    },

    sweepExpired() {
      const t = clock();
      let total = 0;
      for (;;) {
        const swept = transaction(() => {
          const rows = q.expiredBatch.all(t, SWEEP_BATCH);
          const touched = new Map<string, { account: Uint8Array; ns: number; agg: Aggregate }>();
          for (const row of rows) {
            const account = blob(row, 'account');
            const ns = int(row, 'ns');
            const key = `${toHex(account)}/${ns}`;
            let entry = touched.get(key);
            if (entry === undefined) {
              entry = { account, ns, agg: aggregates.load(account, ns) };
              touched.set(key, entry);
            }
            const id = blob(row, 'id');
            q.deleteById.run(id);
            aggregates.count(entry.agg, id, int(row, 'size'), -1);
          }
          for (const { account, ns, agg } of touched.values()) aggregates.save(account, ns, agg);
          return rows.length;
        });
        total += swept;
        if (swept < SWEEP_BATCH) break;
      }
      transaction(() => {
        q.nonceSweep.run(t);
        tombstones.sweep(t);
      });
      return total;
    },

    dropAccount(account) {
      checkAccount(account);
      return transaction(() => {
        const { changes } = q.dropMessages.run(account);
        q.dropMailboxes.run(account);
        tombstones.drop(account);
        return Number(changes);
      });
    },

    rememberNonce(account, nonce, expiresAtMs) {
      checkAccount(account);
      if (!(nonce instanceof Uint8Array) || nonce.length === 0 || nonce.length > MAX_NONCE_BYTES) {
        throw new SamizdatError('INVALID_ARGUMENT', `nonce must be 1..${MAX_NONCE_BYTES} bytes`);
      }
      if (typeof expiresAtMs !== 'number' || !Number.isSafeInteger(expiresAtMs)) {
        throw new SamizdatError('INVALID_ARGUMENT', 'expiresAtMs must be an integer');
      }
      return transaction(() => Number(q.nonceInsert.run(account, nonce, expiresAtMs).changes) === 1);
    },

    durable() {
      if (closed) return Promise.reject(new SamizdatError('STORAGE_FAILED', 'the mailbox store is closed'));
      return group.durable();
    },

    close() {
      if (closed) return;
      group.commit();
      closed = true;
      db.close();
    },
  };
  return store;
}
