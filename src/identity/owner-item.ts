/**
 * Items in an account's owner-only namespaces (`bundle`, `config`) carry the owner's signature
 * inside the stored body, so every swarm member can check them: not only the node the owner wrote
 * to (which also checked the request signature), but also each member receiving the item by
 * replication or anti-entropy. Without this a hostile node could replace an account's bundle on
 * the whole swarm. Format: signature (64 bytes) || payload, where the signature is Ed25519 by the
 * account key over "samizdat/v1/owner-item" || namespace || 0x00 || account (32) || payload.
 */
import { assertBytes, concatBytes, utf8 } from '../crypto/bytes.ts';
import type { CryptoProvider, PrivateKey } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';

const CONTEXT = utf8('samizdat/v1/owner-item');
export const OWNER_ITEM_SIGNATURE_BYTES = 64;

function message(namespace: string, account: Uint8Array, payload: Uint8Array): Uint8Array {
  return concatBytes(CONTEXT, utf8(namespace), new Uint8Array([0]), account, payload);
}

/** Wraps `payload` for storage in the owner's `namespace`. */
export function signOwnerItem(crypto: CryptoProvider, identityKey: PrivateKey, namespace: string, payload: Uint8Array): Uint8Array {
  assertBytes('payload', payload);
  const signature = crypto.sign(identityKey, message(namespace, identityKey.publicKey, payload));
  return concatBytes(signature, payload);
}

/** Checks a stored owner item and returns its payload; BAD_SIGNATURE unless the account signed it. */
export function openOwnerItem(crypto: CryptoProvider, account: Uint8Array, namespace: string, body: Uint8Array): Uint8Array {
  assertBytes('account', account, 32);
  assertBytes('body', body);
  if (body.length <= OWNER_ITEM_SIGNATURE_BYTES) {
    throw new SamizdatError('MALFORMED', `an item in "${namespace}" must carry the owner's signature`);
  }
  const payload = body.subarray(OWNER_ITEM_SIGNATURE_BYTES);
  if (!crypto.verify(account, message(namespace, account, payload), body.subarray(0, OWNER_ITEM_SIGNATURE_BYTES))) {
    throw new SamizdatError('BAD_SIGNATURE', `the item in "${namespace}" is not signed by the account owner`);
  }
  return payload;
}
