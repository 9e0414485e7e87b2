/**
 * Unsigned LEB128 varints, the length prefix of libp2p's length-prefixed streams
 * (it-length-prefixed): seven bits per byte, least significant group first, high bit set on every
 * byte but the last. We accept only the minimal encoding of a value and at most a given number of
 * bytes, so each length has exactly one encoding.
 */
import { SamizdatError } from '../errors.ts';

/** The varint encoding of `value`, a non-negative safe integer. */
export function encodeUvarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SamizdatError('INVALID_ARGUMENT', 'value must be a non-negative safe integer');
  }
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

/** A varint read from the front of a byte sequence. */
export interface UvarintRead {
  readonly value: number;
  /** How many bytes the varint took. */
  readonly length: number;
}

/**
 * Reads a varint through `byteAt(i)` (the i-th available byte, or undefined when not yet
 * received). Returns undefined while the varint is incomplete. Throws MALFORMED if it would take
 * more than `maxLength` bytes or is not minimal (a last byte of zero after the first).
 */
export function readUvarint(byteAt: (index: number) => number | undefined, maxLength: number): UvarintRead | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < maxLength; i++) {
    const byte = byteAt(i);
    if (byte === undefined) return undefined;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      if (byte === 0 && i > 0) {
        throw new SamizdatError('MALFORMED', 'length prefix is not minimally encoded', { detail: { length: i + 1 } });
      }
      return { value, length: i + 1 };
    }
    scale *= 0x80;
  }
  throw new SamizdatError('MALFORMED', `length prefix is longer than ${maxLength} bytes`, {
    detail: { limit: maxLength },
  });
}
