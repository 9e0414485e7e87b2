import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { OnionRequestSchema, OnionResponseSchema, SealedLayerSchema } from '../wire/gen/samizdat/v1/onion_pb.ts';
import { MAX_FRAME_BYTES, decodeMessage, encodeMessage } from '../wire/index.ts';
import { CREATE_SIZE_SLACK, REQUEST_SIZE_SLACK, RESPONSE_SIZE_SLACK, encodeOnionRequest, encodeOnionResponse } from './message-size.ts';
import { createNodeCryptoProvider, generateHybridKeyPair } from '../crypto/index.ts';
import { OnionCircuit } from './client-circuit.ts';
import { onionKeyId } from './onion-keys.ts';
import { PADDING_BUCKETS } from './padding.ts';

/** A serialized SealedLayer, as a hop puts it in RelayData.layer and OnionResponse.relayed. */
const sealedLayer = (sealed: Uint8Array): Uint8Array => encodeMessage(SealedLayerSchema, create(SealedLayerSchema, { nonce: new Uint8Array(12), sealed }));

const requestSizes = new Set(PADDING_BUCKETS.map((b) => b + REQUEST_SIZE_SLACK));
const createSizes = new Set(PADDING_BUCKETS.map((b) => b + CREATE_SIZE_SLACK));
const responseSizes = new Set(PADDING_BUCKETS.map((b) => b + RESPONSE_SIZE_SLACK));

describe('onion message size classes', () => {
  it('a filled request is exactly the protobuf encoding with that padding, and lands on a size class', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000 }), fc.integer({ min: 0, max: 300_000 }), (sealed, timeoutMs) => {
        const init = { request: { case: 'relay' as const, value: { circuitId: new Uint8Array(16).fill(7), layer: sealedLayer(sealed) } }, timeoutMs };
        const filled = encodeOnionRequest(init);
        const decoded = decodeMessage(OnionRequestSchema, filled);
        assert.deepEqual(encodeMessage(OnionRequestSchema, create(OnionRequestSchema, { ...init, padding: decoded.padding })), filled);
        assert.ok(requestSizes.has(filled.length), `${filled.length} is a request size class`);
        assert.ok(decoded.padding.every((b) => b === 0));
      }),
      { numRuns: 60 },
    );
  });

  it('every kind of request encodes exactly as protobuf does (the request field is laid out before the rest)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), fc.integer({ min: 0, max: 300_000 }), (layer, timeoutMs) => {
        const circuitId = new Uint8Array(16).fill(9);
        for (const request of [
          { case: 'create' as const, value: { circuitId, layer } },
          { case: 'relay' as const, value: { circuitId, layer } },
          { case: 'deliver' as const, value: { layer } },
          { case: 'destroy' as const, value: { circuitId } },
          { case: undefined },
        ]) {
          const filled = encodeOnionRequest({ request, timeoutMs });
          const decoded = decodeMessage(OnionRequestSchema, filled);
          assert.deepEqual(filled, toBinary(OnionRequestSchema, create(OnionRequestSchema, { request, timeoutMs, padding: decoded.padding })));
          // A create has its own size classes; every other kind shares the smaller ones.
          const classes = request.case === 'create' ? createSizes : requestSizes;
          if (filled.length <= MAX_FRAME_BYTES - 64 - 1_000) assert.ok(classes.has(filled.length), `${request.case}: ${filled.length} is one of its size classes`);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('a filled response is exactly the protobuf encoding with that padding, and lands on a size class', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000 }), (sealed) => {
        const init = { response: { case: 'relayed' as const, value: sealedLayer(sealed) } };
        const filled = encodeOnionResponse(init);
        const decoded = decodeMessage(OnionResponseSchema, filled);
        assert.deepEqual(encodeMessage(OnionResponseSchema, create(OnionResponseSchema, { ...init, padding: decoded.padding })), filled);
        assert.ok(responseSizes.has(filled.length), `${filled.length} is a response size class`);
      }),
      { numRuns: 60 },
    );
  });

  it('requests of a real circuit land in the size class of their bucket, creates in theirs', () => {
    const crypto = createNodeCryptoProvider();
    // Ed25519 peer IDs (52 characters) and two addresses per hop, as nodes publish them.
    const hop = (i: number) => {
      const key = generateHybridKeyPair(crypto);
      const peerId = `12D3KooW${String(i).repeat(44)}`;
      return { peerId, addresses: [`/ip4/203.0.113.${i}/tcp/40001`, `/ip6/2001:db8::${i}/tcp/40001/ws`], onionPublicKey: key.publicKey, keyId: onionKeyId(crypto, key.publicKey) };
    };
    const [guard, middle, exit, target] = [1, 2, 3, 4].map(hop);
    if (guard === undefined || middle === undefined || exit === undefined || target === undefined) throw new Error('hops');
    const circuit = new OnionCircuit(crypto, [guard, middle, exit], Date.now);
    assert.equal(circuit.createRequest({ timeoutMs: 300_000 }).length, 1_024 + CREATE_SIZE_SLACK);
    // The largest request of the 1 KiB bucket, in an opening target layer (the larger form).
    for (const [length, bucket] of [[0, 1_024], [1_000, 1_024], [1_100, 4_096], [4_000, 4_096]] as const) {
      const wrapped = circuit.wrapTargetRequest(target, new Uint8Array(length), { timeoutMs: 300_000 });
      assert.equal(wrapped.request.length, bucket + REQUEST_SIZE_SLACK, `a ${length}-byte request`);
    }
  });
});
