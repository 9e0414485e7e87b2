/**
 * Contact verification (DESIGN.md §5, trust and safety): the safety code of a conversation with a
 * contact, and marking the contact verified once the user has compared it with the contact's
 * (or scanned the contact's `samizdat:` URI).
 *
 * The code covers both identity keys of both sides (src/identity/safety-code.ts). The contact's
 * X25519 identity key comes from the newest verified prekey bundle the messenger cached for that
 * peer (session-crypto.ts), else from the contact entry; without either there is nothing to
 * compute from until a message has gone either way (NOT_FOUND). No network I/O here.
 */
import { MAX_MESSAGE_LIST_LIMIT } from './profile-db-limits.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import type { AccountKeys } from '../identity/account-keys.ts';
import { verifyPrekeyBundle } from '../identity/prekey-bundle.ts';
import { formatSafetyCode, safetyCode, safetyCodesMatch } from '../identity/safety-code.ts';
import { looksLikeSamizdatUri, parseSamizdatUri, uriMatchesKeys } from '../identity/samizdat-uri.ts';
import type { Contact, ContactRef } from './contacts.ts';
import type { ProfileDb } from './profile-db.ts';
import { loadPeerRecord } from './session-crypto.ts';
import { sameBytes } from '../crypto/bytes.ts';

/** Our own public identity keys. */
export type OwnIdentity = Pick<AccountKeys, 'identityPublicKey' | 'mailboxX25519'>;

export interface ContactSafetyCode {
  readonly contact: Contact;
  /** 60 digits, no spaces. */
  readonly code: string;
  /** The same, as 12 groups of 5 digits. */
  readonly display: string;
  /** The contact's X25519 identity key the code was computed with. */
  readonly identityX25519: Uint8Array;
  /**
   * True when the contact entry holds a different X25519 identity key than the peer's newest
   * bundle (the code uses the bundle's). An account's keys come from its recovery phrase and do
   * not change, so the user should be told.
   */
  readonly keyChanged: boolean;
}

/**
 * The X25519 identity key in the peer's cached bundle, or undefined. The bundle was verified when
 * it was fetched; it is checked again here against the contact's identity (signature and account),
 * at the time it was fetched, since only its long-term key matters and not whether it expired since.
 */
function bundleIdentityX25519(crypto: CryptoProvider, db: ProfileDb, contact: Contact, nowMs: number): Uint8Array | undefined {
  const record = loadPeerRecord(crypto, db, contact.identityKey);
  if (record.peerBundle === undefined) return undefined;
  const at = record.bundleFetchedAtMs > 0 ? record.bundleFetchedAtMs : nowMs;
  try {
    return verifyPrekeyBundle(crypto, record.peerBundle, { expectedIdentity: contact.identityKey, now: at }).identityX25519;
  } catch (err) {
    if (isSamizdatError(err) && err.code !== 'INVALID_ARGUMENT' && err.code !== 'INTERNAL') return undefined; // unusable: as if none
    throw err;
  }
}

/**
 * The safety code with the contact named by `ref`. NOT_FOUND when there is no such contact, or
 * when no key of the contact's X25519 identity is known yet (no message either way so far).
 */
export function contactSafetyCode(crypto: CryptoProvider, db: ProfileDb, own: OwnIdentity, ref: ContactRef, nowMs: number): ContactSafetyCode {
  const contact = db.contacts.require(ref);
  const fromBundle = bundleIdentityX25519(crypto, db, contact, nowMs);
  const identityX25519 = fromBundle ?? contact.identityX25519;
  if (identityX25519 === undefined) {
    throw new SamizdatError('NOT_FOUND', `${contact.name}'s keys are not known yet, so there is no safety code; send or receive a message first`);
  }
  const code = safetyCode(
    crypto,
    { identityKey: own.identityPublicKey, identityX25519: own.mailboxX25519.publicKey },
    { identityKey: contact.identityKey, identityX25519 },
  );
  const keyChanged = fromBundle !== undefined && contact.identityX25519 !== undefined && !sameBytes(fromBundle, contact.identityX25519);
  return { contact, code, display: formatSafetyCode(code), identityX25519, keyChanged };
}

/**
 * Checks what the user compared, `typed`: the 60-digit safety code (white space ignored) or the
 * contact's `samizdat:` URI (scanned from its QR code). When it matches, marks the contact
 * verified and pins the X25519 identity key it was checked with; VERIFICATION_FAILED when it does
 * not (nothing changes), MALFORMED when `typed` is neither a 60-digit code nor a URI.
 */
export function verifyContact(crypto: CryptoProvider, db: ProfileDb, own: OwnIdentity, ref: ContactRef, typed: string, nowMs: number): ContactSafetyCode {
  return db.transaction(() => {
    const current = contactSafetyCode(crypto, db, own, ref, nowMs);
    const { contact } = current;
    if (looksLikeSamizdatUri(typed)) {
      const uri = parseSamizdatUri(typed);
      if (!sameBytes(uri.identityKey, contact.identityKey)) {
        throw new SamizdatError('VERIFICATION_FAILED', `that samizdat: URI is for another account (${uri.accountId}), not ${contact.name}; ${contact.name} is not verified`);
      }
      if (!uriMatchesKeys(crypto, uri, current.identityX25519)) {
        throw new SamizdatError('VERIFICATION_FAILED', `the URI's fingerprint does not match the keys ${contact.name} uses; ${contact.name} is not verified (someone may be in the middle)`);
      }
    } else if (!safetyCodesMatch(crypto, current.code, typed)) {
      throw new SamizdatError('VERIFICATION_FAILED', `the code does not match the safety code with ${contact.name}; ${contact.name} is not verified (compare again: a difference can mean someone is in the middle)`);
    }
    const updated = db.contacts.update(contact.identityKey, { verified: true, identityX25519: current.identityX25519 });
    // Messages held while the keys did not match what was verified are released: all of them,
    // a page at a time from the newest back.
    let beforeSeq: number | undefined;
    for (;;) {
      const page = db.messages.list(contact.identityKey, { limit: MAX_MESSAGE_LIST_LIMIT, ...(beforeSeq === undefined ? {} : { beforeSeq }) });
      for (const m of page) if (m.state === 'held') db.messages.updateState(contact.identityKey, m.id, 'received');
      const oldest = page[0];
      if (oldest === undefined || page.length < MAX_MESSAGE_LIST_LIMIT) break;
      beforeSeq = oldest.seq;
    }
    return { ...current, contact: updated };
  });
}
