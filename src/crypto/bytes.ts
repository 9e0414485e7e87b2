/** Byte helpers shared by every layer. Pure functions over Uint8Array; no I/O. */
import { SamizdatError } from '../errors.ts';

/** Throws INVALID_ARGUMENT unless `value` is a Uint8Array (of `length`, when given). */
export function assertBytes(name: string, value: unknown, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new SamizdatError('INVALID_ARGUMENT', `${name} must be a Uint8Array`);
  }
  if (length !== undefined && value.length !== length) {
    throw new SamizdatError('INVALID_ARGUMENT', `${name} must be ${length} bytes, got ${value.length}`, {
      detail: { expected: length, actual: value.length },
    });
  }
}

/** Concatenates byte arrays into a new array. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Byte equality, for public data: it returns at the first difference (constantTimeEqual is for secrets). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The two lower-case hex digits of each byte value (toHex runs per relayed message, for circuit keys). */
const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_PAIRS[bytes[i] as number] as string;
  return out;
}

/** Parses even-length hex; throws MALFORMED on anything else (INVALID_ARGUMENT for a non-string). */
export function fromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string') throw new SamizdatError('INVALID_ARGUMENT', 'hex must be a string');
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new SamizdatError('MALFORMED', 'hex string must have an even number of hex digits');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** UTF-8 encoding of `text`. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Reads `byteLength` (at most 6, so the value is exact as a Number) big-endian bytes at `at`. */
export function readUintBE(bytes: Uint8Array, at: number, byteLength: number): number {
  let value = 0;
  for (let i = at; i < at + byteLength; i++) value = value * 256 + (bytes[i] as number);
  return value;
}

/** Writes `value` (below 2^(8 × byteLength), byteLength at most 6) big-endian into `bytes` at `at`. */
export function writeUintBE(bytes: Uint8Array, at: number, byteLength: number, value: number): void {
  let rest = value;
  for (let i = at + byteLength - 1; i >= at; i--) {
    bytes[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
}

/** A big-endian unsigned 32-bit integer. */
export function u32be(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new SamizdatError('INVALID_ARGUMENT', 'value must be an unsigned 32-bit integer');
  }
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

/** A big-endian unsigned 64-bit integer. */
export function u64be(value: bigint): Uint8Array {
  if (value < 0n || value > 0xffffffffffffffffn) {
    throw new SamizdatError('INVALID_ARGUMENT', 'value must be an unsigned 64-bit integer');
  }
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value);
  return out;
}
