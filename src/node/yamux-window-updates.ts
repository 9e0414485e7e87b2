/**
 * Yamux window updates held back and sent with the connection's next frame.
 *
 * @chainsafe/libp2p-yamux answers every data frame it receives with a window update frame of its
 * own (stream.js handleData -> sendWindowUpdate), sent at once as its own Noise message and TCP
 * write. For request/response traffic that doubles the messages on the wire: a relay that
 * forwards a layer sends the window update back to the previous hop, which wakes that process up
 * to read, decrypt and parse 12 bytes it has no use for, on every hop, both ways.
 *
 * The Yamux specification (hashicorp/yamux spec.md, "Flow Control") lets a receiver send window
 * updates when it likes: until one arrives the sender only has less window left. So a plain
 * update (no flags) is held back and its delta added to the stream's pending total, and the
 * totals go out in front of the next frame this connection sends (in the same Noise message),
 * or on their own once any stream's total reaches FLUSH_AT_BYTES, or after FLUSH_AFTER_MS.
 * FLUSH_AT_BYTES is a quarter of Yamux's initial 256 KiB window, so the peer always keeps at least
 * three quarters of it and a bulk sender never waits for an update. Updates that carry a flag
 * (SYN, ACK, FIN, RST) go out at once, after the pending ones, so the order per stream holds.
 */
import type { MessageStream, StreamMuxerFactory } from '@libp2p/interface';
import { concatBytes, readUintBE, writeUintBE } from '../crypto/bytes.ts';

/** Yamux's frame header (spec.md "Framing"): version, type, flags (u16), stream ID (u32), length (u32). */
const HEADER_LENGTH = 12;
const TYPE_WINDOW_UPDATE = 1;
/** A stream's held-back updates go out once they add up to this many bytes. */
export const FLUSH_AT_BYTES = 64 * 1024;
/** Held-back updates go out at the latest this long after the first of them. */
export const FLUSH_AFTER_MS = 20;

/** The muxer's own send (AbstractStreamMuxer.send), through which Yamux sends every frame. */
interface Sender {
  send: MessageStream['send'];
}

/** A plain window update (no flags) as [stream ID, delta], or undefined for any other frame. */
function plainWindowUpdate(data: Uint8Array): [number, number] | undefined {
  if (data.length !== HEADER_LENGTH) return undefined;
  if (data[0] !== 0 || data[1] !== TYPE_WINDOW_UPDATE || data[2] !== 0 || data[3] !== 0) return undefined;
  return [readUintBE(data, 4, 4), readUintBE(data, 8, 4)];
}

/** Window update frames for `updates` ([stream ID, delta] each), one after another in one array. */
function windowUpdates(updates: Iterable<readonly [number, number]>, count: number): Uint8Array {
  const frames = new Uint8Array(HEADER_LENGTH * count);
  let at = 0;
  for (const [streamId, delta] of updates) {
    frames[at + 1] = TYPE_WINDOW_UPDATE;
    writeUintBE(frames, at + 4, 4, streamId);
    writeUintBE(frames, at + 8, 4, delta);
    at += HEADER_LENGTH;
  }
  return frames;
}

/** Replaces `muxer.send` with one that holds back plain window updates (see the file comment). */
export function holdWindowUpdates(muxer: Sender): void {
  const send = muxer.send.bind(muxer);
  const pending = new Map<number, number>();
  let timer: ReturnType<typeof setTimeout> | undefined;

  // The timer is left set when the updates go out with a frame (it then finds nothing to send):
  // setting and clearing one for every message a relay passes on would cost more than the rest.
  const takePending = (): Uint8Array => {
    const frames = windowUpdates(pending, pending.size);
    pending.clear();
    return frames;
  };
  const flushLater = (): void => {
    timer = undefined;
    try {
      if (pending.size > 0) send(takePending());
    } catch {
      // The connection closed meanwhile: its streams are gone, and so is any need for updates.
    }
  };

  muxer.send = (data) => {
    const update = data instanceof Uint8Array ? plainWindowUpdate(data) : undefined;
    if (update !== undefined) {
      const [id, delta] = update;
      const total = (pending.get(id) ?? 0) + delta;
      // Enough held for this stream: everything held goes now, then this update as it came (two
      // frames for one stream rather than a sum that might not fit Yamux's u32 length).
      if (total >= FLUSH_AT_BYTES) return send(concatBytes(takePending(), windowUpdates([update], 1)));
      pending.set(id, total);
      timer ??= setTimeout(flushLater, FLUSH_AFTER_MS);
      timer.unref?.();
      return true;
    }
    if (pending.size === 0) return send(data);
    // Yamux builds a new list for every frame it sends, so putting the updates in front is safe.
    if (data instanceof Uint8Array) return send(concatBytes(takePending(), data));
    data.prepend(takePending());
    return send(data);
  };
}

/** `yamux()` (or any muxer factory) whose muxers hold back plain window updates. */
export function withHeldWindowUpdates<C>(make: (components: C) => StreamMuxerFactory): (components: C) => StreamMuxerFactory {
  return (components) => {
    const factory = make(components);
    return {
      protocol: factory.protocol,
      createStreamMuxer(maConn) {
        const muxer = factory.createStreamMuxer(maConn);
        holdWindowUpdates(muxer as unknown as Sender);
        return muxer;
      },
    };
  };
}
