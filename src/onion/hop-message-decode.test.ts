import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { byteVariants, decodeOutcome as outcome } from '../../test/support/decode-agreement.ts';
import { OnionRequestSchema, OnionResponseSchema } from '../wire/gen/samizdat/v1/onion_pb.ts';
import { decodeMessage } from '../wire/index.ts';
import { decodeOnionRequest, decodeOnionResponse } from './hop-message-decode.ts';
import { encodeOnionRequest, encodeOnionResponse } from './message-size.ts';

const bytes = fc.uint8Array({ maxLength: 3_000 });
const timeouts = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0xffffffff }));
const requests = fc.oneof(
  fc.record({ case: fc.constant('relay' as const), value: fc.record({ circuitId: fc.uint8Array({ maxLength: 20 }), layer: bytes }) }),
  fc.record({ case: fc.constant('deliver' as const), value: fc.record({ layer: bytes }) }),
  fc.record({ case: fc.constant('destroy' as const), value: fc.record({ circuitId: fc.uint8Array({ maxLength: 20 }) }) }),
  fc.record({ case: fc.constant('create' as const), value: fc.record({ circuitId: fc.uint8Array({ maxLength: 20 }), layer: bytes }) }),
);
const responses = fc.oneof(
  fc.record({ case: fc.constantFrom('created' as const, 'relayed' as const, 'delivered' as const), value: bytes }),
  fc.record({ case: fc.constant('destroyed' as const), value: fc.boolean() }),
  fc.record({ case: fc.constant('error' as const), value: fc.record({ code: fc.constantFrom('PATH_FAILED', 'MALFORMED'), message: fc.string({ maxLength: 40 }) }) }),
);

describe('onion requests and answers, read by hand', () => {
  it('read what the size-class encoders write exactly as protobuf-es does', () => {
    fc.assert(
      fc.property(requests, timeouts, responses, (request, timeoutMs, response) => {
        const filled = encodeOnionRequest({ request, timeoutMs });
        assert.deepEqual(decodeOnionRequest(filled), decodeMessage(OnionRequestSchema, filled));
        const answer = encodeOnionResponse({ response });
        assert.deepEqual(decodeOnionResponse(answer), decodeMessage(OnionResponseSchema, answer));
      }),
      { numRuns: 300 },
    );
  });

  it('read the relay request a hop forwards without copying its layer', () => {
    const layer = new Uint8Array(2_000).fill(5);
    const filled = encodeOnionRequest({ request: { case: 'relay', value: { circuitId: new Uint8Array(16).fill(1), layer } }, timeoutMs: 9_000 });
    const decoded = decodeOnionRequest(filled);
    assert.equal(decoded.request.case, 'relay');
    assert.equal(decoded.timeoutMs, 9_000);
    assert.equal(decoded.request.value.layer.buffer, filled.buffer);
    assert.deepEqual(decoded.request.value.layer, layer);
  });

  it('read every other input (changed, cut, extended, unpadded, random) as protobuf-es does, or fail the same way', () => {
    fc.assert(
      fc.property(requests, timeouts, responses, fc.nat(), fc.nat(255), fc.uint8Array({ maxLength: 80 }), (request, timeoutMs, response, at, byte, noise) => {
        const requestEncodings = [encodeOnionRequest({ request, timeoutMs }), toBinary(OnionRequestSchema, create(OnionRequestSchema, { request, timeoutMs }))];
        for (const encoded of requestEncodings) {
          for (const variant of byteVariants(encoded, at, byte, noise)) {
            assert.deepEqual(outcome(() => decodeOnionRequest(variant)), outcome(() => decodeMessage(OnionRequestSchema, variant)));
          }
        }
        const responseEncodings = [encodeOnionResponse({ response }), toBinary(OnionResponseSchema, create(OnionResponseSchema, { response }))];
        for (const encoded of responseEncodings) {
          for (const variant of byteVariants(encoded, at, byte, noise)) {
            assert.deepEqual(outcome(() => decodeOnionResponse(variant)), outcome(() => decodeMessage(OnionResponseSchema, variant)));
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('hand a non-minimal length, an explicit zero timeout or fields out of order to protobuf-es', () => {
    const layer = Uint8Array.of(1, 2, 3);
    const cases = [
      // relay { layer (length as a two-byte varint) }
      Uint8Array.of(0x12, 0x06, 0x12, 0x83, 0x00, 1, 2, 3),
      // relay { layer }, timeout_ms = 0 written out
      Uint8Array.of(0x12, 0x05, 0x12, 0x03, ...layer, 0x70, 0x00),
      // timeout_ms first, then relay { layer }
      Uint8Array.of(0x70, 0x05, 0x12, 0x05, 0x12, 0x03, ...layer),
      // relay { layer, circuit_id } (fields swapped)
      Uint8Array.of(0x12, 0x08, 0x12, 0x03, ...layer, 0x0a, 0x01, 0x09),
      // relayed, then a second relayed
      Uint8Array.of(0x12, 0x01, 0x07, 0x12, 0x01, 0x08),
    ];
    for (const encoded of cases) {
      assert.deepEqual(outcome(() => decodeOnionRequest(encoded)), outcome(() => decodeMessage(OnionRequestSchema, encoded)));
      assert.deepEqual(outcome(() => decodeOnionResponse(encoded)), outcome(() => decodeMessage(OnionResponseSchema, encoded)));
    }
  });
});
