/** The public API of the onion layer (README.md in this folder is the contract). */
export { MAX_PADDED_PAYLOAD_BYTES, PADDING_BUCKETS, bucketFor, pad, unpad } from './padding.ts';
export { ONION_KEY_ID_LENGTH, createOnionKeyRing, onionKeyId } from './onion-keys.ts';
export type { MemoryOnionKeyRing, OnionKeyRing, OnionKeySet } from './onion-keys.ts';
export { DEFAULT_REPLAY_TTL_MS, REPLAY_HASH_BYTES, createReplayCache } from './replay-cache.ts';
export type { ReplayCache, ReplayCacheOptions } from './replay-cache.ts';
export { MAX_CIRCUIT_HOPS, buildCreateOnion, peelCreateLayer } from './create-onion.ts';
export type { CreateOnion, HopKeys, OnionHop, PeeledCreateLayer } from './create-onion.ts';
export { REPLAY_WINDOW_SIZE, createLayerSealer, createReplayWindow, openLayer, sealBackward, unwrapResponse, wrapRequest } from './relay-layer.ts';
export type { BackwardContent, LayerSealer, ReplayWindow, UnwrappedResponse } from './relay-layer.ts';
export { openTargetRequest, openTargetResponse, sealTargetError, sealTargetRequest, sealTargetResponse } from './target-layer.ts';
export type { OpenedTargetRequest, SealedTargetRequest, TargetKey } from './target-layer.ts';
export { REQUEST_SIZE_SLACK, RESPONSE_SIZE_SLACK, encodeOnionRequest, encodeOnionResponse } from './message-size.ts';
export { CIRCUIT_ID_LENGTH, OnionCircuit, encodeExitPayload, pathFailed } from './client-circuit.ts';
export { MAX_ADDRESS_LENGTH, MAX_HOP_ADDRESSES, MAX_PEER_ID_LENGTH } from './hop-address.ts';
export * from './relay-limits.ts';
export { ONION_PROTOCOL, createRelayService } from './relay-service.ts';
export type { RelayObservation, RelayService, RelayServiceOptions } from './relay-service.ts';
