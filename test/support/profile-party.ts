/** Fresh accounts with in-memory profile databases, for messenger tests. */
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import { deriveAccountKeys, type AccountKeys } from '../../src/identity/account-keys.ts';
import { generateRecoveryPhrase } from '../../src/identity/recovery-phrase.ts';
import { openProfileDb, type ProfileDb } from '../../src/client/profile-db.ts';
import { createMemoryNetwork, type MemoryNetwork } from './memory-swarm.ts';

export interface ProfileParty {
  readonly keys: AccountKeys;
  readonly db: ProfileDb;
}

export function newProfileParty(crypto: CryptoProvider, now: () => number = Date.now): ProfileParty {
  const keys = deriveAccountKeys(crypto, generateRecoveryPhrase((n) => crypto.randomBytes(n)));
  return { keys, db: openProfileDb({ path: ':memory:', crypto, now, account: keys }) };
}

/** Alice and Bob on one in-memory network, with one clock the test moves. */
export interface TwoParties {
  readonly net: MemoryNetwork;
  readonly view: ReturnType<MemoryNetwork['view']>;
  readonly alice: ProfileParty;
  readonly bob: ProfileParty;
  readonly now: () => number;
  readonly advance: (ms: number) => void;
}

export function twoParties(crypto: CryptoProvider): TwoParties {
  let clock = Date.now();
  const now = (): number => clock;
  const net = createMemoryNetwork(crypto, now);
  return {
    net,
    view: net.view(),
    alice: newProfileParty(crypto, now),
    bob: newProfileParty(crypto, now),
    now,
    advance: (ms) => {
      clock += ms;
    },
  };
}
