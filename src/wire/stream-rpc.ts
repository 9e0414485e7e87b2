/**
 * One request, one response, over a message stream (a libp2p stream in production, an in-memory
 * pair in tests). The stream is described structurally, so this layer imports no transport: the
 * caller dials or accepts the stream and hands it here. Each frame is length-prefixed and capped
 * (framing.ts); a peer that sends more than one frame, too large a frame, or nothing before the
 * deadline gets its stream aborted.
 */
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { FrameDecoder, encodeFrame, type StreamChunk } from './framing.ts';
import { MAX_FRAME_BYTES } from './limits.ts';

/** The part of a libp2p v3 Stream that RPC needs. */
export interface RpcStream extends AsyncIterable<StreamChunk> {
  send(data: Uint8Array): boolean;
  onDrain(options?: { signal?: AbortSignal }): Promise<void>;
  /** Closes the writing side; the stream stays readable. */
  close(options?: { signal?: AbortSignal }): Promise<void>;
  abort(err: Error): void;
}

/** A peer to reach: its libp2p peer ID and the multiaddrs (without /p2p) it may be reached at. */
export interface PeerTarget {
  readonly peerId: string;
  readonly addresses: readonly string[];
}

/** The transport a service needs: register handlers for protocols and open streams to peers. */
export interface RpcTransport {
  /** This host's peer ID. */
  readonly peerId: string;
  handle(protocol: string, handler: (stream: RpcStream, remotePeerId: string) => Promise<void>): Promise<void>;
  unhandle(protocol: string): Promise<void>;
  dial(target: PeerTarget, protocol: string, signal: AbortSignal): Promise<RpcStream>;
}

export interface RpcOptions {
  /** Largest frame accepted from the peer (default MAX_FRAME_BYTES). */
  readonly maxBytes?: number;
  /** Deadline for the whole exchange in milliseconds. */
  readonly timeoutMs: number;
  /** Aborts the exchange early (for example when the service stops). */
  readonly signal?: AbortSignal;
}

/** Sends one frame, waiting for the stream to drain when its buffer is full. */
export async function writeFrame(stream: RpcStream, payload: Uint8Array, maxBytes: number, signal: AbortSignal): Promise<void> {
  if (!stream.send(encodeFrame(payload, { maxBytes }))) await stream.onDrain({ signal });
}

/** Reads exactly one frame; MALFORMED if the stream ends first. */
export async function readFrame(stream: RpcStream, maxBytes: number, signal: AbortSignal): Promise<Uint8Array> {
  const decoder = new FrameDecoder({ maxBytes });
  const iterator = stream[Symbol.asyncIterator]();
  const aborted = new Promise<never>((_, reject) => {
    const fail = (): void => reject(timeoutError(signal));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => undefined);
  for (;;) {
    const next = await Promise.race([iterator.next(), aborted]);
    if (next.done === true) {
      decoder.end();
      throw new SamizdatError('MALFORMED', 'the stream ended before a whole frame arrived');
    }
    const chunk = next.value instanceof Uint8Array ? next.value : next.value.subarray();
    const frames = decoder.push(chunk);
    const first = frames[0];
    if (first !== undefined) {
      if (frames.length > 1 || decoder.bufferedBytes > 0) throw new SamizdatError('MALFORMED', 'more than one frame where one was expected');
      return first;
    }
  }
}

function timeoutError(signal: AbortSignal): SamizdatError {
  const reason: unknown = signal.reason;
  if (isSamizdatError(reason)) return reason;
  return new SamizdatError('PATH_FAILED', 'the peer did not answer in time', { cause: reason });
}

function deadline(options: RpcOptions): AbortSignal {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  return options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
}

/** Client side: sends `request` on an open stream and returns the one response frame. */
export async function exchange(stream: RpcStream, request: Uint8Array, options: RpcOptions): Promise<Uint8Array> {
  const signal = deadline(options);
  const maxBytes = options.maxBytes ?? MAX_FRAME_BYTES;
  try {
    await writeFrame(stream, request, Math.max(maxBytes, request.length), signal);
    await stream.close({ signal });
    return await readFrame(stream, maxBytes, signal);
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
    throw isSamizdatError(err) ? err : new SamizdatError('PATH_FAILED', 'the RPC stream failed', { cause: err });
  }
}

/** Dials `target` and performs one exchange on a fresh stream. */
export async function callRpc(
  transport: RpcTransport,
  target: PeerTarget,
  protocol: string,
  request: Uint8Array,
  options: RpcOptions,
): Promise<Uint8Array> {
  const signal = deadline(options);
  let stream: RpcStream;
  try {
    stream = await transport.dial(target, protocol, signal);
  } catch (cause) {
    throw new SamizdatError('PATH_FAILED', `cannot reach ${target.peerId}`, { cause, detail: { peerId: target.peerId } });
  }
  return exchange(stream, request, { ...options, signal });
}

/**
 * Server side: reads one request frame, answers with what `handler` returns, closes. A handler
 * should turn its own failures into an error response; anything it throws aborts the stream.
 */
export async function serveRpc(
  stream: RpcStream,
  handler: (request: Uint8Array, signal: AbortSignal) => Promise<Uint8Array>,
  options: RpcOptions,
): Promise<void> {
  const signal = deadline(options);
  const maxBytes = options.maxBytes ?? MAX_FRAME_BYTES;
  try {
    const request = await readFrame(stream, maxBytes, signal);
    const response = await handler(request, signal);
    await writeFrame(stream, response, Math.max(maxBytes, response.length), signal);
    await stream.close({ signal });
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
  }
}
