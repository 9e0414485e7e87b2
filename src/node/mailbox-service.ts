/**
 * The mailbox RPC of a service node on `/samizdat/mailbox/1.0.0` (DESIGN.md §4 "Mailboxes"): one
 * multiplexed RpcSession per client connection; each SessionFrame body is a MailboxRequest and each
 * answer a MailboxResponse.
 *
 * Rules, in the order they are checked:
 *   - the request parses (MALFORMED), the account is 32 bytes (MALFORMED), the namespace is inbox,
 *     bundle or config (MALFORMED "unknown namespace");
 *   - this node serves the account: otherwise the answer is `wrong_swarm` with the descriptors of
 *     the swarm it computes (with no consensus yet, every account is served);
 *   - store: body 1..64 KiB (TOO_LARGE), TTL 1 ms..14 days (TOO_LARGE above: a crossed limit);
 *   - owner proof (src/identity/request-auth.ts) on every store to bundle or config, every retrieve
 *     of inbox or config, every delete: BAD_SIGNATURE, CLOCK_SKEW (±60 s), and a nonce seen before
 *     is BAD_SIGNATURE with detail.reason "replay". Reading `bundle` is open to anyone (senders
 *     fetch the recipient's prekey bundle from it; DESIGN.md §4). Owner items must carry the
 *     owner's signature, a mailbox policy in config must parse and not roll back (ROLLBACK);
 *   - inbox deposits pass the deposit gate (deposit-gate.ts): a proof of work or a contact
 *     signature, the recipient's policy and the per-mailbox buckets. PROOF_REQUIRED travels as
 *     the `proof_required` answer carrying the difficulty; REFUSED and RATE_LIMITED as errors;
 *   - storage errors come back typed (TOO_LARGE reason inbox-full, STORAGE_FULL past the node's
 *     storage quota, STORAGE_FAILED).
 * Request errors travel in-band (MailboxResponse.error); a rate limit or an unreadable frame is an
 * error of the session (SessionFrame.error; for garbage that is not a frame at all, one error frame
 * with id 0, then the stream is closed). A retrieve with wait_ms and nothing new parks in the waiter
 * registry until a message for its pair arrives (from a client or a peer) or the wait ends.
 */
import { create } from '@bufbuild/protobuf';
import type { CryptoProvider } from '../crypto/provider.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import {
  OWNER_AUTH_MAX_SKEW_MS,
  deleteRequestDigest,
  retrieveRequestDigest,
  storeRequestDigest,
  verifyOwnerAuth,
} from '../identity/request-auth.ts';
import type { OwnerAuthMethod } from '../identity/request-auth.ts';
import { MAX_FRAME_BYTES, decodeMessage, encodeMessage, serveSession } from '../wire/index.ts';
import type { RpcStream, RpcTransport } from '../wire/index.ts';
import { SignedNodeDescriptorSchema } from '../wire/gen/samizdat/v1/directory_pb.ts';
import type { SignedNodeDescriptor } from '../wire/gen/samizdat/v1/directory_pb.ts';
import {
  DeleteResponseSchema,
  MailboxRequestSchema,
  MailboxResponseSchema,
  RetrieveResponseSchema,
  StoreResponseSchema,
  StoredMessageSchema,
  WrongSwarmSchema,
} from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import type {
  DeleteRequest,
  MailboxResponse,
  OwnerAuth,
  RetrieveRequest,
  StoreRequest,
  StoredMessage,
} from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import { deleteProofOf } from './delete-proof.ts';
import { MAX_LIST_LIMIT } from './mailbox-store.ts';
import type { MailboxStore, Namespace } from './mailbox-store.ts';
import { CONTACT_DEPOSIT_RATE, DEFAULT_DEPOSIT_POW_BITS, STRANGER_DEPOSIT_RATE, createDepositGate } from './deposit-gate.ts';
import {
  MAX_DELETE_IDS,
  MAX_RETRIEVE_WAIT_MS,
  checkBody,
  checkOwnerItem,
  parseAccount,
  parseMessageId,
  parseNamespace,
  parseTtl,
  storageError,
  type ServiceLogger,
} from './mailbox-service-rules.ts';
import { createMailboxWaiters } from './mailbox-service-waiters.ts';
import type { MailboxWaiters } from './mailbox-service-waiters.ts';
import { CLIENT_RATE_LIMIT, NODE_RATE_LIMIT, createPeerBuckets } from './rate-limit.ts';
import type { RateLimit } from './rate-limit.ts';
import type { ReplicationService } from './replication.ts';
import { errorResponse, explainGarbage } from './mailbox-service-errors.ts';
import type { SwarmView } from './swarm-view.ts';
import { sameBytes } from '../crypto/bytes.ts';

export const MAILBOX_PROTOCOL = '/samizdat/mailbox/1.0.0';

/** Messages a retrieve returns when it does not say (limit 0). */
export const DEFAULT_RETRIEVE_LIMIT = 100;

/** Time between sweeps of expired messages: a minute, so expired mail is gone within a minute. */
export const SWEEP_INTERVAL_MS = 60_000;

/** Bytes of messages one retrieve answer may carry: one frame less 8 KiB for tags and envelope. */
const RETRIEVE_ANSWER_BYTES = MAX_FRAME_BYTES - 8_192;

/** Wire cost of one StoredMessage besides its body (id, expiry, cursor, tags). */
const STORED_MESSAGE_OVERHEAD = 64;

export interface MailboxServiceLimits {
  /** Per-peer rate for clients (default CLIENT_RATE_LIMIT). */
  readonly clientRate: RateLimit;
  /** Per-peer rate for consensus nodes, e.g. onion exits (default NODE_RATE_LIMIT). */
  readonly nodeRate: RateLimit;
  /** Default SWEEP_INTERVAL_MS. */
  readonly sweepIntervalMs: number;
  /** Owner proof clock tolerance (default OWNER_AUTH_MAX_SKEW_MS). */
  readonly maxSkewMs: number;
  /**
   * Proof-of-work difficulty of inbox deposits (default DEFAULT_DEPOSIT_POW_BITS). 0 switches
   * deposit proofs off: inbox deposits need no proof and meet no per-mailbox bucket (the
   * behaviour before issue 6; for benchmarks and tests of other features, never a real network).
   */
  readonly depositPowBits: number;
  /** Per-mailbox bucket of proof-of-work deposits (default STRANGER_DEPOSIT_RATE). */
  readonly strangerDepositRate: RateLimit;
  /** Per-mailbox bucket of contact-signed deposits (default CONTACT_DEPOSIT_RATE). */
  readonly contactDepositRate: RateLimit;
}

export interface MailboxServiceOptions {
  readonly transport: RpcTransport;
  readonly store: MailboxStore;
  readonly swarm: SwarmView;
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  /** Pushes accepted stores to the rest of the swarm; without it the node stores alone (replicas = 1). */
  readonly replication?: ReplicationService;
  readonly limits?: Partial<MailboxServiceLimits>;
  readonly logger?: ServiceLogger;
}

export interface MailboxService {
  start(): Promise<void>;
  /** Unregisters the protocol, closes every session, wakes every long-poll, stops the sweeper. */
  stop(): Promise<void>;
  /**
   * Answers one encoded MailboxRequest with an encoded MailboxResponse; never throws (errors are
   * in the response). The session handler uses it; the onion relay calls it for requests that
   * arrive through circuits, with `deliveredBy` the exit that handed them over: those are
   * rate-limited per exit (a node's rate for consensus nodes, a client's otherwise).
   */
  answer(request: Uint8Array, signal: AbortSignal, deliveredBy?: string): Promise<Uint8Array>;
  readonly waiters: MailboxWaiters;
}

export function createMailboxService(options: MailboxServiceOptions): MailboxService {
  const { transport, store, swarm, crypto, now, replication, logger } = options;
  const limits: MailboxServiceLimits = {
    clientRate: options.limits?.clientRate ?? CLIENT_RATE_LIMIT,
    nodeRate: options.limits?.nodeRate ?? NODE_RATE_LIMIT,
    sweepIntervalMs: options.limits?.sweepIntervalMs ?? SWEEP_INTERVAL_MS,
    maxSkewMs: options.limits?.maxSkewMs ?? OWNER_AUTH_MAX_SKEW_MS,
    depositPowBits: options.limits?.depositPowBits ?? DEFAULT_DEPOSIT_POW_BITS,
    strangerDepositRate: options.limits?.strangerDepositRate ?? STRANGER_DEPOSIT_RATE,
    contactDepositRate: options.limits?.contactDepositRate ?? CONTACT_DEPOSIT_RATE,
  };
  const depositLimits = { powBits: limits.depositPowBits, strangerRate: limits.strangerDepositRate, contactRate: limits.contactDepositRate };
  const deposits = createDepositGate({ store, crypto, now, limits: depositLimits });
  const waiters = createMailboxWaiters();
  const streams = new Set<RpcStream>();
  let controller: AbortController | undefined;
  let sweeper: ReturnType<typeof setInterval> | undefined;
  let unsubscribe: (() => void) | undefined;

  const guard = <T>(run: () => T): T => {
    try {
      return run();
    } catch (err) {
      if (!isSamizdatError(err)) logger?.warn('mailbox storage failed', { error: String(err) });
      throw storageError(err);
    }
  };

  /** The descriptors to send back when this node does not serve `account`, else undefined. */
  const wrongSwarm = (account: Uint8Array): MailboxResponse | undefined => {
    const members = swarm.swarmOf(account);
    if (members.length === 0 || members.some((m) => sameBytes(m.nodeId, swarm.selfNodeId))) return undefined;
    const descriptors: SignedNodeDescriptor[] = [];
    for (const m of members) {
      try {
        descriptors.push(decodeMessage(SignedNodeDescriptorSchema, m.descriptor));
      } catch {
        // A member without a readable descriptor is left out; the client still gets the others.
      }
    }
    return create(MailboxResponseSchema, { response: { case: 'wrongSwarm', value: create(WrongSwarmSchema, { swarm: descriptors }) } });
  };

  /** Verifies the owner's proof and remembers its nonce. */
  const verifyOwner = (method: OwnerAuthMethod, namespace: Namespace, account: Uint8Array, requestDigest: Uint8Array, auth: OwnerAuth | undefined): void => {
    verifyOwnerAuth(crypto, auth, { method, namespace, account, requestDigest }, now(), limits.maxSkewMs);
    // verifyOwnerAuth threw unless auth is present and well-formed.
    const proof = auth as OwnerAuth;
    const rememberUntil = Number(proof.timestampMs) + limits.maxSkewMs + 1_000;
    if (!guard(() => store.rememberNonce(account, proof.nonce, rememberUntil))) {
      throw new SamizdatError('BAD_SIGNATURE', 'this request was already used (replayed nonce)', { detail: { reason: 'replay' } });
    }
  };

  /**
   * The commit of the writes made so far, taken right after a write: the group transaction
   * commits on the next turn of the event loop, so a request that awaits something else first
   * (replication, a long-poll) would otherwise ask too late and miss a failed commit. Marked
   * handled at once; whoever awaits it later still sees the failure.
   */
  const written = (): Promise<void> => {
    const commit = store.durable();
    commit.catch(() => undefined);
    return commit;
  };

  const storeMessage = async (req: StoreRequest): Promise<MailboxResponse> => {
    const account = parseAccount(req.account);
    const namespace = parseNamespace(req.namespace);
    const elsewhere = wrongSwarm(account);
    if (elsewhere !== undefined) return elsewhere;
    checkBody(req.body);
    const ttlMs = parseTtl(req.ttlMs);
    if (namespace === 'inbox') {
      guard(() => deposits.admit(account, req.body, req.proof));
    } else {
      // No wait until the put below: the nonce goes into the same group transaction as the item.
      verifyOwner('store', namespace, account, storeRequestDigest(crypto, req.body, req.ttlMs), req.auth);
      const payload = checkOwnerItem(crypto, account, namespace, req.body);
      if (namespace === 'config') guard(() => deposits.checkOwnerPolicy(account, payload));
    }
    const stored = guard(() => store.put(account, namespace, req.body, ttlMs));
    const committed = written();
    if (stored.inserted) waiters.notify(account, namespace);
    const acks =
      replication === undefined
        ? 0
        : await replication.replicate({ account, namespace, id: stored.id, body: req.body, expiresAtMs: stored.expiresAtMs });
    await committed;
    return create(MailboxResponseSchema, {
      response: {
        case: 'store',
        value: create(StoreResponseSchema, { messageId: stored.id, expiresAtMs: BigInt(stored.expiresAtMs), replicas: 1 + acks }),
      },
    });
  };

  const retrieve = async (req: RetrieveRequest, signal: AbortSignal): Promise<MailboxResponse> => {
    const account = parseAccount(req.account);
    const namespace = parseNamespace(req.namespace);
    const elsewhere = wrongSwarm(account);
    if (elsewhere !== undefined) return elsewhere;
    let nonceCommitted: Promise<void> | undefined;
    if (namespace !== 'bundle') {
      verifyOwner('retrieve', namespace, account, retrieveRequestDigest(crypto, req.after, req.limit, req.waitMs), req.auth);
      nonceCommitted = written(); // a long-poll waits before answer() asks for durable()
    }
    const limit = req.limit === 0 ? DEFAULT_RETRIEVE_LIMIT : Math.min(req.limit, MAX_LIST_LIMIT);
    const waitMs = Math.min(req.waitMs, MAX_RETRIEVE_WAIT_MS);
    let page = guard(() => store.list(account, namespace, req.after, limit));
    // A full node may refuse what arrives next: it says so, and does not make a long-poll wait here.
    const full = !guard(() => store.hasRoom());
    // list and wait run in the same tick, so a put cannot slip in between unnoticed.
    if (page.items.length === 0 && waitMs > 0 && !full && (await waiters.wait(account, namespace, waitMs, signal))) {
      page = guard(() => store.list(account, namespace, req.after, limit));
    }
    const messages: StoredMessage[] = [];
    let bytes = 0;
    let more = page.more;
    for (const item of page.items) {
      const size = item.body.length + STORED_MESSAGE_OVERHEAD;
      if (messages.length > 0 && bytes + size > RETRIEVE_ANSWER_BYTES) {
        more = true;
        break;
      }
      bytes += size;
      messages.push(create(StoredMessageSchema, { id: item.id, body: item.body, expiresAtMs: BigInt(item.expiresAtMs), cursor: item.cursor }));
    }
    await nonceCommitted;
    return create(MailboxResponseSchema, { response: { case: 'retrieve', value: create(RetrieveResponseSchema, { messages, more, full }) } });
  };

  const remove = (req: DeleteRequest): MailboxResponse => {
    const account = parseAccount(req.account);
    const namespace = parseNamespace(req.namespace);
    const elsewhere = wrongSwarm(account);
    if (elsewhere !== undefined) return elsewhere;
    if (req.ids.length > MAX_DELETE_IDS) {
      throw new SamizdatError('TOO_LARGE', `a delete may name at most ${MAX_DELETE_IDS} messages`, { detail: { limit: MAX_DELETE_IDS, actual: req.ids.length } });
    }
    req.ids.forEach((id) => parseMessageId(id, 'ids'));
    verifyOwner('delete', namespace, account, deleteRequestDigest(crypto, req.ids), req.auth);
    // verifyOwner threw unless the owner's proof is here; it is kept and relayed with the delete.
    const auth = req.auth as OwnerAuth;
    const deleted = guard(() => store.delete(account, namespace, req.ids, deleteProofOf(auth, req.ids)));
    replication?.replicateDelete(account, namespace, req.ids, auth);
    return create(MailboxResponseSchema, { response: { case: 'delete', value: create(DeleteResponseSchema, { deleted }) } });
  };

  const delivered = createPeerBuckets((peer) => (swarm.isNode(peer) ? limits.nodeRate : limits.clientRate), now);

  const answer = async (bytes: Uint8Array, signal: AbortSignal, deliveredBy?: string): Promise<Uint8Array> => {
    try {
      if (deliveredBy !== undefined) delivered.take(deliveredBy);
      const request = decodeMessage(MailboxRequestSchema, bytes);
      let response: MailboxResponse;
      switch (request.request.case) {
        case 'store':
          response = await storeMessage(request.request.value);
          break;
        case 'retrieve':
          response = await retrieve(request.request.value, signal);
          break;
        case 'delete':
          response = remove(request.request.value);
          break;
        default:
          throw new SamizdatError('MALFORMED', 'empty mailbox request');
      }
      // Nothing is acknowledged before it is on disk: the store's writes (this request's and any
      // other still in its group transaction) commit first.
      await store.durable();
      return encodeMessage(MailboxResponseSchema, response);
    } catch (err) {
      if (!isSamizdatError(err)) logger?.warn('mailbox request failed unexpectedly', { error: String(err) });
      return errorResponse(err);
    }
  };

  // One bucket per remote peer, shared by all its sessions and kept after they end (bounded, least
  // recently used out), so neither more streams nor a new one buys a fresh burst.
  const sessionBuckets = createPeerBuckets((peer) => (swarm.isNode(peer) ? limits.nodeRate : limits.clientRate), now);

  return {
    waiters,
    answer,
    async start() {
      if (controller !== undefined) return;
      controller = new AbortController();
      const signal = controller.signal;
      unsubscribe = replication?.onStored((account, namespace) => waiters.notify(account, namespace));
      sweeper = setInterval(() => {
        try {
          store.sweepExpired();
        } catch (err) {
          logger?.warn('sweeping expired messages failed', { error: String(err) });
        }
      }, limits.sweepIntervalMs);
      await transport.handle(MAILBOX_PROTOCOL, async (stream, remotePeerId) => {
        if (signal.aborted) {
          stream.abort(new SamizdatError('PATH_FAILED', 'the node is stopping'));
          return;
        }
        streams.add(stream);
        try {
          await serveSession(
            explainGarbage(stream),
            (body, requestSignal) => {
              sessionBuckets.take(remotePeerId);
              return answer(body, requestSignal);
            },
            { signal },
          );
        } finally {
          streams.delete(stream);
        }
      });
    },
    async stop() {
      if (controller === undefined) return;
      controller.abort(new SamizdatError('PATH_FAILED', 'the node is stopping'));
      controller = undefined;
      if (sweeper !== undefined) clearInterval(sweeper);
      sweeper = undefined;
      unsubscribe?.();
      unsubscribe = undefined;
      await transport.unhandle(MAILBOX_PROTOCOL).catch(() => undefined);
      waiters.clear();
      for (const stream of streams) stream.abort(new SamizdatError('PATH_FAILED', 'the node is stopping'));
      streams.clear();
      sessionBuckets.clear();
      delivered.clear();
      deposits.clear();
    },
  };
}
