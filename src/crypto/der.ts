/**
 * Fixed DER wrappers for raw keys. Wrapping a raw key in a constant SPKI/PKCS#8 prefix and
 * importing it as DER is the cheapest route into a `KeyObject` on Node (JWK import and PEM are
 * several times slower; see `npm run bench -- crypto`). The prefixes are the encodings of RFC 8410
 * (X25519 and Ed25519) and of the ML-KEM drafts for X.509 / PKCS#8 (seed-only private key form).
 */
import { fromHex } from './bytes.ts';
import type { KeyAlgorithm } from './provider.ts';

export const SPKI_PREFIX: Readonly<Record<KeyAlgorithm, Uint8Array>> = {
  x25519: fromHex('302a300506032b656e032100'),
  ed25519: fromHex('302a300506032b6570032100'),
  'ml-kem-768': fromHex('308204b2300b0609608648016503040402038204a100'),
};

export const PKCS8_PREFIX: Readonly<Record<KeyAlgorithm, Uint8Array>> = {
  x25519: fromHex('302e020100300506032b656e04220420'),
  ed25519: fromHex('302e020100300506032b657004220420'),
  // seed-only form: [0x80] IMPLICIT OCTET STRING (64 bytes)
  'ml-kem-768': fromHex('3054020100300b060960864801650304040204428040'),
};

/**
 * OpenSSL exports an ML-KEM private key in the "both" form: SEQUENCE { seed, expandedKey }.
 * This header precedes the 64-byte seed in that export.
 */
export const MLKEM_PKCS8_BOTH_HEADER = fromHex('308209be020100300b0609608648016503040402048209aa308209a60440');

/** Length of the raw key at the end of each SPKI / PKCS#8 encoding above. */
export const RAW_PUBLIC_LENGTH: Readonly<Record<KeyAlgorithm, number>> = {
  x25519: 32,
  ed25519: 32,
  'ml-kem-768': 1184,
};

export const RAW_PRIVATE_LENGTH: Readonly<Record<KeyAlgorithm, number>> = {
  x25519: 32,
  ed25519: 32,
  'ml-kem-768': 64,
};
