/**
 * Peers' raw public keys as OpenSSL KeyObjects for the native provider (node-provider.ts): the
 * import through a fixed SPKI prefix (der.ts) as PEM, and the per-provider cache of keys used
 * again and again.
 */
import * as nodeCrypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SamizdatError } from '../errors.ts';
import { assertBytes, concatBytes, sameBytes } from './bytes.ts';
import { RAW_PUBLIC_LENGTH, SPKI_PREFIX } from './der.ts';
import type { KeyAlgorithm, PeerKeyUse } from './provider.ts';

/**
 * PEM text of an SPKI DER (RFC 7468), its base64 on one line. Measured on Node 24.21 / OpenSSL 3.5
 * (`npm run bench -- crypto`), OpenSSL parses this about 3x faster than the same bytes handed over
 * as DER (`format: 'der'`), base64 included, so peers' raw keys go in as PEM. Most of the
 * difference is Node's, not OpenSSL's: handed an object or a Buffer, createPublicKey first asks
 * whether it is a KeyObject or a CryptoKey by catching thrown errors (two to four per call, each
 * capturing a stack trace), which a string skips. The same checks make Node 24's `raw-public`
 * import no faster than PEM (slower for ML-KEM). RFC 7468 has writers wrap at 64 characters, but
 * OpenSSL reads one long line as well (node-provider.test.ts checks that a key comes back
 * unchanged), and the 26 lines of an ML-KEM-768 key cost about 5 µs more to build and parse.
 */
function spkiPem(der: Uint8Array): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.length).toString('base64');
  return `-----BEGIN PUBLIC KEY-----\n${base64}\n-----END PUBLIC KEY-----\n`;
}

/**
 * Peers' public keys imported recently, per provider. Relays and clients use the same few onion,
 * identity and prekey keys again and again; parsing a 1,184-byte ML-KEM key costs more than
 * encapsulating to it. Public data only; bounded, least recently used dropped first. Keys used
 * once (PeerKeyUse) stay out: cached, each would outlive a young-generation collection (an ML-KEM
 * KeyObject holds several KB in OpenSSL) and push out a key that is used again. In the ratchet
 * bench, keeping a turn's keys out of the cache made a turn 12 % faster.
 */
export const PUBLIC_KEY_CACHE_ENTRIES = 1024;

export class PublicKeyCache {
  private readonly entries = new Map<string, KeyObject>();
  /**
   * The latest 'once' X25519 key, kept until the next one: a ratchet turn uses the peer's new key
   * twice in a row (its receiving and its sending step), and a 32-byte compare is cheaper than a
   * second import.
   */
  private lastOnce: { readonly raw: Uint8Array; readonly key: KeyObject } | undefined;

  get(algorithm: KeyAlgorithm, raw: Uint8Array, use: PeerKeyUse = 'reused'): KeyObject {
    assertBytes('publicKey', raw);
    if (use === 'once') return algorithm === 'x25519' ? this.onceX25519(raw) : importPublicKey(algorithm, raw);
    // Keys longer than a hash (ML-KEM's 1,184 bytes) are known by their SHA-256: a Map keyed by
    // 1,600-character strings costs about 3 µs more per new key than one keyed by 44.
    const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
    const id = `${algorithm}:${raw.length > 32 ? nodeCrypto.hash('sha256', bytes, 'base64') : bytes.toString('base64')}`;
    const hit = this.entries.get(id);
    if (hit !== undefined) {
      // Least recently used goes first: keys used again and again (onion keys, contacts' identity
      // keys) stay, while the single-use keys of ratchet turns pass through.
      this.entries.delete(id);
      this.entries.set(id, hit);
      return hit;
    }
    const key = importPublicKey(algorithm, raw);
    if (this.entries.size >= PUBLIC_KEY_CACHE_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(id, key);
    return key;
  }

  private onceX25519(raw: Uint8Array): KeyObject {
    const last = this.lastOnce;
    if (last !== undefined && sameBytes(last.raw, raw)) return last.key;
    const key = importPublicKey('x25519', raw);
    this.lastOnce = { raw: raw.slice(), key };
    return key;
  }
}

/** Imports a peer's raw public key; BAD_KEY when it has the wrong length or OpenSSL refuses it. */
function importPublicKey(algorithm: KeyAlgorithm, raw: Uint8Array): KeyObject {
  assertBytes('publicKey', raw);
  if (raw.length !== RAW_PUBLIC_LENGTH[algorithm]) {
    throw new SamizdatError('BAD_KEY', `${algorithm} public key must be ${RAW_PUBLIC_LENGTH[algorithm]} bytes, got ${raw.length}`);
  }
  try {
    return nodeCrypto.createPublicKey(spkiPem(concatBytes(SPKI_PREFIX[algorithm], raw)));
  } catch (cause) {
    throw new SamizdatError('BAD_KEY', `invalid ${algorithm} public key`, { cause });
  }
}
