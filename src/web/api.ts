/**
 * The HTTP API of the web UI (contract: /work/helpers/issue7-design.md, documented in
 * src/web/README.md): a route table of `METHOD /path/:param` to handlers that call src/client as
 * the CLI commands do. Every answer is JSON; errors are typed (http.ts). The event stream
 * (GET /api/events) is wired in server.ts.
 */
import { SamizdatError } from '../errors.ts';
import { decodeAccountId, encodeAccountId } from '../identity/account-id.ts';
import { MAX_MESSAGE_LIST_LIMIT, MAX_MESSAGE_TEXT_BYTES } from '../client/profile-db-limits.ts';
import type { ContactState } from '../client/contacts.ts';
import type { MessageDirection, MessageRecord, MessageState, StoredMessage } from '../client/conversations.ts';
import type { NetworkView } from './account-session.ts';
import {
  acceptRequestCall,
  addContact,
  blockCall,
  declineRequestCall,
  getSettings,
  listContacts,
  listRequestsJson,
  removeContact,
  renameContact,
  safetyCode,
  setSettings,
  unblockCall,
  verify,
} from './api-people.ts';
import type { ApiCall, ApiContext, ApiHandler } from './api-types.ts';
import { optionalStringField, stringField } from './http.ts';
import { checkPassphrase, type ProfileState } from './profile-host.ts';

/** Longest recovery phrase text taken (24 words of at most 8 letters, with generous white space). */
const MAX_PHRASE_CHARS = 1024;

/** A message as the API returns it: the stored record and its position. */
export interface MessageJson extends MessageRecord {
  /** The order this device recorded it in (for paging back with ?before=). */
  readonly seq: number;
}

export interface ConversationJson {
  readonly accountId: string;
  readonly name: string | null;
  readonly verified: boolean;
  readonly state: ContactState | null;
  readonly last: { readonly text: string; readonly direction: MessageDirection; readonly sentAt: number; readonly state: MessageState };
}

function messageJson(m: StoredMessage): MessageJson {
  // A held message (a verified contact's keys changed) is not shown until verified again.
  return { id: m.id, direction: m.direction, text: m.state === 'held' ? '' : m.text, sentAt: m.sentAt, receivedAt: m.receivedAt, state: m.state, seq: m.seq };
}

function state(ctx: ApiContext): ProfileState {
  return ctx.host.state();
}

async function createAccountCall(ctx: ApiContext, call: ApiCall): Promise<{ accountId: string; recoveryPhrase: string }> {
  const passphrase = checkPassphrase(optionalStringField(await call.body(), 'passphrase'));
  const created = ctx.host.create(passphrase);
  return { accountId: created.accountId, recoveryPhrase: created.recoveryPhrase };
}

async function restoreAccountCall(ctx: ApiContext, call: ApiCall): Promise<{ accountId: string }> {
  const body = await call.body();
  const phrase = stringField(body, 'phrase', MAX_PHRASE_CHARS);
  if (phrase.trim() === '') throw new SamizdatError('BAD_PHRASE', 'the recovery phrase is empty');
  return ctx.host.restore(phrase, checkPassphrase(optionalStringField(body, 'passphrase')));
}

async function unlockCall(ctx: ApiContext, call: ApiCall): Promise<{ accountId: string }> {
  const passphrase = checkPassphrase(stringField(await call.body(), 'passphrase'));
  if (passphrase === undefined) throw new SamizdatError('WRONG_PASSPHRASE', 'type the passphrase of this profile');
  return ctx.host.unlock(passphrase);
}

function listConversations(ctx: ApiContext): ConversationJson[] {
  const { db } = ctx.host.session();
  return db.messages.conversations({ limit: MAX_MESSAGE_LIST_LIMIT }).map((m) => {
    const contact = db.contacts.get(m.peer);
    return {
      accountId: encodeAccountId(m.peer),
      name: contact?.name ?? null,
      verified: contact?.verified ?? false,
      state: contact?.state ?? null,
      last: { text: m.state === 'held' ? '' : m.text, direction: m.direction, sentAt: m.sentAt, state: m.state },
    };
  });
}

/** A whole number query parameter in [min, max], or undefined when absent. */
function intParam(query: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new SamizdatError('INVALID_ARGUMENT', `?${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** GET /api/conversations/:id/messages[?limit=N&before=SEQ]: oldest first. */
function listMessages(ctx: ApiContext, call: ApiCall): MessageJson[] {
  const { db } = ctx.host.session();
  const ref = call.params[0] ?? '';
  let peer = db.contacts.get(ref)?.identityKey;
  if (peer === undefined) {
    try {
      peer = decodeAccountId(ref.trim()); // a stranger who wrote first has a conversation but maybe no contact
    } catch {
      throw new SamizdatError('NOT_FOUND', 'no contact or conversation with that name or Account ID');
    }
  }
  const limit = intParam(call.query, 'limit', 1, MAX_MESSAGE_LIST_LIMIT);
  const before = intParam(call.query, 'before', 0, Number.MAX_SAFE_INTEGER);
  return db.messages
    .list(peer, { ...(limit === undefined ? {} : { limit }), ...(before === undefined ? {} : { beforeSeq: before }) })
    .map(messageJson);
}

async function sendMessage(ctx: ApiContext, call: ApiCall): Promise<{ id: string; state: 'sending' | 'stored' }> {
  const body = await call.body();
  const to = stringField(body, 'to', 1024).trim();
  const text = stringField(body, 'text', MAX_MESSAGE_TEXT_BYTES);
  return await ctx.host.session().send(to, text);
}

function network(ctx: ApiContext): NetworkView {
  const s = ctx.host.state();
  if (s.account === null) return { online: false, connected: false, consensus: null, path: null, reachableNodes: 0, lastError: null };
  return ctx.host.session().network();
}

export type Method = 'GET' | 'POST' | 'DELETE';

interface Route {
  readonly method: Method;
  readonly pattern: RegExp;
  readonly handler: ApiHandler;
}

function route(method: Method, path: string, handler: ApiHandler): Route {
  const source = path.split('/').map((part) => (part.startsWith(':') ? '([^/]+)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
  return { method, pattern: new RegExp(`^${source}$`), handler };
}

/** Every API route but the event stream. */
export const ROUTES: readonly Route[] = [
  route('GET', '/api/state', state),
  route('POST', '/api/account/create', createAccountCall),
  route('POST', '/api/account/restore', restoreAccountCall),
  route('POST', '/api/unlock', unlockCall),
  route('GET', '/api/contacts', listContacts),
  route('POST', '/api/contacts', addContact),
  route('DELETE', '/api/contacts/:id', removeContact),
  route('POST', '/api/contacts/:id/rename', renameContact),
  route('GET', '/api/contacts/:id/safety-code', safetyCode),
  route('POST', '/api/contacts/:id/verify', verify),
  route('GET', '/api/conversations', listConversations),
  route('GET', '/api/conversations/:id/messages', listMessages),
  route('POST', '/api/messages', sendMessage),
  route('GET', '/api/requests', listRequestsJson),
  route('POST', '/api/requests/:id/accept', acceptRequestCall),
  route('POST', '/api/requests/:id/decline', declineRequestCall),
  route('POST', '/api/block', blockCall),
  route('POST', '/api/unblock', unblockCall),
  route('GET', '/api/settings', getSettings),
  route('POST', '/api/settings', setSettings),
  route('GET', '/api/network', network),
];

export type RouteMatch =
  | { readonly kind: 'found'; readonly handler: ApiHandler; readonly params: string[] }
  | { readonly kind: 'method'; readonly allowed: readonly Method[] }
  | { readonly kind: 'none' };

/** The route for `method` and `pathname`; MALFORMED when a parameter is not valid percent-encoding. */
export function matchRoute(method: string, pathname: string): RouteMatch {
  const allowed: Method[] = [];
  for (const r of ROUTES) {
    const match = r.pattern.exec(pathname);
    if (match === null) continue;
    if (r.method !== method) {
      allowed.push(r.method);
      continue;
    }
    try {
      return { kind: 'found', handler: r.handler, params: match.slice(1).map((p) => decodeURIComponent(p)) };
    } catch {
      throw new SamizdatError('MALFORMED', 'a path parameter is not valid percent-encoding');
    }
  }
  return allowed.length > 0 ? { kind: 'method', allowed } : { kind: 'none' };
}
