/**
 * Limits of the profile database (profile-db.ts). Every value is checked before anything is
 * sealed or written, so a bug or a hostile peer cannot grow one row without bound.
 */

/** Longest contact name, in Unicode code points: fits a list column and a phone screen. */
export const MAX_CONTACT_NAME_CHARS = 64;

/**
 * Largest message text kept, in UTF-8 bytes: the wire's largest message body (64 KiB), so any text
 * that can arrive can be stored.
 */
export const MAX_MESSAGE_TEXT_BYTES = 64 * 1024;

/** A message ID is 16 random bytes, written as 32 lower-case hex digits. */
export const MESSAGE_ID_BYTES = 16;

/**
 * Largest encoded ratchet session kept for one peer: 1 MiB. A Double Ratchet state with its
 * ML-KEM keys is a few KiB; the 2,000 skipped message keys it may hold add about 160 KiB.
 */
export const MAX_SESSION_STATE_BYTES = 1024 * 1024;

/** Largest private prekey material (an ML-KEM-768 expanded private key is 2,400 bytes). */
export const MAX_PREKEY_MATERIAL_BYTES = 8 * 1024;

/** Most messages one list call returns, so a screen or `--json` dump pages instead of loading all. */
export const MAX_MESSAGE_LIST_LIMIT = 1000;

/** Default for list calls that do not say. */
export const DEFAULT_MESSAGE_LIST_LIMIT = 100;

/** Longest envelope ID remembered for deduplication (mailbox IDs are 32 bytes). */
export const MAX_SEEN_ID_BYTES = 64;

/** Longest setting name and value (settings are small flags and cursors, not documents). */
export const MAX_SETTING_NAME_CHARS = 128;
export const MAX_SETTING_VALUE_BYTES = 4096;

/**
 * Most in-flight sends one resume pass finishes (Messenger.prepare): each is a deposit through the
 * network, so a profile that somehow gathered more catches up over several passes.
 */
export const MAX_OUTBOX_RESUME = 64;

/**
 * How long after its encryption a send cut short may still be deposited (7 days). Later, its
 * recipient may no longer hold the keys to open it: message keys it skipped expire 14 days after
 * it stored them (SKIPPED_KEY_TTL_MS), and the prekeys of a first message 16 days after they were
 * replaced (PREKEY_RETENTION_MS), and it needs time to come online and fetch the message. Such a
 * send ends 'failed', so the user sends it again; this also bounds how long a send whose process
 * cannot be checked (process-liveness.ts) stays 'sending'.
 */
export const OUTBOX_MAX_AGE_MS = 7 * 86_400_000;
