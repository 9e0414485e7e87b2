import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { isSamizdatError } from '../errors.ts';
import { BackwardBodySchema, SealedLayerSchema } from '../wire/gen/samizdat/v1/onion_pb.ts';
import { decodeBackwardBody, decodeCanonical, decodeSealedLayer } from './strict-decode.ts';

/** The decoded message, or the error code thrown. */
function outcome(decode: () => unknown): unknown {
  try {
    return decode();
  } catch (err) {
    return isSamizdatError(err) ? err.code : err;
  }
}

/** Encodings, their prefixes, changed bytes and random bytes: the fast reader must agree with decodeCanonical. */
function variants(encoded: Uint8Array, at: number, byte: number, noise: Uint8Array): Uint8Array[] {
  const changed = encoded.slice();
  if (changed.length > 0) changed[at % changed.length] = byte;
  return [encoded, encoded.subarray(0, at % (encoded.length + 1)), changed, noise, Uint8Array.from([...encoded, byte])];
}

describe('strict layer decoding, read by hand', () => {
  it('a sealed layer decodes exactly as decodeCanonical decodes it, or fails the same way', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ maxLength: 3_000 }), fc.nat(), fc.nat(255), fc.uint8Array({ maxLength: 40 }), (nonce, sealed, at, byte, noise) => {
        const encoded = toBinary(SealedLayerSchema, create(SealedLayerSchema, { nonce, sealed }));
        for (const bytes of variants(encoded, at, byte, noise)) {
          assert.deepEqual(outcome(() => decodeSealedLayer(bytes)), outcome(() => decodeCanonical(SealedLayerSchema, bytes)));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a backward body decodes exactly as decodeCanonical decodes it, or fails the same way', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3_000 }), fc.nat(), fc.nat(255), fc.uint8Array({ maxLength: 40 }), (inner, at, byte, noise) => {
        const encoded = toBinary(BackwardBodySchema, create(BackwardBodySchema, { body: { case: 'inner', value: inner } }));
        for (const bytes of variants(encoded, at, byte, noise)) {
          assert.deepEqual(outcome(() => decodeBackwardBody(bytes)), outcome(() => decodeCanonical(BackwardBodySchema, bytes)));
        }
      }),
      { numRuns: 400 },
    );
  });
});
