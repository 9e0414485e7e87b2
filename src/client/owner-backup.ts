/**
 * A backup of the choices that must survive a restore from the recovery phrase (issue 6: "blocks
 * persist across restarts and restores"): the blocked accounts and the requests setting. It lives
 * in the account's own `config` namespace as an owner item (signed by MailboxClient.store), encrypted under a key derived from the
 * profileKey (which comes from the recovery phrase), so only the account can read it and the
 * swarm sees an opaque blob of a padded size.
 *
 * Payload: BACKUP_TAG || nonce (12) || AES-256-GCM(key, nonce, padded JSON, aad = BACKUP_TAG ||
 * account). Republished when the content changes or is a week old (the item lives 14 days).
 */
import { concatBytes, utf8 } from '../crypto/bytes.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { SIZES } from '../crypto/provider.ts';
import { decodeAccountId, encodeAccountId } from '../identity/account-id.ts';
import type { AccountKeys } from '../identity/account-keys.ts';
import type { ProfileDb } from './profile-db.ts';
import { block, requestsEnabled, setRequestsEnabled } from './requests.ts';

export const BACKUP_TAG = utf8('samizdat/v1/owner-backup\u0000');
/** The backup's TTL in the swarm; it is stored again after a week even when unchanged. */
export const BACKUP_TTL_MS = 14 * 86_400_000;
const REFRESH_MS = 7 * 86_400_000;
/** Padding unit of the encrypted JSON, so its size shows only roughly how many blocks there are. */
const PAD_TO = 1024;
/** Largest backup read back: 10,000 blocked accounts at ~70 bytes each. */
export const MAX_OWNER_BACKUP_BYTES = 1024 * 1024;
const PUBLISHED_SETTING = 'backup.published';
const CHECKED_SETTING = 'backup.checked';

interface BackupContent {
  readonly v: 1;
  readonly at: number;
  readonly blocked: readonly string[];
  readonly requests: 'on' | 'off';
}

function backupKey(crypto: CryptoProvider, keys: AccountKeys): Uint8Array {
  return crypto.hkdf('sha256', keys.profileKey, utf8('samizdat/v1/owner-backup'), utf8('key'), SIZES.aesKey);
}

function contentOf(db: ProfileDb, nowMs: number): BackupContent {
  const blocked = db.contacts.list().filter((c) => c.state === 'blocked').map((c) => c.accountId).sort();
  return { v: 1, at: nowMs, blocked, requests: requestsEnabled(db) ? 'on' : 'off' };
}

/** The owner item to store when the backup changed or is due; undefined otherwise. */
export function backupToPublish(crypto: CryptoProvider, db: ProfileDb, keys: AccountKeys, nowMs: number): { body: Uint8Array; state: string } | undefined {
  const content = contentOf(db, nowMs);
  const state = JSON.stringify({ blocked: content.blocked, requests: content.requests });
  const published = db.settings.get(PUBLISHED_SETTING);
  if (published !== undefined) {
    const at = Number(published.slice(0, published.indexOf('|')));
    if (published.slice(published.indexOf('|') + 1) === state && nowMs - at < REFRESH_MS) return undefined;
  }
  const json = utf8(JSON.stringify(content));
  const padded = new Uint8Array(Math.ceil((json.length + 1) / PAD_TO) * PAD_TO); // zero padding after the JSON
  padded.set(json);
  const nonce = crypto.randomBytes(SIZES.aesNonce);
  const sealed = crypto.aesGcmSeal(backupKey(crypto, keys), nonce, padded, concatBytes(BACKUP_TAG, keys.identityPublicKey));
  return { body: concatBytes(BACKUP_TAG, nonce, sealed), state }; // MailboxClient.store adds the owner signature
}

export function backupPublished(db: ProfileDb, state: string, nowMs: number): void {
  db.settings.set(PUBLISHED_SETTING, `${nowMs}|${state}`);
}

/** True once this profile looked for a backup (the first `prepare` after create or restore). */
export function backupChecked(db: ProfileDb): boolean {
  return db.settings.get(CHECKED_SETTING) !== undefined;
}

function isBackup(payload: Uint8Array): boolean {
  return payload.length > BACKUP_TAG.length && BACKUP_TAG.every((b, i) => payload[i] === b);
}

function openBackup(crypto: CryptoProvider, keys: AccountKeys, body: Uint8Array): BackupContent | undefined {
  if (body.length > MAX_OWNER_BACKUP_BYTES) return undefined;
  try {
    const payload = body; // MailboxClient.retrieve checked and removed the owner signature
    if (!isBackup(payload)) return undefined;
    const nonce = payload.subarray(BACKUP_TAG.length, BACKUP_TAG.length + SIZES.aesNonce);
    const plain = crypto.aesGcmOpen(backupKey(crypto, keys), nonce, payload.subarray(BACKUP_TAG.length + SIZES.aesNonce), concatBytes(BACKUP_TAG, keys.identityPublicKey));
    const end = plain.indexOf(0);
    const parsed: unknown = JSON.parse(new TextDecoder().decode(end < 0 ? plain : plain.subarray(0, end)));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { v, at, blocked, requests } = parsed as Partial<BackupContent>;
    if (v !== 1 || typeof at !== 'number' || !Array.isArray(blocked) || (requests !== 'on' && requests !== 'off')) return undefined;
    return { v, at, blocked: blocked.filter((b): b is string => typeof b === 'string'), requests };
  } catch {
    return undefined; // not ours, damaged or from a newer version: ignore
  }
}

/**
 * Applies the newest readable backup among the account's `config` items (after a restore): its
 * blocks are added, and its requests setting taken when this profile has none yet. Marks the
 * profile as checked. Returns how many accounts it blocked.
 */
export function restoreBackup(crypto: CryptoProvider, db: ProfileDb, keys: AccountKeys, bodies: readonly Uint8Array[]): number {
  let newest: BackupContent | undefined;
  for (const body of bodies) {
    const content = openBackup(crypto, keys, body);
    if (content !== undefined && (newest === undefined || content.at > newest.at)) newest = content;
  }
  let blocked = 0;
  db.transaction(() => {
    if (newest !== undefined) {
      for (const accountId of newest.blocked) {
        try {
          if (encodeAccountId(decodeAccountId(accountId)) === keys.accountId) continue;
          if (db.contacts.get(accountId)?.state === 'blocked') continue;
          block(crypto, db, accountId);
          blocked += 1;
        } catch {
          // a damaged entry: skip it, keep the rest
        }
      }
      if (db.settings.get('requests') === undefined) setRequestsEnabled(db, newest.requests === 'on');
    }
    db.settings.set(CHECKED_SETTING, '1');
  });
  return blocked;
}

/** The ids of this account's backup items other than `keep` (to delete superseded ones). */
export function supersededBackups(crypto: CryptoProvider, keys: AccountKeys, items: readonly { id: Uint8Array; body: Uint8Array }[], keep: Uint8Array): Uint8Array[] {
  const keepHex = Buffer.from(keep).toString('hex');
  return items.filter((i) => Buffer.from(i.id).toString('hex') !== keepHex && openBackup(crypto, keys, i.body) !== undefined).map((i) => i.id);
}
