/**
 * Limits of the post-quantum Double Ratchet (ratchet.ts). Collected in docs/LIMITS.md; change
 * both together. Every limit is checked before the work it bounds is done.
 */

/** The RatchetMessage and RatchetStateRecord format version this code writes and accepts. */
export const RATCHET_VERSION = 1;

/**
 * Skipped message keys one session keeps in total: 2,000 (DESIGN.md §5). They let a message that
 * arrives late or out of order still decrypt, but each one is a key an attacker who seizes the
 * device could use on a recorded message, and each costs about 80 bytes of stored state. 2,000
 * covers a long reordering or a burst of lost messages; past it the oldest keys are dropped
 * first, and the messages they belonged to can no longer be read.
 */
export const MAX_SKIPPED_MESSAGE_KEYS = 2000;

/**
 * Message keys one received message may make us derive and skip: 25,000 (DESIGN.md §5; the
 * Signal spec's MAX_SKIP). A header claiming a larger jump is refused with TOO_MANY_SKIPPED and
 * the state is unchanged: without this bound one message could make us run the chain billions of
 * steps. 25,000 HMAC steps cost a few tens of milliseconds; a real gap that large means the peer
 * sent 25,000 messages we never saw, and the session should be restarted anyway.
 */
export const MAX_SKIP = 25_000;

/**
 * How long a skipped message key is kept: 14 days, the longest a swarm stores a message
 * (DESIGN.md §4). A message still missing after that will never arrive, and deleting its key
 * restores forward secrecy for it. Expiry runs on every encrypt and decrypt (`nowMs`).
 */
export const SKIPPED_KEY_TTL_MS = 14 * 24 * 60 * 60 * 1000;

/**
 * Largest encoded ratchet message accepted or produced: 70 KiB. A 64 KiB body
 * (MAX_MESSAGE_BODY_BYTES) padded to its bucket plus this layer's fixed overhead
 * (RATCHET_MESSAGE_OVERHEAD, 2,367 bytes, mostly the ML-KEM public key and ciphertext every
 * header carries) fits, and the sealed envelope around it still fits in a 96 KiB frame
 * (MAX_FRAME_BYTES). Checked before any parsing.
 */
export const MAX_RATCHET_MESSAGE_BYTES = 71_680;

/**
 * Most bytes this layer adds to a plaintext: the protobuf tags and lengths (2 + 14 + 3 + 5), the
 * 12-byte nonce, the 2,328-byte encrypted header and the body's 16-byte tag.
 */
export const RATCHET_MESSAGE_OVERHEAD = 2367;

/** Largest plaintext ratchetEncrypt accepts, so the message stays within MAX_RATCHET_MESSAGE_BYTES. */
export const MAX_RATCHET_PLAINTEXT_BYTES = MAX_RATCHET_MESSAGE_BYTES - RATCHET_MESSAGE_OVERHEAD;

/**
 * Largest associated data a session accepts: 1 KiB. It goes into every AEAD call of the session
 * (header and body) and into the stored state; the handshake's identity binding needs about a
 * hundred bytes.
 */
export const MAX_RATCHET_ASSOCIATED_DATA_BYTES = 1024;

/**
 * Largest encoded session state decodeRatchetState accepts: 256 KiB. A full state is about
 * 160 KiB (2,000 skipped keys of about 80 bytes, plus keys, the ML-KEM ciphertext and the
 * associated data; 159,350 bytes measured in ratchet-codec.test.ts); anything larger is not one
 * of ours.
 */
export const MAX_RATCHET_STATE_BYTES = 262_144;

/**
 * Messages one sending chain may carry: 2^32 - 1, the largest message number a header can hold.
 * A chain ends at the next ratchet turn, that is as soon as the peer answers; reaching this
 * bound would take a peer silent through four billion messages. Encrypting past it raises
 * NONCE_EXHAUSTED.
 */
export const MAX_CHAIN_MESSAGES = 0xffff_ffff;
