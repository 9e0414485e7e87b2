/**
 * Fixed DER wrappers for raw keys. Wrapping a raw key in a constant SPKI/PKCS#8 prefix is the
 * cheapest way to build a `KeyObject` from raw bytes on Node: no ASN.1 encoder, no JWK object.
 * Peers' public keys are then handed to OpenSSL as PEM text of this DER, which on Node 24.21 /
 * OpenSSL 3.5 parses about 3x faster than the DER bytes themselves and faster than JWK
 * (`npm run bench -- crypto` measures all three routes). The prefixes are the encodings of RFC 8410
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
