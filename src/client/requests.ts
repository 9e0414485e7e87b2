/**
 * Message requests and blocks (DESIGN.md §5 "Trust and safety"): who may reach this profile.
 *
 * - A first message from an account that is not a contact becomes a *request*: a contact entry in
 *   state 'request' under a placeholder name, its messages kept as text only. Nothing goes back
 *   (no receipts, nothing that shows we are online) until the user accepts.
 * - Accepting makes it an ordinary contact (the messenger then tells the requester); declining
 *   deletes the request and its messages (a later message makes a new request).
 * - A blocked account's envelopes are dropped unread and deleted from the swarm.
 * - With the `requests` setting off, messages from non-contacts are dropped the same way.
 *
 * Pure functions over the profile database; the messenger calls them in its transactions.
 */
import type { CryptoProvider } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import { decodeAccountId, encodeAccountId } from '../identity/account-id.ts';
import type { Contact, ContactRef } from './contacts.ts';
import { rotateDepositKey } from './deposit-keys.ts';
import type { ProfileDb } from './profile-db.ts';

/** The setting that turns requests off ("off") or on (anything else; on by default). */
export const REQUESTS_SETTING = 'requests';

/**
 * Pending requests a profile keeps. A stranger's first message past it is dropped unread, as with
 * requests off, until the user accepts, declines or blocks some: strangers pay proof of work per
 * deposit, but many accounts could still fill the disk and the requests list without end.
 */
export const MAX_PENDING_REQUESTS = 500;

/**
 * Skipped message keys kept per session of a pending request (a contact's sessions keep up to
 * MAX_SKIPPED_MESSAGE_KEYS, 2,000). A stranger's first message can claim to be its 2,000th and
 * so make us store 2,000 keys, about 200 KB, for each of MAX_PENDING_REQUESTS strangers.
 */
export const MAX_REQUEST_SKIPPED_KEYS = 50;

/** What happens to a message from `sender`. */
export type SenderStanding = 'contact' | 'request' | 'blocked' | 'refused';

export function requestsEnabled(db: ProfileDb): boolean {
  return db.settings.get(REQUESTS_SETTING) !== 'off';
}

export function setRequestsEnabled(db: ProfileDb, enabled: boolean): void {
  db.settings.set(REQUESTS_SETTING, enabled ? 'on' : 'off');
}

/** How a message from `sender` is treated, given the contacts and the settings. */
export function standingOf(db: ProfileDb, sender: Uint8Array, maxPending: number = MAX_PENDING_REQUESTS): SenderStanding {
  const contact = db.contacts.get(sender);
  if (contact === undefined) return requestsEnabled(db) && listRequests(db).length < maxPending ? 'request' : 'refused';
  if (contact.state === 'blocked') return 'blocked';
  return contact.state === 'request' ? 'request' : 'contact';
}

/** A free placeholder name for an account that is not a contact: "request-" and part of its ID. */
function placeholderName(db: ProfileDb, accountId: string, prefix: string): string {
  const body = accountId.slice(4);
  for (let length = 8; length <= body.length; length += 4) {
    const name = `${prefix}-${body.slice(0, length)}`;
    if (db.contacts.get(name) === undefined) return name;
  }
  throw new SamizdatError('ALREADY_EXISTS', 'no free placeholder name for this account');
}

/** The request entry for `sender`, made on its first message (call only when standing is 'request'). */
export function ensureRequest(db: ProfileDb, sender: Uint8Array): Contact {
  const existing = db.contacts.get(sender);
  if (existing !== undefined) return existing;
  const accountId = encodeAccountId(sender);
  return db.contacts.add(accountId, placeholderName(db, accountId, 'request'), { state: 'request' });
}

/** Every pending request, sorted by name. */
export function listRequests(db: ProfileDb): Contact[] {
  return db.contacts.list().filter((c) => c.state === 'request');
}

function requireRequest(db: ProfileDb, ref: ContactRef): Contact {
  const contact = db.contacts.require(ref);
  if (contact.state !== 'request') throw new SamizdatError('NOT_FOUND', `${contact.name} has no pending request`);
  return contact;
}

/** Accepts a request (optionally naming the contact); returns the contact, now 'accepted'. */
export function acceptRequest(db: ProfileDb, ref: ContactRef, name?: string): Contact {
  return db.transaction(() => {
    const contact = requireRequest(db, ref);
    if (name !== undefined && name !== contact.name) db.contacts.rename(contact.identityKey, name);
    return db.contacts.update(contact.identityKey, { state: 'accepted' });
  });
}

/** Declines a request: the entry, its messages and its session go. */
export function declineRequest(db: ProfileDb, ref: ContactRef): Contact {
  return db.transaction(() => {
    const contact = requireRequest(db, ref);
    db.messages.removeConversation(contact.identityKey);
    db.sessions.delete(contact.identityKey);
    return db.contacts.remove(contact.identityKey);
  });
}

/**
 * Blocks a contact or any Account ID (a placeholder entry is made for a stranger). Blocking an
 * accepted contact rotates our deposit key, since they hold the old one (the policy with the new
 * key is published by the next `prepare`).
 */
export function block(crypto: CryptoProvider, db: ProfileDb, ref: string): Contact {
  return db.transaction(() => {
    const known = db.contacts.get(ref);
    if (known !== undefined) {
      if (known.state === 'accepted') rotateDepositKey(crypto, db);
      return db.contacts.update(known.identityKey, { state: 'blocked' });
    }
    let key: Uint8Array;
    try {
      key = decodeAccountId(ref);
    } catch (err) {
      throw new SamizdatError('NOT_FOUND', `"${ref}" is neither a contact nor a valid Account ID`, { cause: err });
    }
    const accountId = encodeAccountId(key);
    return db.contacts.add(accountId, placeholderName(db, accountId, 'blocked'), { state: 'blocked' });
  });
}

/**
 * Unblocks: back to an ordinary contact if we ever wrote to them, otherwise back to a request
 * (unblocking a stranger does not make them a contact).
 */
export function unblock(db: ProfileDb, ref: ContactRef): Contact {
  return db.transaction(() => {
    const contact = db.contacts.require(ref);
    if (contact.state !== 'blocked') throw new SamizdatError('NOT_FOUND', `${contact.name} is not blocked`);
    const wroteToThem = db.messages.list(contact.identityKey).some((m) => m.direction === 'out');
    return db.contacts.update(contact.identityKey, { state: wroteToThem ? 'accepted' : 'request' });
  });
}
