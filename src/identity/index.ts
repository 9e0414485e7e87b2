/**
 * The identity layer: account keys from the recovery phrase, the Account ID text codec and signed
 * prekey bundles. Pure: no I/O; all cryptography goes through the injected CryptoProvider.
 */
export {
  ACCOUNT_ID_LENGTH,
  ACCOUNT_ID_PREFIX,
  ACCOUNT_ID_VERSION,
  decodeAccountId,
  encodeAccountId,
  isAccountId,
  shortAccountId,
} from './account-id.ts';
export { ACCOUNT_KEY_LABELS, deriveAccountKeys, deriveAccountKeysFromSeed } from './account-keys.ts';
export type { AccountKeys } from './account-keys.ts';
export {
  ACCOUNT_SEED_BYTES,
  entropyToRecoveryPhrase,
  generateRecoveryPhrase,
  isValidRecoveryPhrase,
  MAX_RECOVERY_PHRASE_CHARS,
  normalizeRecoveryPhrase,
  RECOVERY_ENTROPY_BYTES,
  RECOVERY_PHRASE_WORDS,
  recoveryPhraseToEntropy,
  recoveryPhraseToSeed,
} from './recovery-phrase.ts';
export { signPrekeyBundle, verifyPrekeyBundle } from './prekey-bundle.ts';
export type { PrekeyBundleFields, VerifyPrekeyBundleOptions } from './prekey-bundle.ts';
export {
  MAX_ONE_TIME_ML_KEM_PREKEYS,
  MAX_ONE_TIME_X25519_PREKEYS,
  MAX_PREKEY_BUNDLE_BYTES,
  MAX_PREKEY_BUNDLE_LIFETIME_MS,
  PREKEY_BUNDLE_MAX_CLOCK_SKEW_MS,
} from './prekey-bundle-limits.ts';
export type { Prekey, PrekeyBundle } from './prekey-bundle-limits.ts';
