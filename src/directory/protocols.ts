/**
 * The directory's libp2p protocols. Each is one request and one reply per stream (src/wire
 * stream-rpc.ts); every reply is a DirectoryReply whose `error` case carries an ErrorReply, so a
 * failure arrives as a typed SamizdatError with detail.remote = true.
 *
 *   /samizdat/dir/publish/1.0.0    node -> authority       SignedNodeDescriptor -> PublishAck
 *   /samizdat/dir/vote/1.0.0       authority -> authority  SignedVote -> VoteReply (its own vote)
 *   /samizdat/dir/signature/1.0.0  authority -> authority  ConsensusSignature -> SignatureReply
 *   /samizdat/dir/consensus/1.0.0  anyone -> node/authority ConsensusRequest -> ConsensusDocument
 *                                  (an empty document when the server has nothing newer)
 */
import { create } from '@bufbuild/protobuf';
import { SamizdatError } from '../errors.ts';
import { callRpc, decodeErrorReply, decodeMessage, encodeErrorReply, encodeMessage, serveRpc } from '../wire/index.ts';
import type { PeerTarget, RpcTransport } from '../wire/index.ts';
import { DirectoryReplySchema } from '../wire/gen/samizdat/v1/directory_pb.ts';
import type { DirectoryReply } from '../wire/gen/samizdat/v1/directory_pb.ts';
import { MAX_CONSENSUS_BYTES } from './limits.ts';

export const PUBLISH_PROTOCOL = '/samizdat/dir/publish/1.0.0';
export const VOTE_PROTOCOL = '/samizdat/dir/vote/1.0.0';
export const SIGNATURE_PROTOCOL = '/samizdat/dir/signature/1.0.0';
export const CONSENSUS_PROTOCOL = '/samizdat/dir/consensus/1.0.0';

/** Largest request on the small protocols (publish is bounded by MAX_DESCRIPTOR_BYTES itself). */
export const MAX_SMALL_REQUEST_BYTES = 1_024;

/**
 * Largest directory reply: a whole consensus or vote plus the reply wrapper (a tag and a length
 * of at most 5 bytes; 64 bytes of headroom).
 */
export const MAX_DIRECTORY_REPLY_BYTES = MAX_CONSENSUS_BYTES + 64;

/**
 * Deadline of one directory exchange: 15 s, enough to move an 8 MiB consensus over a slow
 * (5 Mbit/s) link; small exchanges finish in milliseconds on a live peer.
 */
export const DIRECTORY_RPC_TIMEOUT_MS = 15_000;

export type DirectoryResult = DirectoryReply['result'];
export type ReplyCase = Exclude<DirectoryResult['case'], 'error' | undefined>;
export type ReplyValue<C extends ReplyCase> = Extract<DirectoryResult, { case: C }>['value'];

/** Encodes a successful reply. */
export function encodeDirectoryReply(result: DirectoryResult): Uint8Array {
  return encodeMessage(DirectoryReplySchema, create(DirectoryReplySchema, { result }), { maxBytes: MAX_DIRECTORY_REPLY_BYTES });
}

/**
 * Decodes a reply from untrusted bytes: the `expected` case's value, the peer's typed error if it
 * sent one, MALFORMED for any other case.
 */
export function decodeDirectoryReply<C extends ReplyCase>(bytes: Uint8Array, expected: C): ReplyValue<C> {
  const reply = decodeMessage(DirectoryReplySchema, bytes, { maxBytes: MAX_DIRECTORY_REPLY_BYTES });
  const result = reply.result;
  if (result.case === 'error') throw decodeErrorReply(result.value);
  if (result.case !== expected) {
    throw new SamizdatError('MALFORMED', `peer answered with ${String(result.case)} instead of ${expected}`);
  }
  return result.value as ReplyValue<C>;
}

export type DirectoryHandler = (request: Uint8Array, remotePeerId: string, signal: AbortSignal) => Promise<DirectoryResult>;

/**
 * Registers `handler` for `protocol` on `transport`: requests over `maxRequestBytes` are cut off
 * by the framing, and anything the handler throws goes back as a typed error reply.
 */
export async function handleDirectoryProtocol(
  transport: RpcTransport,
  protocol: string,
  maxRequestBytes: number,
  handler: DirectoryHandler,
): Promise<void> {
  await transport.handle(protocol, (stream, remotePeerId) =>
    serveRpc(
      stream,
      async (request, signal) => {
        try {
          return encodeDirectoryReply(await handler(request, remotePeerId, signal));
        } catch (err) {
          return encodeMessage(DirectoryReplySchema, create(DirectoryReplySchema, { result: { case: 'error', value: encodeErrorReply(err) } }));
        }
      },
      { maxBytes: maxRequestBytes, timeoutMs: DIRECTORY_RPC_TIMEOUT_MS },
    ),
  );
}

export interface DirectoryCallOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Sends one request and returns the `expected` reply value (or throws the peer's typed error). */
export async function callDirectory<C extends ReplyCase>(
  transport: RpcTransport,
  target: PeerTarget,
  protocol: string,
  request: Uint8Array,
  expected: C,
  options: DirectoryCallOptions = {},
): Promise<ReplyValue<C>> {
  const reply = await callRpc(transport, target, protocol, request, {
    maxBytes: MAX_DIRECTORY_REPLY_BYTES,
    timeoutMs: options.timeoutMs ?? DIRECTORY_RPC_TIMEOUT_MS,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return decodeDirectoryReply(reply, expected);
}
