/**
 * This account's contact deposit key and mailbox policy (issue 6; src/identity/deposit-proof.ts
 * and mailbox-policy.ts). The deposit key is an Ed25519 key whose public half the account
 * publishes in its `config` namespace (the mailbox policy) and whose private seed it hands to its
 * accepted contacts inside end-to-end messages: their deposits, signed with it, need no proof of
 * work. The policy also says whether the account refuses strangers (`settings set requests off`).
 * Blocking someone rotates the key, so a blocked contact's copy stops working.
 *
 * Kept in the profile database's sealed settings; the policy is republished when it changes.
 */
import { fromHex, toHex } from '../crypto/bytes.ts';
import type { CryptoProvider, PrivateKey } from '../crypto/provider.ts';
import { encodeMailboxPolicy } from '../identity/mailbox-policy.ts';
import { coarseClockMs } from '../wire/coarse-clock.ts';
import type { ProfileDb } from './profile-db.ts';
import { requestsEnabled } from './requests.ts';

const KEY_SETTING = 'deposit.key';
const SEQUENCE_SETTING = 'deposit.policy-sequence';
const PUBLISHED_SETTING = 'deposit.policy-published';
/** The policy item's TTL in the swarm: the longest a mailbox item lives; republished well before. */
export const POLICY_TTL_MS = 14 * 86_400_000;
/** The policy is stored again after this long even when unchanged, so it never expires. */
const POLICY_REFRESH_MS = 7 * 86_400_000;

/** The current deposit key's seed (32 bytes), made on first use. */
export function ownDepositSeed(crypto: CryptoProvider, db: ProfileDb): Uint8Array {
  const stored = db.settings.get(KEY_SETTING);
  if (stored !== undefined) return fromHex(stored);
  return rotateDepositKey(crypto, db);
}

/** Makes a new deposit key (after a block); the policy must then be published again. */
export function rotateDepositKey(crypto: CryptoProvider, db: ProfileDb): Uint8Array {
  const key = crypto.generateKey('ed25519');
  const seed = crypto.exportPrivateKey(key);
  db.settings.set(KEY_SETTING, toHex(seed));
  return seed;
}

/** A deposit key seed received from a contact, as a signing key. */
export function depositSigningKey(crypto: CryptoProvider, seed: Uint8Array): PrivateKey {
  return crypto.importPrivateKey('ed25519', seed);
}

/**
 * The owner item to store in the `config` namespace when the policy changed (key or the requests
 * setting) or is due for a refresh; undefined when the published one is current.
 */
export function policyToPublish(crypto: CryptoProvider, db: ProfileDb, nowMs: number): { body: Uint8Array; state: string; ttlMs: number } | undefined {
  const publicKey = depositSigningKey(crypto, ownDepositSeed(crypto, db)).publicKey;
  const refuseStrangers = !requestsEnabled(db);
  const state = `${toHex(publicKey)}/${refuseStrangers ? 'refuse' : 'open'}`;
  const published = db.settings.get(PUBLISHED_SETTING);
  if (published !== undefined) {
    const [at, was] = [Number(published.split('|')[0]), published.split('|')[1]];
    if (was === state && nowMs - at < POLICY_REFRESH_MS) return undefined;
  }
  const previous = BigInt(db.settings.get(SEQUENCE_SETTING) ?? '0');
  // Follows the clock like bundle sequences, so a restored account outranks its old policies;
  // whole seconds, as every clock a node sees (src/wire/coarse-clock.ts).
  const clock = BigInt(coarseClockMs(nowMs));
  const sequence = previous + 1n > clock ? previous + 1n : clock;
  db.settings.set(SEQUENCE_SETTING, sequence.toString());
  const payload = encodeMailboxPolicy({ contactDepositKey: publicKey, refuseStrangers, sequence });
  return { body: payload, state, ttlMs: POLICY_TTL_MS }; // MailboxClient.store adds the owner signature
}

/** Records that the policy `state` is stored in the swarm. */
export function policyPublished(db: ProfileDb, state: string, nowMs: number): void {
  db.settings.set(PUBLISHED_SETTING, `${nowMs}|${state}`);
}
