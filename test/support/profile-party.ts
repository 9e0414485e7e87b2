/** A fresh account and its in-memory profile database, for messenger tests. */
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import { deriveAccountKeys, type AccountKeys } from '../../src/identity/account-keys.ts';
import { generateRecoveryPhrase } from '../../src/identity/recovery-phrase.ts';
import { openProfileDb, type ProfileDb } from '../../src/client/profile-db.ts';

export interface ProfileParty {
  readonly keys: AccountKeys;
  readonly db: ProfileDb;
}

export function newProfileParty(crypto: CryptoProvider, now: () => number = Date.now): ProfileParty {
  const keys = deriveAccountKeys(crypto, generateRecoveryPhrase((n) => crypto.randomBytes(n)));
  return { keys, db: openProfileDb({ path: ':memory:', crypto, now, account: keys }) };
}
