/**
 * Sizes an operator types on the command line: a whole number of bytes (optionally `B`), or one
 * with a binary unit, `K`, `M`, `G` or `T` (KiB, MiB, GiB, TiB; `8G`, `8Gi`, `8GiB` and `8gb` are
 * all 8 x 2^30).
 */
import { SamizdatError } from '../errors.ts';

const UNITS: Readonly<Record<string, number>> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** The byte count of `text`; USAGE naming `flag` when it is not a size in `min..2^53-1`. */
export function parseByteSize(text: string, flag: string, min: number): number {
  const match = /^(\d{1,16})\s*(?:([kmgt])(?:ib?|b)?|b)?$/i.exec(text.trim());
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  const bytes = match === null || unit === undefined ? NaN : Number(match[1]) * unit;
  if (!Number.isSafeInteger(bytes) || bytes < min) {
    throw new SamizdatError('USAGE', `${flag} wants a size of at least ${min} bytes, such as 500M or 8G (got "${text}")`);
  }
  return bytes;
}
