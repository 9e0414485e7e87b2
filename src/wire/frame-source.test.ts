import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSamizdatError } from '../errors.ts';
import { readSessionFrames } from './frame-source.ts';
import { encodeFrame } from './framing.ts';
import type { SessionFrame } from './gen/samizdat/v1/frame_pb.ts';
import { encodeSessionFrame } from './session-frame-codec.ts';
import type { RpcStream } from './stream-rpc.ts';

/** The event side of a libp2p v3 stream, as frame-source.ts uses it: chunks are held while paused. */
class FakeEventStream extends EventTarget {
  readStatus = 'readable';
  private held: Uint8Array[] = [];
  chunk(data: Uint8Array): void {
    if (this.readStatus === 'paused') this.held.push(data);
    else this.dispatchEvent(Object.assign(new Event('message'), { data }));
  }
  pause(): void {
    this.readStatus = 'paused';
  }
  resume(): void {
    this.readStatus = 'readable';
    for (const data of this.held.splice(0)) this.dispatchEvent(Object.assign(new Event('message'), { data }));
  }
  close(error?: Error): void {
    this.readStatus = 'closed';
    this.dispatchEvent(Object.assign(new Event('close'), { error }));
  }
  remoteCloseWrite(): void {
    this.dispatchEvent(new Event('remoteCloseWrite'));
  }
  // The RpcStream part, unused by the reader.
  send = (): boolean => true;
  onDrain = (): Promise<void> => Promise.resolve();
  abort = (): void => undefined;
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return { next: () => Promise.reject(new Error('the event path must not iterate')) };
  }
}

const asStream = (s: FakeEventStream): RpcStream => s as unknown as RpcStream;
const frame = (id: number, size: number): Uint8Array => encodeFrame(encodeSessionFrame({ id: BigInt(id), body: new Uint8Array(size).fill(id) }, 100_000));

describe('session frames read from stream events', () => {
  it('delivers frames split and joined across chunks, in order, and ends when the peer closes its side', async () => {
    const stream = new FakeEventStream();
    const seen: SessionFrame[] = [];
    const source = readSessionFrames(asStream(stream), 100_000, (f) => seen.push(f));
    const bytes = Uint8Array.from([...frame(1, 10), ...frame(2, 3_000), ...frame(3, 0)]);
    for (let at = 0; at < bytes.length; at += 700) stream.chunk(bytes.subarray(at, at + 700));
    stream.remoteCloseWrite();
    await source.done;
    assert.deepEqual(seen.map((f) => [f.id, f.body.length]), [[1n, 10], [2n, 3_000], [3n, 0]]);
  });

  it('holds frames while paused and delivers them on resume', async () => {
    const stream = new FakeEventStream();
    const seen: bigint[] = [];
    const source = readSessionFrames(asStream(stream), 100_000, (f) => seen.push(f.id));
    stream.chunk(frame(1, 5));
    source.pause();
    stream.chunk(frame(2, 5));
    assert.deepEqual(seen, [1n]);
    source.resume();
    assert.deepEqual(seen, [1n, 2n]);
    stream.close();
    await source.done;
  });

  it('rejects with the stream error, with MALFORMED for a bad frame, and for a frame cut by the end', async () => {
    const failed = new FakeEventStream();
    const a = readSessionFrames(asStream(failed), 100_000, () => undefined);
    failed.close(new Error('reset'));
    await assert.rejects(a.done, /reset/);

    const bad = new FakeEventStream();
    const b = readSessionFrames(asStream(bad), 100_000, () => undefined);
    bad.chunk(encodeFrame(Uint8Array.from([0xff, 0xff, 0xff])));
    await assert.rejects(b.done, (err) => isSamizdatError(err, 'MALFORMED'));

    const cut = new FakeEventStream();
    const c = readSessionFrames(asStream(cut), 100_000, () => undefined);
    cut.chunk(frame(1, 50).subarray(0, 20));
    cut.remoteCloseWrite();
    await assert.rejects(c.done, (err) => isSamizdatError(err, 'MALFORMED'));
  });

  it('a stream that is no longer readable ends at once', async () => {
    const stream = new FakeEventStream();
    stream.readStatus = 'closed';
    await readSessionFrames(asStream(stream), 100_000, () => assert.fail('no frame expected')).done;
  });
});
