/**
 * The answering side of anti-entropy (the asking side is anti-entropy.ts). Both run on every node;
 * a peer's summary is answered only for accounts whose swarm holds both nodes, and every answer
 * fits in one frame.
 *
 * summary -> difference: for each listed (account, namespace) whose digest differs from ours, or
 *   that asks for a continuation (`ids_after`), our IDs in ascending order after `ids_after`, cut
 *   to the byte budget (`more` set when cut). With a range, also the pairs we hold in the range that
 *   the caller did not list (it holds none of them); `truncated` when those did not all fit.
 * fetch -> items: the stored items for the listed IDs, as many as fit one frame.
 */
import { create } from '@bufbuild/protobuf';
import { SamizdatError } from '../errors.ts';
import { ReplicaPushSchema, SyncDifferenceSchema, SyncIdsSchema } from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import type {
  FetchRequest,
  ReplicaItem,
  ReplicaPush,
  SyncDifference,
  SyncIds,
  SyncSummary,
} from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import { MAX_FRAME_BYTES } from '../wire/index.ts';
import type { MailboxStore, Namespace } from './mailbox-store.ts';
import { compareBytes, pairKey, parseAccount, parseMessageId, parseNamespace } from './mailbox-service-rules.ts';
import type { SwarmView } from './swarm-view.ts';
import { ReplicaItemSchema } from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import { sameBytes } from '../crypto/bytes.ts';

/**
 * Most (account, namespace) entries in one summary or one fetch: 512 entries of about 90 bytes
 * (account, namespace, digest, count, tags) stay under half a frame, leaving room in the answer for
 * one entry per listed pair plus IDs.
 */
export const MAX_SYNC_ENTRIES_PER_SUMMARY = 512;

/** Most message IDs named in one fetch request (34 bytes each on the wire: about 68 KiB). */
export const MAX_FETCH_IDS = 2_000;

/** Bytes an answer may fill: one frame less 8 KiB for tags and the session envelope. */
export const SYNC_ANSWER_BYTES = MAX_FRAME_BYTES - 8_192;

/** Wire cost of one SyncIds entry without IDs (account, namespace, flags, tags). */
const ENTRY_BYTES = 56;
/** Wire cost of one ID inside a SyncIds entry. */
const ID_BYTES = 34;

export interface AnswerDeps {
  readonly store: MailboxStore;
  readonly swarm: SwarmView;
}

/** True when the account's swarm holds both this node and the peer (so both should hold its mail). */
export function sharedWith(swarm: SwarmView, account: Uint8Array, peerId: string): boolean {
  const members = swarm.swarmOf(account);
  return members.some((m) => m.peerId === peerId) && members.some((m) => sameBytes(m.nodeId, swarm.selfNodeId));
}

/** This node's IDs of a pair, ascending, strictly after `after` (all when `after` is empty). */
export function sortedIdsAfter(store: MailboxStore, account: Uint8Array, namespace: Namespace, after: Uint8Array): Uint8Array[] {
  const ids = [...store.ids(account, namespace)].sort(compareBytes);
  if (after.length === 0) return ids;
  return ids.filter((id) => compareBytes(id, after) > 0);
}

function inRange(account: Uint8Array, start: Uint8Array, end: Uint8Array): boolean {
  return compareBytes(account, start) >= 0 && (end.length === 0 || compareBytes(account, end) < 0);
}

export function answerSummary(deps: AnswerDeps, callerPeerId: string, summary: SyncSummary): SyncDifference {
  const { store, swarm } = deps;
  if (summary.entries.length > MAX_SYNC_ENTRIES_PER_SUMMARY) {
    throw new SamizdatError('TOO_LARGE', `a summary may list at most ${MAX_SYNC_ENTRIES_PER_SUMMARY} entries`, {
      detail: { limit: MAX_SYNC_ENTRIES_PER_SUMMARY, actual: summary.entries.length },
    });
  }
  let budget = SYNC_ANSWER_BYTES;
  const out: SyncIds[] = [];
  const listed = new Set<string>();

  /** Adds our IDs of one pair; false when not even an empty entry fits any more. */
  const add = (account: Uint8Array, namespace: Namespace, after: Uint8Array): boolean => {
    if (budget < ENTRY_BYTES) return false;
    budget -= ENTRY_BYTES;
    const ids = sortedIdsAfter(store, account, namespace, after);
    const fit = Math.max(0, Math.min(ids.length, Math.floor(budget / ID_BYTES)));
    budget -= fit * ID_BYTES;
    out.push(create(SyncIdsSchema, { account, namespace, ids: ids.slice(0, fit), more: fit < ids.length }));
    return true;
  };

  for (const entry of summary.entries) {
    const account = parseAccount(entry.account);
    const namespace = parseNamespace(entry.namespace);
    if (entry.idsAfter.length !== 0) parseMessageId(entry.idsAfter, 'ids_after');
    listed.add(pairKey(account, namespace));
    if (!sharedWith(swarm, account, callerPeerId)) continue;
    if (entry.idsAfter.length === 0) {
      const mine = store.digestOf(account, namespace);
      if (sameBytes(mine.digest, entry.digest) && mine.count === entry.count) continue;
    }
    // Listed pairs always fit: at most 512 entries of ENTRY_BYTES each is under a third of the budget.
    add(account, namespace, entry.idsAfter);
  }

  let truncated = false;
  const range = summary.range;
  if (range !== undefined) {
    if (range.start.length > 32 || range.end.length > 32) throw new SamizdatError('MALFORMED', 'a range bound must be at most 32 bytes');
    const unlisted: { account: Uint8Array; namespace: Namespace }[] = [];
    for (const d of store.digests()) {
      if (d.count === 0 || !inRange(d.account, range.start, range.end)) continue;
      if (listed.has(pairKey(d.account, d.namespace))) continue;
      if (!sharedWith(swarm, d.account, callerPeerId)) continue;
      unlisted.push({ account: d.account, namespace: d.namespace });
    }
    unlisted.sort((a, b) => compareBytes(a.account, b.account) || a.namespace.localeCompare(b.namespace));
    for (const pair of unlisted) {
      // An unlisted pair is only worth sending with at least one ID in it.
      if (budget < ENTRY_BYTES + ID_BYTES || !add(pair.account, pair.namespace, new Uint8Array(0))) {
        truncated = true;
        break;
      }
    }
  }
  return create(SyncDifferenceSchema, { entries: out, truncated });
}

export function answerFetch(deps: AnswerDeps & { readonly now: () => number }, callerPeerId: string, fetch: FetchRequest, budgetBytes: number): ReplicaPush {
  const { store, swarm } = deps;
  if (fetch.entries.length > MAX_SYNC_ENTRIES_PER_SUMMARY) {
    throw new SamizdatError('TOO_LARGE', `a fetch may list at most ${MAX_SYNC_ENTRIES_PER_SUMMARY} entries`);
  }
  let total = 0;
  for (const entry of fetch.entries) total += entry.ids.length;
  if (total > MAX_FETCH_IDS) throw new SamizdatError('TOO_LARGE', `a fetch may name at most ${MAX_FETCH_IDS} IDs`, { detail: { limit: MAX_FETCH_IDS } });
  const t = deps.now();
  const items: ReplicaItem[] = [];
  let bytes = 0;
  outer: for (const entry of fetch.entries) {
    const account = parseAccount(entry.account);
    const namespace = parseNamespace(entry.namespace);
    entry.ids.forEach((id) => parseMessageId(id));
    if (!sharedWith(swarm, account, callerPeerId) || entry.ids.length === 0) continue;
    for (const record of store.get(account, namespace, entry.ids)) {
      if (record.expiresAtMs <= t) continue;
      const size = record.body.length + 128;
      if (items.length > 0 && bytes + size > budgetBytes) break outer;
      bytes += size;
      items.push(
        create(ReplicaItemSchema, {
          account: record.account,
          namespace: record.namespace,
          id: record.id,
          body: record.body,
          expiresAtMs: BigInt(record.expiresAtMs),
        }),
      );
    }
  }
  return create(ReplicaPushSchema, { items });
}
