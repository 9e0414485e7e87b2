/**
 * `npm run bench -- crypto`: operations per second of every primitive, the native provider
 * (node:crypto / OpenSSL) beside the @noble provider (pure JavaScript), ratio = native / noble;
 * and the routes for importing a peer's raw public key into a KeyObject (fixed SPKI prefix as PEM
 * text, as DER bytes, or JWK), which show why node-provider.ts imports peers' keys as PEM.
 */
import * as nodeCrypto from 'node:crypto';
import { SPKI_PREFIX } from '../../src/crypto/der.ts';
import { generateHybridKeyPair, hybridDecapsulate, hybridEncapsulate } from '../../src/crypto/hybrid-kem.ts';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import { createNobleCryptoProvider } from '../../test/support/noble-provider.ts';
import { opsPerSecond, type BenchRow, type BenchSuite } from '../report.ts';

type Op = (p: CryptoProvider) => () => unknown;

const KIB = new Uint8Array(1024).fill(0x5a);
const KEY = new Uint8Array(32).fill(7);
const NONCE = new Uint8Array(12);
const EMPTY = new Uint8Array(0);

/** Each entry builds, for one provider, the closure to time (keys are made outside the timing). */
const OPS: readonly [string, Op][] = [
  ['x25519 keygen', (p) => () => p.generateKey('x25519')],
  ['x25519 DH', (p) => {
    const a = p.generateKey('x25519');
    const b = p.generateKey('x25519').publicKey;
    return () => p.x25519(a, b);
  }],
  ['ed25519 sign (64 B)', (p) => {
    const k = p.generateKey('ed25519');
    const m = KIB.subarray(0, 64);
    return () => p.sign(k, m);
  }],
  ['ed25519 verify (64 B)', (p) => {
    const k = p.generateKey('ed25519');
    const m = KIB.subarray(0, 64);
    const s = p.sign(k, m);
    return () => p.verify(k.publicKey, m, s);
  }],
  ['ML-KEM-768 keygen', (p) => () => p.generateKey('ml-kem-768')],
  ['ML-KEM-768 encaps', (p) => {
    const pk = p.generateKey('ml-kem-768').publicKey;
    return () => p.mlKemEncapsulate(pk);
  }],
  ['ML-KEM-768 decaps', (p) => {
    const k = p.generateKey('ml-kem-768');
    const { ciphertext } = p.mlKemEncapsulate(k.publicKey);
    return () => p.mlKemDecapsulate(k, ciphertext);
  }],
  ['hybrid KEM encaps', (p) => {
    const pk = generateHybridKeyPair(p).publicKey;
    return () => hybridEncapsulate(p, pk);
  }],
  ['hybrid KEM decaps', (p) => {
    const k = generateHybridKeyPair(p);
    const { ciphertext } = hybridEncapsulate(p, k.publicKey);
    return () => hybridDecapsulate(p, k, ciphertext);
  }],
  ['AES-256-GCM seal 1 KiB', (p) => () => p.aesGcmSeal(KEY, NONCE, KIB, EMPTY)],
  ['SHA-256 1 KiB', (p) => () => p.hash('sha256', KIB)],
  ['SHA3-256 1 KiB', (p) => () => p.hash('sha3-256', KIB)],
  ['HKDF-SHA256 (32 B out)', (p) => () => p.hkdf('sha256', KEY, EMPTY, KIB.subarray(0, 16), 32)],
];

const pem = (der: Buffer): string =>
  `-----BEGIN PUBLIC KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PUBLIC KEY-----\n`;

/**
 * Routes from a peer's raw public key to a KeyObject: the fixed SPKI prefix handed over as DER
 * bytes, as PEM text (what node-provider.ts does), and JWK (X25519 only; no JWK for ML-KEM here).
 */
function importRoutes(): [string, () => unknown][] {
  const routes: [string, () => unknown][] = [];
  for (const alg of ['x25519', 'ml-kem-768'] as const) {
    const prefix = Buffer.from(SPKI_PREFIX[alg]);
    const raw = nodeCrypto.generateKeyPairSync(alg as 'x25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(prefix.length);
    routes.push([`${alg} public key import: PEM (chosen)`, () => nodeCrypto.createPublicKey(pem(Buffer.concat([prefix, raw])))]);
    routes.push([`${alg} public key import: DER`, () => nodeCrypto.createPublicKey({ key: Buffer.concat([prefix, raw]), format: 'der', type: 'spki' })]);
    if (alg === 'x25519') {
      const x = raw.toString('base64url');
      routes.push([`${alg} public key import: JWK`, () => nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' })]);
    }
  }
  return routes;
}

export const suite: BenchSuite = {
  name: 'crypto',
  description: 'primitives per second, native (node:crypto) beside @noble; raw public key import routes',
  run(): Promise<readonly BenchRow[]> {
    const native = createNodeCryptoProvider();
    const noble = createNobleCryptoProvider();
    const rows: BenchRow[] = [];
    for (const [metric, op] of OPS) {
      const mine = opsPerSecond(op(native), 300);
      const theirs = opsPerSecond(op(noble), 300);
      rows.push({ metric: `${metric} [node]`, value: mine, unit: 'ops/s', peer: 'noble', ratio: mine / theirs });
      rows.push({ metric: `${metric} [noble]`, value: theirs, unit: 'ops/s' });
    }
    let chosen = 0;
    for (const [metric, fn] of importRoutes()) {
      const rate = opsPerSecond(fn, 400);
      if (metric.endsWith('(chosen)')) {
        chosen = rate;
        rows.push({ metric, value: rate, unit: 'imports/s' });
      } else {
        rows.push({ metric, value: rate, unit: 'imports/s', peer: 'PEM (chosen)', ratio: rate / chosen });
      }
    }
    return Promise.resolve(rows);
  },
};
