/**
 * The read side of the mailbox store (mailbox-store.ts): listing, fetching by ID, the per-mailbox
 * usage and digests anti-entropy compares, node totals and tombstones. Nothing here writes; each
 * call checks its arguments and runs its queries through the store's `guard`, which turns a
 * storage failure into STORAGE_FAILED.
 */
import { SamizdatError } from '../errors.ts';
import type { MailboxAggregates } from './mailbox-aggregates.ts';
import { MAX_LIST_LIMIT, type MailboxStore, type ReplicaInput, type StoredItem } from './mailbox-store-api.ts';
import { blob, checkAccount, checkIds, codeNs, int, nsCode } from './mailbox-store-helpers.ts';
import type { prepareMailboxQueries } from './mailbox-store-queries.ts';
import type { TombstoneBook } from './mailbox-tombstones.ts';

export type MailboxReads = Pick<
  MailboxStore,
  | 'list'
  | 'deleteProof'
  | 'tombstones'
  | 'tombstonesAfter'
  | 'tombstoneAccounts'
  | 'usage'
  | 'totals'
  | 'hasRoom'
  | 'digests'
  | 'digestOf'
  | 'ids'
  | 'get'
  | 'accounts'
>;

export interface MailboxReadsDeps {
  readonly q: ReturnType<typeof prepareMailboxQueries>;
  /** Runs a query, turning a non-Samizdat failure into STORAGE_FAILED. */
  readonly guard: <T>(fn: () => T) => T;
  /** The store's clock, whole milliseconds. */
  readonly clock: () => number;
  readonly aggregates: MailboxAggregates;
  readonly tombstones: TombstoneBook;
  /** The largest body the store takes (MailboxLimits.maxBodyBytes), for hasRoom. */
  readonly maxBodyBytes: number;
}

export function createMailboxReads({ q, guard, clock, aggregates, tombstones, maxBodyBytes }: MailboxReadsDeps): MailboxReads {
  return {
    list(account, namespace, after, limit, options = {}) {
      checkAccount(account);
      const ns = nsCode(namespace);
      if (typeof after !== 'bigint' || after < 0n || after > 0x7fffffffffffffffn) {
        throw new SamizdatError('INVALID_ARGUMENT', 'after must be a bigint in 0..2^63-1');
      }
      if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
        throw new SamizdatError('INVALID_ARGUMENT', 'limit must be a positive integer');
      }
      const maxBytes = options.maxBytes ?? Infinity;
      if (maxBytes !== Infinity && (!Number.isSafeInteger(maxBytes) || maxBytes < 1)) {
        throw new SamizdatError('INVALID_ARGUMENT', 'maxBytes must be a positive integer');
      }
      const take = Math.min(limit, MAX_LIST_LIMIT);
      return guard(() => {
        const rows = q.list.all(account, ns, after, clock(), take + 1);
        const items: StoredItem[] = [];
        let bytes = 0;
        for (const row of rows.slice(0, take)) {
          const body = blob(row, 'body');
          if (items.length > 0 && bytes + body.length > maxBytes) return { items, more: true };
          bytes += body.length;
          items.push({ id: blob(row, 'id'), body, expiresAtMs: int(row, 'expires_at'), cursor: BigInt(int(row, 'cursor')) });
        }
        return { items, more: rows.length > take };
      });
    },

    deleteProof(key) {
      if (!(key instanceof Uint8Array) || key.length !== 32) throw new SamizdatError('INVALID_ARGUMENT', 'a proof key is 32 bytes');
      return guard(() => tombstones.proof(key, clock()));
    },

    tombstones(account, namespace) {
      checkAccount(account);
      const ns = nsCode(namespace);
      return guard(() => tombstones.ids(account, ns, clock()));
    },

    tombstonesAfter(afterSeq, limit) {
      if (typeof afterSeq !== 'number' || !Number.isSafeInteger(afterSeq) || afterSeq < 0) {
        throw new SamizdatError('INVALID_ARGUMENT', 'afterSeq must be a non-negative integer');
      }
      if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
        throw new SamizdatError('INVALID_ARGUMENT', 'limit must be a positive integer');
      }
      return guard(() => tombstones.after(afterSeq, clock(), limit));
    },

    tombstoneAccounts() {
      return guard(() => tombstones.accounts());
    },

    usage(account, namespace) {
      checkAccount(account);
      const ns = nsCode(namespace);
      return guard(() => {
        const agg = aggregates.load(account, ns);
        return { messages: agg.count, bytes: agg.bytes };
      });
    },

    hasRoom() {
      return guard(() => aggregates.nodeHasRoom(aggregates.storedSize(maxBodyBytes)));
    },

    totals() {
      return guard(() => {
        const row = q.totals.get() ?? {};
        return { mailboxes: Number(row.mailboxes ?? 0), messages: Number(row.messages ?? 0), bytes: Number(row.bytes ?? 0), storageBytes: aggregates.storedBytes() };
      });
    },

    digests() {
      return guard(() =>
        q.digests.all().map((row) => ({
          account: blob(row, 'account'),
          namespace: codeNs(int(row, 'ns')),
          digest: blob(row, 'digest'),
          count: int(row, 'count'),
        })),
      );
    },

    digestOf(account, namespace) {
      checkAccount(account);
      const ns = nsCode(namespace);
      return guard(() => {
        const agg = aggregates.load(account, ns);
        return { digest: agg.digest, count: agg.count };
      });
    },

    ids(account, namespace) {
      checkAccount(account);
      const ns = nsCode(namespace);
      return guard(() => q.ids.all(account, ns).map((row) => blob(row, 'id')));
    },

    get(account, namespace, ids) {
      checkAccount(account);
      const ns = nsCode(namespace);
      checkIds(ids);
      return guard(() => {
        const t = clock();
        const out: ReplicaInput[] = [];
        for (const id of ids) {
          const row = q.getOne.get(id, account, ns, t);
          if (row === undefined) continue;
          out.push({ account: account.slice(), namespace, id: id.slice(), body: blob(row, 'body'), expiresAtMs: int(row, 'expires_at') });
        }
        return out;
      });
    },

    accounts() {
      return guard(() => q.accounts.all().map((row) => blob(row, 'account')));
    },
  };
}
