import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { byteVariants as variants, decodeOutcome as outcome } from '../../test/support/decode-agreement.ts';
import { BackwardBodySchema, SealedLayerSchema } from '../wire/gen/samizdat/v1/onion_pb.ts';
import { decodeBackwardBody, decodeCanonical, decodeSealedLayer } from './strict-decode.ts';

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
