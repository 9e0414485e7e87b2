/**
 * The on-disk format of a profile's account secret (`account.json`), and its encryption.
 * Pure: bytes in, bytes out; profile-store.ts does the file I/O.
 *
 * Two forms, both JSON with a version:
 *   plain:     {"version":1,"encryption":"none","secret":{...}}                 (file mode 0600)
 *   encrypted: {"version":1,"encryption":"argon2id-aes256gcm","kdf":{...},"nonce":"..","ciphertext":".."}
 * The encrypted form derives a 32-byte key with Argon2id (RFC 9106) from the passphrase and a
 * random 16-byte salt, and seals the secret with AES-256-GCM under a fresh random nonce (one
 * seal per key: the salt is new on every write, so the key is too). The associated data binds
 * the version and the KDF parameters, so a file whose parameters were edited fails to open.
 */
import { SamizdatError } from '../errors.ts';
import { fromHex, toHex, utf8 } from '../crypto/bytes.ts';
import type { CryptoProvider, PasswordKdfParams } from '../crypto/provider.ts';

export const PROFILE_FILE_VERSION = 1;

/**
 * Argon2id cost for a profile passphrase: 64 MiB and 3 passes, RFC 9106's second recommended
 * option, about a quarter of a second on a 2-core machine. The memory makes guessing on GPUs
 * expensive; a phone can still open a profile promptly.
 */
export const PROFILE_KDF_PARAMS: PasswordKdfParams = { memoryKiB: 65536, passes: 3, parallelism: 1 };

/** Upper bounds accepted when reading a file, so a damaged file cannot demand absurd work. */
const MAX_KDF_MEMORY_KIB = 4 * 1024 * 1024;
const MAX_KDF_PASSES = 64;
const MAX_FILE_BYTES = 64 * 1024;

/** What a profile keeps secret. The recovery phrase is the root: every key derives from it. */
export interface AccountSecret {
  readonly recoveryPhrase: string;
  readonly createdAt: number;
}

function corrupt(message: string, cause?: unknown): SamizdatError {
  return new SamizdatError('PROFILE_CORRUPT', `the profile file is damaged: ${message}`, cause === undefined ? {} : { cause });
}

function parseSecret(value: unknown): AccountSecret {
  if (typeof value !== 'object' || value === null) throw corrupt('secret is not an object');
  const { recoveryPhrase, createdAt } = value as Record<string, unknown>;
  if (typeof recoveryPhrase !== 'string' || recoveryPhrase.length === 0 || recoveryPhrase.length > 1024) {
    throw corrupt('recovery phrase missing');
  }
  if (typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt) || createdAt < 0) {
    throw corrupt('creation time missing');
  }
  return { recoveryPhrase, createdAt };
}

function kdfAad(params: PasswordKdfParams, salt: string): Uint8Array {
  return utf8(`samizdat/profile/v${PROFILE_FILE_VERSION}|argon2id|${params.memoryKiB}|${params.passes}|${params.parallelism}|${salt}`);
}

function passphraseKey(crypto: CryptoProvider, passphrase: string, salt: Uint8Array, params: PasswordKdfParams): Uint8Array {
  return crypto.passwordKdf(utf8(passphrase.normalize('NFKC')), salt, params, 32);
}

/** Serializes `secret`, encrypted when a passphrase is given. */
export function encodeProfileFile(
  crypto: CryptoProvider,
  secret: AccountSecret,
  passphrase: string | undefined,
  params: PasswordKdfParams = PROFILE_KDF_PARAMS,
): Uint8Array {
  if (passphrase === undefined) {
    return utf8(`${JSON.stringify({ version: PROFILE_FILE_VERSION, encryption: 'none', secret }, null, 2)}\n`);
  }
  if (passphrase.length === 0) throw new SamizdatError('INVALID_ARGUMENT', 'the passphrase is empty');
  const salt = crypto.randomBytes(16);
  const nonce = crypto.randomBytes(12);
  const saltHex = toHex(salt);
  const key = passphraseKey(crypto, passphrase, salt, params);
  const ciphertext = crypto.aesGcmSeal(key, nonce, utf8(JSON.stringify(secret)), kdfAad(params, saltHex));
  key.fill(0);
  const file = {
    version: PROFILE_FILE_VERSION,
    encryption: 'argon2id-aes256gcm',
    kdf: { ...params, salt: saltHex },
    nonce: toHex(nonce),
    ciphertext: toHex(ciphertext),
  };
  return utf8(`${JSON.stringify(file, null, 2)}\n`);
}

function parseKdf(value: unknown): PasswordKdfParams & { salt: string } {
  if (typeof value !== 'object' || value === null) throw corrupt('kdf parameters missing');
  const { memoryKiB, passes, parallelism, salt } = value as Record<string, unknown>;
  const intIn = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
  if (!intIn(memoryKiB, 8, MAX_KDF_MEMORY_KIB) || !intIn(passes, 1, MAX_KDF_PASSES) || !intIn(parallelism, 1, 16)) {
    throw corrupt('kdf parameters out of range');
  }
  if (typeof salt !== 'string' || !/^[0-9a-f]{32,128}$/.test(salt)) throw corrupt('kdf salt malformed');
  return { memoryKiB, passes, parallelism, salt };
}

/** True when the file is the encrypted form (so a passphrase is needed to open it). */
export function isEncryptedProfileFile(bytes: Uint8Array): boolean {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    return typeof parsed === 'object' && parsed !== null && (parsed as Record<string, unknown>).encryption === 'argon2id-aes256gcm';
  } catch {
    return false;
  }
}

/** Parses (and decrypts) a profile file. PROFILE_CORRUPT or WRONG_PASSPHRASE on failure. */
export function decodeProfileFile(crypto: CryptoProvider, bytes: Uint8Array, passphrase: string | undefined): AccountSecret {
  if (bytes.length > MAX_FILE_BYTES) throw corrupt('file is too large');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw corrupt('not valid JSON', cause);
  }
  if (typeof parsed !== 'object' || parsed === null) throw corrupt('not an object');
  const file = parsed as Record<string, unknown>;
  if (file.version !== PROFILE_FILE_VERSION) throw corrupt(`unknown version ${String(file.version)}`);
  if (file.encryption === 'none') return parseSecret(file.secret);
  if (file.encryption !== 'argon2id-aes256gcm') throw corrupt('unknown encryption');
  if (passphrase === undefined) {
    throw new SamizdatError(
      'WRONG_PASSPHRASE',
      'this profile is protected by a passphrase; set SAMIZDAT_PASSPHRASE or use --passphrase-file',
    );
  }
  const kdf = parseKdf(file.kdf);
  if (typeof file.nonce !== 'string' || !/^[0-9a-f]{24}$/.test(file.nonce)) throw corrupt('nonce malformed');
  if (typeof file.ciphertext !== 'string' || !/^([0-9a-f]{2}){17,}$/.test(file.ciphertext)) throw corrupt('ciphertext malformed');
  const key = passphraseKey(crypto, passphrase, fromHex(kdf.salt), kdf);
  let plaintext: Uint8Array;
  try {
    plaintext = crypto.aesGcmOpen(key, fromHex(file.nonce), fromHex(file.ciphertext), kdfAad(kdf, kdf.salt));
  } catch (cause) {
    throw new SamizdatError('WRONG_PASSPHRASE', 'the passphrase does not open this profile (or the file was altered)', { cause });
  } finally {
    key.fill(0);
  }
  try {
    return parseSecret(JSON.parse(new TextDecoder().decode(plaintext)));
  } catch (cause) {
    if (cause instanceof SamizdatError) throw cause;
    throw corrupt('decrypted secret is not valid JSON', cause);
  }
}
