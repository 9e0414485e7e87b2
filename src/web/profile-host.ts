/**
 * The one profile directory a web server serves, through its life: empty (no account yet: the
 * page offers create and restore), locked (an account encrypted with a passphrase the server was
 * not given: the page asks for it), or open (an AccountSession runs). Create, restore and unlock
 * use src/client's account functions exactly as the CLI's `account create | restore` do.
 */
import type { CryptoProvider, PasswordKdfParams } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import { createAccount, restoreAccount } from '../client/account.ts';
import { openAccountProfile } from '../client/profile-db.ts';
import { createProfileStore, type ProfileStore } from '../client/profile-store.ts';
import { startAccountSession, type AccountSession, type AccountSessionOptions, type ConnectNetwork, type Emit } from './account-session.ts';
import { httpError } from './http.ts';

/** Longest passphrase accepted (as the CLI's --passphrase-file). */
export const MAX_PASSPHRASE_CHARS = 4096;

export interface ProfileHostOptions {
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  /** The profile directory (created on account creation if missing). */
  readonly dir: string;
  readonly connect: ConnectNetwork;
  readonly emit: Emit;
  /** The passphrase given at start (SAMIZDAT_PASSPHRASE, --passphrase-file): open at once. */
  readonly passphrase?: string;
  /** Argon2id cost for accounts created here (tests pass cheap ones). */
  readonly kdfParams?: PasswordKdfParams;
  /** Passed to the account session (test knobs). */
  readonly session?: Pick<AccountSessionOptions, 'pollWaitMs' | 'minPollIntervalMs' | 'retryMs' | 'depositPowBits'>;
}

export interface ProfileState {
  readonly account: { readonly accountId: string; readonly uri: string } | null;
  readonly locked: boolean;
  readonly online: boolean;
}

export interface ProfileHost {
  state(): ProfileState;
  create(passphrase: string | undefined): { accountId: string; recoveryPhrase: string };
  restore(phrase: string, passphrase: string | undefined): { accountId: string };
  unlock(passphrase: string): { accountId: string };
  /** The open account: 423 when locked, PROFILE_MISSING (409) before one exists. */
  session(): AccountSession;
  close(): Promise<void>;
}

/** A passphrase from the API: empty means none; longer than MAX_PASSPHRASE_CHARS is refused. */
export function checkPassphrase(value: string | undefined): string | undefined {
  if (value === undefined || value.length === 0) return undefined;
  if (value.length > MAX_PASSPHRASE_CHARS) throw new SamizdatError('TOO_LARGE', `a passphrase may have at most ${MAX_PASSPHRASE_CHARS} characters`);
  return value;
}

/** Opens the profile host; an explicitly given passphrase that does not open the account fails here. */
export function openProfileHost(options: ProfileHostOptions): ProfileHost {
  const { crypto, now, dir } = options;
  const store: ProfileStore = createProfileStore({ dir, crypto, ...(options.kdfParams === undefined ? {} : { kdfParams: options.kdfParams }) });
  let session: AccountSession | undefined;
  let closed = false;

  const open = (passphrase: string | undefined): AccountSession => {
    const { keys, db } = openAccountProfile({ dir: store.dir, crypto, now, passphrase });
    session = startAccountSession({ crypto, now, keys, db, connect: options.connect, emit: options.emit, ...options.session });
    return session;
  };

  const requireEmpty = (): void => {
    if (closed) throw new SamizdatError('STORAGE_FAILED', 'the server is stopping');
    if (session !== undefined || store.hasAccount()) throw new SamizdatError('PROFILE_EXISTS', 'this profile already holds an account');
  };

  /** Opens an account without a passphrase (also one made by the CLI after the server started). */
  const openIfPlain = (): void => {
    if (session === undefined && !closed && store.hasAccount() && !store.isEncrypted()) open(undefined);
  };

  if (store.hasAccount() && options.passphrase !== undefined) open(options.passphrase);
  else openIfPlain();

  return {
    state() {
      openIfPlain();
      if (session !== undefined) return { account: { accountId: session.keys.accountId, uri: session.uri }, locked: false, online: session.online };
      return { account: null, locked: store.hasAccount(), online: false };
    },

    create(passphrase) {
      requireEmpty();
      const created = createAccount({ crypto, store, now }, passphrase);
      open(passphrase);
      return created;
    },

    restore(phrase, passphrase) {
      requireEmpty();
      const restored = restoreAccount({ crypto, store, now }, phrase, passphrase);
      open(passphrase);
      return restored;
    },

    unlock(passphrase) {
      if (session !== undefined) return { accountId: session.keys.accountId };
      if (!store.hasAccount()) throw new SamizdatError('PROFILE_MISSING', 'this profile has no account yet; create or restore one');
      return { accountId: open(passphrase).keys.accountId };
    },

    session() {
      openIfPlain();
      if (session !== undefined) return session;
      if (store.hasAccount()) throw httpError(423, 'WRONG_PASSPHRASE', 'the profile is locked: unlock it with its passphrase');
      throw new SamizdatError('PROFILE_MISSING', 'this profile has no account yet; create or restore one');
    },

    async close() {
      closed = true;
      const open = session;
      session = undefined;
      await open?.close();
    },
  };
}
