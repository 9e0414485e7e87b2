/**
 * Length-prefixed framing for libp2p streams: each frame is an unsigned varint length followed by
 * that many payload bytes, as in libp2p's it-length-prefixed. The decoder is incremental and
 * bounded: it rejects an oversized length as soon as the prefix is read, before buffering any of
 * the body, and never holds more than one frame plus the chunk it was just given.
 */
import { assertBytes } from '../crypto/bytes.ts';
import { SamizdatError } from '../errors.ts';
import { MAX_ENCODABLE_FRAME_BYTES, MAX_FRAME_BYTES, MAX_VARINT_PREFIX_BYTES } from './limits.ts';
import { encodeUvarint, readUvarint } from './varint.ts';

export interface FrameOptions {
  /** Largest payload accepted, in bytes. Defaults to MAX_FRAME_BYTES. */
  readonly maxBytes?: number;
}

/** A chunk as libp2p streams yield it: a Uint8Array or a Uint8ArrayList (which has `subarray()`). */
export type StreamChunk = Uint8Array | { subarray(): Uint8Array };

function maxBytesOf(options: FrameOptions): number {
  const maxBytes = options.maxBytes ?? MAX_FRAME_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0 || maxBytes > MAX_ENCODABLE_FRAME_BYTES) {
    throw new SamizdatError('INVALID_ARGUMENT', `maxBytes must be an integer from 0 to ${MAX_ENCODABLE_FRAME_BYTES}`);
  }
  return maxBytes;
}

function tooLarge(length: number, maxBytes: number): SamizdatError {
  return new SamizdatError('TOO_LARGE', `frame of ${length} bytes exceeds the limit of ${maxBytes}`, {
    detail: { limit: maxBytes, actual: length },
  });
}

/** The frame carrying `payload`: its varint length, then the payload. TOO_LARGE over `maxBytes`. */
export function encodeFrame(payload: Uint8Array, options: FrameOptions = {}): Uint8Array {
  assertBytes('payload', payload);
  const maxBytes = maxBytesOf(options);
  if (payload.length > maxBytes) throw tooLarge(payload.length, maxBytes);
  const prefix = encodeUvarint(payload.length);
  const frame = new Uint8Array(prefix.length + payload.length);
  frame.set(prefix, 0);
  frame.set(payload, prefix.length);
  return frame;
}

/** Bytes a frame of `payloadLength` takes: its varint prefix and the payload. */
export function framedLength(payloadLength: number): number {
  let prefix = 1;
  for (let n = payloadLength; n >= 0x80; n = Math.floor(n / 0x80)) prefix += 1;
  return prefix + payloadLength;
}

/**
 * Writes the frame of `payload` (varint length, then payload) into `out` at `at` and returns the
 * offset after it, so a sender can lay several frames into one buffer with one copy each. The
 * caller sized `out` with framedLength and checked the payload against its frame limit.
 */
export function writeFrameInto(out: Uint8Array, at: number, payload: Uint8Array): number {
  const prefix = encodeUvarint(payload.length);
  out.set(prefix, at);
  out.set(payload, at + prefix.length);
  return at + prefix.length + payload.length;
}

/**
 * Splits a byte stream into frames. Feed it chunks with `push`, which returns the frames those
 * chunks completed (each a fresh copy, never a view into a pushed chunk), and call `end` when the
 * stream closes. After any error the decoder stays failed: the stream cannot be resynchronised.
 */
export class FrameDecoder {
  readonly maxBytes: number;
  /** Received bytes not yet returned; the first chunk's consumed part starts at `#head`. */
  #chunks: Uint8Array[] = [];
  #head = 0;
  #buffered = 0;
  /** Payload length of the frame being received, once its prefix has been read. */
  #expected: number | undefined;
  #failure: SamizdatError | undefined;
  #ended = false;

  constructor(options: FrameOptions = {}) {
    this.maxBytes = maxBytesOf(options);
  }

  /** Bytes received but not yet returned as a frame. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Adds a chunk and returns every frame now complete, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    assertBytes('chunk', chunk);
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#ended) throw new SamizdatError('INVALID_ARGUMENT', 'push after end');
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    const frames: Uint8Array[] = [];
    try {
      for (;;) {
        if (this.#expected === undefined) {
          const prefix = readUvarint((i) => this.#byteAt(i), MAX_VARINT_PREFIX_BYTES);
          if (prefix === undefined) break;
          if (prefix.value > this.maxBytes) throw tooLarge(prefix.value, this.maxBytes);
          this.#skip(prefix.length);
          this.#expected = prefix.value;
        }
        if (this.#buffered < this.#expected) break;
        frames.push(this.#take(this.#expected));
        this.#expected = undefined;
      }
    } catch (err) {
      this.#fail(err);
    }
    return frames;
  }

  /** Declares the stream closed. Throws MALFORMED if it stopped inside a frame. */
  end(): void {
    if (this.#failure !== undefined) throw this.#failure;
    this.#ended = true;
    if (this.#buffered > 0 || this.#expected !== undefined) {
      this.#fail(
        new SamizdatError('MALFORMED', 'stream ended inside a frame', {
          detail: { buffered: this.#buffered, expected: this.#expected ?? null },
        }),
      );
    }
  }

  #fail(err: unknown): never {
    this.#failure =
      err instanceof SamizdatError ? err : new SamizdatError('INTERNAL', 'frame decoder failed', { cause: err });
    this.#chunks = [];
    this.#head = 0;
    this.#buffered = 0;
    throw this.#failure;
  }

  /** The `index`-th unconsumed byte, or undefined if not yet received. Walks at most a few chunks. */
  #byteAt(index: number): number | undefined {
    if (index >= this.#buffered) return undefined;
    let offset = this.#head + index;
    for (const chunk of this.#chunks) {
      if (offset < chunk.length) return chunk[offset];
      offset -= chunk.length;
    }
    return undefined;
  }

  /** Drops `count` bytes (count <= #buffered). */
  #skip(count: number): void {
    this.#consume(count, undefined);
  }

  /** Removes and returns the next `count` bytes (count <= #buffered) as a new array. */
  #take(count: number): Uint8Array {
    const out = new Uint8Array(count);
    this.#consume(count, out);
    return out;
  }

  #consume(count: number, out: Uint8Array | undefined): void {
    let done = 0;
    let used = 0;
    while (done < count) {
      const chunk = this.#chunks[used];
      if (chunk === undefined) throw new SamizdatError('INTERNAL', 'frame decoder lost track of its buffer');
      const n = Math.min(chunk.length - this.#head, count - done);
      out?.set(chunk.subarray(this.#head, this.#head + n), done);
      done += n;
      if (this.#head + n === chunk.length) {
        used += 1;
        this.#head = 0;
      } else {
        this.#head += n;
      }
    }
    if (used > 0) this.#chunks.splice(0, used);
    this.#buffered -= count;
  }
}

function bytesOfChunk(chunk: StreamChunk): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  const bytes: unknown = chunk.subarray();
  assertBytes('chunk.subarray()', bytes);
  return bytes;
}

/**
 * Yields the frames of a stream source (a libp2p v3 stream yields Uint8Array or Uint8ArrayList).
 * Throws TOO_LARGE or MALFORMED as soon as the stream breaks the framing, and MALFORMED if it ends
 * inside a frame.
 */
export async function* decodeFrames(
  source: AsyncIterable<StreamChunk> | Iterable<StreamChunk>,
  options: FrameOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const decoder = new FrameDecoder(options);
  for await (const chunk of source) {
    for (const frame of decoder.push(bytesOfChunk(chunk))) yield frame;
  }
  decoder.end();
}
