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

export function createReplayWindow(size: number = REPLAY_WINDOW_SIZE): ReplayWindow {
  const words = Math.ceil(size / 32);
  let bits = new Uint32Array(words); // bit i set: counter (highest - i) was seen
  let highest: bigint | undefined;

  const test = (offset: number): boolean => (((bits[offset >>> 5] ?? 0) >>> (offset & 31)) & 1) === 1;
  const set = (offset: number): void => {
    bits[offset >>> 5] = (bits[offset >>> 5] ?? 0) | (1 << (offset & 31));
  };
  const shift = (by: number): void => {
    if (by >= size) {
      bits = new Uint32Array(words);
      return;
    }
    const next = new Uint32Array(words);
    for (let i = 0; i + by < size; i++) {
      if (test(i)) {
        const j = i + by;
        next[j >>> 5] = (next[j >>> 5] ?? 0) | (1 << (j & 31));
      }
    }
    bits = next;
  };

  const window: ReplayWindow = {
    check(counter) {
      if (highest === undefined || counter > highest) return true;
      const offset = highest - counter;
      return offset < BigInt(size) && !test(Number(offset));
    },
    accept(counter) {
      if (!window.check(counter)) return false;
      if (highest === undefined) {
        highest = counter;
      } else if (counter > highest) {
        const by = counter - highest;
        shift(by >= BigInt(size) ? size : Number(by));
        highest = counter;
      }
      set(Number(highest - counter));
      return true;
    },
  };
  return window;
}
