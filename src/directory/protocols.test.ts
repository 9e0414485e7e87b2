import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { SamizdatError } from '../errors.ts';
import { encodeErrorReply } from '../wire/index.ts';
import { ConsensusDocumentSchema, PublishAckSchema } from '../wire/gen/samizdat/v1/directory_pb.ts';
import { samizdatCode } from '../../test/support/providers.ts';
import { decodeDirectoryReply, encodeDirectoryReply } from './protocols.ts';

describe('directory replies', () => {
  it('round-trip the expected case', () => {
    const bytes = encodeDirectoryReply({ case: 'published', value: create(PublishAckSchema, { knownNodes: 7 }) });
    assert.equal(decodeDirectoryReply(bytes, 'published').knownNodes, 7);
  });

  it('turn an error reply into the typed error and an unexpected case into MALFORMED', () => {
    const error = encodeDirectoryReply({ case: 'error', value: encodeErrorReply(new SamizdatError('RATE_LIMITED', 'slow down', { retryAfterMs: 500 })) });
    assert.throws(() => decodeDirectoryReply(error, 'published'), (err: unknown) => {
      assert.ok(err instanceof SamizdatError && err.code === 'RATE_LIMITED' && err.retryAfterMs === 500 && err.detail.remote === true);
      return true;
    });
    const other = encodeDirectoryReply({ case: 'consensus', value: create(ConsensusDocumentSchema) });
    assert.throws(() => decodeDirectoryReply(other, 'published'), samizdatCode('MALFORMED'));
  });

  it('raise only SamizdatError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => {
        try {
          decodeDirectoryReply(bytes, 'consensus');
        } catch (err) {
          assert.ok(err instanceof SamizdatError, String(err));
        }
      }),
      { numRuns: 500 },
    );
  });
});
