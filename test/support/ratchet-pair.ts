/** Test helper: a fresh ratchet session between Alice (sender side) and Bob (receiver side). */
import { utf8 } from '../../src/crypto/bytes.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import { initReceiverRatchet, initSenderRatchet, type RatchetState } from '../../src/e2e/ratchet.ts';
import { nodeProvider } from './providers.ts';

export interface RatchetPair {
  a: RatchetState;
  b: RatchetState;
}

/**
 * Alice's state from a random shared secret and Bob's fresh signed prekeys, and Bob's. `sender`
 * makes Alice's side (and the secret), `receiver` Bob's keys and side (two providers for
 * differential tests).
 */
export function ratchetPair(options: { sender?: CryptoProvider; receiver?: CryptoProvider; associatedData?: Uint8Array } = {}): RatchetPair {
  const sender = options.sender ?? nodeProvider;
  const receiver = options.receiver ?? sender;
  const associatedData = options.associatedData ?? utf8('alice|bob');
  const sharedSecret = sender.randomBytes(32);
  const dh = receiver.generateKey('x25519');
  const kem = receiver.generateKey('ml-kem-768');
  return {
    a: initSenderRatchet(sender, { sharedSecret, associatedData, peerDhPublic: dh.publicKey, peerKemPublic: kem.publicKey }),
    b: initReceiverRatchet(receiver, { sharedSecret, associatedData, ownDhKey: dh, ownKemKey: kem }),
  };
}
