/**
 * ErrorReply, the typed error a peer sends back, converted to and from SamizdatError. Nothing in
 * an incoming reply is trusted: an unknown or local-only code, an overlong message or an absurd
 * retry hint turns the whole reply into MALFORMED, and control characters never reach a terminal.
 */
import { create } from '@bufbuild/protobuf';
import { SamizdatError } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';
import { decodeMessage, encodeMessage } from './codec.ts';
import type { CodecOptions } from './codec.ts';
import { isKnownErrorCode, isPeerErrorCode } from './error-codes.ts';
import { ErrorReplySchema } from './gen/samizdat/v1/frame_pb.ts';
import type { ErrorReply } from './gen/samizdat/v1/frame_pb.ts';
import { MAX_ERROR_MESSAGE_LENGTH, MAX_RETRY_AFTER_MS } from './limits.ts';

export interface ErrorReplyOptions {
  /** Milliseconds the peer should wait before retrying; clamped to 0..MAX_RETRY_AFTER_MS. */
  readonly retryAfterMs?: number;
}

/** C0/C1 controls and bidirectional overrides: they could rewrite a terminal line or reorder text. */
function isUnsafeChar(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/** `text` with unsafe characters replaced by U+FFFD. */
function sanitize(text: string): string {
  let out = '';
  for (const char of text) out += isUnsafeChar(char.codePointAt(0) ?? 0) ? '\uFFFD' : char;
  return out;
}

/** `text` cut to MAX_ERROR_MESSAGE_LENGTH code units without splitting a surrogate pair. */
function truncate(text: string): string {
  if (text.length <= MAX_ERROR_MESSAGE_LENGTH) return text;
  let cut = MAX_ERROR_MESSAGE_LENGTH;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return text.slice(0, cut);
}

function retryHint(retryAfterMs: number | undefined): bigint {
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs) || retryAfterMs <= 0) return 0n;
  return BigInt(Math.min(MAX_RETRY_AFTER_MS, Math.ceil(retryAfterMs)));
}

/**
 * Builds the ErrorReply for `code`. INVALID_ARGUMENT if `code` is one a peer may not send (see
 * error-codes.ts); the message is cleaned of control characters and cut to its limit.
 */
export function errorReply(code: ErrorCode, message: string, options: ErrorReplyOptions = {}): ErrorReply {
  if (typeof code !== 'string' || !isPeerErrorCode(code)) {
    throw new SamizdatError('INVALID_ARGUMENT', `error code ${String(code)} may not be sent to a peer`);
  }
  return create(ErrorReplySchema, {
    code,
    message: truncate(sanitize(String(message))),
    retryAfterMs: retryHint(options.retryAfterMs),
  });
}

/**
 * The ErrorReply describing any thrown value. A SamizdatError keeps its code, message and retry
 * hint if a peer may see that code; anything else becomes INTERNAL with a generic message, so
 * no local detail (paths, stack text) leaks to the peer.
 */
export function errorReplyFromError(err: unknown): ErrorReply {
  if (err instanceof SamizdatError && err.code !== 'INTERNAL' && isPeerErrorCode(err.code)) {
    return errorReply(err.code, err.message, err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs });
  }
  return errorReply('INTERNAL', 'internal error');
}

function badReply(reason: string, detail: Record<string, unknown>): SamizdatError {
  return new SamizdatError('MALFORMED', `peer sent a malformed error reply: ${reason}`, {
    detail: { remote: true, ...detail },
  });
}

/**
 * The SamizdatError a peer reported, marked `detail.remote = true`. A reply with an unknown or
 * local-only code, an overlong message or a retry hint over MAX_RETRY_AFTER_MS yields MALFORMED.
 * Returns the error (the caller throws it); never throws.
 */
export function errorFromReply(reply: ErrorReply): SamizdatError {
  const code = reply.code;
  if (!isPeerErrorCode(code)) {
    const known = isKnownErrorCode(code);
    return badReply(known ? 'local-only error code' : 'unknown error code', {
      remoteCode: truncate(sanitize(code)),
    });
  }
  if (reply.message.length > MAX_ERROR_MESSAGE_LENGTH) {
    return badReply('message too long', { limit: MAX_ERROR_MESSAGE_LENGTH, actual: reply.message.length });
  }
  if (reply.retryAfterMs < 0n || reply.retryAfterMs > BigInt(MAX_RETRY_AFTER_MS)) {
    return badReply('retry hint out of range', { limit: MAX_RETRY_AFTER_MS });
  }
  const retryAfterMs = Number(reply.retryAfterMs);
  return new SamizdatError(code, sanitize(reply.message), {
    detail: { remote: true },
    ...(retryAfterMs > 0 ? { retryAfterMs } : {}),
  });
}

/** Serialises the ErrorReply for `err` (see errorReplyFromError). */
export function encodeErrorReply(err: unknown, options: CodecOptions = {}): Uint8Array {
  return encodeMessage(ErrorReplySchema, errorReplyFromError(err), options);
}

/**
 * Parses an ErrorReply and returns the peer's error (see errorFromReply). Throws TOO_LARGE or
 * MALFORMED only if the bytes are not an ErrorReply at all.
 */
export function decodeErrorReply(bytes: Uint8Array, options: CodecOptions = {}): SamizdatError {
  return errorFromReply(decodeMessage(ErrorReplySchema, bytes, options));
}
