import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { byteVariants, decodeOutcome as outcome } from '../../test/support/decode-agreement.ts';
import { ExitPayloadSchema } from '../wire/gen/samizdat/v1/onion_pb.ts';
import { decodeExitPayload, encodeExitPayloadBytes } from './exit-codec.ts';
import { decodeCanonical } from './strict-decode.ts';

// Any text, including a leading U+FEFF and non-ASCII, and the usual peer IDs and multiaddrs.
const texts = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.constant('\uFEFFpeer'), fc.constant('/ip4/127.0.0.1/tcp/4001'));
const targets = fc.record({ peerId: texts, addresses: fc.array(texts, { maxLength: 4 }) });

describe('exit payload, by hand', () => {
  it('writes exactly what toBinary writes', () => {
    fc.assert(
      fc.property(targets, fc.uint8Array({ maxLength: 2_000 }), (target, targetLayer) => {
        assert.deepEqual(encodeExitPayloadBytes(target, targetLayer), toBinary(ExitPayloadSchema, create(ExitPayloadSchema, { target, targetLayer })));
      }),
      { numRuns: 300 },
    );
  });

  it('reads every input exactly as decodeCanonical does, or fails the same way', () => {
    fc.assert(
      fc.property(targets, fc.uint8Array({ maxLength: 600 }), fc.nat(), fc.nat(255), fc.uint8Array({ maxLength: 60 }), (target, targetLayer, at, byte, noise) => {
        const encoded = toBinary(ExitPayloadSchema, create(ExitPayloadSchema, { target, targetLayer }));
        for (const bytes of byteVariants(encoded, at, byte, noise)) {
          assert.deepEqual(outcome(() => decodeExitPayload(bytes)), outcome(() => decodeCanonical(ExitPayloadSchema, bytes)));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('invalid UTF-8 in a peer ID or address takes the general path and is refused as there', () => {
    const encoded = toBinary(ExitPayloadSchema, create(ExitPayloadSchema, { target: { peerId: 'peer', addresses: ['addr'] }, targetLayer: new Uint8Array([1]) }));
    for (const at of [4, 10]) {
      const bad = encoded.slice();
      bad[at] = 0xff; // inside "peer", then inside "addr"
      assert.deepEqual(outcome(() => decodeExitPayload(bad)), outcome(() => decodeCanonical(ExitPayloadSchema, bad)));
      assert.equal(outcome(() => decodeExitPayload(bad)), 'MALFORMED');
    }
  });
});
