/**
 * The post-quantum Double Ratchet with encrypted headers (DESIGN.md §5): Signal's Double Ratchet
 * with header encryption, where every ratchet turn mixes an ML-KEM-768 shared secret into the
 * root key beside the X25519 output, as in SimpleX's post-quantum ratchet. Forward secrecy per
 * message, and healing after a state compromise within one round trip, against an attacker who
 * breaks X25519 (a quantum computer) or ML-KEM-768, as long as not both. Headers are encrypted,
 * so a message shows neither its ratchet keys nor its position in the conversation.
 *
 * Pure functions over an immutable state: ratchetEncrypt and ratchetDecrypt return a new state
 * and never change the one they are given, so a rejected message (tampered, replayed, for another
 * session, too far ahead) throws a SamizdatError and the caller keeps using its state. The caller
 * must persist the new state before sending the message it came with; should it ever encrypt
 * twice from one state, the synthetic nonce (ratchet-kdf.ts) keeps AES-GCM safe.
 *
 * Errors: DECRYPT_FAILED for anything that does not authenticate (including replays and messages
 * of another session), MALFORMED for bytes that do not parse, TOO_LARGE over
 * MAX_RATCHET_MESSAGE_BYTES, TOO_MANY_SKIPPED beyond MAX_SKIP, BAD_KEY when an authenticated peer
 * sends an unusable public key.
 *
 * Files: ratchet-kdf.ts (every KDF, label and AEAD input), ratchet-header.ts (wire format),
 * ratchet-state.ts (state and its storage form), ratchet-receive.ts (the receiving cases),
 * skipped-keys.ts, ratchet-limits.ts.
 */
import { assertBytes, toHex } from '../crypto/bytes.ts';
import type { CryptoProvider, PrivateKey } from '../crypto/provider.ts';
import { SIZES } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import { decodeRatchetMessage, encodeHeader, encodeRatchetMessage, tryOpenHeader } from './ratchet-header.ts';
import { bodyAad, deriveInitialKeys, headerAad, kdfChain, kdfRoot, splitMessageKey, syntheticNonce } from './ratchet-kdf.ts';
import {
  MAX_CHAIN_MESSAGES,
  MAX_RATCHET_ASSOCIATED_DATA_BYTES,
  MAX_RATCHET_PLAINTEXT_BYTES,
  RATCHET_VERSION,
} from './ratchet-limits.ts';
import { receiveInChain, receiveSkipped, receiveTurn, type Decrypted } from './ratchet-receive.ts';
import type { RatchetState } from './ratchet-state.ts';
import { EMPTY_SKIPPED_KEYS, purgeExpired } from './skipped-keys.ts';

export type { RatchetState } from './ratchet-state.ts';
export { decodeRatchetState, encodeRatchetState } from './ratchet-state.ts';
export {
  MAX_RATCHET_MESSAGE_BYTES,
  MAX_RATCHET_PLAINTEXT_BYTES,
  MAX_RATCHET_STATE_BYTES,
  MAX_RATCHET_ASSOCIATED_DATA_BYTES,
  MAX_SKIP,
  MAX_SKIPPED_MESSAGE_KEYS,
  SKIPPED_KEY_TTL_MS,
  RATCHET_MESSAGE_OVERHEAD,
} from './ratchet-limits.ts';

/** The initiator's start: the handshake's secret and the peer's signed prekeys. */
export interface RatchetSenderInit {
  /** The handshake's 32-byte shared secret. */
  readonly sharedSecret: Uint8Array;
  /** Binds both identities; goes into every AEAD of the session. */
  readonly associatedData: Uint8Array;
  /** The peer's signed X25519 prekey (32 bytes). */
  readonly peerDhPublic: Uint8Array;
  /** The peer's signed ML-KEM-768 prekey (1,184 bytes). */
  readonly peerKemPublic: Uint8Array;
}

/** The responder's start: the handshake's secret and the private halves of its signed prekeys. */
export interface RatchetReceiverInit {
  readonly sharedSecret: Uint8Array;
  readonly associatedData: Uint8Array;
  /** Our signed X25519 prekey. */
  readonly ownDhKey: PrivateKey;
  /** Our signed ML-KEM-768 prekey. */
  readonly ownKemKey: PrivateKey;
}

function assertNow(nowMs: number): void {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) {
    throw new SamizdatError('INVALID_ARGUMENT', 'nowMs must be a non-negative integer (ms since the Unix epoch)');
  }
}

function assertCommon(sharedSecret: unknown, associatedData: unknown): void {
  assertBytes('sharedSecret', sharedSecret, 32);
  assertBytes('associatedData', associatedData);
  if (associatedData.length > MAX_RATCHET_ASSOCIATED_DATA_BYTES) {
    throw new SamizdatError('INVALID_ARGUMENT', `associatedData must be at most ${MAX_RATCHET_ASSOCIATED_DATA_BYTES} bytes`);
  }
}

/**
 * Starts the initiator's side and performs the first ratchet turn at once: a fresh X25519 key
 * against the peer's signed X25519 prekey and an ML-KEM encapsulation to its signed ML-KEM
 * prekey. BAD_KEY when a prekey is unusable.
 */
export function initSenderRatchet(provider: CryptoProvider, init: RatchetSenderInit): RatchetState {
  assertCommon(init.sharedSecret, init.associatedData);
  assertBytes('peerDhPublic', init.peerDhPublic, SIZES.x25519PublicKey);
  assertBytes('peerKemPublic', init.peerKemPublic, SIZES.mlKemPublicKey);
  const initial = deriveInitialKeys(provider, init.sharedSecret);
  const dhKey = provider.generateKey('x25519');
  const kemKey = provider.generateKey('ml-kem-768');
  const kem = provider.mlKemEncapsulate(init.peerKemPublic);
  const dh = provider.x25519(dhKey, init.peerDhPublic);
  const step = kdfRoot(provider, initial.rootKey, dh, kem.sharedSecret);
  return {
    associatedData: init.associatedData.slice(),
    rootKey: step.rootKey,
    dhKey,
    kemKey,
    sending: { chainKey: step.chainKey, headerKey: initial.initiatorHeaderKey, count: 0, kemCiphertext: kem.ciphertext },
    receiving: undefined,
    nextSendingHeaderKey: step.nextHeaderKey,
    nextReceivingHeaderKey: initial.responderHeaderKey,
    previousSendingCount: 0,
    skipped: EMPTY_SKIPPED_KEYS,
  };
}

/**
 * Starts the responder's side. It can send only after the initiator's first message has been
 * decrypted (that message carries the keys of the first turn).
 */
export function initReceiverRatchet(provider: CryptoProvider, init: RatchetReceiverInit): RatchetState {
  assertCommon(init.sharedSecret, init.associatedData);
  if (init.ownDhKey?.algorithm !== 'x25519') throw new SamizdatError('INVALID_ARGUMENT', 'ownDhKey must be an X25519 key');
  if (init.ownKemKey?.algorithm !== 'ml-kem-768') throw new SamizdatError('INVALID_ARGUMENT', 'ownKemKey must be an ML-KEM-768 key');
  const initial = deriveInitialKeys(provider, init.sharedSecret);
  return {
    associatedData: init.associatedData.slice(),
    rootKey: initial.rootKey,
    dhKey: init.ownDhKey,
    kemKey: init.ownKemKey,
    sending: undefined,
    receiving: undefined,
    nextSendingHeaderKey: initial.responderHeaderKey,
    nextReceivingHeaderKey: initial.initiatorHeaderKey,
    previousSendingCount: 0,
    skipped: EMPTY_SKIPPED_KEYS,
  };
}

/**
 * Encrypts one message in the current sending chain. TOO_LARGE over MAX_RATCHET_PLAINTEXT_BYTES;
 * INVALID_ARGUMENT on the responder's side before its first received message.
 */
export function ratchetEncrypt(
  provider: CryptoProvider,
  state: RatchetState,
  plaintext: Uint8Array,
  nowMs: number,
): { state: RatchetState; message: Uint8Array } {
  assertNow(nowMs);
  assertBytes('plaintext', plaintext);
  if (plaintext.length > MAX_RATCHET_PLAINTEXT_BYTES) {
    throw new SamizdatError('TOO_LARGE', `plaintext of ${plaintext.length} bytes exceeds the limit of ${MAX_RATCHET_PLAINTEXT_BYTES}`, {
      detail: { limit: MAX_RATCHET_PLAINTEXT_BYTES, actual: plaintext.length },
    });
  }
  const chain = state.sending;
  if (chain === undefined) {
    throw new SamizdatError('INVALID_ARGUMENT', 'the responder can send only after decrypting the first message');
  }
  if (chain.count >= MAX_CHAIN_MESSAGES) {
    throw new SamizdatError('NONCE_EXHAUSTED', 'this sending chain is exhausted; wait for a message from the peer');
  }
  const step = kdfChain(provider, chain.chainKey);
  const header = encodeHeader({
    dhPublic: state.dhKey.publicKey,
    kemPublic: state.kemKey.publicKey,
    kemCiphertext: chain.kemCiphertext,
    previousCount: state.previousSendingCount,
    messageNumber: chain.count,
  });
  const keys = splitMessageKey(step.messageKey);
  const nonce = syntheticNonce(provider, keys.nonceKey, header, plaintext);
  const ad = headerAad(RATCHET_VERSION, state.associatedData);
  const encryptedHeader = provider.aesGcmSeal(chain.headerKey, nonce, header, ad);
  const body = provider.aesGcmSeal(keys.bodyKey, nonce, plaintext, bodyAad(ad, nonce, encryptedHeader));
  return {
    state: {
      ...state,
      sending: { ...chain, chainKey: step.chainKey, count: chain.count + 1 },
      skipped: purgeExpired(state.skipped, nowMs),
    },
    message: encodeRatchetMessage({ nonce, header: encryptedHeader, body }),
  };
}

/**
 * Decrypts one message: a late one whose key was kept, one of the current receiving chain, or the
 * first of the peer's new chain (a ratchet turn). The header is tried under each candidate header
 * key; if none opens it, the message is not for this session (DECRYPT_FAILED).
 */
export function ratchetDecrypt(
  provider: CryptoProvider,
  state: RatchetState,
  message: Uint8Array,
  nowMs: number,
): { state: RatchetState; plaintext: Uint8Array } {
  assertNow(nowMs);
  const wire = decodeRatchetMessage(message);
  const ad = headerAad(RATCHET_VERSION, state.associatedData);
  // Expired keys are gone before anything is tried, so they can never open a message.
  const current: RatchetState = { ...state, skipped: purgeExpired(state.skipped, nowMs) };
  const receiving = current.receiving;
  if (current.skipped.headerKeys.size > 0) {
    // The skipped-key store names header keys by their hex.
    const receivingHex = receiving === undefined ? undefined : toHex(receiving.headerKey);
    for (const [hex, use] of current.skipped.headerKeys) {
      if (hex === receivingHex) continue; // tried below, once
      const header = tryOpenHeader(provider, use.key, wire, ad);
      if (header !== undefined) return receiveSkipped(provider, current, wire, ad, hex, header);
    }
  }
  const inChain = (): Decrypted | undefined => {
    if (receiving === undefined) return undefined;
    const header = tryOpenHeader(provider, receiving.headerKey, wire, ad);
    return header === undefined ? undefined : receiveInChain(provider, current, receiving, toHex(receiving.headerKey), wire, ad, header, nowMs);
  };
  const newChain = (): Decrypted | undefined => {
    const header = tryOpenHeader(provider, current.nextReceivingHeaderKey, wire, ad);
    return header === undefined ? undefined : receiveTurn(provider, current, wire, ad, header, nowMs);
  };
  // A header opens under one key only, so the order is a matter of speed (a failed try costs an
  // AES-GCM pass over the 2.3 KB header): once we have sent in our current chain, the peer's
  // next message most likely starts a new chain.
  const got = (current.sending?.count ?? 0) > 0 ? (newChain() ?? inChain()) : (inChain() ?? newChain());
  if (got !== undefined) return got;
  throw new SamizdatError('DECRYPT_FAILED', 'message does not authenticate under any header key of this session');
}
