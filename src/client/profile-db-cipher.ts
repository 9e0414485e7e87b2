/**
 * Encryption at rest for the profile database. Two keys derive from the account's 32-byte
 * profileKey (src/identity/account-keys.ts) with HKDF-SHA256 and fixed labels:
 *
 *   sealKey  = HKDF(profileKey, salt = "samizdat/v1/profile-db", info = ".../seal")   AES-256-GCM
 *   indexKey = HKDF(profileKey, salt = "samizdat/v1/profile-db", info = ".../index")  HMAC-SHA256
 *
 * A sealed blob is  version (1 byte, 0x01) || nonce (12) || ciphertext || tag (16), and its
 * associated data names the table and the row's key:  "samizdat/v1/profile-db|" table 0x00 rowKey.
 * A blob copied into another row, column or table therefore fails to open (DECRYPT_FAILED)
 * instead of showing one contact's data under another's name.
 *
 * Rows are found by a keyed hash ("blind index") of what identifies them: HMAC-SHA256(indexKey,
 * domain 0x00 (u32 length || part)*). Without indexKey the file reveals no Account ID, name or
 * message ID; with distinct domains, the hash of one peer in `contact` cannot be matched with its
 * hash in `message` or `session`.
 */
import { SamizdatError } from '../errors.ts';
import { assertBytes, concatBytes, u32be, utf8 } from '../crypto/bytes.ts';
import { SIZES, type CryptoProvider } from '../crypto/provider.ts';

const KDF_SALT = 'samizdat/v1/profile-db';
/** HKDF info labels. Frozen: changing one makes every existing profile.db unreadable. */
const SEAL_KEY_LABEL = 'samizdat/v1/profile-db/seal';
const INDEX_KEY_LABEL = 'samizdat/v1/profile-db/index';
const AAD_PREFIX = 'samizdat/v1/profile-db|';

const BLOB_VERSION = 1;
const BLOB_OVERHEAD = 1 + SIZES.aesNonce + SIZES.aesTag;

/** Tables whose rows carry a sealed body. */
export type SealedTable = 'meta' | 'contact' | 'session' | 'message' | 'prekey' | 'setting' | 'outbox';

/** What a blind index hashes; one domain per kind of lookup. */
export type IndexDomain = 'contact' | 'contact-name' | 'session' | 'conversation' | 'message' | 'prekey' | 'seen' | 'setting' | 'cursor' | 'outbox';

export interface ProfileCipher {
  /** Seals `plaintext` for the row `rowKey` of `table`. */
  seal(table: SealedTable, rowKey: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Opens a blob of that row; DECRYPT_FAILED if it was made under another key or for another row. */
  open(table: SealedTable, rowKey: Uint8Array, blob: Uint8Array): Uint8Array;
  /** The 32-byte blind index of `parts` in `domain`. */
  index(domain: IndexDomain, ...parts: readonly Uint8Array[]): Uint8Array;
  /** Overwrites the keys; the cipher is unusable afterwards. */
  wipe(): void;
}

function aad(table: SealedTable, rowKey: Uint8Array): Uint8Array {
  return concatBytes(utf8(`${AAD_PREFIX}${table}`), new Uint8Array(1), rowKey);
}

/** Builds the cipher of one open database from the account's profileKey (32 bytes). */
export function createProfileCipher(crypto: CryptoProvider, profileKey: Uint8Array): ProfileCipher {
  assertBytes('profileKey', profileKey, SIZES.aesKey);
  const salt = utf8(KDF_SALT);
  const sealKey = crypto.hkdf('sha256', profileKey, salt, utf8(SEAL_KEY_LABEL), SIZES.aesKey);
  const indexKey = crypto.hkdf('sha256', profileKey, salt, utf8(INDEX_KEY_LABEL), 32);
  let wiped = false;

  function live(): void {
    if (wiped) throw new SamizdatError('STORAGE_FAILED', 'the profile database is closed');
  }

  return {
    seal(table, rowKey, plaintext) {
      live();
      assertBytes('rowKey', rowKey);
      assertBytes('plaintext', plaintext);
      // Random 96-bit nonces: NIST SP 800-38D §8.3 allows 2^32 seals under one key with random
      // nonces (collision chance below 2^-32). A profile seals once per write: even a million
      // messages and ratchet updates a year stays far below that for centuries. A counter would
      // need its own durable state shared by every process that opens the file.
      const nonce = crypto.randomBytes(SIZES.aesNonce);
      const sealed = crypto.aesGcmSeal(sealKey, nonce, plaintext, aad(table, rowKey));
      return concatBytes(Uint8Array.of(BLOB_VERSION), nonce, sealed);
    },

    open(table, rowKey, blob) {
      live();
      assertBytes('rowKey', rowKey);
      if (!(blob instanceof Uint8Array) || blob.length < BLOB_OVERHEAD || blob[0] !== BLOB_VERSION) {
        throw new SamizdatError('DECRYPT_FAILED', `a ${table} record in profile.db is not a sealed blob`, { detail: { table } });
      }
      try {
        return crypto.aesGcmOpen(sealKey, blob.subarray(1, 1 + SIZES.aesNonce), blob.subarray(1 + SIZES.aesNonce), aad(table, rowKey));
      } catch (cause) {
        throw new SamizdatError('DECRYPT_FAILED', `a ${table} record in profile.db does not open with this account's key`, {
          cause,
          detail: { table },
        });
      }
    },

    index(domain, ...parts) {
      live();
      const fields = parts.map((part, i) => {
        assertBytes(`parts[${i}]`, part);
        return concatBytes(u32be(part.length), part);
      });
      return crypto.hmac('sha256', indexKey, concatBytes(utf8(domain), new Uint8Array(1), ...fields));
    },

    wipe() {
      sealKey.fill(0);
      indexKey.fill(0);
      wiped = true;
    },
  };
}
