import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { isSamizdatError } from '../errors.ts';
import { decodeProfileFile, encodeProfileFile, isEncryptedProfileFile } from './profile-file.ts';

const crypto = createNodeCryptoProvider();
const cheap = { memoryKiB: 64, passes: 1, parallelism: 1 };
const secret = { recoveryPhrase: 'abandon '.repeat(23) + 'art', createdAt: 1_700_000_000_000 };

describe('profile file', () => {
  it('round-trips in both forms', () => {
    assert.deepEqual(decodeProfileFile(crypto, encodeProfileFile(crypto, secret, undefined), undefined), secret);
    const sealed = encodeProfileFile(crypto, secret, 'pw', cheap);
    assert.ok(isEncryptedProfileFile(sealed));
    assert.deepEqual(decodeProfileFile(crypto, sealed, 'pw'), secret);
  });

  it('uses a fresh salt and nonce on every write', () => {
    const a = new TextDecoder().decode(encodeProfileFile(crypto, secret, 'pw', cheap));
    const b = new TextDecoder().decode(encodeProfileFile(crypto, secret, 'pw', cheap));
    assert.notEqual(a, b);
  });

  it('rejects a wrong or missing passphrase with WRONG_PASSPHRASE', () => {
    const sealed = encodeProfileFile(crypto, secret, 'pw', cheap);
    assert.throws(() => decodeProfileFile(crypto, sealed, 'PW'), (e) => isSamizdatError(e, 'WRONG_PASSPHRASE'));
    assert.throws(() => decodeProfileFile(crypto, sealed, undefined), (e) => isSamizdatError(e, 'WRONG_PASSPHRASE'));
  });

  it('detects edited KDF parameters and flipped ciphertext bits', () => {
    const file = JSON.parse(new TextDecoder().decode(encodeProfileFile(crypto, secret, 'pw', cheap))) as Record<string, unknown> & {
      kdf: { memoryKiB: number };
      ciphertext: string;
    };
    const edited = { ...file, kdf: { ...file.kdf, memoryKiB: 128 } };
    assert.throws(() => decodeProfileFile(crypto, new TextEncoder().encode(JSON.stringify(edited)), 'pw'), (e) => isSamizdatError(e, 'WRONG_PASSPHRASE'));
    const flipped = { ...file, ciphertext: (file.ciphertext.startsWith('0') ? '1' : '0') + file.ciphertext.slice(1) };
    assert.throws(() => decodeProfileFile(crypto, new TextEncoder().encode(JSON.stringify(flipped)), 'pw'), (e) => isSamizdatError(e, 'WRONG_PASSPHRASE'));
  });

  it('refuses absurd KDF costs from a damaged file before doing the work', () => {
    const file = JSON.parse(new TextDecoder().decode(encodeProfileFile(crypto, secret, 'pw', cheap))) as { kdf: { memoryKiB: number } };
    file.kdf.memoryKiB = 2 ** 40;
    assert.throws(() => decodeProfileFile(crypto, new TextEncoder().encode(JSON.stringify(file)), 'pw'), (e) => isSamizdatError(e, 'PROFILE_CORRUPT'));
  });

  it('random bytes and random JSON raise only PROFILE_CORRUPT or WRONG_PASSPHRASE', () => {
    const ok = (e: unknown): boolean => isSamizdatError(e, 'PROFILE_CORRUPT') || isSamizdatError(e, 'WRONG_PASSPHRASE');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        assert.throws(() => decodeProfileFile(crypto, bytes, 'pw'), ok);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const bytes = new TextEncoder().encode(JSON.stringify({ version: 1, encryption: 'none', secret: value }));
        try {
          const parsed = decodeProfileFile(crypto, bytes, undefined);
          assert.equal(typeof parsed.recoveryPhrase, 'string');
          assert.ok(Number.isSafeInteger(parsed.createdAt));
        } catch (e) {
          assert.ok(ok(e), String(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});
