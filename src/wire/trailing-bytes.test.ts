import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { SessionFrameSchema } from './gen/samizdat/v1/frame_pb.ts';
import { BackwardBodySchema, OnionRequestSchema, OnionResponseSchema, SealedLayerSchema, TargetLayerSchema } from './gen/samizdat/v1/onion_pb.ts';
import { TRAILING_BYTES_MIN, encodeTrailingBytes } from './trailing-bytes.ts';

/** Sizes around the threshold and well past it, plus empty. */
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.uint8Array({ minLength: TRAILING_BYTES_MIN - 2, maxLength: TRAILING_BYTES_MIN + 2 }),
  fc.uint8Array({ minLength: 1_000, maxLength: 20_000 }),
);
const runs = { numRuns: 200 };

describe('encodeTrailingBytes gives exactly toBinary', () => {
  it('SessionFrame: a body last, or an error after it', () => {
    fc.assert(
      fc.property(fc.bigUint64Array({ minLength: 1, maxLength: 1 }), bytes, fc.boolean(), ([id], body, withError) => {
        const frame = create(SessionFrameSchema, { id: id ?? 0n, body, ...(withError ? { error: { code: 'MALFORMED', message: 'x' } } : {}) });
        assert.deepEqual(encodeTrailingBytes(SessionFrameSchema, frame), toBinary(SessionFrameSchema, frame));
      }),
      runs,
    );
  });

  it('layers: a plain bytes field last, a bytes field followed by a counter, oneof bytes members', () => {
    fc.assert(
      fc.property(bytes, bytes, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer({ min: 0, max: 0xffffffff }), (a, b, counter, timeoutMs) => {
        const sealed = create(SealedLayerSchema, { nonce: a.subarray(0, 12), sealed: b });
        assert.deepEqual(encodeTrailingBytes(SealedLayerSchema, sealed), toBinary(SealedLayerSchema, sealed));
        const target = create(TargetLayerSchema, { sessionId: a.subarray(0, 16), sealed: b, counter });
        assert.deepEqual(encodeTrailingBytes(TargetLayerSchema, target), toBinary(TargetLayerSchema, target));
        for (const response of [
          create(OnionResponseSchema, { response: { case: 'relayed', value: b } }),
          create(OnionResponseSchema, { response: { case: 'delivered', value: a }, padding: b }),
          create(OnionResponseSchema, { response: { case: 'destroyed', value: true } }),
        ]) {
          assert.deepEqual(encodeTrailingBytes(OnionResponseSchema, response), toBinary(OnionResponseSchema, response));
        }
        const body = create(BackwardBodySchema, { body: { case: 'inner', value: b } });
        assert.deepEqual(encodeTrailingBytes(BackwardBodySchema, body), toBinary(BackwardBodySchema, body));
        const request = create(OnionRequestSchema, { request: { case: 'relay', value: { circuitId: a.subarray(0, 16), layer: b } }, timeoutMs, padding: a });
        assert.deepEqual(encodeTrailingBytes(OnionRequestSchema, request), toBinary(OnionRequestSchema, request));
      }),
      runs,
    );
  });

  it('a message carrying unknown fields is left to toBinary, which writes them last', () => {
    const known = toBinary(SealedLayerSchema, create(SealedLayerSchema, { nonce: new Uint8Array(12), sealed: new Uint8Array(2_000).fill(7) }));
    const withUnknown = new Uint8Array([...known, 0xa2, 0x06, 0x01, 0x09]); // field 100, 1 byte
    const message = fromBinary(SealedLayerSchema, withUnknown, { readUnknownFields: true });
    assert.deepEqual(encodeTrailingBytes(SealedLayerSchema, message), toBinary(SealedLayerSchema, message));
    assert.deepEqual(encodeTrailingBytes(SealedLayerSchema, message), withUnknown);
  });
});
