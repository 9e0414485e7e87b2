/**
 * Contacts in the profile database. A contact is keyed by its Ed25519 identity key (the Account
 * ID) and has a local name, unique without regard to case. Both are found through blind indexes
 * (profile-db-cipher.ts); the sealed body holds every field, bound to the row's identity and
 * name keys, so a name index moved to another row does not open.
 */
import { SamizdatError } from '../errors.ts';
import { assertBytes, concatBytes, sameBytes, utf8 } from '../crypto/bytes.ts';
import { SIZES } from '../crypto/provider.ts';
import { decodeAccountId, encodeAccountId, isAccountId } from '../identity/account-id.ts';
import { MAX_CONTACT_NAME_CHARS } from './profile-db-limits.ts';
import { checkTime, decodeRecord, encodeRecord, rowBytes, type DbContext, type Row } from './profile-db-record.ts';

export type ContactState = 'accepted' | 'request' | 'blocked';
export const CONTACT_STATES: readonly ContactState[] = ['accepted', 'request', 'blocked'];

export interface Contact {
  readonly name: string;
  readonly accountId: string;
  /** The raw 32-byte Ed25519 identity public key behind the Account ID. */
  readonly identityKey: Uint8Array;
  readonly addedAt: number;
  /** True once the user compared safety codes. */
  readonly verified: boolean;
  readonly state: ContactState;
  /** Highest prekey bundle sequence accepted from this contact (0n before the first). */
  readonly bundleSequence: bigint;
  /** The contact's long-term X25519 key, once learned from a verified bundle. */
  readonly identityX25519: Uint8Array | undefined;
}

/** A contact named by its name or Account ID text, or by its raw identity key. */
export type ContactRef = string | Uint8Array;

export interface ContactUpdate {
  readonly verified?: boolean;
  readonly state?: ContactState;
  /** Must not be lower than the stored one (ROLLBACK). */
  readonly bundleSequence?: bigint;
  readonly identityX25519?: Uint8Array;
}

export interface ContactStore {
  /**
   * Adds a contact (state 'accepted' unless given). The Account ID's own decoder errors
   * (BAD_CHECKSUM, WRONG_PREFIX, MALFORMED) for a bad ID; INVALID_ARGUMENT for a bad name or the
   * profile's own ID; ALREADY_EXISTS when the name or the account is taken.
   */
  add(accountId: string, name: string, options?: { readonly state?: ContactState }): Contact;
  /** The contact, or undefined. A string is tried as an Account ID first, then as a name. */
  get(ref: ContactRef): Contact | undefined;
  /** Like get, but NOT_FOUND when there is no such contact. */
  require(ref: ContactRef): Contact;
  /** Every contact, sorted by name. */
  list(): Contact[];
  /** Gives a contact a new name; ALREADY_EXISTS if another contact has it. */
  rename(ref: ContactRef, newName: string): Contact;
  /** Changes the per-contact state fields. */
  update(ref: ContactRef, patch: ContactUpdate): Contact;
  /** Removes a contact and returns it (its messages and session stay until removed too). */
  remove(ref: ContactRef): Contact;
}

const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/**
 * A valid contact name in its stored form (NFC, surrounding white space removed): 1 to
 * MAX_CONTACT_NAME_CHARS code points, no control, line-separator or bidi-override characters
 * (which could make one name display as another), and not an Account ID (which would make
 * `contact remove NAME_OR_ID` ambiguous). INVALID_ARGUMENT otherwise.
 */
export function checkContactName(name: unknown): string {
  if (typeof name !== 'string') throw new SamizdatError('INVALID_ARGUMENT', 'a contact name must be a string');
  const normalized = name.normalize('NFC').trim();
  const chars = [...normalized].length;
  if (chars === 0) throw new SamizdatError('INVALID_ARGUMENT', 'a contact name may not be empty');
  if (chars > MAX_CONTACT_NAME_CHARS) {
    throw new SamizdatError('INVALID_ARGUMENT', `a contact name may have at most ${MAX_CONTACT_NAME_CHARS} characters`, {
      detail: { limit: MAX_CONTACT_NAME_CHARS, actual: chars },
    });
  }
  if (CONTROL.test(normalized)) throw new SamizdatError('INVALID_ARGUMENT', 'a contact name may not contain control or direction characters');
  if (isAccountId(normalized)) throw new SamizdatError('INVALID_ARGUMENT', 'a contact name may not be an Account ID');
  return normalized;
}

/** The case-insensitive form names are compared in ("Alice", "ALICE" and "alice" are one name). */
export function foldContactName(name: string): string {
  return name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

/** The identity key of an Account ID, with the decoder's code and a message that says what was wrong. */
function parseAccountId(text: string): Uint8Array {
  try {
    return decodeAccountId(text);
  } catch (cause) {
    if (!(cause instanceof SamizdatError) || cause.code === 'INVALID_ARGUMENT') throw cause;
    throw new SamizdatError(cause.code, `not a valid Account ID: ${cause.message}`, { cause, detail: cause.detail });
  }
}

export function createContactStore(ctx: DbContext): ContactStore {
  const { cipher } = ctx;
  const identityIndex = (identityKey: Uint8Array): Uint8Array => cipher.index('contact', identityKey);
  const nameIndex = (name: string): Uint8Array => cipher.index('contact-name', utf8(foldContactName(name)));
  const rowKey = (key: Uint8Array, nameKey: Uint8Array): Uint8Array => concatBytes(key, nameKey);

  function seal(contact: Contact): { key: Uint8Array; nameKey: Uint8Array; body: Uint8Array } {
    const key = identityIndex(contact.identityKey);
    const nameKey = nameIndex(contact.name);
    const record = {
      v: 1,
      name: contact.name,
      identityKey: contact.identityKey,
      addedAt: contact.addedAt,
      verified: contact.verified,
      state: contact.state,
      bundleSequence: contact.bundleSequence,
      ...(contact.identityX25519 === undefined ? {} : { identityX25519: contact.identityX25519 }),
    };
    return { key, nameKey, body: cipher.seal('contact', rowKey(key, nameKey), encodeRecord(record)) };
  }

  function open(row: Row): Contact {
    const key = rowBytes(row, 'key');
    const plaintext = cipher.open('contact', rowKey(key, rowBytes(row, 'name_key')), rowBytes(row, 'body'));
    const r = decodeRecord('contact', plaintext);
    const identityKey = r.bytes('identityKey', SIZES.ed25519PublicKey);
    return {
      name: r.string('name'),
      accountId: encodeAccountId(identityKey),
      identityKey,
      addedAt: r.int('addedAt'),
      verified: r.boolean('verified'),
      state: r.oneOf('state', CONTACT_STATES),
      bundleSequence: r.bigint('bundleSequence'),
      identityX25519: r.optionalBytes('identityX25519', SIZES.x25519PublicKey),
    };
  }

  function byKey(key: Uint8Array): Contact | undefined {
    const row = ctx.stmt('SELECT key, name_key, body FROM contact WHERE key = ?').get(key);
    return row === undefined ? undefined : open(row);
  }

  function byName(name: string): Contact | undefined {
    const row = ctx.stmt('SELECT key, name_key, body FROM contact WHERE name_key = ?').get(nameIndex(name));
    return row === undefined ? undefined : open(row);
  }

  function get(ref: ContactRef): Contact | undefined {
    if (ref instanceof Uint8Array) {
      assertBytes('ref', ref, SIZES.ed25519PublicKey);
      return byKey(identityIndex(ref));
    }
    if (typeof ref !== 'string') throw new SamizdatError('INVALID_ARGUMENT', 'a contact reference must be a name, an Account ID or an identity key');
    if (isAccountId(ref)) return byKey(identityIndex(decodeAccountId(ref)));
    let name: string;
    try {
      name = checkContactName(ref);
    } catch {
      return undefined; // not a possible name, so no contact has it
    }
    return byName(name);
  }

  function require(ref: ContactRef): Contact {
    const contact = get(ref);
    if (contact === undefined) {
      // A mistyped Account ID gets the decoder's reason (bad checksum, ...) rather than "no contact".
      if (typeof ref === 'string' && /^sz1\S*$/i.test(ref.trim())) parseAccountId(ref);
      const shown = typeof ref === 'string' ? `"${ref}"` : encodeAccountId(ref);
      throw new SamizdatError('NOT_FOUND', `no contact ${shown}; see \`samizdat contact list\``);
    }
    return contact;
  }

  function checkNameFree(name: string, owner: Uint8Array | undefined): void {
    const holder = byName(name);
    if (holder !== undefined && (owner === undefined || !sameBytes(holder.identityKey, owner))) {
      throw new SamizdatError('ALREADY_EXISTS', `a contact named "${holder.name}" already exists`);
    }
  }

  function write(contact: Contact, previousKey: Uint8Array | undefined): Contact {
    const { key, nameKey, body } = seal(contact);
    if (previousKey === undefined) ctx.stmt('INSERT INTO contact (key, name_key, body) VALUES (?, ?, ?)').run(key, nameKey, body);
    else ctx.stmt('UPDATE contact SET name_key = ?, body = ? WHERE key = ?').run(nameKey, body, previousKey);
    return contact;
  }

  return {
    add(accountId, name, options = {}) {
      const identityKey = parseAccountId(accountId);
      const checkedName = checkContactName(name);
      const state = options.state ?? 'accepted';
      if (!CONTACT_STATES.includes(state)) throw new SamizdatError('INVALID_ARGUMENT', `state must be one of ${CONTACT_STATES.join(', ')}`);
      if (sameBytes(identityKey, ctx.selfIdentity)) {
        throw new SamizdatError('INVALID_ARGUMENT', 'that is this profile\'s own Account ID; you cannot add yourself as a contact');
      }
      return ctx.transaction(() => {
        const existing = byKey(identityIndex(identityKey));
        if (existing !== undefined) {
          throw new SamizdatError('ALREADY_EXISTS', `that account is already a contact, named "${existing.name}"`);
        }
        checkNameFree(checkedName, undefined);
        const contact: Contact = {
          name: checkedName,
          accountId: encodeAccountId(identityKey),
          identityKey,
          addedAt: checkTime('now()', ctx.now()),
          verified: false,
          state,
          bundleSequence: 0n,
          identityX25519: undefined,
        };
        return write(contact, undefined);
      });
    },

    get,
    require,

    list() {
      const contacts = ctx.stmt('SELECT key, name_key, body FROM contact').all().map(open);
      const sortKey = (c: Contact): string => foldContactName(c.name);
      return contacts.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
    },

    rename(ref, newName) {
      const checkedName = checkContactName(newName);
      return ctx.transaction(() => {
        const contact = require(ref);
        checkNameFree(checkedName, contact.identityKey);
        return write({ ...contact, name: checkedName }, identityIndex(contact.identityKey));
      });
    },

    update(ref, patch) {
      return ctx.transaction(() => {
        const contact = require(ref);
        let next: Contact = contact;
        if (patch.verified !== undefined) {
          if (typeof patch.verified !== 'boolean') throw new SamizdatError('INVALID_ARGUMENT', 'verified must be a boolean');
          next = { ...next, verified: patch.verified };
        }
        if (patch.state !== undefined) {
          if (!CONTACT_STATES.includes(patch.state)) throw new SamizdatError('INVALID_ARGUMENT', `state must be one of ${CONTACT_STATES.join(', ')}`);
          next = { ...next, state: patch.state };
        }
        if (patch.bundleSequence !== undefined) {
          if (typeof patch.bundleSequence !== 'bigint' || patch.bundleSequence < 0n || patch.bundleSequence > 0xffffffffffffffffn) {
            throw new SamizdatError('INVALID_ARGUMENT', 'bundleSequence must be an unsigned 64-bit bigint');
          }
          if (patch.bundleSequence < contact.bundleSequence) {
            throw new SamizdatError('ROLLBACK', `bundle sequence ${patch.bundleSequence} is lower than ${contact.bundleSequence}, already accepted`, {
              detail: { sequence: patch.bundleSequence.toString(), accepted: contact.bundleSequence.toString() },
            });
          }
          next = { ...next, bundleSequence: patch.bundleSequence };
        }
        if (patch.identityX25519 !== undefined) {
          assertBytes('identityX25519', patch.identityX25519, SIZES.x25519PublicKey);
          next = { ...next, identityX25519: Uint8Array.from(patch.identityX25519) };
        }
        return write(next, identityIndex(contact.identityKey));
      });
    },

    remove(ref) {
      return ctx.transaction(() => {
        const contact = require(ref);
        ctx.stmt('DELETE FROM contact WHERE key = ?').run(identityIndex(contact.identityKey));
        return contact;
      });
    },
  };
}
