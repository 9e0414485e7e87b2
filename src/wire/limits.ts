/**
 * Size limits of the wire layer. Every limit is checked before the bytes it guards are buffered
 * or parsed, so a peer can never make us hold more than these numbers per stream. Collected in
 * docs/LIMITS.md; change both together.
 */

/**
 * Largest plaintext message body a user can send: 64 KiB. Enough for any text message and small
 * inline attachments; larger files will be chunked by the client. Keeping it small bounds what a
 * sender can make every node of a swarm store and replicate.
 */
export const MAX_MESSAGE_BODY_BYTES = 65_536;

/**
 * Largest length-prefixed frame on a libp2p stream: 96 KiB. A 64 KiB body grows on its way out:
 * padding to the next bucket, the sealed-sender envelope (hybrid KEM ciphertext of 1,088 bytes of
 * ML-KEM-768 plus 32 of X25519, AEAD tags and nonces), the encrypted ratchet header, three onion
 * layers each carrying its own KEM ciphertext (about 3.5 KiB together) and the protobuf tags of
 * the RPC. That is under 8 KiB; the remaining headroom (about 24 KiB) leaves room for fields
 * added later without a protocol bump, while one stream still never buffers more than 96 KiB.
 */
export const MAX_FRAME_BYTES = 98_304;

/**
 * Longest unsigned LEB128 varint accepted as a frame length prefix: 4 bytes, which encode values
 * up to 2^28 - 1 (256 MiB). MAX_FRAME_BYTES needs 3; the fourth lets a caller raise `maxBytes`
 * for a special stream (for example a consensus download) without a new wire format. A fifth
 * byte can only mean garbage or an attack, so it is rejected at once instead of being read on.
 */
export const MAX_VARINT_PREFIX_BYTES = 4;

/** The largest length a MAX_VARINT_PREFIX_BYTES-byte prefix can express; `maxBytes` options may not exceed it. */
export const MAX_ENCODABLE_FRAME_BYTES = 2 ** (7 * MAX_VARINT_PREFIX_BYTES) - 1;

/**
 * Longest RpcFrame `kind` string (ASCII). Kinds name a message type such as
 * `samizdat.v1.MailboxStoreRequest`; 128 characters is far more than any real name needs and
 * keeps a hostile kind from flooding logs.
 */
export const MAX_KIND_LENGTH = 128;

/**
 * Longest ErrorReply `message` (UTF-16 code units). The text is shown to a user in one line;
 * anything longer is noise or an attempt to flood a log or a terminal.
 */
export const MAX_ERROR_MESSAGE_LENGTH = 512;

/**
 * Largest `retry_after_ms` a peer may send: 24 hours. Longer waits are not a rate limit but a
 * refusal; a client must not be told to stay silent for a year by one node.
 */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * Deepest nesting of protobuf messages accepted. Our schemas nest a few levels; the library's
 * default of 100 would let one hostile frame drive deep recursion for nothing.
 */
export const MAX_MESSAGE_NESTING = 16;

/** The RpcFrame version this code speaks. A frame with any other version is MALFORMED. */
export const RPC_VERSION = 1;
