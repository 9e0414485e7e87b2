/**
 * Key derivation of the post-quantum Double Ratchet with encrypted headers (ratchet.ts).
 *
 * The construction is Signal's "The Double Ratchet Algorithm" (rev. 1, 2016) with header
 * encryption (its section 4), where every DH ratchet turn also mixes in an ML-KEM-768 shared
 * secret, in the pattern of SimpleX's post-quantum double ratchet. All functions here are pure
 * and deterministic; they are exported so tests can re-derive keys as an attacker would.
 *
 * Notation: HKDF = HKDF-SHA256 (RFC 5869) as HKDF(ikm, salt, info, length); HMAC = HMAC-SHA256;
 * `||` concatenation; labels are ASCII without a terminator.
 *
 * 1. Session start (from the handshake's 32-byte shared secret SK):
 *      RK_0 || HK_A || NHK_B = HKDF(ikm = SK, salt = "", info = "samizdat/v1/ratchet/init", 96)
 *    The sender (initiator) sends its first chain under header key HK_A; the receiver's first
 *    chain will use NHK_B. (The spec's shared_hka and shared_nhkb.)
 *
 * 2. Root KDF, once per chain (twice per ratchet turn, as in the spec):
 *      RK' || CK || NHK = HKDF(ikm = DH || SS, salt = RK, info = "samizdat/v1/ratchet/root", 96)
 *    DH is the 32-byte X25519 output and SS the 32-byte ML-KEM-768 shared secret of this step.
 *    Both have fixed lengths, so the input is unambiguous. HKDF-Extract is HMAC keyed by RK:
 *    the output is secret if RK is (the symmetric ratchet), and with RK known it is still
 *    uniform if either DH or SS is (HMAC as an extractor over the concatenation, the combiner of
 *    hybrid TLS key exchange). So a turn heals the session against an attacker who breaks
 *    X25519 (a quantum computer) as long as ML-KEM-768 holds, and the other way round.
 *    The sender of a new chain puts in its header its fresh X25519 public key, its fresh
 *    ML-KEM-768 public key, and the ML-KEM ciphertext that carries SS, encapsulated to the
 *    peer's latest ML-KEM public key.
 *
 * 3. Chain KDF, once per message:
 *      CK' || MK = HKDF(ikm = CK, salt = "", info = "samizdat/v1/ratchet/chain", 96)
 *    The 64-byte message key is MK = BK || NK: BK the AES-256-GCM key of the body, NK the key of
 *    the nonce PRF. (The spec suggests HMAC(CK, constant) per output; one HKDF call gives all
 *    three outputs from the same PRF, with a third of the calls into the provider.) A skipped
 *    message keeps its MK.
 *
 * 4. Nonce (synthetic, as in SIV): one 12-byte nonce per message, sent in clear:
 *      N = HKDF(ikm = H || P, salt = NK, info = "samizdat/v1/ratchet/nonce", 12)
 *    H = the 2,312-byte header plaintext, P = the plaintext. HKDF-Extract is HMAC keyed by NK,
 *    so N is a PRF of the content under a key derived from the message key: deterministic, no
 *    random generator involved. BK is used for one message only. The header key HK serves a
 *    whole chain; the N of different messages are PRF outputs under different keys (96-bit
 *    values), so they do not repeat in practice. And if a client ever encrypts twice from the
 *    same state (it crashed before saving the new one), the message key repeats but N repeats
 *    only with identical header and plaintext, which gives identical output: the AES-GCM
 *    nonce-reuse disaster cannot happen.
 *
 * 5. Session associated data (AD, from the handshake, binds both identities) is in every AEAD:
 *      A_H = version (1 byte) || u32be(len(AD)) || AD
 *      encrypted header = AES-256-GCM(HK, N, H, aad = A_H)                 2,328 bytes
 *      body             = AES-256-GCM(BK, N, P, aad = A_H || N || encrypted header)
 *    The body is bound to its exact header, as the spec's ENCRYPT(mk, P, AD || enc_header).
 */
import { concatBytes, u32be, utf8 } from '../crypto/bytes.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { SIZES } from '../crypto/provider.ts';

export const INIT_LABEL: Uint8Array = utf8('samizdat/v1/ratchet/init');
export const ROOT_LABEL: Uint8Array = utf8('samizdat/v1/ratchet/root');
export const CHAIN_LABEL: Uint8Array = utf8('samizdat/v1/ratchet/chain');
export const NONCE_LABEL: Uint8Array = utf8('samizdat/v1/ratchet/nonce');

/** Length of the root, chain and header keys. */
export const RATCHET_KEY_LENGTH = 32;
/** Length of a message key: the body key and the nonce key. */
export const MESSAGE_KEY_LENGTH = 64;
/** Length of the synthetic nonce (an AES-GCM nonce). */
export const RATCHET_NONCE_LENGTH = SIZES.aesNonce;

const EMPTY = new Uint8Array(0);

export interface InitialKeys {
  readonly rootKey: Uint8Array;
  /** The initiator's first sending header key (the spec's shared_hka). */
  readonly initiatorHeaderKey: Uint8Array;
  /** The responder's first sending header key (the spec's shared_nhkb). */
  readonly responderHeaderKey: Uint8Array;
}

/** Step 1: the first root key and both first header keys from the handshake's secret. */
export function deriveInitialKeys(provider: CryptoProvider, sharedSecret: Uint8Array): InitialKeys {
  const out = provider.hkdf('sha256', sharedSecret, EMPTY, INIT_LABEL, 3 * RATCHET_KEY_LENGTH);
  return {
    rootKey: out.slice(0, 32),
    initiatorHeaderKey: out.slice(32, 64),
    responderHeaderKey: out.slice(64, 96),
  };
}

export interface RootStep {
  readonly rootKey: Uint8Array;
  readonly chainKey: Uint8Array;
  readonly nextHeaderKey: Uint8Array;
}

/** Step 2: the root KDF over the X25519 output and the ML-KEM shared secret of one ratchet step. */
export function kdfRoot(provider: CryptoProvider, rootKey: Uint8Array, dhOutput: Uint8Array, kemSecret: Uint8Array): RootStep {
  const out = provider.hkdf('sha256', concatBytes(dhOutput, kemSecret), rootKey, ROOT_LABEL, 3 * RATCHET_KEY_LENGTH);
  return { rootKey: out.slice(0, 32), chainKey: out.slice(32, 64), nextHeaderKey: out.slice(64, 96) };
}

export interface ChainStep {
  readonly chainKey: Uint8Array;
  /** BK || NK, 64 bytes. */
  readonly messageKey: Uint8Array;
}

/** Step 3: one step of a sending or receiving chain. */
export function kdfChain(provider: CryptoProvider, chainKey: Uint8Array): ChainStep {
  const out = provider.hkdf('sha256', chainKey, EMPTY, CHAIN_LABEL, RATCHET_KEY_LENGTH + MESSAGE_KEY_LENGTH);
  // Copies, so a stored message key never keeps the chain key's bytes alive.
  return { chainKey: out.slice(0, RATCHET_KEY_LENGTH), messageKey: out.slice(RATCHET_KEY_LENGTH) };
}

export interface MessageKeys {
  readonly bodyKey: Uint8Array;
  readonly nonceKey: Uint8Array;
}

/** Step 3: the body key and the nonce key inside a message key. */
export function splitMessageKey(messageKey: Uint8Array): MessageKeys {
  return { bodyKey: messageKey.subarray(0, RATCHET_KEY_LENGTH), nonceKey: messageKey.subarray(RATCHET_KEY_LENGTH) };
}

/** Step 4: the synthetic nonce of a message. */
export function syntheticNonce(provider: CryptoProvider, nonceKey: Uint8Array, header: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return provider.hkdf('sha256', concatBytes(header, plaintext), nonceKey, NONCE_LABEL, RATCHET_NONCE_LENGTH);
}

/** Step 5: the associated data of a header, A_H. */
export function headerAad(version: number, associatedData: Uint8Array): Uint8Array {
  return concatBytes(new Uint8Array([version]), u32be(associatedData.length), associatedData);
}

/** Step 5: the associated data of a body. */
export function bodyAad(headerAd: Uint8Array, nonce: Uint8Array, encryptedHeader: Uint8Array): Uint8Array {
  return concatBytes(headerAd, nonce, encryptedHeader);
}
