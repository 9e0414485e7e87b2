/**
 * The tombstones of the mailbox store (mailbox-store.ts): one per message ID the owner deleted,
 * so a put or a replica of it is refused until it expires, and the owner's signed deletes behind
 * them (delete-proof.ts), kept so the store can relay them to members that missed the delete.
 * Called inside the store's transactions; the store checks the arguments.
 */
import { concatBytes } from '../crypto/bytes.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { ID_BYTES, type DeleteProof, type StoredDeleteProof, type Tombstone } from './mailbox-store-api.ts';
import { blob, codeNs, int } from './mailbox-store-helpers.ts';
import type { prepareMailboxQueries } from './mailbox-store-queries.ts';

type Queries = ReturnType<typeof prepareMailboxQueries>;

export interface TombstoneBook {
  /**
   * Records one delete's tombstones: each ID held (`held`, with its message's expiry) and, while
   * the mailbox has fewer than `unheldCap` tombstones of IDs it never held, each of `notHeld`,
   * lasting `maxTtlMs` from the owner's signature (from `t` without a proof). `proof` is kept
   * with them.
   */
  record(
    account: Uint8Array,
    ns: number,
    held: readonly { readonly id: Uint8Array; readonly expiresAtMs: number }[],
    notHeld: readonly Uint8Array[],
    unheldCap: number,
    proof: DeleteProof | undefined,
    t: number,
  ): void;
  /** True when `id` of this mailbox has a live tombstone. */
  live(account: Uint8Array, ns: number, id: Uint8Array, t: number): boolean;
  /** The mailbox's live tombstone IDs, sorted by bytes. */
  ids(account: Uint8Array, ns: number, t: number): Uint8Array[];
  /** Live tombstones with seq > afterSeq, in seq order, at most `limit`. */
  after(afterSeq: number, t: number, limit: number): Tombstone[];
  /** Every account with at least one tombstone. */
  accounts(): Uint8Array[];
  /** A kept proof by its key, while any of its tombstones lives. */
  proof(key: Uint8Array, t: number): StoredDeleteProof | undefined;
  /** Drops the expired tombstones and proofs. */
  sweep(t: number): void;
  /** Drops an account's tombstones and proofs. */
  drop(account: Uint8Array): void;
}

export function createTombstoneBook(q: Queries, crypto: CryptoProvider, maxTtlMs: number): TombstoneBook {
  return {
    record(account, ns, held, notHeld, unheldCap, proof, t) {
      const rows: { id: Uint8Array; expiresAtMs: number; held: number }[] = held.map((h) => ({ id: h.id, expiresAtMs: h.expiresAtMs, held: 1 }));
      // An ID not held here lasts a TTL from the owner's signature, not from now, so relaying a
      // delete again never makes its tombstone last longer.
      const unheldExpiry = Math.min(t, proof?.signedAtMs ?? t) + maxTtlMs;
      let unheld = int(q.tombstonesUnheld.get(account, ns) ?? {}, 'n');
      for (const id of notHeld) {
        if (unheld >= unheldCap || unheldExpiry <= t) break;
        rows.push({ id, expiresAtMs: unheldExpiry, held: 0 });
        unheld++;
      }
      if (rows.length === 0) return;
      let proofKey: Uint8Array | null = null;
      if (proof !== undefined) {
        proofKey = crypto.hash('sha256', proof.auth);
        q.proofPut.run(proofKey, account, ns, proof.auth, concatBytes(...proof.ids), Math.max(...rows.map((r) => r.expiresAtMs)));
      }
      for (const r of rows) q.tombstonePut.run(account, ns, r.id, r.expiresAtMs, proofKey, r.held);
    },

    live: (account, ns, id, t) => q.tombstoneLive.get(account, ns, id, t) !== undefined,

    ids: (account, ns, t) => q.tombstoneIds.all(account, ns, t).map((row) => blob(row, 'id')),

    after: (afterSeq, t, limit) =>
      q.tombstonesAfter.all(afterSeq, t, limit).map(
        (row): Tombstone => ({
          seq: int(row, 'seq'),
          account: blob(row, 'account'),
          namespace: codeNs(int(row, 'ns')),
          id: blob(row, 'id'),
          expiresAtMs: int(row, 'expires_at'),
          proof: row['proof'] instanceof Uint8Array ? row['proof'] : undefined,
        }),
      ),

    accounts: () => q.tombstoneAccounts.all().map((row) => blob(row, 'account')),

    proof(key, t) {
      const row = q.proofGet.get(key, t);
      if (row === undefined) return undefined;
      const all = blob(row, 'ids');
      const ids: Uint8Array[] = [];
      for (let at = 0; at + ID_BYTES <= all.length; at += ID_BYTES) ids.push(all.slice(at, at + ID_BYTES));
      return { account: blob(row, 'account'), namespace: codeNs(int(row, 'ns')), auth: blob(row, 'auth'), ids };
    },

    sweep(t) {
      q.tombstoneSweep.run(t);
      q.proofSweep.run(t);
    },

    drop(account) {
      q.dropTombstones.run(account);
      q.dropProofs.run(account);
    },
  };
}
