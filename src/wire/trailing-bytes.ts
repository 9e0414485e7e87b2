/**
 * A faster path to protobuf-es's own encoding for messages that end in a large `bytes` field
 * (a frame body, a sealed layer, padding). toBinary writes into a buffer that starts at 128 bytes
 * and doubles, so a 5 KiB payload is allocated, zero-filled and copied about six times. Protobuf
 * writes fields in field-number order, then unknown fields; so when the highest-numbered field
 * that is set is a `bytes` field and there are no unknown fields, the encoding is exactly
 * toBinary(the message without that field) || tag || varint(length) || bytes. This builds that in
 * one right-sized buffer. The output is byte for byte toBinary's (a property test checks it).
 * isEncodingOf uses the same layout to check that bytes are a message's encoding without building it.
 */
import { ScalarType, isFieldSet, toBinary, type DescField, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';
import { concatBytes } from '../crypto/bytes.ts';

/** Trailing bytes fields shorter than this go through toBinary as usual: nothing to save. */
export const TRAILING_BYTES_MIN = 512;

/** proto3 implicit presence (google.protobuf.FeatureSet.FieldPresence.IMPLICIT). */
const IMPLICIT_PRESENCE = 2;

interface Trailing {
  readonly field: DescField;
  readonly value: Uint8Array;
}

/** The message's last encoded field when it is a large bytes field, else undefined. */
function trailingBytes(schema: DescMessage, message: Record<string, unknown>): Trailing | undefined {
  if (Array.isArray(message.$unknown) && message.$unknown.length > 0) return undefined;
  let last: DescField | undefined;
  for (const field of schema.fields) {
    if ((last === undefined || field.number > last.number) && isFieldSet(message as MessageShape<DescMessage>, field)) last = field;
  }
  if (last === undefined || last.fieldKind !== 'scalar' || last.scalar !== ScalarType.BYTES) return undefined;
  let value: unknown;
  if (last.oneof !== undefined) value = (message[last.oneof.localName] as { value?: unknown } | undefined)?.value;
  else if (Number(last.presence) === IMPLICIT_PRESENCE) value = message[last.localName];
  if (!(value instanceof Uint8Array) || value.length < TRAILING_BYTES_MIN) return undefined;
  return { field: last, value };
}

/** The message with its trailing bytes field cleared (what toBinary writes before that field). */
function withoutTrailing(record: Record<string, unknown>, field: DescField): Record<string, unknown> {
  return field.oneof !== undefined ? { ...record, [field.oneof.localName]: { case: undefined } } : { ...record, [field.localName]: new Uint8Array(0) };
}

/** toBinary(schema, message), with a large trailing bytes field appended instead of written through the growing buffer. */
export function encodeTrailingBytes<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  const record = message as unknown as Record<string, unknown>;
  const trailing = trailingBytes(schema, record);
  if (trailing === undefined) return toBinary(schema, message);
  const { field, value } = trailing;
  const head = toBinary(schema, withoutTrailing(record, field) as unknown as MessageShape<Desc>);
  return concatBytes(head, lengthDelimitedPrefix(field.number, value.length), value);
}

/** Whether `bytes[at..]` begins with `part` (public wire data: no constant-time need). */
function hasAt(bytes: Uint8Array, part: Uint8Array, at: number): boolean {
  return at + part.length <= bytes.length && Buffer.from(bytes.buffer, bytes.byteOffset + at, part.length).equals(part);
}

/**
 * Whether `bytes` is exactly encodeTrailingBytes(schema, message), that is toBinary's encoding,
 * without building it: the head is encoded and compared, then the trailing field's tag, length
 * and bytes are compared where they must sit. For a message decoded from `bytes`, this is the
 * canonical-encoding check without a copy of the (large) trailing field.
 */
export function isEncodingOf<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, bytes: Uint8Array): boolean {
  const record = message as unknown as Record<string, unknown>;
  const trailing = trailingBytes(schema, record);
  if (trailing === undefined) {
    const whole = toBinary(schema, message);
    return whole.length === bytes.length && hasAt(bytes, whole, 0);
  }
  const { field, value } = trailing;
  const head = toBinary(schema, withoutTrailing(record, field) as unknown as MessageShape<Desc>);
  const prefix = lengthDelimitedPrefix(field.number, value.length);
  return (
    head.length + prefix.length + value.length === bytes.length &&
    hasAt(bytes, head, 0) &&
    hasAt(bytes, prefix, head.length) &&
    hasAt(bytes, value, head.length + prefix.length)
  );
}

/** Appends `value` as a protobuf varint (at most 5 bytes for a 32-bit value). */
function pushVarint32(out: number[], value: number): void {
  let v = value >>> 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

/** The tag and length that start length-delimited field `fieldNumber` of `length` bytes. */
export function lengthDelimitedPrefix(fieldNumber: number, length: number): Uint8Array {
  const out: number[] = [];
  pushVarint32(out, ((fieldNumber << 3) | WireType.LengthDelimited) >>> 0);
  pushVarint32(out, length);
  return Uint8Array.from(out);
}
