/**
 * Helpers shared by the signed directory objects (descriptors, votes, consensus): byte
 * comparison, bounded times, and the verify-then-parse step for a { body, signature } wrapper.
 */
import { toBinary } from '@bufbuild/protobuf';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { SIZES } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import { decodeMessage } from '../wire/index.ts';
import { sameBytes } from '../crypto/bytes.ts';

/** Lexicographic order of two byte arrays (shorter first on a shared prefix). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** A uint64 time from the wire as a number; MALFORMED when beyond Number.MAX_SAFE_INTEGER. */
export function safeTime(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new SamizdatError('MALFORMED', `${what} is out of range`);
  return Number(value);
}

/** Throws INVALID_ARGUMENT unless `value` is a non-negative safe integer (a caller's time). */
export function assertTime(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new SamizdatError('INVALID_ARGUMENT', `${name} must be a non-negative integer (ms since epoch)`);
  }
}

interface SignedShape {
  body: Uint8Array;
  signature: Uint8Array;
}

/**
 * Decodes a { body, signature } wrapper from untrusted bytes: size first (TOO_LARGE), then the
 * wrapper, which must be canonical (re-encoding gives the same bytes, so equal objects have equal
 * bytes and nothing unsigned rides along), with a 64-byte signature and a non-empty body.
 */
export function decodeSigned<Desc extends DescMessage>(
  schema: Desc,
  bytes: Uint8Array,
  maxBytes: number,
  what: string,
): MessageShape<Desc> & SignedShape {
  if (!(bytes instanceof Uint8Array)) throw new SamizdatError('INVALID_ARGUMENT', `${what} must be a Uint8Array`);
  if (bytes.length > maxBytes) {
    throw new SamizdatError('TOO_LARGE', `${what} of ${bytes.length} bytes exceeds ${maxBytes}`, {
      detail: { limit: maxBytes, actual: bytes.length },
    });
  }
  const message = decodeMessage(schema, bytes, { maxBytes }) as MessageShape<Desc> & SignedShape;
  if (!sameBytes(toBinary(schema, message), bytes)) throw new SamizdatError('MALFORMED', `${what} is not in canonical form`);
  if (message.signature.length !== SIZES.ed25519Signature) {
    throw new SamizdatError('MALFORMED', `${what} signature must be ${SIZES.ed25519Signature} bytes`);
  }
  if (message.body.length === 0) throw new SamizdatError('MALFORMED', `${what} has an empty body`);
  return message;
}
