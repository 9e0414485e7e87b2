/**
 * Account keys: everything an account owns that must come back from the recovery phrase alone.
 * Each key is its own HKDF-SHA256 output from the 32-byte account seed (recovery-phrase.ts):
 *
 *   key material = HKDF-SHA256(ikm = seed, salt = "samizdat/v1/account-keys", info = label, L)
 *
 * with one distinct label per key (ACCOUNT_KEY_LABELS), so no two keys share bytes and a new key
 * can be added later without changing the old ones. Labels are frozen: changing one changes
 * every account. Prekeys are NOT derived here: they are random and rotate (prekey-bundle.ts).
 */
import type { CryptoProvider, PrivateKey } from '../crypto/provider.ts';
import { SIZES } from '../crypto/provider.ts';
import { assertBytes, utf8 } from '../crypto/bytes.ts';
import { encodeAccountId } from './account-id.ts';
import { ACCOUNT_SEED_BYTES, recoveryPhraseToSeed } from './recovery-phrase.ts';

const KEYS_SALT = 'samizdat/v1/account-keys';

/** HKDF info labels, one per derived key. Never change or reuse one. */
export const ACCOUNT_KEY_LABELS = {
  /** Ed25519 seed of the identity key: the Account ID; signs prekey bundles and mailbox requests. */
  identity: 'samizdat/v1/identity-ed25519',
  /** 32-byte symmetric key for data that must be recoverable from the phrase (profile, backups). */
  profileKey: 'samizdat/v1/profile-key',
  /** X25519 half of the long-term mailbox KEM key, for sealed envelopes when no prekey is at hand. */
  mailboxX25519: 'samizdat/v1/mailbox-x25519',
  /** ML-KEM-768 seed (d || z) of the long-term mailbox KEM key, the post-quantum half. */
  mailboxMlKem: 'samizdat/v1/mailbox-ml-kem-768',
} as const;

export interface AccountKeys {
  /** Ed25519 identity private key; `identity.publicKey` is the key behind the Account ID. */
  readonly identity: PrivateKey;
  /** The raw 32-byte Ed25519 identity public key. */
  readonly identityPublicKey: Uint8Array;
  /** The Account ID text ("sz1q..."). */
  readonly accountId: string;
  /** 32-byte symmetric key (AES-256-GCM) for encrypting local account data. */
  readonly profileKey: Uint8Array;
  /** Long-term mailbox KEM key, X25519 part. */
  readonly mailboxX25519: PrivateKey;
  /** Long-term mailbox KEM key, ML-KEM-768 part. */
  readonly mailboxMlKem: PrivateKey;
}

function derive(provider: CryptoProvider, seed: Uint8Array, label: string, length: number): Uint8Array {
  return provider.hkdf('sha256', seed, utf8(KEYS_SALT), utf8(label), length);
}

function deriveKey(
  provider: CryptoProvider,
  seed: Uint8Array,
  label: string,
  algorithm: PrivateKey['algorithm'],
  length: number,
): PrivateKey {
  const raw = derive(provider, seed, label, length);
  try {
    return provider.importPrivateKey(algorithm, raw);
  } finally {
    raw.fill(0);
  }
}

/** Derives all account keys from the 32-byte account seed (see recoveryPhraseToSeed). */
export function deriveAccountKeysFromSeed(provider: CryptoProvider, seed: Uint8Array): AccountKeys {
  assertBytes('seed', seed, ACCOUNT_SEED_BYTES);
  const identity = deriveKey(provider, seed, ACCOUNT_KEY_LABELS.identity, 'ed25519', SIZES.ed25519PrivateKey);
  return {
    identity,
    identityPublicKey: identity.publicKey,
    accountId: encodeAccountId(identity.publicKey),
    profileKey: derive(provider, seed, ACCOUNT_KEY_LABELS.profileKey, SIZES.aesKey),
    mailboxX25519: deriveKey(provider, seed, ACCOUNT_KEY_LABELS.mailboxX25519, 'x25519', SIZES.x25519PrivateKey),
    mailboxMlKem: deriveKey(provider, seed, ACCOUNT_KEY_LABELS.mailboxMlKem, 'ml-kem-768', SIZES.mlKemPrivateSeed),
  };
}

/** Derives all account keys from a recovery phrase (BAD_PHRASE if it is not valid). */
export function deriveAccountKeys(provider: CryptoProvider, phrase: string): AccountKeys {
  const seed = recoveryPhraseToSeed(provider, phrase);
  try {
    return deriveAccountKeysFromSeed(provider, seed);
  } finally {
    seed.fill(0);
  }
}
