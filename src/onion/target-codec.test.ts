import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { byteVariants as variants, decodeOutcome as outcome } from '../../test/support/decode-agreement.ts';
import { TargetLayerSchema, TargetRequestBodySchema, TargetResponseBodySchema } from '../wire/gen/samizdat/v1/onion_pb.ts';
import { pad } from './padding.ts';
import { decodeCanonical } from './strict-decode.ts';
import {
  decodeRequestBody,
  decodeResponseBody,
  decodeTargetLayer,
  encodeAnswerPadded,
  encodeOpeningLayer,
  encodeRequestBodyPadded,
  encodeSessionLayer,
} from './target-codec.ts';

const bytes = (maxLength: number) => fc.uint8Array({ maxLength });
const counters = fc.oneof(fc.bigInt({ min: 0n, max: 1_000n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
const times = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));

describe('target layer codec, by hand', () => {
  it('writes request and answer bodies into their bucket exactly as pad(toBinary(...))', () => {
    fc.assert(
      fc.property(bytes(5_000), times, (request, sentAtMs) => {
        assert.deepEqual(encodeRequestBodyPadded(request, sentAtMs), pad(toBinary(TargetRequestBodySchema, create(TargetRequestBodySchema, { sentAtMs: BigInt(sentAtMs), request }))));
        assert.deepEqual(encodeAnswerPadded(request), pad(toBinary(TargetResponseBodySchema, create(TargetResponseBodySchema, { body: { case: 'answer', value: request } }))));
      }),
      { numRuns: 200 },
    );
  });

  it('writes both forms of the target layer exactly as toBinary', () => {
    fc.assert(
      fc.property(bytes(12), bytes(1_200), bytes(3_000), bytes(20), counters, (keyId, kemCiphertext, sealed, sessionId, counter) => {
        assert.deepEqual(encodeOpeningLayer(keyId, kemCiphertext, sealed), toBinary(TargetLayerSchema, create(TargetLayerSchema, { keyId, kemCiphertext, sealed })));
        const session = encodeSessionLayer(sessionId, counter, sealed);
        if (counter < 2n ** 48n) assert.deepEqual(session, toBinary(TargetLayerSchema, create(TargetLayerSchema, { sessionId, counter, sealed })));
        else assert.equal(session, undefined);
      }),
      { numRuns: 200 },
    );
  });

  it('reads every input exactly as decodeCanonical does, or fails the same way', () => {
    fc.assert(
      fc.property(
        bytes(12),
        bytes(1_200),
        bytes(600),
        bytes(20),
        counters,
        times,
        fc.nat(),
        fc.nat(255),
        bytes(40),
        (keyId, kemCiphertext, sealed, sessionId, counter, sentAtMs, at, byte, noise) => {
          const layers = [
            toBinary(TargetLayerSchema, create(TargetLayerSchema, { keyId, kemCiphertext, sealed })),
            toBinary(TargetLayerSchema, create(TargetLayerSchema, { sessionId, counter, sealed })),
          ];
          for (const encoded of layers) {
            for (const b of variants(encoded, at, byte, noise)) {
              assert.deepEqual(outcome(() => decodeTargetLayer(b)), outcome(() => decodeCanonical(TargetLayerSchema, b)));
            }
          }
          const body = toBinary(TargetRequestBodySchema, create(TargetRequestBodySchema, { sentAtMs: BigInt(sentAtMs), request: sealed }));
          for (const b of variants(body, at, byte, noise)) {
            assert.deepEqual(outcome(() => decodeRequestBody(b)), outcome(() => decodeCanonical(TargetRequestBodySchema, b)));
          }
          const answer = toBinary(TargetResponseBodySchema, create(TargetResponseBodySchema, { body: { case: 'answer', value: sealed } }));
          for (const b of variants(answer, at, byte, noise)) {
            assert.deepEqual(outcome(() => decodeResponseBody(b)), outcome(() => decodeCanonical(TargetResponseBodySchema, b)));
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
