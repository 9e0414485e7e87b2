/**
 * Reads SessionFrames off a stream and hands each to a callback, in order, for rpc-session.ts.
 *
 * A libp2p v3 stream dispatches a 'message' event per chunk; its async iterator is built on those
 * events with a queue and two generators, so every chunk costs a chain of promise turns before a
 * reader sees it (one per hop of an onion request, in each of the four processes it crosses).
 * When the stream has the event interface, this listens to the events directly and pauses the
 * stream for back-pressure (a paused libp2p stream stops granting its peer flow-control window).
 * Any other stream (the tests' in-memory pairs) is iterated. Both paths decode the same frames in
 * the same order and end the same way: `done` resolves when the peer closes its side, rejects
 * with MALFORMED for a bad frame and with the stream's error when it fails.
 */
import { FrameDecoder, type StreamChunk } from './framing.ts';
import type { SessionFrame } from './gen/samizdat/v1/frame_pb.ts';
import { decodeSessionFrame } from './session-frame-codec.ts';
import type { RpcStream } from './stream-rpc.ts';

export interface FrameSource {
  /** Settles when no more frames will come. */
  readonly done: Promise<void>;
  /** Stops reading (the peer is slowed by flow control) until resume(). */
  pause(): void;
  resume(): void;
}

type Listener = (event: { readonly data?: StreamChunk; readonly error?: Error }) => void;

/** The event side of a libp2p v3 stream (AbstractMessageStream). */
interface EventStream {
  addEventListener(type: 'message' | 'close' | 'remoteCloseWrite', listener: Listener): void;
  removeEventListener(type: 'message' | 'close' | 'remoteCloseWrite', listener: Listener): void;
  pause(): void;
  resume(): void;
  readonly readStatus: string;
}

function eventsOf(stream: RpcStream): EventStream | undefined {
  const s = stream as unknown as Partial<EventStream>;
  const ok =
    typeof s.addEventListener === 'function' &&
    typeof s.removeEventListener === 'function' &&
    typeof s.pause === 'function' &&
    typeof s.resume === 'function' &&
    typeof s.readStatus === 'string';
  return ok ? (s as EventStream) : undefined;
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
const bytesOf = (chunk: StreamChunk): Uint8Array => (chunk instanceof Uint8Array ? chunk : chunk.subarray());

/** Starts reading `stream`; `onFrame` runs for each frame, synchronously as its bytes arrive. */
export function readSessionFrames(stream: RpcStream, maxBytes: number, onFrame: (frame: SessionFrame) => void): FrameSource {
  const decoder = new FrameDecoder({ maxBytes });
  const deliver = (chunk: StreamChunk): void => {
    for (const frame of decoder.push(bytesOf(chunk))) onFrame(decodeSessionFrame(frame, maxBytes));
  };
  const events = eventsOf(stream);
  return events === undefined ? iterate(stream, decoder, deliver) : listen(events, decoder, deliver);
}

function listen(stream: EventStream, decoder: FrameDecoder, deliver: (chunk: StreamChunk) => void): FrameSource {
  let finish: (err?: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    let finished = false;
    const onMessage: Listener = (event) => {
      if (event.data === undefined) return;
      try {
        deliver(event.data);
      } catch (err) {
        finish(err);
      }
    };
    const onClose: Listener = (event) => finish(event.error);
    const onRemoteCloseWrite: Listener = () => finish();
    finish = (err?: unknown): void => {
      if (finished) return;
      finished = true;
      stream.removeEventListener('message', onMessage);
      stream.removeEventListener('close', onClose);
      stream.removeEventListener('remoteCloseWrite', onRemoteCloseWrite);
      if (err !== undefined) {
        reject(asError(err));
        return;
      }
      try {
        decoder.end(); // MALFORMED when the stream ended inside a frame
        resolve();
      } catch (cause) {
        reject(asError(cause));
      }
    };
    // As the libp2p iterator: a stream that is no longer readable has nothing more to give.
    if (stream.readStatus !== 'readable' && stream.readStatus !== 'paused') {
      finish();
      return;
    }
    stream.addEventListener('close', onClose);
    stream.addEventListener('remoteCloseWrite', onRemoteCloseWrite);
    stream.addEventListener('message', onMessage); // dispatches what arrived before, in a microtask
  });
  const safely = (change: () => void): void => {
    try {
      change();
    } catch {
      // a closing stream can be neither paused nor resumed; its end is on its way
    }
  };
  return {
    done,
    pause: () => safely(() => stream.pause()),
    resume: () => safely(() => stream.resume()),
  };
}

function iterate(stream: RpcStream, decoder: FrameDecoder, deliver: (chunk: StreamChunk) => void): FrameSource {
  let paused = false;
  let wake: (() => void) | undefined;
  const done = (async () => {
    for await (const chunk of stream) {
      deliver(chunk);
      while (paused) await new Promise<void>((resolve) => (wake = resolve));
    }
    decoder.end();
  })();
  return {
    done,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      wake?.();
      wake = undefined;
    },
  };
}
