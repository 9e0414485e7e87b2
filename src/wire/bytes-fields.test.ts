import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { BackwardBodySchema, SealedLayerSchema } from './gen/samizdat/v1/onion_pb.ts';
import { encodeBytesMessage, encodeOneofBytes, varintSize, writeVarint } from './bytes-fields.ts';
import { encodeUvarint } from './varint.ts';

describe('hand-written protobuf bytes fields', () => {
  it('a message of bytes fields encodes as toBinary, empty fields left out', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 20_000 }), (nonce, sealed) => {
        assert.deepEqual(encodeBytesMessage([[1, nonce], [2, sealed]]), toBinary(SealedLayerSchema, create(SealedLayerSchema, { nonce, sealed })));
      }),
      { numRuns: 200 },
    );
  });

  it('a oneof bytes member encodes as toBinary, even when empty', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), (inner) => {
        assert.deepEqual(encodeOneofBytes(1, inner), toBinary(BackwardBodySchema, create(BackwardBodySchema, { body: { case: 'inner', value: inner } })));
      }),
      { numRuns: 200 },
    );
  });

  it('varints are the usual LEB128', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(300), fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), (value) => {
        const out = new Uint8Array(varintSize(value));
        assert.equal(writeVarint(out, 0, value), out.length);
        assert.deepEqual(out, encodeUvarint(value));
      }),
    );
  });
});
