/**
 * Signed prekey bundles (DESIGN.md §5): what an account publishes in the `bundle` namespace of its
 * swarm so others can start a PQXDH-style handshake with it while it is offline.
 *
 * Wire form (src/wire/proto/samizdat/v1/identity.proto): SignedPrekeyBundle { body, signature },
 * where body is a serialized PrekeyBundleBody and signature is Ed25519 by the identity key over
 * SIGNATURE_CONTEXT || body. The verifier checks the size, parses only the outer wrapper (which
 * must be canonical: no unknown, repeated or empty fields), verifies the signature against the
 * identity the caller expects, and only then parses the body and checks every size, count,
 * time and the sequence. Unknown fields inside the signed body are ignored (newer writers).
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { CryptoProvider, PrivateKey } from '../crypto/provider.ts';
import { SIZES } from '../crypto/provider.ts';
import { assertBytes, concatBytes, sameBytes, utf8 } from '../crypto/bytes.ts';
import { SamizdatError } from '../errors.ts';
import { decodeMessage } from '../wire/index.ts';
import {
  PrekeyBundleBodySchema,
  PrekeySchema,
  SignedPrekeyBundleSchema,
} from '../wire/gen/samizdat/v1/identity_pb.ts';
import type { Prekey as WirePrekey } from '../wire/gen/samizdat/v1/identity_pb.ts';
import { checkBundleFields, MAX_PREKEY_BUNDLE_BYTES, PREKEY_BUNDLE_MAX_CLOCK_SKEW_MS } from './prekey-bundle-limits.ts';
import type { Prekey, PrekeyBundle } from './prekey-bundle-limits.ts';

export type { Prekey, PrekeyBundle } from './prekey-bundle-limits.ts';

/** Domain separation: a bundle signature can never be taken for a signature on anything else. */
const SIGNATURE_CONTEXT = utf8('samizdat/v1/prekey-bundle');

/** What the owner fills in; the identity key comes from the signing key. */
export interface PrekeyBundleFields {
  /** The account's long-term X25519 identity public key (`AccountKeys.mailboxX25519.publicKey`). */
  readonly identityX25519: Uint8Array;
  /** Must grow with every bundle the account publishes (uint64). */
  readonly sequence: bigint;
  /** Milliseconds since the Unix epoch. */
  readonly createdAtMs: number;
  /** Milliseconds since the Unix epoch; after createdAtMs, within MAX_PREKEY_BUNDLE_LIFETIME_MS. */
  readonly expiresAtMs: number;
  readonly signedX25519Prekey: Prekey;
  readonly signedMlKemPrekey: Prekey;
  readonly oneTimeX25519Prekeys?: readonly Prekey[];
  readonly oneTimeMlKemPrekeys?: readonly Prekey[];
}

export interface VerifyPrekeyBundleOptions {
  /** The Ed25519 identity public key of the account whose bundle this should be. */
  readonly expectedIdentity: Uint8Array;
  /** The verifier's clock, milliseconds since the Unix epoch. */
  readonly now: number;
  /** The highest sequence already accepted for this account; a lower one is a ROLLBACK. */
  readonly minSequence?: bigint;
}

function toWire(prekey: Prekey): WirePrekey {
  return create(PrekeySchema, { id: prekey.id, publicKey: prekey.publicKey });
}

function fromWire(prekey: WirePrekey): Prekey {
  // Copy: the decoder's bytes are views into the caller's buffer.
  return { id: prekey.id, publicKey: prekey.publicKey.slice() };
}

function toSafeTime(value: bigint, name: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new SamizdatError('MALFORMED', `${name} is out of range`);
  }
  return Number(value);
}

/** Signs a bundle with the account's Ed25519 identity key; returns the SignedPrekeyBundle bytes. */
export function signPrekeyBundle(
  provider: CryptoProvider,
  identityKey: PrivateKey,
  fields: PrekeyBundleFields,
): Uint8Array {
  if (typeof identityKey !== 'object' || identityKey === null || identityKey.algorithm !== 'ed25519') {
    throw new SamizdatError('INVALID_ARGUMENT', 'identityKey must be an Ed25519 private key');
  }
  if (typeof fields !== 'object' || fields === null) {
    throw new SamizdatError('INVALID_ARGUMENT', 'fields must be an object');
  }
  const bundle: PrekeyBundle = {
    identityKey: identityKey.publicKey,
    identityX25519: fields.identityX25519,
    sequence: fields.sequence,
    createdAtMs: fields.createdAtMs,
    expiresAtMs: fields.expiresAtMs,
    signedX25519Prekey: fields.signedX25519Prekey,
    signedMlKemPrekey: fields.signedMlKemPrekey,
    oneTimeX25519Prekeys: fields.oneTimeX25519Prekeys ?? [],
    oneTimeMlKemPrekeys: fields.oneTimeMlKemPrekeys ?? [],
  };
  checkBundleFields(bundle, 'INVALID_ARGUMENT');
  const body = toBinary(
    PrekeyBundleBodySchema,
    create(PrekeyBundleBodySchema, {
      identityKey: bundle.identityKey,
      identityX25519: bundle.identityX25519,
      sequence: bundle.sequence,
      createdAtMs: BigInt(bundle.createdAtMs),
      expiresAtMs: BigInt(bundle.expiresAtMs),
      signedX25519Prekey: toWire(bundle.signedX25519Prekey),
      signedMlKemPrekey: toWire(bundle.signedMlKemPrekey),
      oneTimeX25519Prekeys: bundle.oneTimeX25519Prekeys.map(toWire),
      oneTimeMlKemPrekeys: bundle.oneTimeMlKemPrekeys.map(toWire),
    }),
  );
  const signature = provider.sign(identityKey, concatBytes(SIGNATURE_CONTEXT, body));
  const signed = toBinary(SignedPrekeyBundleSchema, create(SignedPrekeyBundleSchema, { body, signature }));
  if (signed.length > MAX_PREKEY_BUNDLE_BYTES) {
    // Unreachable within the count limits (a test checks the largest bundle); kept as a guard.
    throw new SamizdatError('TOO_LARGE', `prekey bundle exceeds ${MAX_PREKEY_BUNDLE_BYTES} bytes`);
  }
  return signed;
}

function assertOptions(options: VerifyPrekeyBundleOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new SamizdatError('INVALID_ARGUMENT', 'options must be an object');
  }
  assertBytes('options.expectedIdentity', options.expectedIdentity, SIZES.ed25519PublicKey);
  if (!Number.isSafeInteger(options.now) || options.now < 0) {
    throw new SamizdatError('INVALID_ARGUMENT', 'options.now must be a non-negative integer (ms since epoch)');
  }
  if (options.minSequence !== undefined && (typeof options.minSequence !== 'bigint' || options.minSequence < 0n)) {
    throw new SamizdatError('INVALID_ARGUMENT', 'options.minSequence must be a non-negative bigint');
  }
}

/**
 * Verifies and parses a signed prekey bundle from untrusted bytes. Errors: TOO_LARGE,
 * MALFORMED (not protobuf, not canonical, bad sizes or counts), BAD_SIGNATURE (bad signature or
 * a bundle of another account), EXPIRED (past expiry or created in the future beyond the allowed
 * clock skew), ROLLBACK (sequence below `minSequence`).
 */
export function verifyPrekeyBundle(
  provider: CryptoProvider,
  bytes: Uint8Array,
  options: VerifyPrekeyBundleOptions,
): PrekeyBundle {
  assertBytes('bytes', bytes);
  assertOptions(options);
  if (bytes.length > MAX_PREKEY_BUNDLE_BYTES) {
    throw new SamizdatError('TOO_LARGE', `prekey bundle exceeds ${MAX_PREKEY_BUNDLE_BYTES} bytes`, {
      detail: { limit: MAX_PREKEY_BUNDLE_BYTES, actual: bytes.length },
    });
  }
  const limit = { maxBytes: MAX_PREKEY_BUNDLE_BYTES };
  const signed = decodeMessage(SignedPrekeyBundleSchema, bytes, limit);
  if (!sameBytes(toBinary(SignedPrekeyBundleSchema, signed), bytes)) {
    throw new SamizdatError('MALFORMED', 'prekey bundle is not in canonical form');
  }
  if (signed.signature.length !== SIZES.ed25519Signature) {
    throw new SamizdatError('MALFORMED', `prekey bundle signature must be ${SIZES.ed25519Signature} bytes`);
  }
  const message = concatBytes(SIGNATURE_CONTEXT, signed.body);
  if (!provider.verify(options.expectedIdentity, message, signed.signature)) {
    throw new SamizdatError('BAD_SIGNATURE', 'prekey bundle signature does not verify for this account');
  }

  const body = decodeMessage(PrekeyBundleBodySchema, signed.body, limit);
  if (!provider.constantTimeEqual(body.identityKey, options.expectedIdentity)) {
    throw new SamizdatError('BAD_SIGNATURE', 'prekey bundle names a different account than the one it is for');
  }
  if (body.signedX25519Prekey === undefined || body.signedMlKemPrekey === undefined) {
    throw new SamizdatError('MALFORMED', 'prekey bundle lacks a signed prekey');
  }
  const bundle: PrekeyBundle = {
    identityKey: body.identityKey.slice(),
    identityX25519: body.identityX25519.slice(),
    sequence: body.sequence,
    createdAtMs: toSafeTime(body.createdAtMs, 'createdAtMs'),
    expiresAtMs: toSafeTime(body.expiresAtMs, 'expiresAtMs'),
    signedX25519Prekey: fromWire(body.signedX25519Prekey),
    signedMlKemPrekey: fromWire(body.signedMlKemPrekey),
    oneTimeX25519Prekeys: body.oneTimeX25519Prekeys.map(fromWire),
    oneTimeMlKemPrekeys: body.oneTimeMlKemPrekeys.map(fromWire),
  };
  checkBundleFields(bundle, 'MALFORMED');

  if (options.minSequence !== undefined && bundle.sequence < options.minSequence) {
    throw new SamizdatError('ROLLBACK', 'prekey bundle is older than one already seen', {
      detail: { sequence: bundle.sequence.toString(), minSequence: options.minSequence.toString() },
    });
  }
  if (options.now >= bundle.expiresAtMs) {
    throw new SamizdatError('EXPIRED', 'prekey bundle has expired', { detail: { expiresAtMs: bundle.expiresAtMs } });
  }
  if (options.now + PREKEY_BUNDLE_MAX_CLOCK_SKEW_MS < bundle.createdAtMs) {
    throw new SamizdatError('EXPIRED', 'prekey bundle is not valid yet (created in the future)', {
      detail: { createdAtMs: bundle.createdAtMs },
    });
  }
  return bundle;
}
