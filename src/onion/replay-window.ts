/**
 * A sliding replay window over the 96-bit nonce counters of one circuit direction (README
 * "Requests over a circuit"): the highest counter seen and a bitmap of the REPLAY_WINDOW_SIZE
 * counters below it, as in IPsec (RFC 4303 §3.4.3). A counter at or below the window, or one
 * marked in it, is a replay. Pure.
 */

/** Counters remembered below the highest one: room for 1,024 requests in flight out of order. */
export const REPLAY_WINDOW_SIZE = 1_024;

export interface ReplayWindow {
  /** True if `counter` would be accepted (does not record it). */
  check(counter: bigint): boolean;
  /** Records `counter`; call only after the layer authenticated. Returns false for a replay. */
  accept(counter: bigint): boolean;
}

/**
 * The bitmap is a ring indexed by counter mod size (RFC 6479): moving the window forward clears
 * only the slots it passes, so accepting the next counter costs O(1), not a shift of the bitmap.
 */
export function createReplayWindow(size: number = REPLAY_WINDOW_SIZE): ReplayWindow {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('replay window size must be a positive integer');
  const bigSize = BigInt(size);
  const bits = new Uint32Array(Math.ceil(size / 32));
  let highest: bigint | undefined;

  const slot = (counter: bigint): number => Number(counter % bigSize);
  const test = (i: number): boolean => (((bits[i >>> 5] ?? 0) >>> (i & 31)) & 1) === 1;
  const set = (i: number): void => {
    bits[i >>> 5] = (bits[i >>> 5] ?? 0) | (1 << (i & 31));
  };
  const clear = (i: number): void => {
    bits[i >>> 5] = (bits[i >>> 5] ?? 0) & ~(1 << (i & 31));
  };

  const window: ReplayWindow = {
    check(counter) {
      if (highest === undefined || counter > highest) return true;
      return highest - counter < bigSize && !test(slot(counter));
    },
    accept(counter) {
      if (!window.check(counter)) return false;
      if (highest === undefined || counter > highest) {
        const by = highest === undefined ? bigSize : counter - highest;
        if (by >= bigSize) bits.fill(0);
        else for (let c = (highest ?? 0n) + 1n; c <= counter; c++) clear(slot(c));
        highest = counter;
      }
      set(slot(counter));
      return true;
    },
  };
  return window;
}
