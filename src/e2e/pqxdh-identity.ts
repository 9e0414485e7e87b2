/**
 * The two long-term identity keys an account uses end to end, and the signed statement that ties
 * them together. An account's Ed25519 key (its Account ID) signs; its X25519 key
 * (`AccountKeys.mailboxX25519`) does Diffie-Hellman. The identity binding is an Ed25519 signature
 * by the Ed25519 key over
 *
 *   "samizdat/v1/identity-binding" || X25519 public key (32)
 *
 * so whoever holds the X25519 private key and shows the binding proves it speaks for the Account
 * ID. The binding carries no time or peer: it states a fact about two long-term keys, and replaying
 * it is harmless because it is useless without the X25519 private key. Used by the handshake
 * (pqxdh.ts) and by sealed envelopes (sealed-envelope.ts). Pure; no I/O.
 */
import { SIZES, concatBytes, utf8, type CryptoProvider, type PrivateKey } from '../crypto/index.ts';
import { SamizdatError } from '../errors.ts';

/** An account's two long-term identity keys, as held by the account itself. */
export interface HandshakeIdentity {
  /** Ed25519 identity key: the Account ID key. */
  readonly identity: PrivateKey;
  /** X25519 identity key: `AccountKeys.mailboxX25519`, published in the prekey bundle. */
  readonly identityX25519: PrivateKey;
}

/** Domain separation of the binding signature from every other Ed25519 signature of an account. */
const BINDING_CONTEXT = utf8('samizdat/v1/identity-binding');

/** Bytes of an identity binding (an Ed25519 signature). */
export const IDENTITY_BINDING_LENGTH = SIZES.ed25519Signature;

/** INVALID_ARGUMENT unless `own` holds an Ed25519 and an X25519 private key. */
export function assertHandshakeIdentity(name: string, own: unknown): asserts own is HandshakeIdentity {
  if (typeof own !== 'object' || own === null) {
    throw new SamizdatError('INVALID_ARGUMENT', `${name} must be a HandshakeIdentity`);
  }
  const { identity, identityX25519 } = own as Partial<HandshakeIdentity>;
  if (typeof identity !== 'object' || identity === null || identity.algorithm !== 'ed25519') {
    throw new SamizdatError('INVALID_ARGUMENT', `${name}.identity must be an Ed25519 private key`);
  }
  if (typeof identityX25519 !== 'object' || identityX25519 === null || identityX25519.algorithm !== 'x25519') {
    throw new SamizdatError('INVALID_ARGUMENT', `${name}.identityX25519 must be an X25519 private key`);
  }
}

/** The binding of `own`'s X25519 key to its Ed25519 key (64 bytes). */
export function signIdentityBinding(provider: CryptoProvider, own: HandshakeIdentity): Uint8Array {
  assertHandshakeIdentity('own', own);
  return provider.sign(own.identity, concatBytes(BINDING_CONTEXT, own.identityX25519.publicKey));
}

/** True when `binding` is `identity`'s signature binding `identityX25519`; false for any bad input. */
export function verifyIdentityBinding(
  provider: CryptoProvider,
  identity: Uint8Array,
  identityX25519: Uint8Array,
  binding: Uint8Array,
): boolean {
  if (!(identityX25519 instanceof Uint8Array) || identityX25519.length !== SIZES.x25519PublicKey) return false;
  return provider.verify(identity, concatBytes(BINDING_CONTEXT, identityX25519), binding);
}
