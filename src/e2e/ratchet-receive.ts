/**
 * The receiving half of the ratchet (ratchet.ts decides which case a message is): a message of
 * the current receiving chain, a message that starts a new chain (a ratchet turn with its
 * X25519 and ML-KEM-768 steps), or a late message whose key was kept as skipped. Each function
 * returns a new state and throws without touching the one it was given.
 */
import type { CryptoProvider } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import type { RatchetHeader, RatchetWireMessage } from './ratchet-header.ts';
import { bodyAad, kdfChain, kdfRoot, splitMessageKey } from './ratchet-kdf.ts';
import { MAX_CHAIN_MESSAGES, MAX_SKIP, MAX_SKIPPED_MESSAGE_KEYS } from './ratchet-limits.ts';
import type { RatchetState, ReceivingChain } from './ratchet-state.ts';
import { addSkipped, takeSkipped, type SkippedKey } from './skipped-keys.ts';

export interface Decrypted {
  readonly state: RatchetState;
  readonly plaintext: Uint8Array;
}

/** Opens a body with its message key; DECRYPT_FAILED when it does not authenticate. */
function openBody(
  provider: CryptoProvider,
  messageKey: Uint8Array,
  wire: RatchetWireMessage,
  headerAd: Uint8Array,
): Uint8Array {
  const { bodyKey } = splitMessageKey(messageKey);
  return provider.aesGcmOpen(bodyKey, wire.nonce, wire.body, bodyAad(headerAd, wire.nonce, wire.header));
}

/**
 * Runs a chain from message number `from` to `until` (exclusive): the chain key at `until` and
 * the message keys passed on the way, of which only the last MAX_SKIPPED_MESSAGE_KEYS are kept
 * (older ones would be evicted at once).
 */
function skipTo(
  provider: CryptoProvider,
  chainKey: Uint8Array,
  from: number,
  until: number,
  headerKey: Uint8Array,
  nowMs: number,
): { chainKey: Uint8Array; entries: SkippedKey[] } {
  const keepFrom = Math.max(from, until - MAX_SKIPPED_MESSAGE_KEYS);
  let ck = chainKey;
  const entries: SkippedKey[] = [];
  for (let n = from; n < until; n++) {
    const step = kdfChain(provider, ck);
    if (n >= keepFrom) entries.push({ headerKey, messageNumber: n, messageKey: step.messageKey, createdAtMs: nowMs });
    ck = step.chainKey;
  }
  return { chainKey: ck, entries };
}

function checkMessageNumber(header: RatchetHeader): void {
  // A sender never numbers a message MAX_CHAIN_MESSAGES (its count stops below); the next count
  // must fit in the state's u32.
  if (header.messageNumber >= MAX_CHAIN_MESSAGES) {
    throw new SamizdatError('MALFORMED', 'ratchet header message number out of range');
  }
}

function tooManySkipped(skip: number): SamizdatError {
  return new SamizdatError('TOO_MANY_SKIPPED', `message would skip ${skip} message keys, more than ${MAX_SKIP}`, {
    detail: { limit: MAX_SKIP, requested: skip },
  });
}

/** A late message of an older chain whose header key matched `headerKeyHex`. */
export function receiveSkipped(
  provider: CryptoProvider,
  state: RatchetState,
  wire: RatchetWireMessage,
  headerAd: Uint8Array,
  headerKeyHex: string,
  header: RatchetHeader,
): Decrypted {
  const hit = takeSkipped(state.skipped, headerKeyHex, header.messageNumber);
  if (hit === undefined) {
    throw new SamizdatError('DECRYPT_FAILED', 'no key for this message: already received, expired or evicted');
  }
  const plaintext = openBody(provider, hit.entry.messageKey, wire, headerAd);
  return { state: { ...state, skipped: hit.store }, plaintext };
}

/** A message of the current receiving chain `chain` (perhaps one whose key was skipped earlier). */
export function receiveInChain(
  provider: CryptoProvider,
  state: RatchetState,
  chain: ReceivingChain,
  headerKeyHex: string,
  wire: RatchetWireMessage,
  headerAd: Uint8Array,
  header: RatchetHeader,
  nowMs: number,
): Decrypted {
  checkMessageNumber(header);
  const n = header.messageNumber;
  if (n < chain.count) return receiveSkipped(provider, state, wire, headerAd, headerKeyHex, header);
  if (n - chain.count > MAX_SKIP) throw tooManySkipped(n - chain.count);
  const skip = skipTo(provider, chain.chainKey, chain.count, n, chain.headerKey, nowMs);
  const step = kdfChain(provider, skip.chainKey);
  const plaintext = openBody(provider, step.messageKey, wire, headerAd);
  return {
    state: {
      ...state,
      receiving: { chainKey: step.chainKey, headerKey: chain.headerKey, count: n + 1 },
      skipped: addSkipped(state.skipped, skip.entries),
    },
    plaintext,
  };
}

/**
 * The first message we see of the peer's new chain (its header opened under our next receiving
 * header key): keep the keys left in the old chain, run the receiving step of the turn
 * (decapsulate, DH, root KDF), open the message, then the sending step with a fresh X25519 key, a
 * fresh ML-KEM key and an encapsulation to the peer's new ML-KEM key.
 */
export function receiveTurn(
  provider: CryptoProvider,
  state: RatchetState,
  wire: RatchetWireMessage,
  headerAd: Uint8Array,
  header: RatchetHeader,
  nowMs: number,
): Decrypted {
  checkMessageNumber(header);
  const old = state.receiving;
  const oldSkip = old === undefined ? 0 : Math.max(0, header.previousCount - old.count);
  // Both bounds before any work: a rejected header costs nothing and changes nothing.
  if (oldSkip + header.messageNumber > MAX_SKIP) throw tooManySkipped(oldSkip + header.messageNumber);
  const oldEntries =
    old === undefined || oldSkip === 0
      ? []
      : skipTo(provider, old.chainKey, old.count, header.previousCount, old.headerKey, nowMs).entries;

  // Receiving step: the peer's new X25519 key against ours, its ciphertext to our ML-KEM key.
  const kemIn = provider.mlKemDecapsulate(state.kemKey, header.kemCiphertext);
  // The peer's keys of this turn are used in this call only (PeerKeyUse).
  const dhIn = provider.x25519(state.dhKey, header.dhPublic, 'once');
  const recv = kdfRoot(provider, state.rootKey, dhIn, kemIn);
  const receivingHeaderKey = state.nextReceivingHeaderKey;
  const skip = skipTo(provider, recv.chainKey, 0, header.messageNumber, receivingHeaderKey, nowMs);
  const step = kdfChain(provider, skip.chainKey);
  const plaintext = openBody(provider, step.messageKey, wire, headerAd);

  // Sending step, only once the message has authenticated.
  const dhKey = provider.generateKey('x25519');
  const kemKey = provider.generateKey('ml-kem-768');
  const kemOut = provider.mlKemEncapsulate(header.kemPublic, 'once');
  const dhOut = provider.x25519(dhKey, header.dhPublic, 'once');
  const send = kdfRoot(provider, recv.rootKey, dhOut, kemOut.sharedSecret);

  return {
    state: {
      associatedData: state.associatedData,
      rootKey: send.rootKey,
      dhKey,
      kemKey,
      sending: { chainKey: send.chainKey, headerKey: state.nextSendingHeaderKey, count: 0, kemCiphertext: kemOut.ciphertext },
      receiving: { chainKey: step.chainKey, headerKey: receivingHeaderKey, count: header.messageNumber + 1 },
      nextSendingHeaderKey: send.nextHeaderKey,
      nextReceivingHeaderKey: recv.nextHeaderKey,
      previousSendingCount: state.sending?.count ?? 0,
      skipped: addSkipped(state.skipped, oldEntries.length === 0 ? skip.entries : [...oldEntries, ...skip.entries]),
    },
    plaintext,
  };
}
