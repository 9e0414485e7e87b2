/**
 * The contract of the mailbox store: types, limits and the message ID. The implementation is in
 * mailbox-store.ts, which re-exports all of this; import from there.
 */
import type { CryptoProvider } from '../crypto/provider.ts';
import type { MailboxNamespace } from '../identity/message-id.ts';
import { MAX_MESSAGE_BODY_BYTES } from '../wire/limits.ts';

export type Namespace = MailboxNamespace;
export const NAMESPACES: readonly Namespace[] = ['inbox', 'bundle', 'config'];

/** How a namespace is stored (an integer column). Never renumber. */
export const NAMESPACE_CODES: Readonly<Record<Namespace, number>> = { inbox: 0, bundle: 1, config: 2 };

export interface MailboxLimits {
  /** Largest body stored. */
  maxBodyBytes: number;
  /** Longest time-to-live a put may ask for. */
  maxTtlMs: number;
  /** Most items one account's inbox holds. */
  maxInboxMessages: number;
  /** Most body bytes one account's inbox holds. */
  maxInboxBytes: number;
  /** Most items one account's config namespace holds (its bytes are bounded by this x maxBodyBytes). */
  maxConfigMessages: number;
  /**
   * Most bytes the whole node stores: bodies, delete proofs and a fixed overhead per message,
   * tombstone and proof row (STORED_ROW_OVERHEAD_BYTES). Past it a put is refused with
   * STORAGE_FULL and a replica with 'refused'; reads and deletes go on.
   */
  maxStorageBytes: number;
  /** Free disk space the store leaves alone (with MailboxStoreOptions.freeDiskBytes). */
  minFreeDiskBytes: number;
}

export const DEFAULT_MAILBOX_LIMITS: Readonly<MailboxLimits> = {
  /** 64 KiB, the wire layer's message body limit (DESIGN.md §4, issue 3). */
  maxBodyBytes: MAX_MESSAGE_BODY_BYTES,
  /** 14 days (DESIGN.md §4): long enough for a phone that is off for a holiday or a blackout. */
  maxTtlMs: 14 * 24 * 60 * 60 * 1000,
  /**
   * 10,000 messages per inbox. Anyone may deposit into an inbox, so without a cap one sender could
   * make every node of a swarm store without bound. 10,000 is about 700 messages a day over the
   * full 14-day TTL for someone who is offline, far above a normal user, while bounding the
   * work of one mailbox for list, digest and anti-entropy (10,000 IDs = 320 KB).
   */
  maxInboxMessages: 10_000,
  /**
   * 64 MiB per inbox: the binding cap for large messages (10,000 x 64 KiB would be 640 MiB). With
   * k = 5 and about 2,500 accounts per node (2,000 nodes, 1M accounts) a node's worst case is
   * bounded by accounts x 64 MiB; operators size disks for the typical case and the rate limits
   * of the RPC layer slow any flood long before the cap.
   */
  maxInboxBytes: 64 * 1024 * 1024,
  /** 256 items: the owner's own settings and sync records; 16 MiB at most with 64 KiB bodies. */
  maxConfigMessages: 256,
  /**
   * 8 GiB. Accounts cost nothing to make, so the per-mailbox caps alone do not bound a node: many
   * accounts' inboxes, configs and tombstones could fill its disk, and a node whose disk is full
   * fails every write, its own database's included. With about 2,500 accounts per node (2,000
   * nodes, 1M accounts, k = 5) this is 3 MiB each on average, hundreds of queued messages; a full
   * node refuses new items and the client stores them on other members of the swarm. Operators
   * set it to what their disk can hold (`node run --max-storage`).
   */
  maxStorageBytes: 8 * 1024 * 1024 * 1024,
  /**
   * 256 MiB: room for SQLite's write-ahead log (WAL_SIZE_LIMIT_BYTES, 64 MiB, and a checkpoint's
   * growth past it), the node's logs and key files, and the writes of the up to one second the
   * free-space reading may be old, so the database never meets a full disk mid-transaction.
   */
  minFreeDiskBytes: 256 * 1024 * 1024,
};

/** Most items one `list` returns, whatever the caller asks (a retrieve is also cut to one frame). */
export const MAX_LIST_LIMIT = 256;

/**
 * How far past now + maxTtlMs a replica's expiry may lie: swarm peers' clocks differ. Twice the
 * ±60 s owner-auth window, so a peer whose clock is ahead by up to two minutes still replicates.
 */
export const REPLICA_CLOCK_SKEW_MS = 120_000;

/** Longest single-use nonce accepted (owner auth uses 16 bytes). */
export const MAX_NONCE_BYTES = 64;

/** Account IDs are Ed25519 public keys; message IDs are SHA-256 outputs. */
export const ACCOUNT_BYTES = 32;
export const ID_BYTES = 32;

/** Expired rows deleted per transaction by sweepExpired, so a sweep never holds the lock for long. */
export const SWEEP_BATCH = 1_000;

export interface StoredItem {
  readonly id: Uint8Array;
  readonly body: Uint8Array;
  readonly expiresAtMs: number;
  readonly cursor: bigint;
}

export interface ReplicaInput {
  readonly account: Uint8Array;
  readonly namespace: Namespace;
  readonly id: Uint8Array;
  readonly body: Uint8Array;
  readonly expiresAtMs: number;
}

/** A live tombstone: the owner deleted this message ID (see MailboxStore.delete). */
export interface Tombstone {
  /** Creation order on this node (never reused); anti-entropy pages with it. */
  readonly seq: number;
  readonly account: Uint8Array;
  readonly namespace: Namespace;
  readonly id: Uint8Array;
  readonly expiresAtMs: number;
  /** The key of the owner's signed delete behind it (deleteProof); undefined for one made without. */
  readonly proof: Uint8Array | undefined;
}

/** The owner's signed delete, as MailboxStore.delete keeps it for the tombstones it makes. */
export interface DeleteProof {
  /** The encoded OwnerAuth of the owner's DeleteRequest (opaque here). */
  readonly auth: Uint8Array;
  /** Every ID the signed request named, each ID_BYTES long, in its order. */
  readonly ids: readonly Uint8Array[];
  /** When the owner signed it (ms): a tombstone of an ID not held here lasts maxTtlMs from then. */
  readonly signedAtMs: number;
}

/** A kept DeleteProof, as deleteProof returns it. */
export interface StoredDeleteProof {
  readonly account: Uint8Array;
  readonly namespace: Namespace;
  readonly auth: Uint8Array;
  readonly ids: Uint8Array[];
}

export interface PutResult {
  readonly id: Uint8Array;
  readonly expiresAtMs: number;
  readonly cursor: bigint;
  readonly inserted: boolean;
}

export interface ListOptions {
  /** Stop before an item would take the bodies past this many bytes (at least one item is returned). */
  readonly maxBytes?: number;
}

/** What putReplica did with an item (see there). */
export type ReplicaResult = 'inserted' | 'present' | 'refused';

export interface MailboxStore {
  /**
   * Stores `body`; id = SHA-256("samizdat/v1/message-id" || namespace || 0x00 || account || body).
   * A duplicate is not inserted again (inserted = false, same id, same cursor); its expiry is
   * raised to the later of the two, so re-sending refreshes a TTL. 'bundle' keeps exactly one item:
   * a put replaces the previous one (and its expiry is made later than the replaced one's, so
   * replicas converge on it; see putReplica). Errors: INVALID_ARGUMENT for a bad account, namespace,
   * empty body, or a ttl that is not an integer in 1..maxTtlMs; TOO_LARGE for a body over
   * maxBodyBytes; TOO_LARGE with detail { reason: 'inbox-full' } (or 'config-full') when the
   * mailbox has reached its message or byte cap (after dropping its expired items): a full inbox
   * is a size limit of the recipient's mailbox, not a rate limit of the sender, and the RPC layer
   * turns that reason into a clear message. Existing items are never touched by a refused put.
   * An id with a live tombstone (the owner deleted it) is not stored again: inserted = false,
   * cursor 0n, and nothing changes.
   */
  put(account: Uint8Array, namespace: Namespace, body: Uint8Array, ttlMs: number): PutResult;
  /**
   * Stores an item received from a swarm peer: 'inserted' when it was new; 'present' when this
   * node needs nothing more of it (a duplicate, whose later expiry is kept; an expired item; a
   * tombstoned id; a bundle that loses to the one held); 'refused' when the inbox or config is
   * full, so the item is not held here. MALFORMED when the id does not match the content, a field
   * is malformed, or the expiry lies beyond now + maxTtlMs (+ clock skew allowance); TOO_LARGE for
   * a body over the limit. 'bundle': the item with the later expiry wins (ties: the larger id),
   * whatever the arrival order, so every member converges.
   */
  putReplica(item: ReplicaInput): ReplicaResult;
  /** Items with cursor > after, oldest first, at most min(limit, MAX_LIST_LIMIT), skipping expired ones. */
  list(account: Uint8Array, namespace: Namespace, after: bigint, limit: number, options?: ListOptions): { items: StoredItem[]; more: boolean };
  /**
   * Deletes by id (only the owner's deletes, direct or replicated, come here); returns how many
   * existed. Records a tombstone for every id held, expiring with the deleted message, and for ids
   * not held (so a late replica is refused too) while the mailbox has fewer such tombstones than its
   * namespace's message cap, expiring maxTtlMs after `proof.signedAtMs` (after now without a
   * proof); an existing tombstone keeps the later expiry. `proof`, the owner's signed delete, is
   * kept with the tombstones so they can be forwarded (tombstonesAfter, deleteProof). Ids that are
   * not ID_BYTES long are not tombstoned.
   */
  delete(account: Uint8Array, namespace: Namespace, ids: readonly Uint8Array[], proof?: DeleteProof): number;
  /** A kept proof by its key (Tombstone.proof); undefined once its tombstones have expired. */
  deleteProof(key: Uint8Array): StoredDeleteProof | undefined;
  /** Deletes expired items (and expired nonces and tombstones); returns how many items. */
  sweepExpired(): number;
  /** The mailbox's live tombstone ids, sorted by bytes. */
  tombstones(account: Uint8Array, namespace: Namespace): Uint8Array[];
  /** Live tombstones with seq > afterSeq, in seq order, at most `limit` (all mailboxes). */
  tombstonesAfter(afterSeq: number, limit: number): Tombstone[];
  /** Every account with at least one tombstone (expired but unswept ones included). */
  tombstoneAccounts(): Uint8Array[];
  /** Current usage of one mailbox (expired items count until swept). */
  usage(account: Uint8Array, namespace: Namespace): { messages: number; bytes: number };
  /**
   * Totals over every mailbox, for metrics: mailboxes, messages and body bytes held, and
   * `storageBytes`, what counts against `maxStorageBytes` (bodies, proofs and row overheads,
   * tombstones included).
   */
  totals(): { mailboxes: number; messages: number; bytes: number; storageBytes: number };
  /**
   * False when the node could not take an item of the largest size (maxBodyBytes) now: past its
   * storage quota or its free-disk floor. Such a node may refuse what its swarm stores next, so
   * its retrieve answers say so (RetrieveResponse.full) and clients read elsewhere.
   */
  hasRoom(): boolean;
  /**
   * Every (account, namespace) held, with its set digest and count, for anti-entropy. The digest is
   * the XOR of SHA-256(id) over the mailbox's ids (32 zero bytes for an empty set): a set digest,
   * independent of insertion order, updated in O(1) per change. XOR set hashes are not collision
   * resistant against someone who picks the set (with ~256 chosen items, linear algebra finds two
   * sets with the same XOR), but the sets compared here are the same mailbox on honest swarm
   * peers; a sender who grinds messages can at worst make their own messages replicate unevenly,
   * which they could achieve by not sending them. The count is compared alongside.
   */
  digests(): Iterable<{ account: Uint8Array; namespace: Namespace; digest: Uint8Array; count: number }>;
  digestOf(account: Uint8Array, namespace: Namespace): { digest: Uint8Array; count: number };
  /** The mailbox's ids, sorted by bytes (expired but unswept ones included, as in the digest). */
  ids(account: Uint8Array, namespace: Namespace): Uint8Array[];
  /** Full items for replication (including account/namespace); unknown and expired ids are skipped. */
  get(account: Uint8Array, namespace: Namespace, ids: readonly Uint8Array[]): ReplicaInput[];
  accounts(): Uint8Array[];
  /** Removes every item and tombstone of an account (after handing it off); returns how many items. */
  dropAccount(account: Uint8Array): number;
  /**
   * Single-use nonces for owner auth: false if (account, nonce) was seen before. Entries expire at
   * expiresAtMs and are swept by sweepExpired. Persisted in the same database, so a restart does
   * not reopen a replay window.
   */
  rememberNonce(account: Uint8Array, nonce: Uint8Array, expiresAtMs: number): boolean;
  /**
   * Resolves once every write made so far is committed (group commit: the writes of one turn of
   * the event loop share a transaction, committed on the next). Whoever answers a peer about a
   * write (an acknowledged store, a delete, a used nonce) awaits it first; STORAGE_FAILED when the
   * commit fails, and then those writes are gone.
   */
  durable(): Promise<void>;
  /** Commits what is pending, then closes. */
  close(): void;
}

export interface MailboxStoreOptions {
  /** A file path, or ':memory:' for tests. */
  readonly path: string;
  readonly crypto: CryptoProvider;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly limits?: Partial<MailboxLimits>;
  /**
   * Free bytes on the database's file system (a node passes a cached statfs reading,
   * free-disk.ts). With it, the store also refuses new items, as past the quota, while taking one
   * would leave less than `minFreeDiskBytes` free: a quota set larger than the disk, or a disk
   * shared with other data, still never fills. Absent: only the quota counts.
   */
  readonly freeDiskBytes?: () => number;
}

/** The message ID of the store contract (see MailboxStore.put), shared with clients. */
export { messageId } from '../identity/message-id.ts';
