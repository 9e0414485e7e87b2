import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes } from '../crypto/bytes.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { FrameDecoder, decodeFrames, encodeFrame, framedLength, writeFrameInto } from './framing.ts';
import { MAX_FRAME_BYTES, MAX_VARINT_PREFIX_BYTES } from './limits.ts';
import { encodeUvarint } from './varint.ts';

/** Splits `bytes` at the given cut points (taken modulo its length). */
function chunk(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    out.push(bytes.subarray(start, p));
    start = p;
  }
  out.push(bytes.subarray(start));
  return out;
}

function decodeAll(chunks: readonly Uint8Array[], maxBytes?: number): Uint8Array[] {
  const decoder = new FrameDecoder(maxBytes === undefined ? {} : { maxBytes });
  const frames = chunks.flatMap((c) => decoder.push(c));
  decoder.end();
  return frames;
}

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => isSamizdatError(err) && err.code === code);
}

describe('varint length prefix', () => {
  it('encodes like LEB128', () => {
    assert.deepEqual(encodeUvarint(0), Uint8Array.of(0));
    assert.deepEqual(encodeUvarint(127), Uint8Array.of(0x7f));
    assert.deepEqual(encodeUvarint(128), Uint8Array.of(0x80, 0x01));
    assert.deepEqual(encodeUvarint(300), Uint8Array.of(0xac, 0x02));
    assert.deepEqual(encodeUvarint(MAX_FRAME_BYTES), Uint8Array.of(0x80, 0x80, 0x06));
    throwsCode(() => encodeUvarint(-1), 'INVALID_ARGUMENT');
  });
});

describe('framing', () => {
  it('round-trips random payload lists under random chunkings', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (payloads, cuts) => {
          const stream = concatBytes(...payloads.map((p) => encodeFrame(p)));
          assert.deepEqual(decodeAll(chunk(stream, cuts)), payloads);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('writeFrameInto lays frames side by side exactly as encodeFrame would, in framedLength bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ minLength: 16_000, maxLength: 17_000 })), { maxLength: 6 }), (payloads) => {
        const out = new Uint8Array(payloads.reduce((n, p) => n + framedLength(p.length), 0));
        let at = 0;
        for (const payload of payloads) at = writeFrameInto(out, at, payload);
        assert.equal(at, out.length);
        assert.deepEqual(out, concatBytes(...payloads.map((p) => encodeFrame(p))));
      }),
      { numRuns: 100 },
    );
    for (const n of [0, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152]) assert.equal(framedLength(n), encodeUvarint(n).length + n);
  });

  it('decodes byte by byte and several frames in one chunk', () => {
    const payloads = [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(200).fill(7)];
    const stream = concatBytes(...payloads.map((p) => encodeFrame(p)));
    assert.deepEqual(decodeAll([...stream].map((b) => Uint8Array.of(b))), payloads);
    assert.deepEqual(decodeAll([stream]), payloads);
  });

  it('returns copies, not views into pushed chunks', () => {
    const stream = encodeFrame(Uint8Array.of(9, 9));
    const [frame] = decodeAll([stream]);
    stream.fill(0);
    assert.deepEqual(frame, Uint8Array.of(9, 9));
  });

  it('accepts exactly maxBytes and rejects maxBytes + 1 from the prefix alone', () => {
    const max = 1000;
    assert.equal(decodeAll([encodeFrame(new Uint8Array(max), { maxBytes: max })], max)[0]?.length, max);
    throwsCode(() => encodeFrame(new Uint8Array(max + 1), { maxBytes: max }), 'TOO_LARGE');
    const decoder = new FrameDecoder({ maxBytes: max });
    throwsCode(() => decoder.push(encodeUvarint(max + 1)), 'TOO_LARGE');
    assert.equal(decoder.bufferedBytes, 0);
    throwsCode(() => decoder.push(Uint8Array.of(0)), 'TOO_LARGE');
  });

  it('defaults to MAX_FRAME_BYTES', () => {
    assert.equal(decodeAll([encodeFrame(new Uint8Array(MAX_FRAME_BYTES))])[0]?.length, MAX_FRAME_BYTES);
    throwsCode(() => encodeFrame(new Uint8Array(MAX_FRAME_BYTES + 1)), 'TOO_LARGE');
    throwsCode(() => new FrameDecoder().push(encodeUvarint(MAX_FRAME_BYTES + 1)), 'TOO_LARGE');
  });

  it('rejects non-minimal and overlong prefixes', () => {
    throwsCode(() => new FrameDecoder().push(Uint8Array.of(0x80, 0x00)), 'MALFORMED');
    throwsCode(() => new FrameDecoder().push(Uint8Array.of(0x81, 0x80, 0x00)), 'MALFORMED');
    const overlong = new Uint8Array(MAX_VARINT_PREFIX_BYTES + 1).fill(0x80);
    throwsCode(() => new FrameDecoder({ maxBytes: 2 ** 28 - 1 }).push(overlong), 'MALFORMED');
    const split = new FrameDecoder();
    assert.deepEqual(split.push(Uint8Array.of(0x80)), []);
    throwsCode(() => split.push(Uint8Array.of(0x00)), 'MALFORMED');
  });

  it('rejects a stream that ends inside a frame, and stays failed after an error', () => {
    const decoder = new FrameDecoder();
    decoder.push(encodeFrame(Uint8Array.of(1, 2, 3)).subarray(0, 3));
    throwsCode(() => decoder.end(), 'MALFORMED');
    const prefixOnly = new FrameDecoder();
    prefixOnly.push(Uint8Array.of(0x05));
    throwsCode(() => prefixOnly.end(), 'MALFORMED');
    throwsCode(() => prefixOnly.push(new Uint8Array(5)), 'MALFORMED');
    const clean = new FrameDecoder();
    clean.end();
    throwsCode(() => clean.push(new Uint8Array(1)), 'INVALID_ARGUMENT');
  });

  it('rejects bad options and chunks', () => {
    throwsCode(() => new FrameDecoder({ maxBytes: -1 }), 'INVALID_ARGUMENT');
    throwsCode(() => new FrameDecoder({ maxBytes: 2 ** 28 }), 'INVALID_ARGUMENT');
    throwsCode(() => new FrameDecoder().push('x' as unknown as Uint8Array), 'INVALID_ARGUMENT');
  });

  it('raises only MALFORMED or TOO_LARGE on random bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }), fc.nat({ max: 300 }), (chunks, max) => {
        try {
          decodeAll(chunks, max);
        } catch (err) {
          assert.ok(err instanceof SamizdatError, String(err));
          assert.ok(err.code === 'MALFORMED' || err.code === 'TOO_LARGE', err.code);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('decodeFrames', () => {
  it('reads Uint8Array and Uint8ArrayList-like chunks', async () => {
    const payloads = [Uint8Array.of(1), Uint8Array.of(2, 3)];
    const stream = concatBytes(...payloads.map((p) => encodeFrame(p)));
    async function* source(): AsyncGenerator<Uint8Array | { subarray(): Uint8Array }> {
      yield stream.subarray(0, 1);
      await Promise.resolve();
      const rest = stream.subarray(1);
      yield { subarray: () => rest };
    }
    const frames: Uint8Array[] = [];
    for await (const frame of decodeFrames(source())) frames.push(frame);
    assert.deepEqual(frames, payloads);
  });

  it('fails when the source ends inside a frame or breaks the limit', async () => {
    const truncated = [encodeFrame(Uint8Array.of(1, 2)).subarray(0, 2)];
    await assert.rejects(
      (async () => {
        for await (const _ of decodeFrames(truncated)) void _;
      })(),
      (err: unknown) => isSamizdatError(err, 'MALFORMED'),
    );
    await assert.rejects(
      (async () => {
        for await (const _ of decodeFrames([encodeUvarint(11)], { maxBytes: 10 })) void _;
      })(),
      (err: unknown) => isSamizdatError(err, 'TOO_LARGE'),
    );
  });
});
