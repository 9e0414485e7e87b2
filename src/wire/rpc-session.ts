/**
 * Multiplexed RPC over one long-lived stream: the caller tags each request with an id, the
 * server answers each with the same id in whatever order its handlers finish. One stream per peer
 * and protocol then carries thousands of requests a second without a stream set-up per request,
 * and a long-poll waiting for mail does not block the requests behind it.
 *
 * Frames are SessionFrame messages, length-prefixed and capped (framing.ts). The server bounds
 * the requests it runs at once per session; past that it stops reading, so a fast sender is slowed
 * by the transport's own flow control instead of growing our memory.
 */
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { errorFromReply, errorReplyFromError } from './error-reply.ts';
import { readSessionFrames, type FrameSource } from './frame-source.ts';
import type { SessionFrame } from './gen/samizdat/v1/frame_pb.ts';
import { DeadlineTimer } from './deadline-timer.ts';
import { encodeFramedSessionFrame, type SessionFrameInit } from './session-frame-codec.ts';
import { MAX_FRAME_BYTES } from './limits.ts';
import type { RpcStream } from './stream-rpc.ts';

/** Requests a server runs at once for one session; more wait in the transport's buffers. */
export const MAX_CONCURRENT_REQUESTS_PER_SESSION = 64;

/** Requests a client may have outstanding on one session before `request` refuses more. */
export const MAX_PENDING_REQUESTS_PER_SESSION = 1024;

export interface SessionOptions {
  /** Largest frame accepted from the peer (default MAX_FRAME_BYTES). */
  readonly maxBytes?: number;
}

/**
 * Most bytes handed to the stream in one send. Frames queued together are sent as one buffer up
 * to this size, so a burst becomes one muxer frame, one Noise message and one socket write.
 */
export const MAX_COALESCED_BYTES = 64 * 1024;

/**
 * Serializes writes to a stream and coalesces them: frames written while the current task's
 * callbacks and promise continuations run (every request a busy relay answers after reading a
 * batch from its sockets) are sent together once they are done (process.nextTick queued from
 * them runs after the microtask queue drains), instead of one libp2p send each. Each send through
 * Yamux, Noise and TCP costs about as much as the work a relay does on a message, so under load
 * this is most of a relay's throughput; a lone frame goes out before the event loop moves on.
 * Waits for the stream to drain when its buffer is full.
 */
class FrameWriter {
  private readonly stream: RpcStream;
  private readonly maxBytes: number;
  private queued: Uint8Array[] = [];
  private waiters: { resolve(): void; reject(err: unknown): void }[] = [];
  private scheduled = false;
  /** The flush sending now, if one waits for the stream to drain. */
  private flushing: Promise<void> | undefined;
  private needsDrain = false;

  constructor(stream: RpcStream, maxBytes: number) {
    this.stream = stream;
    this.maxBytes = maxBytes;
  }

  write(frame: SessionFrameInit): Promise<void> {
    const framed = encodeFramedSessionFrame(frame, this.maxBytes);
    return new Promise<void>((resolve, reject) => {
      this.queued.push(framed);
      this.waiters.push({ resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      process.nextTick(() => {
        // A flush waiting for the stream to drain sends these after its own.
        const flushing = this.flushing === undefined ? this.flush() : this.flushing.then(() => this.flush());
        this.flushing = flushing;
        void flushing.then(() => {
          if (this.flushing === flushing) this.flushing = undefined;
        });
      });
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const framed = this.queued;
    const waiters = this.waiters;
    this.queued = [];
    this.waiters = [];
    try {
      let start = 0;
      while (start < framed.length) {
        // Frames [start, end) as one buffer (a lone frame as it is).
        let end = start;
        let size = 0;
        do {
          size += framed[end]?.length ?? 0;
          end += 1;
        } while (end < framed.length && size + (framed[end]?.length ?? 0) <= MAX_COALESCED_BYTES);
        let chunk = framed[start] ?? new Uint8Array(0);
        if (end - start > 1) {
          chunk = new Uint8Array(size);
          let at = 0;
          for (let i = start; i < end; i++) {
            const one = framed[i] ?? new Uint8Array(0);
            chunk.set(one, at);
            at += one.length;
          }
        }
        start = end;
        if (this.needsDrain) {
          await this.stream.onDrain();
          this.needsDrain = false;
        }
        this.needsDrain = !this.stream.send(chunk);
      }
      for (const waiter of waiters) waiter.resolve();
    } catch (err) {
      for (const waiter of waiters) waiter.reject(err);
    }
  }
}

interface Pending {
  resolve(body: Uint8Array): void;
  reject(err: SamizdatError): void;
}

/** The client end of a session. Create one per (peer, protocol) and reuse it. */
export class RpcSession {
  private readonly stream: RpcStream;
  private readonly writer: FrameWriter;
  private readonly pending = new Map<bigint, Pending>();
  private nextId = 1n;
  private failure: SamizdatError | undefined;
  /** The pending requests' deadlines, on one timer (deadline-timer.ts). */
  private readonly deadlines = new DeadlineTimer();

  constructor(stream: RpcStream, options: SessionOptions = {}) {
    const maxBytes = options.maxBytes ?? MAX_FRAME_BYTES;
    this.stream = stream;
    this.writer = new FrameWriter(stream, maxBytes);
    void this.readLoop(maxBytes);
  }

  /** True once the stream failed or was closed; make a new session then. */
  get closed(): boolean {
    return this.failure !== undefined;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private async readLoop(maxBytes: number): Promise<void> {
    try {
      await readSessionFrames(this.stream, maxBytes, (frame) => {
        const waiter = this.pending.get(frame.id);
        if (waiter === undefined) return; // timed out earlier: drop the late answer
        this.pending.delete(frame.id);
        if (frame.error !== undefined) waiter.reject(errorFromReply(frame.error));
        else waiter.resolve(frame.body);
      }).done;
      this.fail(new SamizdatError('PATH_FAILED', 'the peer closed the session'));
    } catch (cause) {
      this.fail(isSamizdatError(cause) && cause.code !== 'INTERNAL' ? cause : new SamizdatError('PATH_FAILED', 'the session stream failed', { cause }));
    }
  }

  private fail(err: SamizdatError): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.deadlines.clear();
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
    this.stream.abort(err);
  }

  /** Sends one request and waits for its response (or a typed error, or the deadline). */
  request(body: Uint8Array, options: { timeoutMs: number; signal?: AbortSignal }): Promise<Uint8Array> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (options.signal?.aborted === true) return Promise.reject(new SamizdatError('PATH_FAILED', 'the request was cancelled', { cause: options.signal.reason }));
    if (this.pending.size >= MAX_PENDING_REQUESTS_PER_SESSION) {
      return Promise.reject(new SamizdatError('RATE_LIMITED', 'too many requests outstanding on one session', { retryAfterMs: 50 }));
    }
    const id = this.nextId++;
    const { signal, timeoutMs } = options;
    return new Promise<Uint8Array>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.pending.delete(id)) return;
        this.deadlines.remove(deadline);
        reject(new SamizdatError('PATH_FAILED', 'the request was cancelled', { cause: signal?.reason }));
      };
      const deadline = this.deadlines.add(timeoutMs, () => {
        if (!this.pending.delete(id)) return;
        signal?.removeEventListener('abort', onAbort);
        reject(new SamizdatError('PATH_FAILED', `no answer within ${timeoutMs} ms`, { detail: { timeoutMs } }));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      const settled = (): void => {
        this.deadlines.remove(deadline);
        signal?.removeEventListener('abort', onAbort);
      };
      this.pending.set(id, {
        resolve: (b) => {
          settled();
          resolve(b);
        },
        reject: (e) => {
          settled();
          reject(e);
        },
      });
      this.writer.write({ id, body }).catch((cause: unknown) => {
        this.fail(new SamizdatError('PATH_FAILED', 'cannot write to the session stream', { cause }));
      });
    });
  }

  /** Closes the session; outstanding requests fail with PATH_FAILED. */
  close(): void {
    this.fail(new SamizdatError('PATH_FAILED', 'the session was closed'));
  }
}

/**
 * The server end: runs `handler` for each request (at most `maxConcurrent` at once) and writes
 * its result, or the typed error it threw, back with the request's id. Resolves when the stream
 * ends; a malformed frame aborts the stream.
 */
export async function serveSession(
  stream: RpcStream,
  handler: (body: Uint8Array, signal: AbortSignal) => Promise<Uint8Array>,
  options: SessionOptions & { readonly maxConcurrent?: number; readonly signal?: AbortSignal } = {},
): Promise<void> {
  const maxBytes = options.maxBytes ?? MAX_FRAME_BYTES;
  const maxConcurrent = options.maxConcurrent ?? MAX_CONCURRENT_REQUESTS_PER_SESSION;
  const writer = new FrameWriter(stream, Math.max(maxBytes, MAX_FRAME_BYTES));
  const controller = new AbortController();
  const stop = (): void => controller.abort(new SamizdatError('PATH_FAILED', 'the server is stopping'));
  options.signal?.addEventListener('abort', stop, { once: true });
  const running = new Set<Promise<void>>();

  const answer = async (frame: SessionFrame): Promise<void> => {
    let reply: SessionFrameInit;
    try {
      reply = { id: frame.id, body: await handler(frame.body, controller.signal) };
    } catch (err) {
      reply = { id: frame.id, error: errorReplyFromError(err) };
    }
    await writer.write(reply);
  };

  // Frames wait in `queue` while maxConcurrent run; reading pauses until there is room again.
  const queue: SessionFrame[] = [];
  let source: FrameSource | undefined;
  const pump = (): void => {
    for (let frame = queue.shift(); frame !== undefined; frame = queue.shift()) {
      const task = answer(frame).catch(() => undefined);
      running.add(task);
      void task.then(() => {
        running.delete(task);
        pump();
      });
      if (running.size >= maxConcurrent) break;
    }
    if (queue.length > 0 || running.size >= maxConcurrent) source?.pause();
    else source?.resume();
  };
  try {
    source = readSessionFrames(stream, maxBytes, (frame) => {
      queue.push(frame);
      if (running.size < maxConcurrent) pump();
      else source?.pause();
    });
    await source.done;
    while (queue.length > 0 || running.size > 0) {
      if (running.size === 0) pump();
      await Promise.race(running);
    }
    await stream.close();
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
  } finally {
    controller.abort();
    options.signal?.removeEventListener('abort', stop);
  }
}
