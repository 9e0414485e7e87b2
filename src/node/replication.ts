/**
 * Replication between the members of a swarm over `/samizdat/replicate/1.0.0`, one multiplexed
 * RpcSession per peer (session-pool.ts). Three requests:
 *   push    - new items for the peer to hold (after a client store, in anti-entropy, in handoff);
 *             the answer counts the items the peer now holds;
 *   summary - anti-entropy step 1 (anti-entropy-answer.ts computes the answer);
 *   fetch   - anti-entropy step 3: the items for the listed IDs.
 * Only nodes of the current consensus may call (swarm.isNode); a summary or fetch is answered only
 * for accounts whose swarm holds both nodes. Every item from a peer passes the same checks as a
 * client's store (sizes, namespace, expiry) before it reaches storage.
 */
import { create } from '@bufbuild/protobuf';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { MAX_FRAME_BYTES, decodeMessage, encodeMessage, serveSession } from '../wire/index.ts';
import type { PeerTarget, RpcStream, RpcTransport } from '../wire/index.ts';
import {
  ReplicaDeleteSchema,
  ReplicaItemSchema,
  ReplicaPushSchema,
  ReplicaRequestSchema,
  ReplicaResponseSchema,
} from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import type { OwnerAuth, ReplicaItem, ReplicaRequest, ReplicaResponse } from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { answerFetch, answerSummary, sharedWith } from './anti-entropy-answer.ts';
import { verifyRelayedDelete } from './delete-proof.ts';
import type { MailboxStore, Namespace } from './mailbox-store.ts';
import {
  MAX_DELETE_IDS,
  MAX_MAILBOX_TTL_MS,
  checkBody,
  checkOwnerItem,
  parseAccount,
  parseMessageId,
  parseNamespace,
  type ServiceLogger,
} from './mailbox-service-rules.ts';
import { createSessionPool } from './session-pool.ts';
import type { SessionPool } from './session-pool.ts';
import type { SwarmMember, SwarmView } from './swarm-view.ts';
import { sameBytes } from '../crypto/bytes.ts';

export const REPLICATION_PROTOCOL = '/samizdat/replicate/1.0.0';

/**
 * Longest a store waits for the other members' acknowledgements before answering the client:
 * 2 s. Replication on loopback or a LAN takes milliseconds; a member slower than this gets the
 * message later (the push keeps going in the background, and anti-entropy catches the rest).
 */
export const REPLICA_ACK_TIMEOUT_MS = 2_000;

/** Deadline of one node-to-node request (a push, summary or fetch of up to one frame). */
export const REPLICATION_REQUEST_TIMEOUT_MS = 15_000;

/**
 * Bytes of items packed into one push or one fetch answer: one frame (MAX_FRAME_BYTES) less 8 KiB
 * for protobuf tags and the session envelope, so a batch never exceeds the peer's frame cap.
 */
export const REPLICA_BATCH_BYTES = MAX_FRAME_BYTES - 8_192;

/** Most items in one push (many tiny items would otherwise make one frame a long write burst). */
export const MAX_REPLICA_ITEMS_PER_PUSH = 512;

/** Protobuf overhead of one ReplicaItem besides its body: account, namespace, id, expiry, tags. */
const ITEM_OVERHEAD_BYTES = 128;

/** How far past now + MAX_MAILBOX_TTL_MS a peer's expiry may be (its clock may run ahead). */
const EXPIRY_SLACK_MS = 120_000;

/** One stored message as replicated. */
export interface ReplicaRecord {
  readonly account: Uint8Array;
  readonly namespace: Namespace;
  readonly id: Uint8Array;
  readonly body: Uint8Array;
  readonly expiresAtMs: number;
}

export interface ReplicationServiceOptions {
  readonly transport: RpcTransport;
  readonly store: MailboxStore;
  readonly swarm: SwarmView;
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  /** Default REPLICA_ACK_TIMEOUT_MS. */
  readonly ackTimeoutMs?: number;
  readonly logger?: ServiceLogger;
}

export interface ReplicationService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stores items received from a peer after checking them; returns how many this node now holds. */
  accept(items: readonly ReplicaItem[]): number;
  /** Called for every (account, namespace) that received a new item through `accept`. */
  onStored(listener: (account: Uint8Array, namespace: Namespace) => void): () => void;
  /**
   * Pushes a freshly stored message to the other members of its swarm and resolves, within the
   * ack timeout, with how many of them acknowledged it (this node not included).
   */
  replicate(record: ReplicaRecord): Promise<number>;
  /**
   * Tells the other members that the owner deleted these messages (fire and forget). Each member
   * deletes them and records tombstones; one that misses it learns of the delete from the
   * tombstones anti-entropy sends (see the note on deletes in anti-entropy.ts).
   */
  replicateDelete(account: Uint8Array, namespace: Namespace, ids: readonly Uint8Array[], auth: OwnerAuth): void;
  /** Pushes records to one peer in frame-sized batches; true when the peer holds all of them. */
  pushTo(target: PeerTarget, records: readonly ReplicaRecord[], signal?: AbortSignal): Promise<boolean>;
  /** One request to a peer on its session (anti-entropy uses this). */
  call(target: PeerTarget, request: ReplicaRequest, signal?: AbortSignal): Promise<ReplicaResponse>;
  /** True when `member` is this node. */
  readonly isSelf: (member: SwarmMember) => boolean;
}

/** Splits records into pushes that each fit one frame. */
export function batchRecords(records: readonly ReplicaRecord[]): ReplicaRecord[][] {
  const batches: ReplicaRecord[][] = [];
  let current: ReplicaRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = record.body.length + ITEM_OVERHEAD_BYTES;
    if (current.length > 0 && (bytes + size > REPLICA_BATCH_BYTES || current.length >= MAX_REPLICA_ITEMS_PER_PUSH)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export function toReplicaItem(record: ReplicaRecord): ReplicaItem {
  return create(ReplicaItemSchema, {
    account: record.account,
    namespace: record.namespace,
    id: record.id,
    body: record.body,
    expiresAtMs: BigInt(record.expiresAtMs),
  });
}

export function createReplicationService(options: ReplicationServiceOptions): ReplicationService {
  const { transport, store, swarm, now, logger, crypto } = options;
  const ackTimeoutMs = options.ackTimeoutMs ?? REPLICA_ACK_TIMEOUT_MS;
  const listeners = new Set<(account: Uint8Array, namespace: Namespace) => void>();
  const streams = new Set<RpcStream>();
  let pool: SessionPool | undefined;
  let stopping: AbortController | undefined;

  const isSelf = (member: SwarmMember): boolean => sameBytes(member.nodeId, swarm.selfNodeId);

  /** True unless a consensus exists and this node is outside the account's swarm. */
  const servesAccount = (account: Uint8Array): boolean => {
    const members = swarm.swarmOf(account);
    return members.length === 0 || members.some(isSelf);
  };

  const acceptOne = (item: ReplicaItem): boolean => {
    let namespace: Namespace;
    try {
      parseAccount(item.account);
      namespace = parseNamespace(item.namespace);
      parseMessageId(item.id);
      checkBody(item.body);
      // Owner-only items must carry the owner's signature: a peer cannot forge or replace them.
      if (namespace !== 'inbox') checkOwnerItem(crypto, item.account, namespace, item.body);
    } catch {
      return false;
    }
    if (!servesAccount(item.account)) return false;
    const t = now();
    if (item.expiresAtMs > BigInt(t + MAX_MAILBOX_TTL_MS + EXPIRY_SLACK_MS)) return false;
    const expiresAtMs = Number(item.expiresAtMs);
    if (expiresAtMs <= t) return true; // already expired: nothing to hold, nothing to resend
    try {
      const result = store.putReplica({ account: item.account, namespace, id: item.id, body: item.body, expiresAtMs });
      if (result === 'inserted') for (const listener of [...listeners]) listener(item.account, namespace);
      // A full inbox or config does not hold it: the sender must not count this member as a replica.
      return result !== 'refused';
    } catch (err) {
      logger?.warn('replica not stored', { code: isSamizdatError(err) ? err.code : 'INTERNAL' });
      return false;
    }
  };

  const handle = (remotePeerId: string, bytes: Uint8Array): Uint8Array => {
    if (!swarm.isNode(remotePeerId)) {
      throw new SamizdatError('WRONG_SWARM', 'replication is only for nodes of the current consensus');
    }
    const request = decodeMessage(ReplicaRequestSchema, bytes);
    let response: ReplicaResponse;
    switch (request.request.case) {
      case 'push': {
        let accepted = 0;
        for (const item of request.request.value.items) if (acceptOne(item)) accepted += 1;
        response = create(ReplicaResponseSchema, { response: { case: 'accepted', value: accepted } });
        break;
      }
      case 'summary':
        response = create(ReplicaResponseSchema, {
          response: { case: 'difference', value: answerSummary({ store, swarm }, remotePeerId, request.request.value) },
        });
        break;
      case 'fetch':
        response = create(ReplicaResponseSchema, {
          response: { case: 'items', value: answerFetch({ store, swarm, now }, remotePeerId, request.request.value, REPLICA_BATCH_BYTES) },
        });
        break;
      case 'delete': {
        const relayed = request.request.value;
        parseAccount(relayed.account);
        const namespace = parseNamespace(relayed.namespace);
        if (relayed.ids.length > MAX_DELETE_IDS) throw new SamizdatError('TOO_LARGE', 'too many IDs in one delete');
        relayed.ids.forEach((id) => parseMessageId(id));
        let deleted = 0;
        if (sharedWith(swarm, relayed.account, remotePeerId)) {
          // Only the owner deletes: the member relays the owner's signed delete, and we check it.
          const proof = verifyRelayedDelete(crypto, relayed, namespace, now());
          deleted = store.delete(relayed.account, namespace, relayed.ids, proof);
        }
        response = create(ReplicaResponseSchema, { response: { case: 'accepted', value: deleted } });
        break;
      }
      default:
        throw new SamizdatError('MALFORMED', 'empty replication request');
    }
    return encodeMessage(ReplicaResponseSchema, response);
  };

  const call = async (target: PeerTarget, request: ReplicaRequest, signal?: AbortSignal): Promise<ReplicaResponse> => {
    if (pool === undefined) throw new SamizdatError('PATH_FAILED', 'the replication service is not running');
    const requestOptions = signal === undefined ? { timeoutMs: REPLICATION_REQUEST_TIMEOUT_MS } : { timeoutMs: REPLICATION_REQUEST_TIMEOUT_MS, signal };
    const answer = await pool.request(target, encodeMessage(ReplicaRequestSchema, request), requestOptions);
    return decodeMessage(ReplicaResponseSchema, answer);
  };

  const pushBatch = async (target: PeerTarget, batch: readonly ReplicaRecord[], signal?: AbortSignal): Promise<number> => {
    const push = create(ReplicaPushSchema, { items: batch.map(toReplicaItem) });
    const response = await call(target, create(ReplicaRequestSchema, { request: { case: 'push', value: push } }), signal);
    if (response.response.case !== 'accepted') throw new SamizdatError('MALFORMED', 'peer answered a push with something else');
    return response.response.value;
  };

  /**
   * Per-peer push queues for `replicate`: while a push to a peer is in flight, newer records wait
   * and then leave together in one push (up to a frame). Idle, a record leaves at once; under load,
   * one RPC carries many stores, so the cost per store falls as the rate rises.
   */
  interface Queued {
    readonly record: ReplicaRecord;
    readonly done: (held: boolean) => void;
  }
  const queues = new Map<string, { target: PeerTarget; pending: Queued[] }>();

  const drain = async (peerId: string): Promise<void> => {
    for (let queue = queues.get(peerId); queue !== undefined && queue.pending.length > 0; queue = queues.get(peerId)) {
      let bytes = 0;
      let n = 0;
      for (const q of queue.pending) {
        const size = q.record.body.length + ITEM_OVERHEAD_BYTES;
        if (n > 0 && (bytes + size > REPLICA_BATCH_BYTES || n >= MAX_REPLICA_ITEMS_PER_PUSH)) break;
        bytes += size;
        n += 1;
      }
      const batch = queue.pending.splice(0, n);
      let held = false;
      try {
        // The answer counts items held; a shortfall (a full inbox) marks the whole batch unacknowledged.
        held = (await pushBatch(queue.target, batch.map((q) => q.record))) === batch.length;
      } catch (err) {
        logger?.warn('replica push failed; anti-entropy will retry', { peerId, code: isSamizdatError(err) ? err.code : 'INTERNAL' });
      }
      for (const q of batch) q.done(held);
    }
    queues.delete(peerId);
  };

  const enqueue = (target: PeerTarget, record: ReplicaRecord): Promise<boolean> =>
    new Promise<boolean>((done) => {
      const existing = queues.get(target.peerId);
      if (existing !== undefined) {
        existing.pending.push({ record, done });
        return;
      }
      queues.set(target.peerId, { target, pending: [{ record, done }] });
      void drain(target.peerId);
    });

  return {
    async start() {
      if (stopping !== undefined) return;
      stopping = new AbortController();
      pool = createSessionPool({ transport, protocol: REPLICATION_PROTOCOL });
      const signal = stopping.signal;
      await transport.handle(REPLICATION_PROTOCOL, async (stream, remotePeerId) => {
        if (signal.aborted || !swarm.isNode(remotePeerId)) {
          stream.abort(new SamizdatError('PATH_FAILED', 'replication is only for nodes of the current consensus'));
          return;
        }
        streams.add(stream);
        try {
          // A replica is acknowledged only once it is on disk (the store's group commit).
          await serveSession(stream, (body) => Promise.resolve().then(async () => {
            const answer = handle(remotePeerId, body);
            await store.durable();
            return answer;
          }), { signal });
        } finally {
          streams.delete(stream);
        }
      });
    },
    async stop() {
      if (stopping === undefined) return;
      stopping.abort(new SamizdatError('PATH_FAILED', 'the replication service is stopping'));
      stopping = undefined;
      await transport.unhandle(REPLICATION_PROTOCOL).catch(() => undefined);
      for (const stream of streams) stream.abort(new SamizdatError('PATH_FAILED', 'the node is stopping'));
      streams.clear();
      pool?.close();
      pool = undefined;
    },
    accept(items) {
      let held = 0;
      for (const item of items) if (acceptOne(item)) held += 1;
      return held;
    },
    onStored(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async replicate(record) {
      const others = swarm.swarmOf(record.account).filter((m) => !isSelf(m));
      if (others.length === 0 || pool === undefined) return 0;
      let acks = 0;
      let settled = 0;
      return new Promise<number>((resolve) => {
        const timer = setTimeout(() => resolve(acks), ackTimeoutMs);
        for (const member of others) {
          void enqueue(member, record)
            .then((held) => {
              if (held) acks += 1;
            })
            .finally(() => {
              settled += 1;
              if (settled === others.length) {
                clearTimeout(timer);
                resolve(acks);
              }
            });
        }
      });
    },
    replicateDelete(account, namespace, ids, auth) {
      if (pool === undefined || ids.length === 0) return;
      // Every ID with the owner's signature over all of them: the others check it themselves.
      const value = create(ReplicaDeleteSchema, { account, namespace, ids: [...ids], auth });
      for (const member of swarm.swarmOf(account)) {
        if (isSelf(member)) continue;
        call(member, create(ReplicaRequestSchema, { request: { case: 'delete', value } })).catch((err: unknown) => {
          logger?.warn('delete push failed', { peerId: member.peerId, code: isSamizdatError(err) ? err.code : 'INTERNAL' });
        });
      }
    },
    async pushTo(target, records, signal) {
      let all = true;
      for (const batch of batchRecords(records)) {
        const accepted = await pushBatch(target, batch, signal);
        if (accepted < batch.length) all = false;
      }
      return all;
    },
    call,
    isSelf,
  };
}
