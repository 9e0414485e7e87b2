/**
 * The state of one ratchet session and its serialised form (RatchetStateRecord in ratchet.proto),
 * for the client to keep in its encrypted profile. The state is an immutable value: ratchet.ts
 * returns a new one for every message and never changes the one it was given.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { assertBytes, toHex } from '../crypto/bytes.ts';
import type { CryptoProvider, KeyAlgorithm, PrivateKey } from '../crypto/provider.ts';
import { SIZES } from '../crypto/provider.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { decodeMessage } from '../wire/codec.ts';
import { RatchetSkippedKeySchema, RatchetStateRecordSchema } from '../wire/gen/samizdat/v1/ratchet_pb.ts';
import type { RatchetStateRecord } from '../wire/gen/samizdat/v1/ratchet_pb.ts';
import { MESSAGE_KEY_LENGTH, RATCHET_KEY_LENGTH } from './ratchet-kdf.ts';
import {
  MAX_RATCHET_ASSOCIATED_DATA_BYTES,
  MAX_RATCHET_STATE_BYTES,
  MAX_SKIPPED_MESSAGE_KEYS,
  RATCHET_VERSION,
} from './ratchet-limits.ts';
import { addSkipped, EMPTY_SKIPPED_KEYS, listSkipped, type SkippedKey, type SkippedKeys } from './skipped-keys.ts';

/** Our current sending chain. */
export interface SendingChain {
  readonly chainKey: Uint8Array;
  readonly headerKey: Uint8Array;
  /** Messages sent in this chain so far (Ns): the number of the next one. */
  readonly count: number;
  /** The ML-KEM ciphertext every header of this chain carries (to the peer's latest key). */
  readonly kemCiphertext: Uint8Array;
}

/** The peer's current sending chain, as we receive it. */
export interface ReceivingChain {
  readonly chainKey: Uint8Array;
  readonly headerKey: Uint8Array;
  /** The number of the next message expected in this chain (Nr). */
  readonly count: number;
}

/**
 * One session's ratchet state. Treat it as opaque: create it with initSenderRatchet /
 * initReceiverRatchet or decodeRatchetState, and pass it back to the ratchet functions. It holds
 * secrets; persist it only through encodeRatchetState into encrypted storage.
 */
export interface RatchetState {
  readonly associatedData: Uint8Array;
  readonly rootKey: Uint8Array;
  /** Our current X25519 ratchet key (its public half goes in our headers). */
  readonly dhKey: PrivateKey;
  /** Our current ML-KEM-768 key (its public half goes in our headers; the peer's next turn encapsulates to it). */
  readonly kemKey: PrivateKey;
  /** Absent on the receiving side until the first message arrives. */
  readonly sending: SendingChain | undefined;
  /** Absent until the first message from the peer arrives. */
  readonly receiving: ReceivingChain | undefined;
  readonly nextSendingHeaderKey: Uint8Array;
  readonly nextReceivingHeaderKey: Uint8Array;
  /** Length of our previous sending chain (PN). */
  readonly previousSendingCount: number;
  readonly skipped: SkippedKeys;
}

const EMPTY = new Uint8Array(0);

/** The skipped keys in storage form: each distinct header key once, entries pointing at it. */
function skippedRecord(store: SkippedKeys): Pick<RatchetStateRecord, 'skippedHeaderKeys' | 'skipped'> {
  const index = new Map<string, number>();
  const headerKeys: Uint8Array[] = [];
  for (const [hex, use] of store.headerKeys) index.set(hex, headerKeys.push(use.key) - 1);
  const skipped = listSkipped(store).map((entry) =>
    create(RatchetSkippedKeySchema, {
      headerKeyIndex: index.get(toHex(entry.headerKey)) ?? 0,
      messageNumber: entry.messageNumber,
      messageKey: entry.messageKey,
      createdAtMs: BigInt(entry.createdAtMs),
    }),
  );
  return { skippedHeaderKeys: headerKeys, skipped };
}

/** Serialises a state for encrypted storage. It contains private keys: never store it in clear. */
export function encodeRatchetState(provider: CryptoProvider, state: RatchetState): Uint8Array {
  const record = create(RatchetStateRecordSchema, {
    version: RATCHET_VERSION,
    associatedData: state.associatedData,
    rootKey: state.rootKey,
    dhPrivateKey: provider.exportPrivateKey(state.dhKey),
    kemPrivateKey: provider.exportPrivateKey(state.kemKey),
    kemCiphertext: state.sending?.kemCiphertext ?? EMPTY,
    sendingChainKey: state.sending?.chainKey ?? EMPTY,
    receivingChainKey: state.receiving?.chainKey ?? EMPTY,
    sendingHeaderKey: state.sending?.headerKey ?? EMPTY,
    receivingHeaderKey: state.receiving?.headerKey ?? EMPTY,
    nextSendingHeaderKey: state.nextSendingHeaderKey,
    nextReceivingHeaderKey: state.nextReceivingHeaderKey,
    sendingCount: state.sending?.count ?? 0,
    receivingCount: state.receiving?.count ?? 0,
    previousSendingCount: state.previousSendingCount,
    ...skippedRecord(state.skipped),
  });
  return toBinary(RatchetStateRecordSchema, record);
}

function malformed(what: string): SamizdatError {
  return new SamizdatError('MALFORMED', `ratchet state: ${what}`);
}

function key(bytes: Uint8Array, name: string, length = RATCHET_KEY_LENGTH): Uint8Array {
  if (bytes.length !== length) throw malformed(`${name} must be ${length} bytes`);
  return bytes.slice();
}

function importKey(provider: CryptoProvider, algorithm: KeyAlgorithm, raw: Uint8Array, length: number): PrivateKey {
  if (raw.length !== length) throw malformed(`${algorithm} private key must be ${length} bytes`);
  try {
    return provider.importPrivateKey(algorithm, raw);
  } catch (err) {
    if (isSamizdatError(err, 'BAD_KEY')) throw new SamizdatError('MALFORMED', `ratchet state: unusable ${algorithm} key`, { cause: err });
    throw err;
  }
}

function sendingChain(r: RatchetStateRecord): SendingChain | undefined {
  const present = r.sendingChainKey.length > 0 || r.sendingHeaderKey.length > 0 || r.kemCiphertext.length > 0;
  if (!present) {
    if (r.sendingCount !== 0) throw malformed('a message count without a sending chain');
    return undefined;
  }
  if (r.kemCiphertext.length !== SIZES.mlKemCiphertext) throw malformed('KEM ciphertext has the wrong length');
  return {
    chainKey: key(r.sendingChainKey, 'sending chain key'),
    headerKey: key(r.sendingHeaderKey, 'sending header key'),
    count: r.sendingCount,
    kemCiphertext: r.kemCiphertext.slice(),
  };
}

function receivingChain(r: RatchetStateRecord): ReceivingChain | undefined {
  if (r.receivingChainKey.length === 0 && r.receivingHeaderKey.length === 0) {
    if (r.receivingCount !== 0) throw malformed('a message count without a receiving chain');
    return undefined;
  }
  return {
    chainKey: key(r.receivingChainKey, 'receiving chain key'),
    headerKey: key(r.receivingHeaderKey, 'receiving header key'),
    count: r.receivingCount,
  };
}

function skippedKeys(r: RatchetStateRecord): SkippedKeys {
  if (r.skipped.length > MAX_SKIPPED_MESSAGE_KEYS) throw malformed(`more than ${MAX_SKIPPED_MESSAGE_KEYS} skipped keys`);
  if (r.skippedHeaderKeys.length > r.skipped.length) throw malformed('unused skipped header keys');
  const headerKeys = r.skippedHeaderKeys.map((k) => key(k, 'skipped header key'));
  const entries: SkippedKey[] = r.skipped.map((s) => {
    const headerKey = headerKeys[s.headerKeyIndex];
    if (headerKey === undefined) throw malformed('skipped key names a missing header key');
    if (s.createdAtMs > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed('skipped key time out of range');
    return {
      headerKey,
      messageNumber: s.messageNumber,
      messageKey: key(s.messageKey, 'skipped message key', MESSAGE_KEY_LENGTH),
      createdAtMs: Number(s.createdAtMs),
    };
  });
  const store = addSkipped(EMPTY_SKIPPED_KEYS, entries);
  if (store.entries.size !== entries.length) throw malformed('duplicate skipped keys');
  if (store.headerKeys.size !== headerKeys.length) throw malformed('duplicate or unused skipped header keys');
  return store;
}

/**
 * Parses a stored state. TOO_LARGE over MAX_RATCHET_STATE_BYTES (checked first), MALFORMED for
 * anything else that is not a state this code wrote. The private keys are imported into
 * `provider`, so the state works with that provider only.
 */
export function decodeRatchetState(provider: CryptoProvider, bytes: Uint8Array): RatchetState {
  assertBytes('bytes', bytes);
  const r = decodeMessage(RatchetStateRecordSchema, bytes, { maxBytes: MAX_RATCHET_STATE_BYTES });
  if (r.version !== RATCHET_VERSION) throw malformed(`unknown version ${r.version}`);
  if (r.associatedData.length > MAX_RATCHET_ASSOCIATED_DATA_BYTES) throw malformed('associated data too long');
  // Every length first; the (slower) key imports last.
  const rootKey = key(r.rootKey, 'root key');
  const sending = sendingChain(r);
  const receiving = receivingChain(r);
  const nextSendingHeaderKey = key(r.nextSendingHeaderKey, 'next sending header key');
  const nextReceivingHeaderKey = key(r.nextReceivingHeaderKey, 'next receiving header key');
  const skipped = skippedKeys(r);
  return {
    associatedData: r.associatedData.slice(),
    rootKey,
    dhKey: importKey(provider, 'x25519', r.dhPrivateKey, SIZES.x25519PrivateKey),
    kemKey: importKey(provider, 'ml-kem-768', r.kemPrivateKey, SIZES.mlKemPrivateSeed),
    sending,
    receiving,
    nextSendingHeaderKey,
    nextReceivingHeaderKey,
    previousSendingCount: r.previousSendingCount,
    skipped,
  };
}
