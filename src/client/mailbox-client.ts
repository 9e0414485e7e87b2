/**
 * The client side of the mailbox protocol (`/samizdat/mailbox/1.0.0`), over a pluggable channel:
 * the onion channel (onion-channel.ts, via createOnionMailboxClient in onion-mailbox-client.ts)
 * for all real client traffic, or the direct channel here (one multiplexed RpcSession per node),
 * which exists for tests and benchmarks only: it shows the node who is asking. Owner requests are
 * signed with the account's identity key (src/identity/request-auth.ts). Every failure is a
 * SamizdatError: the node's typed errors as it sent them (detail.remote = true), WRONG_SWARM with
 * detail.swarm = [{ peerId, addresses }] taken from the descriptors the node returned (each checked
 * against its own signature; the caller should still prefer the swarm it computes from its
 * verified consensus), PATH_FAILED when the node (or an onion hop, detail.hop) cannot be reached
 * or does not answer in time, PROOF_REQUIRED with detail.difficulty (the proof-of-work bits the node
 * asks for, at most MAX_DEPOSIT_POW_BITS) when an inbox deposit lacks an acceptable proof.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { CryptoProvider, PrivateKey } from '../crypto/index.ts';
import { verifyNodeDescriptor } from '../directory/index.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import {
  deleteRequestDigest,
  retrieveRequestDigest,
  signOwnerAuth,
  storeRequestDigest,
} from '../identity/request-auth.ts';
import { OWNER_ITEM_SIGNATURE_BYTES, openOwnerItem, signOwnerItem } from '../identity/owner-item.ts';
import { MAX_DEPOSIT_POW_BITS } from '../identity/deposit-proof.ts';
import type { DepositProofInput } from '../identity/deposit-proof.ts';
import type { OwnerAuthMethod } from '../identity/request-auth.ts';
import { MAX_MESSAGE_BODY_BYTES, RpcSession, decodeMessage, encodeMessage, errorFromReply } from '../wire/index.ts';
import type { PeerTarget, RpcTransport } from '../wire/index.ts';
import { SignedNodeDescriptorSchema } from '../wire/gen/samizdat/v1/directory_pb.ts';
import {
  DeleteRequestSchema,
  DepositProofSchema,
  MailboxRequestSchema,
  MailboxResponseSchema,
  OwnerAuthSchema,
  RetrieveRequestSchema,
  StoreRequestSchema,
} from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import type { DepositProof, MailboxRequest, MailboxResponse, OwnerAuth, WrongSwarm } from '../wire/gen/samizdat/v1/mailbox_pb.ts';

export const MAILBOX_PROTOCOL = '/samizdat/mailbox/1.0.0';

/** Deadline of a store or delete (covers the node's wait for replica acknowledgements). */
export const MAILBOX_REQUEST_TIMEOUT_MS = 10_000;

/** Extra time a long-poll is given over its wait before the client gives up on the node. */
const WAIT_GRACE_MS = 5_000;

/** Longest wait a node grants (mirrors the node's MAX_RETRIEVE_WAIT_MS). */
const MAX_WAIT_MS = 30_000;

/** Longest dial before a request fails with PATH_FAILED. */
const DIAL_TIMEOUT_MS = 5_000;

export type MailboxNamespace = 'inbox' | 'bundle' | 'config';

export interface ChannelRequestOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** True when sending the request twice is harmless (retrieve, delete): a channel may retry it on a new path. */
  readonly idempotent: boolean;
  /**
   * The account the request is about. The onion channel sends each account's requests over
   * circuits of their own, so no exit or target sees one circuit carry, say, a client's own
   * bundle and the deposit it makes into a contact's inbox.
   */
  readonly account?: Uint8Array;
}

/** How encoded MailboxRequests reach a node and its encoded MailboxResponse comes back. */
export interface MailboxChannel {
  request(target: PeerTarget, request: Uint8Array, options: ChannelRequestOptions): Promise<Uint8Array>;
  /** Closes every session or circuit; outstanding requests fail with PATH_FAILED. */
  close(): void;
}

export interface MailboxClientOptions {
  /** Used for the direct channel when `channel` is not given. */
  readonly transport?: RpcTransport;
  readonly crypto: CryptoProvider;
  /** Clock for owner signatures (ms since the epoch). */
  readonly now: () => number;
  /** Default: the direct channel over `transport` (tests and benchmarks only). */
  readonly channel?: MailboxChannel;
}

export interface StoreOptions {
  /** The recipient's account (32-byte Ed25519 public key). */
  readonly account: Uint8Array;
  readonly namespace: MailboxNamespace;
  readonly body: Uint8Array;
  readonly ttlMs: number;
  /** The account's identity key; required for bundle and config. */
  readonly identityKey?: PrivateKey;
  /**
   * For inbox deposits: proof of work (solveDepositPow) or a contact signature (signDeposit), see
   * src/identity/deposit-proof.ts. Without one a node that requires proofs answers PROOF_REQUIRED.
   */
  readonly proof?: DepositProofInput;
}

export interface StoreResult {
  readonly id: Uint8Array;
  readonly expiresAtMs: number;
  /** Swarm members (the node included) that held the message when the node answered. */
  readonly replicas: number;
}

export interface RetrieveOptions {
  readonly account: Uint8Array;
  readonly namespace: MailboxNamespace;
  /** The last cursor seen (0n or absent: from the start). */
  readonly after?: bigint;
  readonly limit?: number;
  /** Long-poll: how long the node may hold the request when nothing is new (capped at 30 s). */
  readonly waitMs?: number;
  /** The account's identity key; required except for reading a bundle. */
  readonly identityKey?: PrivateKey;
  readonly signal?: AbortSignal;
}

export interface RetrievedMessage {
  readonly id: Uint8Array;
  readonly body: Uint8Array;
  readonly expiresAtMs: number;
  readonly cursor: bigint;
}

export interface RetrieveResult {
  readonly messages: readonly RetrievedMessage[];
  readonly more: boolean;
  /**
   * The node has no room for more items (quota or disk full), so it may lack what was stored
   * since; SwarmMailbox reads from another member when one has room.
   */
  readonly full: boolean;
}

export interface DeleteOptions {
  readonly account: Uint8Array;
  readonly namespace: MailboxNamespace;
  readonly ids: readonly Uint8Array[];
  readonly identityKey: PrivateKey;
}

export interface MailboxClient {
  store(target: PeerTarget, options: StoreOptions): Promise<StoreResult>;
  retrieve(target: PeerTarget, options: RetrieveOptions): Promise<RetrieveResult>;
  delete(target: PeerTarget, options: DeleteOptions): Promise<number>;
  /** Closes every session; outstanding requests fail with PATH_FAILED. */
  close(): void;
}

function checkNamespace(namespace: unknown): asserts namespace is MailboxNamespace {
  if (namespace !== 'inbox' && namespace !== 'bundle' && namespace !== 'config') {
    throw new SamizdatError('INVALID_ARGUMENT', 'namespace must be inbox, bundle or config');
  }
}

function checkAccount(account: unknown): asserts account is Uint8Array {
  if (!(account instanceof Uint8Array) || account.length !== 32) throw new SamizdatError('INVALID_ARGUMENT', 'account must be 32 bytes');
}

/** The wire form of a deposit proof given by the caller. */
function depositProof(proof: DepositProofInput): DepositProof {
  if ('powNonce' in proof && proof.powNonce instanceof Uint8Array) {
    return create(DepositProofSchema, { proof: { case: 'powNonce', value: proof.powNonce } });
  }
  if ('contactSignature' in proof && proof.contactSignature instanceof Uint8Array) {
    return create(DepositProofSchema, { proof: { case: 'contactSignature', value: proof.contactSignature } });
  }
  throw new SamizdatError('INVALID_ARGUMENT', 'proof must be { powNonce } or { contactSignature } with a Uint8Array');
}

/** PROOF_REQUIRED carrying the difficulty the node asks for; MALFORMED for an absurd one. */
function proofRequiredError(powBits: number): SamizdatError {
  if (powBits > MAX_DEPOSIT_POW_BITS) {
    return new SamizdatError('MALFORMED', `the node asks for ${powBits} bits of proof of work, above the limit of ${MAX_DEPOSIT_POW_BITS}`, {
      detail: { remote: true, limit: MAX_DEPOSIT_POW_BITS },
    });
  }
  return new SamizdatError('PROOF_REQUIRED', `the node asks for a deposit proof (${powBits} bits of proof of work or a contact signature)`, {
    detail: { remote: true, difficulty: powBits },
  });
}

/** WRONG_SWARM carrying the members whose descriptors verify. */
function wrongSwarmError(crypto: CryptoProvider, now: number, answer: WrongSwarm): SamizdatError {
  const swarm: { peerId: string; addresses: readonly string[] }[] = [];
  for (const descriptor of answer.swarm) {
    try {
      const parsed = verifyNodeDescriptor(crypto, toBinary(SignedNodeDescriptorSchema, descriptor), { now });
      swarm.push({ peerId: parsed.peerId, addresses: parsed.addresses });
    } catch {
      // A descriptor that does not verify is not a place to send mail.
    }
  }
  return new SamizdatError('WRONG_SWARM', 'this node does not serve the account', { detail: { remote: true, swarm } });
}

/**
 * Direct mode, for tests and benchmarks only: one multiplexed RpcSession per node, so the node
 * sees the client's peer ID and address. Real clients use the onion channel.
 */
export function createDirectChannel(transport: RpcTransport): MailboxChannel {
  const sessions = new Map<string, Promise<RpcSession>>();
  let closed = false;

  const session = async (target: PeerTarget): Promise<RpcSession> => {
    if (closed) throw new SamizdatError('PATH_FAILED', 'the mailbox client is closed');
    const existing = sessions.get(target.peerId);
    if (existing !== undefined) {
      const s = await existing.catch(() => undefined);
      if (s !== undefined && !s.closed) return s;
      if (sessions.get(target.peerId) === existing) sessions.delete(target.peerId);
    }
    const opening = transport
      .dial(target, MAILBOX_PROTOCOL, AbortSignal.timeout(DIAL_TIMEOUT_MS))
      .then((stream) => new RpcSession(stream))
      .catch((cause: unknown) => {
        throw new SamizdatError('PATH_FAILED', `cannot reach ${target.peerId}`, { cause, detail: { peerId: target.peerId } });
      });
    sessions.set(target.peerId, opening);
    opening.catch(() => {
      if (sessions.get(target.peerId) === opening) sessions.delete(target.peerId);
    });
    return opening;
  };

  return {
    async request(target, request, o) {
      const s = await session(target);
      return s.request(request, o.signal === undefined ? { timeoutMs: o.timeoutMs } : { timeoutMs: o.timeoutMs, signal: o.signal });
    },
    close() {
      closed = true;
      for (const entry of sessions.values()) entry.then((s) => s.close()).catch(() => undefined);
      sessions.clear();
    },
  };
}

export function createMailboxClient(options: MailboxClientOptions): MailboxClient {
  const { crypto, now } = options;
  let channel = options.channel;
  if (channel === undefined) {
    if (options.transport === undefined) throw new SamizdatError('INVALID_ARGUMENT', 'a mailbox client needs a channel or a transport');
    channel = createDirectChannel(options.transport);
  }
  const via = channel;

  const call = async (target: PeerTarget, account: Uint8Array, request: MailboxRequest, timeoutMs: number, idempotent: boolean, signal?: AbortSignal): Promise<MailboxResponse> => {
    const body = encodeMessage(MailboxRequestSchema, request);
    const bytes = await via.request(target, body, signal === undefined ? { timeoutMs, idempotent, account } : { timeoutMs, idempotent, account, signal });
    let response: MailboxResponse;
    try {
      response = decodeMessage(MailboxResponseSchema, bytes);
    } catch (cause) {
      throw new SamizdatError('MALFORMED', 'the node sent an unreadable mailbox response', { cause, detail: { remote: true } });
    }
    if (response.response.case === 'error') throw errorFromReply(response.response.value);
    if (response.response.case === 'wrongSwarm') throw wrongSwarmError(crypto, now(), response.response.value);
    if (response.response.case === 'proofRequired') throw proofRequiredError(response.response.value.powBits);
    return response;
  };

  const auth = (method: OwnerAuthMethod, namespace: MailboxNamespace, account: Uint8Array, requestDigest: Uint8Array, key: PrivateKey): OwnerAuth => {
    const proof = signOwnerAuth(crypto, key, { method, namespace, account, requestDigest, timestampMs: now() });
    return create(OwnerAuthSchema, { timestampMs: proof.timestampMs, nonce: proof.nonce, signature: proof.signature });
  };

  const unexpected = (): SamizdatError => new SamizdatError('MALFORMED', 'the node answered with the wrong kind of response', { detail: { remote: true } });

  return {
    async store(target, o) {
      checkAccount(o.account);
      checkNamespace(o.namespace);
      if (!(o.body instanceof Uint8Array) || o.body.length === 0) throw new SamizdatError('INVALID_ARGUMENT', 'body must be a non-empty Uint8Array');
      if (o.body.length > MAX_MESSAGE_BODY_BYTES) {
        throw new SamizdatError('TOO_LARGE', `body of ${o.body.length} bytes exceeds the limit of ${MAX_MESSAGE_BODY_BYTES}`, { detail: { limit: MAX_MESSAGE_BODY_BYTES } });
      }
      if (!Number.isSafeInteger(o.ttlMs) || o.ttlMs <= 0) throw new SamizdatError('INVALID_ARGUMENT', 'ttlMs must be a positive integer');
      const ttlMs = BigInt(o.ttlMs);
      let ownerAuth: OwnerAuth | undefined;
      let body = o.body;
      if (o.proof !== undefined && o.namespace !== 'inbox') throw new SamizdatError('INVALID_ARGUMENT', 'a deposit proof is only for inbox deposits');
      const proof = o.proof === undefined ? undefined : depositProof(o.proof);
      if (o.namespace !== 'inbox') {
        if (o.identityKey === undefined) throw new SamizdatError('INVALID_ARGUMENT', `storing to ${o.namespace} needs the account's identity key`);
        // Owner items carry the owner's signature, so every swarm member can check them (owner-item.ts).
        body = signOwnerItem(crypto, o.identityKey, o.namespace, o.body);
        if (body.length > MAX_MESSAGE_BODY_BYTES) throw new SamizdatError('TOO_LARGE', `an owner item may hold at most ${MAX_MESSAGE_BODY_BYTES - OWNER_ITEM_SIGNATURE_BYTES} bytes`);
        ownerAuth = auth('store', o.namespace, o.account, storeRequestDigest(crypto, body, ttlMs), o.identityKey);
      }
      const value = create(StoreRequestSchema, {
        account: o.account,
        namespace: o.namespace,
        body,
        ttlMs,
        ...(ownerAuth === undefined ? {} : { auth: ownerAuth }),
        ...(proof === undefined ? {} : { proof }),
      });
      const response = await call(target, o.account, create(MailboxRequestSchema, { request: { case: 'store', value } }), MAILBOX_REQUEST_TIMEOUT_MS, false);
      if (response.response.case !== 'store') throw unexpected();
      const r = response.response.value;
      return { id: r.messageId, expiresAtMs: Number(r.expiresAtMs), replicas: r.replicas };
    },

    async retrieve(target, o) {
      checkAccount(o.account);
      checkNamespace(o.namespace);
      const after = o.after ?? 0n;
      const limit = o.limit ?? 0;
      const waitMs = Math.min(o.waitMs ?? 0, MAX_WAIT_MS);
      if (typeof after !== 'bigint' || after < 0n) throw new SamizdatError('INVALID_ARGUMENT', 'after must be a non-negative bigint');
      if (!Number.isSafeInteger(limit) || limit < 0 || limit > 0xffffffff) throw new SamizdatError('INVALID_ARGUMENT', 'limit must be a non-negative integer');
      if (!Number.isSafeInteger(waitMs) || waitMs < 0) throw new SamizdatError('INVALID_ARGUMENT', 'waitMs must be a non-negative integer');
      let ownerAuth: OwnerAuth | undefined;
      if (o.namespace !== 'bundle') {
        if (o.identityKey === undefined) throw new SamizdatError('INVALID_ARGUMENT', `reading ${o.namespace} needs the account's identity key`);
        ownerAuth = auth('retrieve', o.namespace, o.account, retrieveRequestDigest(crypto, after, limit, waitMs), o.identityKey);
      }
      const value = create(RetrieveRequestSchema, { account: o.account, namespace: o.namespace, after, limit, waitMs, ...(ownerAuth === undefined ? {} : { auth: ownerAuth }) });
      const response = await call(target, o.account, create(MailboxRequestSchema, { request: { case: 'retrieve', value } }), MAILBOX_REQUEST_TIMEOUT_MS + waitMs + WAIT_GRACE_MS, true, o.signal);
      if (response.response.case !== 'retrieve') throw unexpected();
      const r = response.response.value;
      const messages: RetrievedMessage[] = [];
      for (const m of r.messages) {
        let body = m.body;
        if (o.namespace !== 'inbox') {
          try {
            body = openOwnerItem(crypto, o.account, o.namespace, m.body);
          } catch {
            continue; // not signed by the owner: a node's forgery, never shown
          }
        }
        messages.push({ id: m.id, body, expiresAtMs: Number(m.expiresAtMs), cursor: m.cursor });
      }
      return { messages, more: r.more, full: r.full };
    },

    async delete(target, o) {
      checkAccount(o.account);
      checkNamespace(o.namespace);
      const list: unknown = o.ids;
      if (!Array.isArray(list) || o.ids.some((id) => !(id instanceof Uint8Array))) throw new SamizdatError('INVALID_ARGUMENT', 'ids must be an array of Uint8Array');
      const ownerAuth = auth('delete', o.namespace, o.account, deleteRequestDigest(crypto, o.ids), o.identityKey);
      const value = create(DeleteRequestSchema, { account: o.account, namespace: o.namespace, ids: [...o.ids], auth: ownerAuth });
      const response = await call(target, o.account, create(MailboxRequestSchema, { request: { case: 'delete', value } }), MAILBOX_REQUEST_TIMEOUT_MS, true);
      if (response.response.case !== 'delete') throw unexpected();
      return response.response.value.deleted;
    },

    close() {
      via.close();
    },
  };
}

/** True when `err` says the node does not serve the account (retry at one of detail.swarm). */
export function isWrongSwarm(err: unknown): err is SamizdatError {
  return isSamizdatError(err, 'WRONG_SWARM');
}
