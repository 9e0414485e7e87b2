/**
 * A profile directory on disk: holds the account secret (account.json, mode 0600, encrypted
 * when a passphrase is set). Writes are atomic (temporary file, fsync, rename, fsync of the
 * directory) and never overwrite an existing account, so no crash or mistaken command loses one.
 */
import { closeSync, constants, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { SamizdatError } from '../errors.ts';
import type { CryptoProvider, PasswordKdfParams } from '../crypto/provider.ts';
import { decodeProfileFile, encodeProfileFile, isEncryptedProfileFile, type AccountSecret } from './profile-file.ts';

export const ACCOUNT_FILE = 'account.json';

export interface ProfileStoreOptions {
  readonly dir: string;
  readonly crypto: CryptoProvider;
  /** Argon2id cost; the default is PROFILE_KDF_PARAMS. Tests may pass cheaper parameters. */
  readonly kdfParams?: PasswordKdfParams;
}

export interface ProfileStore {
  readonly dir: string;
  /** True when the directory already holds an account. */
  hasAccount(): boolean;
  /** True when the stored account is encrypted with a passphrase. */
  isEncrypted(): boolean;
  /** Stores a new account; PROFILE_EXISTS if there already is one. */
  createAccount(secret: AccountSecret, passphrase: string | undefined): void;
  /** Reads the account; PROFILE_MISSING, PROFILE_CORRUPT or WRONG_PASSPHRASE on failure. */
  loadAccount(passphrase: string | undefined): AccountSecret;
}

function storageError(message: string, cause: unknown): SamizdatError {
  return new SamizdatError('STORAGE_FAILED', message, { cause });
}

/**
 * Writes `bytes` to a new `file` atomically with mode 0600: the data is synced to a temporary
 * file which is then hard-linked into place, which fails with EEXIST rather than replace a file.
 */
function createFileAtomic(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
  const dirFd = openSync(path.dirname(file), constants.O_RDONLY);
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export function createProfileStore(options: ProfileStoreOptions): ProfileStore {
  const dir = path.resolve(options.dir);
  const accountFile = path.join(dir, ACCOUNT_FILE);
  const { crypto } = options;

  function readAccountFile(): Uint8Array {
    try {
      return readFileSync(accountFile);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new SamizdatError('PROFILE_MISSING', `no account in ${dir}; create one with \`samizdat account create\``);
      }
      throw storageError(`cannot read ${accountFile}`, cause);
    }
  }

  return {
    dir,

    hasAccount(): boolean {
      try {
        statSync(accountFile);
        return true;
      } catch {
        return false;
      }
    },

    isEncrypted(): boolean {
      return isEncryptedProfileFile(readAccountFile());
    },

    createAccount(secret: AccountSecret, passphrase: string | undefined): void {
      if (this.hasAccount()) {
        throw new SamizdatError('PROFILE_EXISTS', `${dir} already holds an account; choose another --profile directory`);
      }
      const bytes = encodeProfileFile(crypto, secret, passphrase, options.kdfParams);
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        createFileAtomic(accountFile, bytes);
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new SamizdatError('PROFILE_EXISTS', `${dir} already holds an account; choose another --profile directory`);
        }
        throw storageError(`cannot write ${accountFile}`, cause);
      }
    },

    loadAccount(passphrase: string | undefined): AccountSecret {
      return decodeProfileFile(crypto, readAccountFile(), passphrase);
    },
  };
}
