/**
 * Account life cycle on one device: create a new account, restore one from its recovery phrase,
 * and open the stored one. The recovery phrase is the root secret; every key derives from it.
 */
import type { CryptoProvider } from '../crypto/provider.ts';
import { deriveAccountKeys, generateRecoveryPhrase, normalizeRecoveryPhrase, type AccountKeys } from '../identity/index.ts';
import type { ProfileStore } from './profile-store.ts';

export interface CreatedAccount {
  readonly accountId: string;
  readonly recoveryPhrase: string;
}

export interface AccountDeps {
  readonly crypto: CryptoProvider;
  readonly store: ProfileStore;
  readonly now: () => number;
}

/** Creates a new account in an empty profile. PROFILE_EXISTS if the profile already has one. */
export function createAccount(deps: AccountDeps, passphrase: string | undefined): CreatedAccount {
  const recoveryPhrase = generateRecoveryPhrase((n) => deps.crypto.randomBytes(n));
  const keys = deriveAccountKeys(deps.crypto, recoveryPhrase);
  deps.store.createAccount({ recoveryPhrase, createdAt: deps.now() }, passphrase);
  return { accountId: keys.accountId, recoveryPhrase };
}

/** Recreates an account from its phrase. BAD_PHRASE for a wrong phrase; PROFILE_EXISTS if occupied. */
export function restoreAccount(deps: AccountDeps, phrase: string, passphrase: string | undefined): { accountId: string } {
  const recoveryPhrase = normalizeRecoveryPhrase(phrase);
  const keys = deriveAccountKeys(deps.crypto, recoveryPhrase);
  deps.store.createAccount({ recoveryPhrase, createdAt: deps.now() }, passphrase);
  return { accountId: keys.accountId };
}

/** Opens the stored account and derives its keys. */
export function openAccount(deps: AccountDeps, passphrase: string | undefined): AccountKeys {
  const secret = deps.store.loadAccount(passphrase);
  return deriveAccountKeys(deps.crypto, secret.recoveryPhrase);
}
