/** The public API of the crypto layer. Other layers import from here, never from a file inside. */
export type {
  AeadKey,
  CryptoProvider,
  HashAlgorithm,
  HkdfHash,
  KemEncapsulation,
  KeyAlgorithm,
  PasswordKdfParams,
  PrivateKey,
} from './provider.ts';
export { SIZES } from './provider.ts';
export { createNodeCryptoProvider } from './node-provider.ts';
export {
  COMBINER_LABEL,
  HYBRID_CIPHERTEXT_LENGTH,
  HYBRID_PRIVATE_KEY_LENGTH,
  HYBRID_PUBLIC_KEY_LENGTH,
  HYBRID_SEED_LENGTH,
  HYBRID_SHARED_SECRET_LENGTH,
  deriveHybridKeyPair,
  exportHybridPrivateKey,
  generateHybridKeyPair,
  hybridDecapsulate,
  hybridEncapsulate,
  importHybridPrivateKey,
  type HybridPrivateKey,
} from './hybrid-kem.ts';
export {
  AEAD_NONCE_PREFIX_LENGTH,
  AEAD_OVERHEAD,
  FRESH_KEY_OVERHEAD,
  MAX_MESSAGES_PER_KEY,
  createAeadSealer,
  openAead,
  openWithFreshKey,
  sealWithFreshKey,
  type AeadSealer,
  type AeadSealerOptions,
} from './aead.ts';
export { assertBytes, concatBytes, fromHex, readUintBE, toHex, u32be, u64be, utf8, writeUintBE } from './bytes.ts';
