import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes } from '../crypto/bytes.ts';
import { FLUSH_AFTER_MS, FLUSH_AT_BYTES, holdWindowUpdates } from './yamux-window-updates.ts';

interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly length: number;
}

/** A Yamux frame header (spec.md "Framing"). */
function header(type: number, flags: number, streamId: number, length: number): Uint8Array {
  const bytes = new Uint8Array(12);
  const view = new DataView(bytes.buffer);
  bytes[1] = type;
  view.setUint16(2, flags);
  view.setUint32(4, streamId);
  view.setUint32(8, length);
  return bytes;
}

const update = (streamId: number, delta: number, flags = 0): Uint8Array => header(1, flags, streamId, delta);
/**
 * Yamux sends a data frame as a Uint8ArrayList of header and body; this stand-in has the two
 * methods the muxer wrapper and the fake connection use.
 */
class FrameList {
  private bufs: Uint8Array[];
  constructor(...bufs: Uint8Array[]) {
    this.bufs = bufs;
  }
  prepend(...bufs: Uint8Array[]): void {
    this.bufs = [...bufs, ...this.bufs];
  }
  subarray(): Uint8Array {
    return concatBytes(...this.bufs);
  }
}

const data = (streamId: number, body: Uint8Array): FrameList => new FrameList(header(0, 0, streamId, body.length), body);

/** Parses every frame of what reached the connection, in order (data frames skip their body). */
function framesOf(sent: Uint8Array[]): Frame[] {
  const frames: Frame[] = [];
  for (const bytes of sent) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let at = 0; at < bytes.length; ) {
      const frame = { type: view.getUint8(at + 1), flags: view.getUint16(at + 2), streamId: view.getUint32(at + 4), length: view.getUint32(at + 8) };
      frames.push(frame);
      at += 12 + (frame.type === 0 ? frame.length : 0);
    }
  }
  return frames;
}

/** A muxer stand-in: records each send as one buffer, the way it would reach Noise. */
function fakeMuxer(options: { failing?: () => boolean } = {}) {
  const sent: Uint8Array[] = [];
  const muxer = {
    send(bytes: Uint8Array | FrameList): boolean {
      if (options.failing?.() === true) throw new Error('stream closed');
      sent.push(bytes instanceof Uint8Array ? bytes.slice() : bytes.subarray());
      return true;
    },
  };
  holdWindowUpdates(muxer as unknown as Parameters<typeof holdWindowUpdates>[0]);
  return { muxer, sent };
}

describe('holdWindowUpdates', () => {
  it('holds a plain window update and sends it in front of the next frame, in the same send', () => {
    const { muxer, sent } = fakeMuxer();
    assert.equal(muxer.send(update(3, 4_000)), true);
    assert.equal(sent.length, 0);
    muxer.send(data(5, new Uint8Array(100).fill(7)));
    assert.equal(sent.length, 1);
    assert.deepEqual(framesOf(sent), [
      { type: 1, flags: 0, streamId: 3, length: 4_000 },
      { type: 0, flags: 0, streamId: 5, length: 100 },
    ]);
    assert.deepEqual(sent[0]?.subarray(24), new Uint8Array(100).fill(7));
  });

  it('adds up the updates of one stream and keeps streams apart', () => {
    const { muxer, sent } = fakeMuxer();
    muxer.send(update(1, 1_000));
    muxer.send(update(3, 500));
    muxer.send(update(1, 2_000));
    muxer.send(data(1, new Uint8Array(1)));
    assert.deepEqual(framesOf(sent), [
      { type: 1, flags: 0, streamId: 1, length: 3_000 },
      { type: 1, flags: 0, streamId: 3, length: 500 },
      { type: 0, flags: 0, streamId: 1, length: 1 },
    ]);
  });

  it('sends an update with a flag at once, after the held ones', () => {
    const { muxer, sent } = fakeMuxer();
    muxer.send(update(7, 900));
    muxer.send(update(7, 0, 4)); // FIN
    assert.deepEqual(framesOf(sent), [
      { type: 1, flags: 0, streamId: 7, length: 900 },
      { type: 1, flags: 4, streamId: 7, length: 0 },
    ]);
    muxer.send(update(9, 0, 1)); // SYN, nothing held
    assert.equal(sent.length, 2);
  });

  it('sends a stream\'s updates at once when they reach FLUSH_AT_BYTES', () => {
    const { muxer, sent } = fakeMuxer();
    const step = FLUSH_AT_BYTES / 4;
    for (let i = 0; i < 3; i++) muxer.send(update(1, step));
    assert.equal(sent.length, 0);
    muxer.send(update(1, step));
    assert.deepEqual(framesOf(sent), [
      { type: 1, flags: 0, streamId: 1, length: 3 * step },
      { type: 1, flags: 0, streamId: 1, length: step },
    ]);
    // A single update of the largest size passes unchanged; no sum can overflow Yamux's u32.
    muxer.send(update(2, 0xffffffff));
    assert.deepEqual(framesOf(sent.slice(1)), [{ type: 1, flags: 0, streamId: 2, length: 0xffffffff }]);
  });

  it('sends held updates on their own after FLUSH_AFTER_MS', async () => {
    const { muxer, sent } = fakeMuxer();
    muxer.send(update(1, 10));
    muxer.send(update(3, 20));
    await new Promise((resolve) => setTimeout(resolve, FLUSH_AFTER_MS * 3));
    assert.deepEqual(framesOf(sent), [
      { type: 1, flags: 0, streamId: 1, length: 10 },
      { type: 1, flags: 0, streamId: 3, length: 20 },
    ]);
    // Nothing is sent twice: the next frame goes alone.
    muxer.send(data(1, new Uint8Array(2)));
    assert.equal(framesOf(sent).length, 3);
  });

  it('drops held updates quietly when the connection has closed before the timer', async () => {
    let closed = false;
    const { muxer, sent } = fakeMuxer({ failing: () => closed });
    muxer.send(update(1, 10));
    closed = true;
    await new Promise((resolve) => setTimeout(resolve, FLUSH_AFTER_MS * 3));
    assert.equal(sent.length, 0); // and no uncaught exception
  });

  it('passes every other frame through unchanged', () => {
    const { muxer, sent } = fakeMuxer();
    const ping = header(2, 1, 0, 42);
    const goAway = header(3, 0, 0, 0);
    muxer.send(ping);
    muxer.send(goAway);
    assert.deepEqual(sent, [ping, goAway]);
  });
});
