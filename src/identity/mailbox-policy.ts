/**
 * The mailbox policy: an account's deposit settings, published as an owner item (owner-item.ts)
 * in its own `config` namespace so that every swarm member can read and check it:
 *   - contact deposit key: the Ed25519 public key whose private half the owner hands to accepted
 *     contacts; a deposit signed with it skips proof of work (deposit-proof.ts);
 *   - refuse strangers: deposits that carry only proof of work are refused (REFUSED);
 *   - sequence: among the live policy items of an account, the highest sequence applies.
 *
 * Payload layout: MAILBOX_POLICY_TAG || protobuf MailboxPolicy. The tag tells a policy apart from
 * the owner's other config items (encrypted backups and the like), which nodes ignore; the owner
 * item signature covers it, so only the owner can publish a policy.
 */
import { create } from '@bufbuild/protobuf';
import { assertBytes, concatBytes, utf8 } from '../crypto/bytes.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { SIZES } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import { decodeMessage, encodeMessage } from '../wire/index.ts';
import { MailboxPolicySchema } from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import { openOwnerItem } from './owner-item.ts';

/** The first bytes of every policy payload in `config`. */
export const MAILBOX_POLICY_TAG = utf8('samizdat/v1/mailbox-policy\u0000');

/**
 * Largest policy payload, tag included: today's fields take about 80 bytes; 512 leaves room for
 * fields added later while keeping the node's scan of an account's config cheap.
 */
export const MAX_MAILBOX_POLICY_BYTES = 512;

const MAX_SEQUENCE = 0xffff_ffff_ffff_ffffn;

export interface MailboxPolicy {
  /** Ed25519 public key (32 bytes) of the contact deposit key. */
  readonly contactDepositKey: Uint8Array;
  /** Refuse deposits that carry only proof of work. */
  readonly refuseStrangers: boolean;
  /** uint64; a new policy must have a higher sequence than the one it replaces. */
  readonly sequence: bigint;
}

/** True when a config payload is a mailbox policy (by its tag; the content may still be malformed). */
export function isMailboxPolicyPayload(payload: Uint8Array): boolean {
  assertBytes('payload', payload);
  if (payload.length < MAILBOX_POLICY_TAG.length) return false;
  return MAILBOX_POLICY_TAG.every((byte, i) => payload[i] === byte);
}

/**
 * The config payload of `policy`, to store with MailboxClient.store({ namespace: 'config',
 * identityKey }) (which wraps it in the owner's signature).
 */
export function encodeMailboxPolicy(policy: MailboxPolicy): Uint8Array {
  assertBytes('contactDepositKey', policy.contactDepositKey, SIZES.ed25519PublicKey);
  if (typeof policy.refuseStrangers !== 'boolean') throw new SamizdatError('INVALID_ARGUMENT', 'refuseStrangers must be a boolean');
  if (typeof policy.sequence !== 'bigint' || policy.sequence < 0n || policy.sequence > MAX_SEQUENCE) {
    throw new SamizdatError('INVALID_ARGUMENT', 'sequence must be a uint64 bigint');
  }
  const message = create(MailboxPolicySchema, {
    contactDepositKey: policy.contactDepositKey,
    refuseStrangers: policy.refuseStrangers,
    sequence: policy.sequence,
  });
  return concatBytes(MAILBOX_POLICY_TAG, encodeMessage(MailboxPolicySchema, message, { maxBytes: MAX_MAILBOX_POLICY_BYTES - MAILBOX_POLICY_TAG.length }));
}

/**
 * Parses a config payload (owner signature already removed, as MailboxClient.retrieve returns
 * it). MALFORMED when it is not a policy or a field is wrong; TOO_LARGE over MAX_MAILBOX_POLICY_BYTES.
 */
export function decodeMailboxPolicy(payload: Uint8Array): MailboxPolicy {
  assertBytes('payload', payload);
  if (payload.length > MAX_MAILBOX_POLICY_BYTES) {
    throw new SamizdatError('TOO_LARGE', `a mailbox policy may be at most ${MAX_MAILBOX_POLICY_BYTES} bytes`, {
      detail: { limit: MAX_MAILBOX_POLICY_BYTES, actual: payload.length },
    });
  }
  if (!isMailboxPolicyPayload(payload)) throw new SamizdatError('MALFORMED', 'not a mailbox policy');
  const message = decodeMessage(MailboxPolicySchema, payload.subarray(MAILBOX_POLICY_TAG.length));
  if (message.contactDepositKey.length !== SIZES.ed25519PublicKey) {
    throw new SamizdatError('MALFORMED', `a mailbox policy's contact deposit key must be ${SIZES.ed25519PublicKey} bytes`, {
      detail: { field: 'contact_deposit_key', actual: message.contactDepositKey.length },
    });
  }
  return { contactDepositKey: message.contactDepositKey.slice(), refuseStrangers: message.refuseStrangers, sequence: message.sequence };
}

/**
 * Checks a stored config item (owner signature || payload) of `account` and parses its policy:
 * BAD_SIGNATURE unless the owner signed it, MALFORMED when it is not a well-formed policy.
 */
export function openMailboxPolicy(provider: CryptoProvider, account: Uint8Array, body: Uint8Array): MailboxPolicy {
  return decodeMailboxPolicy(openOwnerItem(provider, account, 'config', body));
}
