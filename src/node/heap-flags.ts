/**
 * V8 flags for long-running service node and authority processes (the devnet starts its members
 * with them; docs/OPERATORS.md's systemd units pass them too).
 *
 * `--max-semi-space-size=8` (MiB): on a 64-bit machine with plenty of memory V8 lets the young
 * generation grow to 32 MiB semi-spaces, while a node's old generation stays near 20 MiB. V8 starts
 * incremental marking whenever the old generation's headroom is smaller than the young
 * generation's capacity, so such a process ran a full mark-compact every half second or so with
 * no memory to reclaim: measured with the `onion` bench's path (4 relay processes, 2,000
 * sequential requests, --trace-gc), 25 to 55 mark-compacts across the relays; with this flag 4,
 * and each relay's CPU per request fell from 1.20-1.39x the client's (whose flags did not change)
 * to 1.06-1.10x, in three interleaved runs. Scavenges of the smaller young generation come about
 * twice as often and cost about a millisecond each.
 */
export const SERVICE_NODE_V8_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
