import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { concatBytes, utf8 } from '../crypto/bytes.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { decodeMessage, encodeMessage } from './codec.ts';
import { RpcFrameSchema } from './gen/samizdat/v1/frame_pb.ts';
import { MAX_FRAME_BYTES, MAX_KIND_LENGTH, RPC_VERSION } from './limits.ts';
import { decodeRpcFrame, encodeRpcFrame } from './rpc-frame.ts';

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => isSamizdatError(err) && err.code === code);
}

function onlyTypedErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SamizdatError, String(err));
    assert.ok(err.code === 'MALFORMED' || err.code === 'TOO_LARGE', err.code);
  }
}

const kindArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,40}$/);

describe('decodeMessage / encodeMessage', () => {
  it('round-trips a message', () => {
    const msg = create(RpcFrameSchema, { version: 1, kind: 'k', body: Uint8Array.of(1, 2) });
    const back = decodeMessage(RpcFrameSchema, encodeMessage(RpcFrameSchema, msg));
    assert.equal(back.kind, 'k');
    assert.deepEqual(back.body, Uint8Array.of(1, 2));
  });

  it('checks the size before parsing', () => {
    throwsCode(() => decodeMessage(RpcFrameSchema, new Uint8Array(11), { maxBytes: 10 }), 'TOO_LARGE');
    throwsCode(() => decodeMessage(RpcFrameSchema, new Uint8Array(MAX_FRAME_BYTES + 1)), 'TOO_LARGE');
    const big = create(RpcFrameSchema, { version: 1, kind: 'k', body: new Uint8Array(100) });
    throwsCode(() => encodeMessage(RpcFrameSchema, big, { maxBytes: 50 }), 'TOO_LARGE');
  });

  it('turns parser failures into MALFORMED', () => {
    throwsCode(() => decodeMessage(RpcFrameSchema, Uint8Array.of(0x1a, 0x05, 1)), 'MALFORMED'); // truncated bytes
    throwsCode(() => decodeMessage(RpcFrameSchema, Uint8Array.of(0x12, 0x01, 0xff)), 'MALFORMED'); // bad UTF-8
    throwsCode(() => decodeMessage(RpcFrameSchema, Uint8Array.of(0x0f)), 'MALFORMED'); // bad wire type
    throwsCode(() => decodeMessage(RpcFrameSchema, new Uint8Array(12).fill(0xff)), 'MALFORMED'); // bad varint
    throwsCode(() => decodeMessage(RpcFrameSchema, 'x' as unknown as Uint8Array), 'INVALID_ARGUMENT');
  });

  it('drops unknown fields', () => {
    const known = toBinary(RpcFrameSchema, create(RpcFrameSchema, { version: 1, kind: 'k' }));
    const withUnknown = concatBytes(known, Uint8Array.of(0x50, 0x07)); // field 10, varint 7
    const decoded = decodeMessage(RpcFrameSchema, withUnknown);
    assert.deepEqual(encodeMessage(RpcFrameSchema, decoded), known);
  });
});

describe('RpcFrame', () => {
  it('round-trips kind and body', () => {
    fc.assert(
      fc.property(kindArb, fc.uint8Array({ maxLength: 300 }), (kind, body) => {
        const frame = decodeRpcFrame(encodeRpcFrame(kind, body));
        assert.equal(frame.version, RPC_VERSION);
        assert.equal(frame.kind, kind);
        assert.deepEqual(frame.body, body);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects unknown versions', () => {
    for (const version of [0, 2, 0xffffffff]) {
      const bytes = toBinary(RpcFrameSchema, create(RpcFrameSchema, { version, kind: 'k' }));
      throwsCode(() => decodeRpcFrame(bytes), 'MALFORMED');
    }
  });

  it('checks kind on both sides', () => {
    const raw = (kind: string): Uint8Array => toBinary(RpcFrameSchema, create(RpcFrameSchema, { version: 1, kind }));
    throwsCode(() => decodeRpcFrame(raw('')), 'MALFORMED');
    throwsCode(() => decodeRpcFrame(raw('a b')), 'MALFORMED');
    throwsCode(() => decodeRpcFrame(raw('a\n')), 'MALFORMED');
    throwsCode(() => decodeRpcFrame(raw('a'.repeat(MAX_KIND_LENGTH + 1))), 'TOO_LARGE');
    assert.equal(decodeRpcFrame(raw('a'.repeat(MAX_KIND_LENGTH))).kind.length, MAX_KIND_LENGTH);
    throwsCode(() => encodeRpcFrame('', new Uint8Array(0)), 'INVALID_ARGUMENT');
    throwsCode(() => encodeRpcFrame('a'.repeat(MAX_KIND_LENGTH + 1), new Uint8Array(0)), 'INVALID_ARGUMENT');
    throwsCode(() => encodeRpcFrame('k', new Uint8Array(MAX_FRAME_BYTES)), 'TOO_LARGE');
  });

  it('rejects oversized frames', () => {
    throwsCode(() => decodeRpcFrame(encodeRpcFrame('k', new Uint8Array(20)), { maxBytes: 10 }), 'TOO_LARGE');
  });

  it('raises only MALFORMED or TOO_LARGE on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat({ max: 100 }), (bytes, max) => {
        onlyTypedErrors(() => decodeRpcFrame(bytes, { maxBytes: max }));
        onlyTypedErrors(() => decodeMessage(RpcFrameSchema, bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('raises only MALFORMED or TOO_LARGE on mutated valid frames', () => {
    const valid = encodeRpcFrame('samizdat.v1.Example', utf8('hello'));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (edits) => {
        const bytes = valid.slice();
        for (const [at, value] of edits) bytes[at] = value;
        onlyTypedErrors(() => decodeRpcFrame(bytes));
      }),
      { numRuns: 2000 },
    );
  });
});
