import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { SessionFrameSchema } from './gen/samizdat/v1/frame_pb.ts';
import { BackwardBodySchema, OnionRequestSchema, OnionResponseSchema, SealedLayerSchema, TargetLayerSchema } from './gen/samizdat/v1/onion_pb.ts';
import { TRAILING_BYTES_MIN, encodeTrailingBytes, isEncodingOf, lengthDelimitedPrefix } from './trailing-bytes.ts';

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

describe('lengthDelimitedPrefix', () => {
  it('is the tag and length BinaryWriter writes, for every field number and 32-bit length', () => {
    const check = (fieldNumber: number, length: number): void =>
      assert.deepEqual(lengthDelimitedPrefix(fieldNumber, length), new BinaryWriter().tag(fieldNumber, WireType.LengthDelimited).uint32(length).finish());
    for (const [f, n] of [[1, 0], [15, 127], [16, 128], [2047, 16_383], [2048, 16_384], [536_870_911, 0xffffffff]] as const) check(f, n);
    fc.assert(fc.property(fc.integer({ min: 1, max: 536_870_911 }), fc.integer({ min: 0, max: 0xffffffff }), check), { numRuns: 500 });
  });
});

describe('isEncodingOf answers exactly "toBinary(decoded) equals the bytes"', () => {
  const schemas = [SealedLayerSchema, BackwardBodySchema, TargetLayerSchema, OnionResponseSchema] as const;
  const encodings = fc.tuple(bytes, bytes, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })).map(([a, b, counter]) => [
    toBinary(SealedLayerSchema, create(SealedLayerSchema, { nonce: a.subarray(0, 12), sealed: b })),
    toBinary(BackwardBodySchema, create(BackwardBodySchema, { body: { case: 'inner', value: b } })),
    toBinary(TargetLayerSchema, create(TargetLayerSchema, { sessionId: a.subarray(0, 16), sealed: b, counter })),
    toBinary(OnionResponseSchema, create(OnionResponseSchema, { response: { case: 'delivered', value: a }, padding: b })),
  ]);
  /** isEncodingOf against the slow definition: decode, re-encode, compare. */
  const agrees = (index: number, input: Uint8Array): void => {
    const schema = schemas[index]!;
    let message;
    try {
      message = fromBinary(schema, input, { readUnknownFields: false });
    } catch {
      return; // not a decodable message: decodeCanonical fails before asking
    }
    assert.equal(isEncodingOf(schema, message, input), Buffer.from(toBinary(schema, message)).equals(input));
  };

  it('true for canonical encodings', () => {
    fc.assert(
      fc.property(encodings, (all) => all.forEach((encoded, i) => assert.equal(isEncodingOf(schemas[i]!, fromBinary(schemas[i]!, encoded), encoded), true))),
      runs,
    );
  });

  it('the same answer as re-encoding for a changed, cut, lengthened or reordered encoding', () => {
    fc.assert(
      fc.property(encodings, fc.nat(), fc.integer({ min: 1, max: 255 }), (all, at, xor) => {
        all.forEach((encoded, i) => {
          const changed = encoded.slice();
          if (changed.length > 0) changed[at % changed.length]! ^= xor;
          agrees(i, changed);
          agrees(i, encoded.subarray(0, at % (encoded.length + 1)));
          agrees(i, new Uint8Array([...encoded, 0x0a, 0x00])); // field 1 again, empty
          agrees(i, new Uint8Array([...encoded.subarray(at % (encoded.length + 1)), ...encoded.subarray(0, at % (encoded.length + 1))]));
        });
      }),
      runs,
    );
  });
});

