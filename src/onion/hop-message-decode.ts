/**
 * Hand-written reading of the OnionRequest and OnionResponse every hop handles (relay and deliver
 * requests, answers carrying a layer), in the layout message-size.ts writes them: protobuf-es
 * decodes by reflection, which costs a hop about as much as the AES-GCM of its layer. Any other
 * layout (another field order, a non-minimal varint, unknown fields) goes to protobuf-es, which
 * accepts or rejects it as before; the tests check that both give the same result. Pure.
 */
import {
  DeliverSchema,
  OnionRequestSchema,
  OnionResponseSchema,
  RelayDataSchema,
  type OnionRequest,
  type OnionResponse,
} from '../wire/gen/samizdat/v1/onion_pb.ts';
import { readCanonicalBytesField, readCanonicalVarintField } from '../wire/bytes-fields.ts';
import { decodeMessage } from '../wire/index.ts';

const EMPTY = new Uint8Array(0);
const RELAY_FIELD = OnionRequestSchema.field.relay.number;
const DELIVER_FIELD = OnionRequestSchema.field.deliver.number;
const TIMEOUT_FIELD = OnionRequestSchema.field.timeoutMs.number;
const REQUEST_PADDING_FIELD = OnionRequestSchema.field.padding.number;
const RESPONSE_PADDING_FIELD = OnionResponseSchema.field.padding.number;
const LAYER_CASES = [
  [OnionResponseSchema.field.created.number, 'created'],
  [OnionResponseSchema.field.relayed.number, 'relayed'],
  [OnionResponseSchema.field.delivered.number, 'delivered'],
] as const;

/** An optional `bytes` field `number` at `at`: [value, next offset]; [EMPTY, at] when absent; undefined when unreadable. */
function optionalBytes(bytes: Uint8Array, at: number, number: number, end: number): [Uint8Array, number] | undefined {
  if (at === end || bytes[at] !== number * 8 + 2) return [EMPTY, at];
  const read = readCanonicalBytesField(bytes, at, number);
  return read === undefined || read[1] > end ? undefined : read;
}

/** The padding field, if present, then the end of the message: the padding, or undefined. */
function paddingToEnd(bytes: Uint8Array, at: number, number: number): Uint8Array | undefined {
  const padding = optionalBytes(bytes, at, number, bytes.length);
  return padding !== undefined && padding[1] === bytes.length ? padding[0] : undefined;
}

/** A relay or deliver request in its written layout, or undefined. */
function readHotRequest(bytes: Uint8Array): OnionRequest | undefined {
  const field = bytes[0] === RELAY_FIELD * 8 + 2 ? RELAY_FIELD : bytes[0] === DELIVER_FIELD * 8 + 2 ? DELIVER_FIELD : undefined;
  if (field === undefined) return undefined;
  const inner = readCanonicalBytesField(bytes, 0, field);
  if (inner === undefined) return undefined;
  const [body, next] = inner;
  // RelayData { circuit_id = 1; layer = 2 }, Deliver { layer = 1 }: each optional, in this order.
  let request: OnionRequest['request'];
  if (field === RELAY_FIELD) {
    const circuitId = optionalBytes(body, 0, 1, body.length);
    const layer = circuitId === undefined ? undefined : optionalBytes(body, circuitId[1], 2, body.length);
    if (circuitId === undefined || layer === undefined || layer[1] !== body.length) return undefined;
    request = { case: 'relay', value: { $typeName: RelayDataSchema.typeName, circuitId: circuitId[0], layer: layer[0] } };
  } else {
    const layer = optionalBytes(body, 0, 1, body.length);
    if (layer === undefined || layer[1] !== body.length) return undefined;
    request = { case: 'deliver', value: { $typeName: DeliverSchema.typeName, layer: layer[0] } };
  }
  let at = next;
  let timeoutMs = 0;
  if (bytes[at] === TIMEOUT_FIELD * 8) {
    const read = readCanonicalVarintField(bytes, at, TIMEOUT_FIELD);
    if (read === undefined || read[0] > 0xffffffff) return undefined;
    [timeoutMs, at] = read;
  }
  const padding = paddingToEnd(bytes, at, REQUEST_PADDING_FIELD);
  return padding === undefined ? undefined : { $typeName: OnionRequestSchema.typeName, request, timeoutMs, padding };
}

/** decodeMessage(OnionRequestSchema, bytes), read by hand for relay and deliver requests. */
export function decodeOnionRequest(bytes: Uint8Array): OnionRequest {
  return readHotRequest(bytes) ?? decodeMessage(OnionRequestSchema, bytes);
}

/** An answer carrying a layer (created, relayed, delivered) in its written layout, or undefined. */
function readHotResponse(bytes: Uint8Array): OnionResponse | undefined {
  for (const [number, kind] of LAYER_CASES) {
    if (bytes[0] !== number * 8 + 2) continue;
    const value = readCanonicalBytesField(bytes, 0, number);
    const padding = value === undefined ? undefined : paddingToEnd(bytes, value[1], RESPONSE_PADDING_FIELD);
    if (value === undefined || padding === undefined) return undefined;
    return { $typeName: OnionResponseSchema.typeName, response: { case: kind, value: value[0] }, padding };
  }
  return undefined;
}

/** decodeMessage(OnionResponseSchema, bytes), read by hand for answers carrying a layer. */
export function decodeOnionResponse(bytes: Uint8Array): OnionResponse {
  return readHotResponse(bytes) ?? decodeMessage(OnionResponseSchema, bytes);
}
