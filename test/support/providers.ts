/** The providers every conformance test runs against: the native one and the @noble one. */
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import { isSamizdatError, type ErrorCode } from '../../src/errors.ts';
import { createNobleCryptoProvider } from './noble-provider.ts';

export const nodeProvider: CryptoProvider = createNodeCryptoProvider();
export const nobleProvider: CryptoProvider = createNobleCryptoProvider();
export const PROVIDERS: readonly CryptoProvider[] = [nodeProvider, nobleProvider];

/** A predicate for assert.throws: the error is a SamizdatError with `code`. */
export function samizdatCode(code: ErrorCode): (err: unknown) => boolean {
  return (err: unknown) => {
    if (isSamizdatError(err, code)) return true;
    throw new Error(`expected SamizdatError ${code}, got ${String(err)}`, { cause: err });
  };
}
