/**
 * Limits and timings of the directory. Every number a peer or a network file could push past is
 * a named constant here, checked before the bytes it guards are parsed. Collected in
 * docs/LIMITS.md; change both together.
 */

/** Network file format version this code reads and writes. */
export const NETWORK_FILE_VERSION = 1;

/**
 * Most authorities in one network file: 15. Tor runs 9; a consensus is checked against every
 * signature, so the count bounds the work of a verifier, and a larger set is an operational
 * burden, not more safety.
 */
export const MAX_AUTHORITIES = 15;

/** Most seed addresses in a network file: enough to spread over many hosters and countries. */
export const MAX_SEEDS = 64;

/** Longest network name (ASCII letters, digits, `.`, `_`, `-`). */
export const MAX_NETWORK_NAME_LENGTH = 64;

/** Most addresses an authority or a node announces: IPv4 + IPv6, TCP + WebSocket, with room. */
export const MAX_ADDRESSES = 8;

/** Longest multiaddr text accepted (an /ip6/.../tcp/.../ws address is under 70 characters). */
export const MAX_ADDRESS_LENGTH = 128;

/** Default and bounds of `swarmSize` (k of DESIGN.md §4); a swarm beyond 32 only costs replication. */
export const DEFAULT_SWARM_SIZE = 5;
export const MAX_SWARM_SIZE = 32;

/**
 * Bounds of `consensusPeriodMs`. One second is for tests and the devnet only; a day is the
 * longest a dead node may stay listed. The default, 5 minutes, drops a dead node from the
 * consensus within about 5 to 10 minutes at a cost of one probe per node per authority per period.
 */
export const MIN_CONSENSUS_PERIOD_MS = 1_000;
export const MAX_CONSENSUS_PERIOD_MS = 86_400_000;
export const DEFAULT_CONSENSUS_PERIOD_MS = 300_000;

/**
 * A consensus is valid for this many periods after its period start, so one missed round (an
 * authority outage, a partition) never leaves clients without a valid consensus, while a
 * consensus older than that is refused (a replay of an old node list).
 */
export const CONSENSUS_LIFETIME_PERIODS = 3;

/** Longest node software version string. */
export const MAX_VERSION_LENGTH = 64;

/**
 * Largest SignedNodeDescriptor: 4 KiB. The body is about 1.3 KiB of keys (32 + 1,184 + 32 bytes),
 * up to 8 addresses of at most 128 characters and a 64-character version: under 2.5 KiB.
 */
export const MAX_DESCRIPTOR_BYTES = 4_096;

/** How far in the future a signed timestamp may lie (clock skew between honest machines). */
export const MAX_CLOCK_SKEW_MS = 300_000;

/**
 * Most nodes in one consensus or vote: 4,096, twice the 2,000-node network of the swarm bench.
 */
export const MAX_CONSENSUS_NODES = 4_096;

/**
 * Largest ConsensusDocument (and SignedVote): 8 MiB. A typical descriptor is about 1.4 KiB
 * (a descriptor with two addresses), so 8 MiB carries 5,000+ typical nodes, or 2,000 nodes even
 * at the largest descriptor size (4 KiB), plus the signatures of every authority (about 100 bytes
 * each). A download is read into memory once, so this also bounds what a hostile peer can make a
 * client buffer.
 */
export const MAX_CONSENSUS_BYTES = 8 * 1024 * 1024;

/** Most signatures a ConsensusDocument may carry (duplicates included); more is garbage. */
export const MAX_CONSENSUS_SIGNATURES = 2 * MAX_AUTHORITIES;

/** Largest network file read from disk (15 authorities and 64 seeds take about 20 KiB). */
export const MAX_NETWORK_FILE_BYTES = 256 * 1024;

/**
 * Bounds of `onionKeyRotationMs`. Daily by default, like Tor's onion keys: a seized node's disk
 * opens no layer recorded more than a day (plus the overlap) ago. Five seconds is for the devnet
 * and tests; a week is the longest a key may protect recorded traffic.
 */
export const DEFAULT_ONION_KEY_ROTATION_MS = 86_400_000;
export const MIN_ONION_KEY_ROTATION_MS = 5_000;
export const MAX_ONION_KEY_ROTATION_MS = 7 * 86_400_000;

/**
 * Bounds of `prekeyRotationMs`: how often clients publish new signed prekeys. About every 12 h by
 * default (DESIGN.md §5; Signal rotates its signed prekey every few days at most): a signed prekey
 * stolen later opens no envelope, and no handshake, sealed to a prekey deleted 16 days after its
 * rotation. Ten seconds is for the devnet and tests; a week is the longest.
 */
export const DEFAULT_PREKEY_ROTATION_MS = 12 * 3_600_000;
export const MIN_PREKEY_ROTATION_MS = 10_000;
export const MAX_PREKEY_ROTATION_MS = 7 * 86_400_000;
