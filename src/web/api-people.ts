/**
 * The API's contacts, verification, requests, blocks and settings: thin handlers over
 * src/client (contacts store, verification.ts, requests.ts), with the same rules as the CLI's
 * `contact`, `requests`, `block` and `settings` commands.
 */
import { SamizdatError } from '../errors.ts';
import { looksLikeSamizdatUri, parseSamizdatUri } from '../identity/samizdat-uri.ts';
import type { Contact } from '../client/contacts.ts';
import { MAX_CONTACT_NAME_CHARS } from '../client/profile-db-limits.ts';
import { acceptRequest, block, declineRequest, listRequests, requestsEnabled, setRequestsEnabled, unblock } from '../client/requests.ts';
import { contactSafetyCode, verifyContact } from '../client/verification.ts';
import type { ApiCall, ApiContext } from './api-types.ts';
import { optionalStringField, stringField } from './http.ts';

/** Longest Account ID, samizdat: URI or safety code text taken (all are far shorter). */
const MAX_REF_CHARS = 1024;
/** A name field may carry some white space around the name itself. */
const MAX_NAME_FIELD_CHARS = MAX_CONTACT_NAME_CHARS * 4;

export interface ContactJson {
  readonly name: string;
  readonly accountId: string;
  readonly verified: boolean;
  readonly state: Contact['state'];
  readonly addedAt: number;
}

export function contactJson(c: Contact): ContactJson {
  return { name: c.name, accountId: c.accountId, verified: c.verified, state: c.state, addedAt: c.addedAt };
}

/** The Account ID in what the user pasted: the text itself, or the ID of a samizdat: URI. */
function accountIdOf(text: string): string {
  const trimmed = text.trim();
  if (!looksLikeSamizdatUri(trimmed)) return trimmed;
  try {
    return parseSamizdatUri(trimmed).accountId;
  } catch (cause) {
    if (!(cause instanceof SamizdatError) || cause.code === 'INVALID_ARGUMENT') throw cause;
    throw new SamizdatError(cause.code, `not a valid samizdat: URI: ${cause.message}`, { cause });
  }
}

function param(call: ApiCall): string {
  return call.params[0] ?? '';
}

export function listContacts(ctx: ApiContext): ContactJson[] {
  return ctx.host.session().db.contacts.list().map(contactJson);
}

/** POST /api/contacts { idOrUri, name }: adds a contact; someone whose request is pending is accepted under that name. */
export async function addContact(ctx: ApiContext, call: ApiCall): Promise<ContactJson> {
  const body = await call.body();
  const id = accountIdOf(stringField(body, 'idOrUri', MAX_REF_CHARS));
  const name = stringField(body, 'name', MAX_NAME_FIELD_CHARS);
  const { db } = ctx.host.session();
  const contact = db.transaction(() => {
    const pending = db.contacts.get(id);
    return pending?.state === 'request' ? acceptRequest(db, pending.identityKey, name) : db.contacts.add(id, name);
  });
  ctx.emit('contacts', {});
  return contactJson(contact);
}

export async function renameContact(ctx: ApiContext, call: ApiCall): Promise<ContactJson> {
  const name = stringField(await call.body(), 'name', MAX_NAME_FIELD_CHARS);
  const contact = ctx.host.session().db.contacts.rename(param(call), name);
  ctx.emit('contacts', {});
  return contactJson(contact);
}

/** DELETE /api/contacts/:id: the contact goes; its conversation stays (as `contact remove`). */
export function removeContact(ctx: ApiContext, call: ApiCall): ContactJson {
  const contact = ctx.host.session().db.contacts.remove(param(call));
  ctx.emit('contacts', {});
  return contactJson(contact);
}

/**
 * GET /api/contacts/:id/safety-code -> { code, verified, keyChanged }. NOT_FOUND (404) while the
 * contact's keys are not known (no message either way yet), with a message that says so.
 */
export function safetyCode(ctx: ApiContext, call: ApiCall): { code: string; verified: boolean; keyChanged: boolean } {
  const session = ctx.host.session();
  const result = contactSafetyCode(ctx.crypto, session.db, session.keys, param(call), ctx.now());
  return { code: result.display, verified: result.contact.verified, keyChanged: result.keyChanged };
}

/** POST /api/contacts/:id/verify { code }: the 60 digits from the contact's screen, or its samizdat: URI. */
export async function verify(ctx: ApiContext, call: ApiCall): Promise<ContactJson> {
  const code = stringField(await call.body(), 'code', MAX_REF_CHARS);
  const session = ctx.host.session();
  const result = verifyContact(ctx.crypto, session.db, session.keys, param(call), code, ctx.now());
  ctx.emit('contacts', {});
  return contactJson(result.contact);
}

export interface RequestJson {
  readonly accountId: string;
  readonly name: string;
  readonly messages: readonly { readonly id: string; readonly text: string; readonly sentAt: number; readonly receivedAt: number }[];
}

export function listRequestsJson(ctx: ApiContext): RequestJson[] {
  const { db } = ctx.host.session();
  return listRequests(db).map((c) => ({
    accountId: c.accountId,
    name: c.name,
    messages: db.messages
      .list(c.identityKey)
      .filter((m) => m.direction === 'in')
      .map((m) => ({ id: m.id, text: m.text, sentAt: m.sentAt, receivedAt: m.receivedAt })),
  }));
}

/** POST /api/requests/:id/accept { name? } -> the contact and whether the requester was told. */
export async function acceptRequestCall(ctx: ApiContext, call: ApiCall): Promise<ContactJson & { notified: boolean }> {
  const name = optionalStringField(await call.body(), 'name', MAX_NAME_FIELD_CHARS);
  const { contact, notified } = await ctx.host.session().accept(param(call), name === undefined || name.trim() === '' ? undefined : name);
  ctx.emit('contacts', {});
  return { ...contactJson(contact), notified };
}

export function declineRequestCall(ctx: ApiContext, call: ApiCall): { accountId: string; declined: true } {
  const declined = declineRequest(ctx.host.session().db, param(call));
  ctx.emit('contacts', {});
  return { accountId: declined.accountId, declined: true };
}

export async function blockCall(ctx: ApiContext, call: ApiCall): Promise<ContactJson> {
  const ref = stringField(await call.body(), 'accountId', MAX_REF_CHARS).trim();
  const session = ctx.host.session();
  const contact = block(ctx.crypto, session.db, ref);
  session.republish(); // blocking a contact rotates the deposit key: publish the new policy now
  ctx.emit('contacts', {});
  return contactJson(contact);
}

export async function unblockCall(ctx: ApiContext, call: ApiCall): Promise<ContactJson> {
  const ref = stringField(await call.body(), 'accountId', MAX_REF_CHARS).trim();
  const contact = unblock(ctx.host.session().db, ref);
  ctx.emit('contacts', {});
  return contactJson(contact);
}

export function getSettings(ctx: ApiContext): { requests: boolean } {
  return { requests: requestsEnabled(ctx.host.session().db) };
}

/** POST /api/settings { requests: boolean }: false drops every message from non-contacts. */
export async function setSettings(ctx: ApiContext, call: ApiCall): Promise<{ requests: boolean }> {
  const value = (await call.body()).requests;
  if (typeof value !== 'boolean') throw new SamizdatError('INVALID_ARGUMENT', '"requests" must be true or false');
  const { db } = ctx.host.session();
  setRequestsEnabled(db, value);
  return { requests: requestsEnabled(db) };
}
