/**
 * The owner's signed delete as a proof that travels: a swarm member that received the owner's
 * DeleteRequest sends the others the same IDs and signature (ReplicaDelete), keeps it with the
 * tombstones it makes (MailboxStore.delete), and anti-entropy forwards it with them. Every member
 * checks the signature itself, so no member can delete for an owner: DESIGN.md §4, "Reads,
 * deletes and owner writes carry an Ed25519 signature".
 *
 * A relayed proof may be old (a member that was down hears of it from anti-entropy later), so its
 * time may lie up to a whole TTL in the past; it may not lie further ahead than the usual skew.
 * Its nonce is not remembered: doing a delete twice changes nothing.
 */
import { create } from '@bufbuild/protobuf';
import type { CryptoProvider } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import { OWNER_AUTH_MAX_SKEW_MS, deleteRequestDigest, verifyOwnerAuth } from '../identity/request-auth.ts';
import { OwnerAuthSchema, ReplicaDeleteSchema, type OwnerAuth, type ReplicaDelete } from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import { decodeMessage, encodeMessage } from '../wire/index.ts';
import type { DeleteProof, Namespace, StoredDeleteProof } from './mailbox-store.ts';
import { MAX_MAILBOX_TTL_MS } from './mailbox-service-rules.ts';

/** How old a relayed delete proof may be: a message lives at most a TTL, so its tombstone too. */
export const MAX_DELETE_PROOF_AGE_MS = MAX_MAILBOX_TTL_MS + OWNER_AUTH_MAX_SKEW_MS;

/** The proof to keep for a delete the owner sent this node (its signature already checked). */
export function deleteProofOf(auth: OwnerAuth, ids: readonly Uint8Array[]): DeleteProof {
  return { auth: encodeMessage(OwnerAuthSchema, auth), ids, signedAtMs: Number(auth.timestampMs) };
}

/**
 * Checks a delete relayed by a swarm member: BAD_SIGNATURE without the owner's signature or with
 * one that does not verify over these IDs; CLOCK_SKEW when it is older than
 * MAX_DELETE_PROOF_AGE_MS or too far ahead. Returns the proof to keep.
 */
export function verifyRelayedDelete(crypto: CryptoProvider, request: ReplicaDelete, namespace: Namespace, nowMs: number): DeleteProof {
  if (request.auth === undefined) {
    throw new SamizdatError('BAD_SIGNATURE', "a relayed delete needs the owner's signed delete", { detail: { reason: 'missing' } });
  }
  const scope = { method: 'delete' as const, namespace, account: request.account, requestDigest: deleteRequestDigest(crypto, request.ids) };
  verifyOwnerAuth(crypto, request.auth, scope, nowMs, OWNER_AUTH_MAX_SKEW_MS, MAX_DELETE_PROOF_AGE_MS);
  return deleteProofOf(request.auth, request.ids);
}

/** The ReplicaDelete that forwards a kept proof. MALFORMED if its stored auth does not decode. */
export function relayedDeleteOf(proof: StoredDeleteProof): ReplicaDelete {
  const auth = decodeMessage(OwnerAuthSchema, proof.auth);
  return create(ReplicaDeleteSchema, { account: proof.account, namespace: proof.namespace, ids: proof.ids, auth });
}
