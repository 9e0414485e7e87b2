import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { SamizdatError } from '../errors.ts';
import { KNOWN_ERROR_CODES, PEER_ERROR_CODES, isKnownErrorCode, isPeerErrorCode } from './error-codes.ts';
import { decodeErrorReply, encodeErrorReply, errorFromReply, errorReply, errorReplyFromError } from './error-reply.ts';
import { ErrorReplySchema } from './gen/samizdat/v1/frame_pb.ts';
import { MAX_ERROR_MESSAGE_LENGTH, MAX_RETRY_AFTER_MS } from './limits.ts';

function reply(code: string, message = 'm', retryAfterMs = 0n): Uint8Array {
  return toBinary(ErrorReplySchema, create(ErrorReplySchema, { code, message, retryAfterMs }));
}

describe('error codes', () => {
  it('lists each code once, and peer codes are a subset', () => {
    assert.equal(new Set(KNOWN_ERROR_CODES).size, KNOWN_ERROR_CODES.length);
    for (const code of PEER_ERROR_CODES) assert.ok(KNOWN_ERROR_CODES.includes(code));
    assert.ok(isKnownErrorCode('USAGE') && !isPeerErrorCode('USAGE'));
    assert.ok(isPeerErrorCode('WRONG_SWARM'));
    assert.ok(!isKnownErrorCode('toString') && !isKnownErrorCode('NOPE'));
  });
});

describe('error replies', () => {
  it('carries every peer code, its message and retry hint', () => {
    for (const code of PEER_ERROR_CODES) {
      const err = decodeErrorReply(encodeErrorReply(new SamizdatError(code, `why ${code}`, { retryAfterMs: 1500 })));
      const sentAs = code === 'INTERNAL' ? 'internal error' : `why ${code}`;
      assert.equal(err.code, code);
      assert.equal(err.message, sentAs);
      assert.equal(err.retryAfterMs, code === 'INTERNAL' ? undefined : 1500);
      assert.equal(err.detail['remote'], true);
    }
  });

  it('sends local-only codes and foreign errors as a generic INTERNAL', () => {
    for (const thrown of [new SamizdatError('PROFILE_CORRUPT', '/home/me/x'), new Error('/secret/path'), 'str', undefined]) {
      const sent = errorReplyFromError(thrown);
      assert.equal(sent.code, 'INTERNAL');
      assert.equal(sent.message, 'internal error');
    }
    assert.throws(() => errorReply('USAGE', 'x'), (e: unknown) => e instanceof SamizdatError && e.code === 'INVALID_ARGUMENT');
  });

  it('cleans and bounds what it sends', () => {
    const sent = errorReply('RATE_LIMITED', `a\u001b[2Jb\u202e${'x'.repeat(2000)}`, { retryAfterMs: 1e12 });
    assert.ok(sent.message.startsWith('a\uFFFD[2Jb\uFFFD'));
    assert.equal(sent.message.length, MAX_ERROR_MESSAGE_LENGTH);
    assert.equal(sent.retryAfterMs, BigInt(MAX_RETRY_AFTER_MS));
    assert.equal(errorReply('RATE_LIMITED', 'x', { retryAfterMs: Number.NaN }).retryAfterMs, 0n);
    const emoji = errorReply('MALFORMED', `${'x'.repeat(MAX_ERROR_MESSAGE_LENGTH - 1)}😀`).message;
    assert.equal(emoji.length, MAX_ERROR_MESSAGE_LENGTH - 1);
  });

  it('maps unknown, local-only and out-of-range replies to MALFORMED', () => {
    for (const bytes of [
      reply('NOPE'),
      reply(''),
      reply('USAGE'),
      reply('PROFILE_CORRUPT'),
      reply('__proto__'),
      reply('MALFORMED', 'x'.repeat(MAX_ERROR_MESSAGE_LENGTH + 1)),
      reply('RATE_LIMITED', 'm', BigInt(MAX_RETRY_AFTER_MS) + 1n),
    ]) {
      const err = decodeErrorReply(bytes);
      assert.equal(err.code, 'MALFORMED');
      assert.equal(err.detail['remote'], true);
    }
  });

  it('sanitises an incoming message', () => {
    const err = decodeErrorReply(reply('WRONG_SWARM', 'bad\r\nline\u0007'));
    assert.equal(err.message, 'bad\uFFFD\uFFFDline\uFFFD');
    assert.equal(err.retryAfterMs, undefined);
  });

  it('returns only SamizdatError for any ErrorReply, and throws only MALFORMED/TOO_LARGE on random bytes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 600 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (code, message, retry) => {
        const err = errorFromReply(create(ErrorReplySchema, { code, message, retryAfterMs: retry }));
        assert.ok(err instanceof SamizdatError);
        assert.ok(isPeerErrorCode(err.code));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          assert.ok(decodeErrorReply(bytes) instanceof SamizdatError);
        } catch (err) {
          assert.ok(err instanceof SamizdatError && (err.code === 'MALFORMED' || err.code === 'TOO_LARGE'), String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
