/**
 * The units of one anti-entropy round (anti-entropy.ts): the (account, namespace) pairs a peer
 * shares with this node, their split into summary pages, where an unfinished ID listing resumes,
 * and the round's tally.
 */
import { sameBytes } from '../crypto/bytes.ts';
import type { SyncDigest } from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import { MAX_SYNC_ENTRIES_PER_SUMMARY } from './anti-entropy-answer.ts';
import { NAMESPACES, type Namespace } from './mailbox-store.ts';
import { compareBytes } from './mailbox-service-rules.ts';
import type { SwarmMember } from './swarm-view.ts';

export interface Pair {
  readonly account: Uint8Array;
  readonly namespace: Namespace;
}

export interface Continuation extends Pair {
  readonly after: Uint8Array;
}

export interface PeerWork {
  readonly target: SwarmMember;
  readonly pairs: SyncDigest[];
}

export interface Tally {
  pushed: number;
  fetched: number;
  requests: number;
}

/** Pages of summary entries, never splitting one account's namespaces over two pages. */
export function pagesOf(pairs: readonly SyncDigest[]): SyncDigest[][] {
  const sorted = [...pairs].sort((a, b) => compareBytes(a.account, b.account) || a.namespace.localeCompare(b.namespace));
  const pages: SyncDigest[][] = [];
  let page: SyncDigest[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const entry = sorted[i];
    if (entry === undefined) continue;
    const prev = sorted[i - 1];
    const newAccount = prev === undefined || !sameBytes(prev.account, entry.account);
    if (newAccount && page.length > MAX_SYNC_ENTRIES_PER_SUMMARY - NAMESPACES.length) {
      pages.push(page);
      page = [];
    }
    page.push(entry);
  }
  if (page.length > 0 || pages.length === 0) pages.push(page);
  return pages;
}
