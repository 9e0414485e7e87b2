import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { decodeOutcome } from '../../test/support/decode-agreement.ts';
import { isSamizdatError } from '../errors.ts';
import { decodeMessage } from './codec.ts';
import { ErrorReplySchema, SessionFrameSchema } from './gen/samizdat/v1/frame_pb.ts';
import { encodeFrame } from './framing.ts';
import { decodeSessionFrame, encodeFramedSessionFrame, encodeSessionFrame } from './session-frame-codec.ts';

const MAX = 100_000;
const ids = fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
const frames = fc.record({
  id: ids,
  body: fc.uint8Array({ maxLength: 3_000 }),
  error: fc.option(fc.record({ code: fc.constantFrom('MALFORMED', 'PATH_FAILED'), message: fc.string({ maxLength: 40 }), retryAfterMs: fc.bigInt({ min: 0n, max: 10_000n }) }), { nil: undefined }),
});

/** What decodeMessage gives, or the error code it throws; and the same of the hand-written reader. */
const reference = (bytes: Uint8Array, maxBytes = MAX): unknown => decodeOutcome(() => decodeMessage(SessionFrameSchema, bytes, { maxBytes }));
const fast = (bytes: Uint8Array, maxBytes = MAX): unknown => decodeOutcome(() => decodeSessionFrame(bytes, maxBytes));

describe('session frame codec', () => {
  it('encodes every frame byte for byte as toBinary', () => {
    fc.assert(
      fc.property(frames, (frame) => {
        const init = frame.error === undefined ? { id: frame.id, body: frame.body } : { id: frame.id, error: create(ErrorReplySchema, frame.error) };
        const encoded = toBinary(SessionFrameSchema, create(SessionFrameSchema, init));
        assert.deepEqual(encodeSessionFrame(init, MAX), encoded);
        // What a session sends: the length-prefixed frame, in one buffer.
        assert.deepEqual(encodeFramedSessionFrame(init, MAX), encodeFrame(encoded, { maxBytes: MAX }));
      }),
      { numRuns: 300 },
    );
  });

  it('decodes encodings, their prefixes and changed bytes exactly as decodeMessage does', () => {
    fc.assert(
      fc.property(frames, fc.nat(), fc.nat(255), (frame, at, byte) => {
        const encoded = toBinary(SessionFrameSchema, create(SessionFrameSchema, frame));
        assert.deepEqual(fast(encoded), reference(encoded));
        const cut = encoded.subarray(0, at % (encoded.length + 1));
        assert.deepEqual(fast(cut), reference(cut));
        if (encoded.length > 0) {
          const changed = encoded.slice();
          changed[at % changed.length] = byte;
          assert.deepEqual(fast(changed), reference(changed));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('decodes random bytes as decodeMessage does, and honours maxBytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 80 }), (bytes, maxBytes) => {
        assert.deepEqual(fast(bytes), reference(bytes));
        assert.deepEqual(fast(bytes, maxBytes), reference(bytes, maxBytes));
      }),
      { numRuns: 1_000 },
    );
  });

  it('refuses to encode a frame over maxBytes', () => {
    assert.throws(() => encodeSessionFrame({ id: 1n, body: new Uint8Array(100) }, 50), (err) => isSamizdatError(err, 'TOO_LARGE'));
    assert.throws(() => encodeFramedSessionFrame({ id: 1n, body: new Uint8Array(100) }, 50), (err) => isSamizdatError(err, 'TOO_LARGE'));
  });
});
