/** The public API of the wire layer: limits, framing, safe protobuf codecs, RPC envelope, error replies. */
export {
  MAX_MESSAGE_BODY_BYTES,
  MAX_FRAME_BYTES,
  MAX_VARINT_PREFIX_BYTES,
  MAX_ENCODABLE_FRAME_BYTES,
  MAX_KIND_LENGTH,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_RETRY_AFTER_MS,
  MAX_MESSAGE_NESTING,
  RPC_VERSION,
} from './limits.ts';
export { encodeFrame, FrameDecoder, decodeFrames } from './framing.ts';
export type { FrameOptions, StreamChunk } from './framing.ts';
export { decodeMessage, encodeMessage } from './codec.ts';
export { isEncodingOf, lengthDelimitedPrefix } from './trailing-bytes.ts';
export type { CodecOptions } from './codec.ts';
export { encodeRpcFrame, decodeRpcFrame } from './rpc-frame.ts';
export { KNOWN_ERROR_CODES, PEER_ERROR_CODES, isKnownErrorCode, isPeerErrorCode } from './error-codes.ts';
export {
  errorReply,
  errorReplyFromError,
  errorFromReply,
  encodeErrorReply,
  decodeErrorReply,
} from './error-reply.ts';
export type { ErrorReplyOptions } from './error-reply.ts';
export { RpcFrameSchema, ErrorReplySchema } from './gen/samizdat/v1/frame_pb.ts';
export type { RpcFrame, ErrorReply } from './gen/samizdat/v1/frame_pb.ts';
export { callRpc, exchange, readFrame, serveRpc, writeFrame } from './stream-rpc.ts';
export type { PeerTarget, RpcOptions, RpcStream, RpcTransport } from './stream-rpc.ts';
export { RpcSession, serveSession, MAX_CONCURRENT_REQUESTS_PER_SESSION, MAX_PENDING_REQUESTS_PER_SESSION } from './rpc-session.ts';
export { DeadlineTimer, type Deadline } from './deadline-timer.ts';
export type { SessionOptions } from './rpc-session.ts';
