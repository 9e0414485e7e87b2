/**
 * The ChaCha20-Poly1305 that libp2p's Noise uses for every transport message, through Noise's own
 * "bring your own crypto" option (ICryptoInterface). Noise's default hands node:crypto a raw key
 * for each message of 1,200 bytes or more; on Node 24 createCipheriv then checks whether that key
 * is a KeyObject and a CryptoKey by catching two exceptions, about 18 µs per message, more than
 * the cipher itself costs for an onion-sized message. Here each Noise key (the same Uint8Array for
 * the life of a cipher state) becomes a KeyObject once and is reused. Small messages still go to
 * Noise's WebAssembly implementation, which is faster below about 700 bytes. Same primitive, same
 * bytes on the wire: only the call into OpenSSL changes.
 */
import { asCrypto, defaultCrypto } from '@chainsafe/libp2p-noise/crypto';
import type { ICryptoInterface } from '@chainsafe/libp2p-noise';
import nodeCrypto, { type KeyObject } from 'node:crypto';

/** Below this many bytes the WebAssembly ChaCha20-Poly1305 beats a native call (measured on Node 24). */
export const NATIVE_CHACHA_MIN_BYTES = 700;

const ALGORITHM = 'chacha20-poly1305';
const TAG_BYTES = 16;

/** One per host: the key cache lives as long as the host's Noise sessions and no longer. */
export function createNoiseCrypto(): ICryptoInterface {
  const keys = new WeakMap<Uint8Array, KeyObject>();
  const keyObject = (k: Uint8Array): KeyObject => {
    let key = keys.get(k);
    if (key === undefined) {
      key = nodeCrypto.createSecretKey(k);
      keys.set(k, key);
    }
    return key;
  };

  return {
    ...defaultCrypto,
    chaCha20Poly1305Encrypt(plaintext, nonce, ad, k) {
      if (plaintext.byteLength < NATIVE_CHACHA_MIN_BYTES) return asCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k);
      const cipher = nodeCrypto.createCipheriv(ALGORITHM, keyObject(k), nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(ad, { plaintextLength: plaintext.byteLength });
      const body = cipher.update(plaintext instanceof Uint8Array ? plaintext : plaintext.subarray());
      cipher.final();
      const tag = cipher.getAuthTag();
      return Buffer.concat([body, tag], body.byteLength + tag.byteLength);
    },
    chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst) {
      if (ciphertext.byteLength < NATIVE_CHACHA_MIN_BYTES) return asCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst);
      const bytes = ciphertext instanceof Uint8Array ? ciphertext : ciphertext.subarray();
      if (bytes.byteLength < TAG_BYTES) throw new Error('Invalid chacha20poly1305 decryption');
      const decipher = nodeCrypto.createDecipheriv(ALGORITHM, keyObject(k), nonce, { authTagLength: TAG_BYTES });
      const text = bytes.subarray(0, bytes.byteLength - TAG_BYTES);
      decipher.setAAD(ad, { plaintextLength: text.byteLength });
      decipher.setAuthTag(bytes.subarray(bytes.byteLength - TAG_BYTES));
      const plaintext = decipher.update(text);
      decipher.final(); // throws on a bad tag
      return plaintext;
    },
  };
}
