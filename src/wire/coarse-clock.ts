/**
 * The client's clock as it goes on the wire in fields a node only checks for freshness (onion
 * layer clocks, owner-auth timestamps): rounded down to a whole second. A node compares such a
 * field with its own clock; at millisecond precision the difference is the client's clock skew
 * to the millisecond, a fingerprint that a guard (which sees the client's address) and a target
 * (which sees the account) could match. Rounded, clients whose clocks are within a second of
 * true time look alike. The windows that check these fields are minutes wide, so a second of
 * rounding changes nothing else.
 */

/** Granularity of client clocks on the wire. */
export const WIRE_CLOCK_GRANULARITY_MS = 1_000;

/** `nowMs` rounded down to a multiple of WIRE_CLOCK_GRANULARITY_MS (for non-negative integers). */
export function coarseClockMs(nowMs: number): number {
  return nowMs - (nowMs % WIRE_CLOCK_GRANULARITY_MS);
}
