/**
 * Anti-entropy between swarm peers, and handoff when the consensus moves an account away.
 *
 * Every round, for each peer that shares at least one account's swarm with this node:
 *   1. summary: our digest (SHA-256 of the sorted IDs) and count of every (account, namespace) we
 *      hold that both should hold, in pages of MAX_SYNC_ENTRIES_PER_SUMMARY sorted by account, each
 *      page covering an account range so the peer also reports pairs we hold nothing of;
 *   2. the peer answers, for each pair that differs, its IDs (paged: `more` + `ids_after`);
 *   3. we push what the peer lacks and fetch what we lack.
 * Pairs that agree cost one digest each and nothing else, so a node that was down receives only
 * what it missed. A round is bounded (MAX_SYNC_REQUESTS_PER_PEER); whatever is left waits for the
 * next one.
 *
 * Deletes: the store keeps a tombstone for every id the owner deleted (until the message would
 * have expired) and refuses that id afterwards, so a member that missed the live ReplicaDelete
 * (it was down) cannot copy the message back: its push is refused everywhere. It must also learn
 * of the delete itself, and the message digest cannot carry that (XOR over the same id set is the
 * same whether the ids are messages or tombstones). So each round, before the summary, we send
 * every peer the tombstones created since the last ones it acknowledged (TOMBSTONE_PAGE_SIZE per
 * page, only accounts both serve) as the owner's signed deletes behind them (delete-proof.ts): one
 * ReplicaDelete per signed delete, with every ID it named and the owner's signature, which the
 * peer checks before it deletes those ids and records its own tombstones. A member cannot delete
 * for an owner, and a tombstone kept without a proof is not relayed. The mark per peer (highest tombstone `seq` delivered) is kept in
 * memory only and advances only when a whole page was acknowledged: after a restart or a consensus
 * change the marks start over and every live tombstone is sent once more, which is idempotent and
 * bounded by MAX_SYNC_REQUESTS_PER_PEER requests per peer per round. A member that receives a
 * tombstone forwards it the same way, so a delete spreads even when the deleting node goes down.
 *
 * Handoff: accounts this node holds but no longer serves (swarm.onChange, and every round) are
 * pushed to their current swarm and dropped once at least one member holds every item; the other
 * members get them from that member through anti-entropy.
 */
import { create } from '@bufbuild/protobuf';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import {
  AccountRangeSchema,
  FetchRequestSchema,
  ReplicaRequestSchema,
  SyncDigestSchema,
  SyncIdsSchema,
  SyncSummarySchema,
} from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import type { SyncDifference, SyncDigest, SyncIds } from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import type { PeerTarget } from '../wire/index.ts';
import { MAX_FETCH_IDS, MAX_SYNC_ENTRIES_PER_SUMMARY, sharedWith, sortedIdsAfter } from './anti-entropy-answer.ts';
import { NAMESPACES } from './mailbox-store.ts';
import type { MailboxStore } from './mailbox-store.ts';
import { compareBytes, hexKey, pairKey, parseAccount, parseMessageId, parseNamespace, type ServiceLogger } from './mailbox-service-rules.ts';
import type { ReplicaRecord, ReplicationService } from './replication.ts';
import type { SwarmMember, SwarmView } from './swarm-view.ts';
import { toHex } from '../crypto/bytes.ts';
import { relayedDeleteOf } from './delete-proof.ts';
import { pagesOf, type Continuation, type Pair, type PeerWork, type Tally } from './anti-entropy-work.ts';

/**
 * Time between anti-entropy rounds in production: 10 s. A missed push (a member was down or slow)
 * is repaired within about this long; an idle round costs one digest per shared pair per peer.
 */
export const ANTI_ENTROPY_INTERVAL_MS = 10_000;

/** Requests (tombstone deletes, summary, fetch, push) to one peer in one round; the rest waits for the next round. */
export const MAX_SYNC_REQUESTS_PER_PEER = 256;

/**
 * Tombstones read per page when sending deletes to a peer: 128, under MAX_REPLICA_ITEMS_PER_PUSH
 * (the IDs one ReplicaDelete may name) and under MAX_SYNC_REQUESTS_PER_PEER (one request per
 * mailbox in the page at worst), so every round moves at least one page forward.
 */
export const TOMBSTONE_PAGE_SIZE = 128;

/** Peers synchronised at the same time. */
const PEER_CONCURRENCY = 4;

/** Delay between a consensus change and the handoff it triggers (lets a burst of changes settle). */
const HANDOFF_DELAY_MS = 100;

export interface AntiEntropyOptions {
  readonly replication: ReplicationService;
  readonly store: MailboxStore;
  readonly swarm: SwarmView;
  /** Default ANTI_ENTROPY_INTERVAL_MS; tests use less. */
  readonly intervalMs?: number;
  readonly logger?: ServiceLogger;
}

export interface AntiEntropyReport {
  /** Peers a round talked to successfully. */
  readonly peers: number;
  /** Items pushed to peers (acknowledged). */
  readonly pushed: number;
  /** Items fetched from peers and stored. */
  readonly fetched: number;
  /** Accounts handed off and dropped. */
  readonly handedOff: number;
  /** Peers that failed (unreachable, refused); retried next round. */
  readonly failures: number;
}

export interface AntiEntropy {
  start(): Promise<void>;
  /** Stops the timer and waits for a running round to wind down. */
  stop(): Promise<void>;
  /** One full round now (or joins the round in progress). */
  runOnce(): Promise<AntiEntropyReport>;
}

export function createAntiEntropy(options: AntiEntropyOptions): AntiEntropy {
  const { replication, store, swarm, logger } = options;
  const intervalMs = options.intervalMs ?? ANTI_ENTROPY_INTERVAL_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let handoffTimer: ReturnType<typeof setTimeout> | undefined;
  let unsubscribe: (() => void) | undefined;
  let running: Promise<AntiEntropyReport> | undefined;
  let controller: AbortController | undefined;
  /** Per peer: the highest tombstone seq it acknowledged (in memory; see the note on deletes). */
  const tombstoneMarks = new Map<string, number>();

  const records = (pair: Pair, ids: readonly Uint8Array[]): ReplicaRecord[] =>
    ids.length === 0
      ? []
      : store.get(pair.account, pair.namespace, [...ids]).map((r) => ({
          account: r.account,
          namespace: r.namespace,
          id: r.id,
          body: r.body,
          expiresAtMs: r.expiresAtMs,
        }));

  /** Fetches `wanted` from the peer in bounded requests until all came or one brings nothing new. */
  const fetchFrom = async (target: PeerTarget, wanted: Map<string, { pair: Pair; ids: Uint8Array[] }>, tally: Tally, signal: AbortSignal): Promise<void> => {
    const queue = [...wanted.values()].filter((w) => w.ids.length > 0);
    while (queue.length > 0 && tally.requests < MAX_SYNC_REQUESTS_PER_PEER && !signal.aborted) {
      const entries: SyncIds[] = [];
      let count = 0;
      while (queue.length > 0 && count < MAX_FETCH_IDS && entries.length < MAX_SYNC_ENTRIES_PER_SUMMARY) {
        const head = queue[0];
        if (head === undefined) break;
        const take = head.ids.splice(0, MAX_FETCH_IDS - count);
        count += take.length;
        entries.push(create(SyncIdsSchema, { account: head.pair.account, namespace: head.pair.namespace, ids: take }));
        if (head.ids.length === 0) queue.shift();
      }
      tally.requests += 1;
      const response = await replication.call(target, create(ReplicaRequestSchema, { request: { case: 'fetch', value: create(FetchRequestSchema, { entries }) } }), signal);
      if (response.response.case !== 'items') return;
      const items = response.response.value.items;
      tally.fetched += replication.accept(items);
      // Whatever the peer could not fit is asked for again; IDs it no longer has are not.
      const returned = new Set(items.map((i) => hexKey(i.id)));
      const missing = entries.flatMap((e) => e.ids.filter((id) => !returned.has(hexKey(id))).map((id) => ({ e, id })));
      if (items.length === 0) return;
      const again = new Map<string, { pair: Pair; ids: Uint8Array[] }>();
      for (const { e, id } of missing) {
        const key = pairKey(e.account, e.namespace);
        let slot = again.get(key);
        if (slot === undefined) {
          slot = { pair: { account: e.account, namespace: parseNamespace(e.namespace) }, ids: [] };
          again.set(key, slot);
        }
        slot.ids.push(id);
      }
      queue.unshift(...again.values());
    }
  };

  /** Acts on one answer: pushes what the peer lacks, fetches what we lack, queues continuations. */
  const reconcile = async (
    target: PeerTarget,
    difference: SyncDifference,
    afterOf: ReadonlyMap<string, Uint8Array>,
    continuations: Continuation[],
    tally: Tally,
    signal: AbortSignal,
  ): Promise<void> => {
    const wanted = new Map<string, { pair: Pair; ids: Uint8Array[] }>();
    const toPush: ReplicaRecord[] = [];
    for (const entry of difference.entries) {
      const account = parseAccount(entry.account);
      const namespace = parseNamespace(entry.namespace);
      const key = pairKey(account, namespace);
      const after = afterOf.get(key) ?? new Uint8Array(0);
      const theirs = entry.ids.map((id) => parseMessageId(id));
      const last = theirs[theirs.length - 1];
      const upper = entry.more ? (last ?? after) : undefined;
      const mine = sortedIdsAfter(store, account, namespace, after).filter((id) => upper === undefined || compareBytes(id, upper) <= 0);
      const mineSet = new Set(mine.map(hexKey));
      const theirSet = new Set(theirs.map(hexKey));
      const lack = theirs.filter((id) => !mineSet.has(hexKey(id)));
      const peerLacks = mine.filter((id) => !theirSet.has(hexKey(id)));
      if (lack.length > 0) wanted.set(key, { pair: { account, namespace }, ids: lack });
      toPush.push(...records({ account, namespace }, peerLacks));
      if (entry.more) continuations.push({ account, namespace, after: upper ?? after });
    }
    if (toPush.length > 0 && !signal.aborted) {
      tally.requests += 1;
      if (await replication.pushTo(target, toPush, signal)) tally.pushed += toPush.length;
    }
    await fetchFrom(target, wanted, tally, signal);
  };

  const summarize = async (target: PeerTarget, entries: SyncDigest[], range: { start: Uint8Array; end: Uint8Array } | undefined, signal: AbortSignal): Promise<SyncDifference | undefined> => {
    const summary = create(SyncSummarySchema, range === undefined ? { entries } : { entries, range: create(AccountRangeSchema, range) });
    const response = await replication.call(target, create(ReplicaRequestSchema, { request: { case: 'summary', value: summary } }), signal);
    return response.response.case === 'difference' ? response.response.value : undefined;
  };

  /** Sends the peer our tombstones after its mark, a page at a time; the mark moves per whole page. */
  const sendTombstones = async (target: SwarmMember, tally: Tally, signal: AbortSignal): Promise<void> => {
    let mark = tombstoneMarks.get(target.peerId) ?? 0;
    while (tally.requests < MAX_SYNC_REQUESTS_PER_PEER && !signal.aborted) {
      const page = store.tombstonesAfter(mark, TOMBSTONE_PAGE_SIZE);
      const last = page[page.length - 1];
      if (last === undefined) return;
      // One relayed delete per owner's signed delete behind these tombstones (the peer checks the
      // signature over all its IDs); a tombstone kept without one cannot be relayed.
      const proofs = new Map<string, Uint8Array>();
      for (const t of page) {
        if (t.proof === undefined || !sharedWith(swarm, t.account, target.peerId)) continue;
        proofs.set(toHex(t.proof), t.proof);
      }
      if (tally.requests + proofs.size > MAX_SYNC_REQUESTS_PER_PEER) return;
      for (const key of proofs.values()) {
        const proof = store.deleteProof(key);
        if (proof === undefined) continue; // expired meanwhile
        tally.requests += 1;
        const value = relayedDeleteOf(proof);
        const response = await replication.call(target, create(ReplicaRequestSchema, { request: { case: 'delete', value } }), signal);
        if (response.response.case !== 'accepted') throw new SamizdatError('MALFORMED', 'peer answered a delete with something else');
      }
      mark = last.seq;
      tombstoneMarks.set(target.peerId, mark);
      if (page.length < TOMBSTONE_PAGE_SIZE) return;
    }
  };

  const syncPeer = async (work: PeerWork, signal: AbortSignal): Promise<Tally> => {
    const tally: Tally = { pushed: 0, fetched: 0, requests: 0 };
    await sendTombstones(work.target, tally, signal);
    // A peer listed only for tombstones shares no mailbox we hold anything of: nothing to summarise.
    if (work.pairs.length === 0) return tally;
    const pages = pagesOf(work.pairs);
    const continuations: Continuation[] = [];
    for (let i = 0; i < pages.length; i++) {
      const page = pages[i] ?? [];
      const next = pages[i + 1]?.[0];
      const range = { start: i === 0 ? new Uint8Array(0) : (page[0]?.account ?? new Uint8Array(0)), end: next?.account ?? new Uint8Array(0) };
      for (let again = true; again && tally.requests < MAX_SYNC_REQUESTS_PER_PEER && !signal.aborted; ) {
        tally.requests += 1;
        const difference = await summarize(work.target, page, range, signal);
        if (difference === undefined) return tally;
        await reconcile(work.target, difference, new Map(), continuations, tally, signal);
        // The peer ran out of room for pairs we hold none of: ask again now that we hold some.
        again = difference.truncated && difference.entries.length > 0;
      }
    }
    while (continuations.length > 0 && tally.requests < MAX_SYNC_REQUESTS_PER_PEER && !signal.aborted) {
      const batch = continuations.splice(0, MAX_SYNC_ENTRIES_PER_SUMMARY);
      const afterOf = new Map<string, Uint8Array>();
      const entries = batch.map((c) => {
        afterOf.set(pairKey(c.account, c.namespace), c.after);
        const d = store.digestOf(c.account, c.namespace);
        return create(SyncDigestSchema, { account: c.account, namespace: c.namespace, digest: d.digest, count: d.count, idsAfter: c.after });
      });
      tally.requests += 1;
      const difference = await summarize(work.target, entries, undefined, signal);
      if (difference === undefined) break;
      await reconcile(work.target, difference, afterOf, continuations, tally, signal);
    }
    return tally;
  };

  /** Pushes accounts we no longer serve to their swarm; drops each once a member holds it all. */
  const handoff = async (signal: AbortSignal): Promise<number> => {
    let dropped = 0;
    for (const account of store.accounts()) {
      if (signal.aborted) break;
      const members = swarm.swarmOf(account);
      if (members.length === 0 || members.some(replication.isSelf)) continue;
      const all = NAMESPACES.flatMap((namespace) => records({ account, namespace }, store.ids(account, namespace)));
      if (all.length > 0) {
        const results = await Promise.allSettled(members.map((m) => replication.pushTo(m, all, signal)));
        if (!results.some((r) => r.status === 'fulfilled' && r.value)) continue;
      }
      if (signal.aborted) break;
      store.dropAccount(account);
      dropped += 1;
    }
    return dropped;
  };

  const round = async (signal: AbortSignal): Promise<AntiEntropyReport> => {
    let handedOff = 0;
    try {
      handedOff = await handoff(signal);
    } catch (err) {
      logger?.warn('handoff failed', { code: isSamizdatError(err) ? err.code : 'INTERNAL' });
    }
    const peers = new Map<string, PeerWork>();
    for (const d of store.digests()) {
      if (d.count === 0) continue;
      const members = swarm.swarmOf(d.account);
      if (!members.some(replication.isSelf)) continue;
      const entry = create(SyncDigestSchema, { account: d.account, namespace: d.namespace, digest: d.digest, count: d.count });
      for (const m of members) {
        if (replication.isSelf(m)) continue;
        let work = peers.get(m.peerId);
        if (work === undefined) {
          work = { target: m, pairs: [] };
          peers.set(m.peerId, work);
        }
        work.pairs.push(entry);
      }
    }
    // Peers that share only tombstones with us (we hold no message of the account) still get them.
    for (const account of store.tombstoneAccounts()) {
      const members = swarm.swarmOf(account);
      if (!members.some(replication.isSelf)) continue;
      for (const m of members) {
        if (!replication.isSelf(m) && !peers.has(m.peerId)) peers.set(m.peerId, { target: m, pairs: [] });
      }
    }
    const queue = [...peers.values()];
    const report = { peers: 0, pushed: 0, fetched: 0, handedOff, failures: 0 };
    const worker = async (): Promise<void> => {
      for (let work = queue.shift(); work !== undefined && !signal.aborted; work = queue.shift()) {
        try {
          const tally = await syncPeer(work, signal);
          report.peers += 1;
          report.pushed += tally.pushed;
          report.fetched += tally.fetched;
        } catch (err) {
          report.failures += 1;
          if (!signal.aborted) logger?.warn('anti-entropy with a peer failed', { peerId: work.target.peerId, code: isSamizdatError(err) ? err.code : 'INTERNAL' });
        }
      }
    };
    await Promise.all(Array.from({ length: PEER_CONCURRENCY }, worker));
    return report;
  };

  const runOnce = (): Promise<AntiEntropyReport> => {
    if (running !== undefined) return running;
    const signal = controller?.signal ?? new AbortController().signal;
    const current = round(signal).finally(() => {
      if (running === current) running = undefined;
    });
    running = current;
    return current;
  };

  const schedule = (): void => {
    if (controller === undefined || controller.signal.aborted) return;
    timer = setTimeout(() => {
      timer = undefined;
      runOnce()
        .catch((err: unknown) => logger?.warn('anti-entropy round failed', { code: isSamizdatError(err) ? err.code : 'INTERNAL' }))
        .finally(schedule);
    }, intervalMs);
  };

  return {
    start() {
      if (controller !== undefined) return Promise.resolve();
      controller = new AbortController();
      unsubscribe = swarm.onChange(() => {
        // Swarms moved: a peer may now share accounts whose tombstones it was never sent.
        tombstoneMarks.clear();
        if (handoffTimer !== undefined || controller === undefined) return;
        handoffTimer = setTimeout(() => {
          handoffTimer = undefined;
          runOnce().catch(() => undefined);
        }, HANDOFF_DELAY_MS);
      });
      schedule();
      return Promise.resolve();
    },
    async stop() {
      if (controller === undefined) return;
      controller.abort();
      controller = undefined;
      if (timer !== undefined) clearTimeout(timer);
      if (handoffTimer !== undefined) clearTimeout(handoffTimer);
      timer = undefined;
      handoffTimer = undefined;
      unsubscribe?.();
      unsubscribe = undefined;
      await running?.catch(() => undefined);
    },
    runOnce,
  };
}
