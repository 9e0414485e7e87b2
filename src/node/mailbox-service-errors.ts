/**
 * How the mailbox service answers failures: a request's error as an encoded MailboxResponse
 * (in-band), and bytes that are not frames at all with one error frame on the raw stream before
 * it closes (mailbox-service.ts).
 */
import { create } from '@bufbuild/protobuf';
import { isSamizdatError } from '../errors.ts';
import { encodeFrame, encodeMessage, errorReplyFromError, type RpcStream } from '../wire/index.ts';
import { SessionFrameSchema } from '../wire/gen/samizdat/v1/frame_pb.ts';
import { MailboxResponseSchema, ProofRequiredSchema } from '../wire/gen/samizdat/v1/mailbox_pb.ts';

/** How long a stream that sent garbage may take to read our error frame before it is reset. */
const GARBAGE_GRACE_MS = 1_000;

/** The encoded MailboxResponse of a failed request: proof_required with its difficulty, else error. */
export function errorResponse(err: unknown): Uint8Array {
  const difficulty = isSamizdatError(err, 'PROOF_REQUIRED') ? err.detail['difficulty'] : undefined;
  if (typeof difficulty === 'number') {
    const value = create(ProofRequiredSchema, { powBits: difficulty });
    return encodeMessage(MailboxResponseSchema, create(MailboxResponseSchema, { response: { case: 'proofRequired', value } }));
  }
  return encodeMessage(MailboxResponseSchema, create(MailboxResponseSchema, { response: { case: 'error', value: errorReplyFromError(err) } }));
}

/**
 * Wraps a session stream so that when serveSession gives up on garbage (MALFORMED or TOO_LARGE
 * framing), the peer first receives one SessionFrame with id 0 carrying the typed error, and the
 * stream is closed instead of reset.
 */
export function explainGarbage(stream: RpcStream): RpcStream {
  const wrapped: RpcStream = {
    [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
    send: (data) => stream.send(data),
    onDrain: (o) => stream.onDrain(o),
    close: (o) => stream.close(o),
    abort(err) {
      if (!isSamizdatError(err) || (err.code !== 'MALFORMED' && err.code !== 'TOO_LARGE')) {
        stream.abort(err);
        return;
      }
      try {
        stream.send(encodeFrame(encodeMessage(SessionFrameSchema, create(SessionFrameSchema, { id: 0n, error: errorReplyFromError(err) }))));
      } catch {
        stream.abort(err);
        return;
      }
      const timer = setTimeout(() => stream.abort(err), GARBAGE_GRACE_MS);
      timer.unref();
      stream.close({ signal: AbortSignal.timeout(GARBAGE_GRACE_MS) }).catch(() => stream.abort(err));
    },
  };
  return wrapped;
}
