/**
 * The `messaging` suite's breakdown of one ratchet turn (a message whose receiver starts a new
 * chain, src/e2e/ratchet-receive.ts receiveTurn, plus the encryption that sent it): each
 * primitive call of the turn through the provider, on fresh keys as in a turn, in µs per turn.
 * Beside it, libsignal's X25519 through its JS API, each call crossing N-API (inside
 * signalDecrypt the Rust code calls it directly, so these are upper bounds); its ML-KEM work per
 * message, SPQR's chunks, is not exposed.
 */
import type * as Libsignal from '@signalapp/libsignal-client';
import { createNodeCryptoProvider } from '../src/crypto/node-provider.ts';
import { usPerOp } from './messaging-libsignal.ts';
import type { BenchRow } from './report.ts';

/** Timed calls per part; each part is timed ROUNDS times and its best round counts. */
const OPS = 200;
const ROUNDS = 3;
const HEADER_BYTES = 2312;
const MESSAGE_BYTES = 1024;

/** µs per call, best of ROUNDS; `prepare` makes each round's call (and its inputs, untimed). */
async function best(prepare: () => (i: number) => unknown): Promise<number> {
  let us = Infinity;
  for (let round = 0; round < ROUNDS; round++) us = Math.min(us, await usPerOp(OPS, prepare()));
  return us;
}

/** One input per call of a round: OPS timed calls and the warm-up tenth (usPerOp). */
function fresh(make: () => Uint8Array): (i: number) => Uint8Array {
  const inputs = Array.from({ length: OPS + Math.ceil(OPS / 10) }, make);
  return (i) => {
    const input = inputs[i];
    if (input === undefined) throw new Error(`no input ${i}`);
    return input;
  };
}

interface Part {
  readonly what: string;
  /** Calls per turn. */
  readonly calls: number;
  /** µs per turn (all its calls). */
  readonly us: number;
}

async function ourParts(): Promise<Part[]> {
  const p = createNodeCryptoProvider();
  const own = p.generateKey('x25519');
  const ownKem = p.generateKey('ml-kem-768');
  const ciphertext = p.mlKemEncapsulate(p.generateKey('ml-kem-768').publicKey).ciphertext;
  const key = p.randomBytes(32);
  const nonce = p.randomBytes(12);
  const label = p.randomBytes(25);
  const headerAd = p.randomBytes(69);
  const header = p.randomBytes(HEADER_BYTES);
  const body = p.randomBytes(MESSAGE_BYTES);
  const bodyAd = p.randomBytes(69 + 12 + HEADER_BYTES + 16);
  const sealedHeader = p.aesGcmSeal(key, nonce, header, headerAd);
  const sealedBody = p.aesGcmSeal(key, nonce, body, bodyAd);
  const nonceInput = p.randomBytes(HEADER_BYTES + MESSAGE_BYTES);
  const part = async (what: string, calls: number, prepare: () => (i: number) => unknown): Promise<Part> => ({
    what,
    calls,
    us: calls * (await best(prepare)),
  });
  // A turn meets each of the peer's ratchet keys for the first time: fresh keys every round.
  return [
    await part('X25519 keygen', 1, () => () => p.generateKey('x25519')),
    await part('X25519 with a new peer key (its import included)', 1, () => {
      const peer = fresh(() => p.generateKey('x25519').publicKey);
      return (i) => p.x25519(own, peer(i));
    }),
    await part('X25519 with that key again (imported already)', 1, () => () => p.x25519(own, own.publicKey)),
    await part('ML-KEM-768 keygen', 1, () => () => p.generateKey('ml-kem-768')),
    await part('ML-KEM-768 encapsulate to a new key (its import and check included)', 1, () => {
      const peer = fresh(() => p.generateKey('ml-kem-768').publicKey);
      return (i) => p.mlKemEncapsulate(peer(i));
    }),
    await part('ML-KEM-768 decapsulate', 1, () => () => p.mlKemDecapsulate(ownKem, ciphertext)),
    await part('HKDF-SHA256 of 96 bytes: root twice, chain twice', 4, () => () => p.hkdf('sha256', key, key, label, 96)),
    await part('HKDF-SHA256 nonce over header and plaintext', 1, () => () => p.hkdf('sha256', nonceInput, key, label, 12)),
    await part('AES-256-GCM seal of header and body', 1, () => () => [p.aesGcmSeal(key, nonce, header, headerAd), p.aesGcmSeal(key, nonce, body, bodyAd)]),
    await part('AES-256-GCM open of header and body', 1, () => () => [p.aesGcmOpen(key, nonce, sealedHeader, headerAd), p.aesGcmOpen(key, nonce, sealedBody, bodyAd)]),
  ];
}

async function libsignalParts(lib: typeof Libsignal): Promise<Part[]> {
  const mine = lib.PrivateKey.generate();
  const theirs = lib.PrivateKey.generate().getPublicKey();
  return [
    { what: 'X25519 keygen and its public key through the JS API (PrivateKey.generate, getPublicKey)', calls: 1, us: await best(() => () => lib.PrivateKey.generate().getPublicKey()) },
    { what: 'X25519 agree through the JS API', calls: 2, us: 2 * (await best(() => () => mine.agree(theirs))) },
  ];
}

/**
 * Rows: a whole message of the alternating row (`turn` sends one, a turn every time) timed as the
 * parts are, each part of it (µs per turn), their sum and the rest; libsignal's X25519 parts when
 * `lib` is loaded.
 */
export async function measureTurnParts(lib: typeof Libsignal | undefined, turn: () => void): Promise<BenchRow[]> {
  const rows = (parts: readonly Part[], who: string): BenchRow[] =>
    parts.map((x) => ({ metric: `turn: ${x.what}${x.calls > 1 ? ` (x${x.calls})` : ''} [${who}]`, value: x.us, unit: 'µs' }));
  const whole = await best(() => turn);
  const ours = await ourParts();
  const sum = ours.reduce((total, x) => total + x.us, 0);
  // What the post-quantum step costs: libsignal's SPQR spreads its ML-KEM work over several
  // messages, while every turn here does a whole ML-KEM-768 keygen, encapsulation and decapsulation.
  const mlKem = ours.filter((x) => x.what.startsWith('ML-KEM')).reduce((total, x) => total + x.us, 0);
  return [
    { metric: 'turn: a whole message, encrypt + decrypt, timed as the parts below [ours]', value: whole, unit: 'µs' },
    ...rows(ours, 'ours'),
    { metric: 'turn: the primitives above, together [ours]', value: sum, unit: 'µs' },
    { metric: 'turn: the rest (codec, state, copies, caches; parts run warmer alone) [ours]', value: whole - sum, unit: 'µs' },
    { metric: 'turn: its ML-KEM-768 parts together (keygen, encapsulate with import, decapsulate) [ours]', value: mlKem, unit: 'µs' },
    { metric: 'turn: a whole message less its ML-KEM-768 parts [ours]', value: whole - mlKem, unit: 'µs' },
    ...(lib === undefined ? [] : rows(await libsignalParts(lib), 'libsignal')),
  ];
}
