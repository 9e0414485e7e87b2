/**
 * The local HTTP API of `samizdat ui`: every call carries the session token as a bearer token;
 * an error answer `{ error: { code, message } }` becomes an ApiError with that stable code.
 */
import { MalformedError } from './json.ts';
import * as m from './model.ts';

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** Server messages are written to follow a prefix ("samizdat: the ..."): shown alone, as a sentence. */
function sentence(text: string): string {
  const t = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/** The message to show for any error a call raised. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError || error instanceof MalformedError) return sentence(error.message);
  if (error instanceof TypeError) return 'The Samizdat app on this computer is not answering. Is `samizdat ui` still running?';
  return 'Something went wrong.';
}

const path = (accountId: string): string => encodeURIComponent(accountId);

export interface Api {
  state(): Promise<m.AppState>;
  createAccount(passphrase: string | undefined): Promise<{ accountId: string; recoveryPhrase: string }>;
  restoreAccount(phrase: string, passphrase: string | undefined): Promise<{ accountId: string }>;
  unlock(passphrase: string): Promise<{ accountId: string }>;
  contacts(): Promise<m.Contact[]>;
  addContact(idOrUri: string, name: string): Promise<m.Contact>;
  safetyCode(accountId: string): Promise<m.SafetyCode>;
  verify(accountId: string, code: string): Promise<m.Contact>;
  conversations(): Promise<m.Conversation[]>;
  messages(accountId: string): Promise<m.Message[]>;
  send(to: string, text: string): Promise<{ id: string; state: m.MessageState }>;
  requests(): Promise<m.MessageRequest[]>;
  accept(accountId: string, name: string | undefined): Promise<void>;
  decline(accountId: string): Promise<void>;
  block(accountId: string): Promise<void>;
  unblock(accountId: string): Promise<void>;
  network(): Promise<m.NetworkStatus>;
  /** The URL of the event stream (EventSource cannot send headers, so the token goes in the query). */
  eventsUrl(): string;
}

export function createApi(token: string, fetchImpl: typeof fetch = (input, init) => fetch(input, init)): Api {
  async function call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    const init: RequestInit = { method, headers, cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetchImpl(url, init);
    const text = await response.text();
    let json: unknown = null;
    if (text !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        throw new ApiError(response.status, 'MALFORMED', `the server answered ${response.status} with something that is not JSON`);
      }
    }
    if (!response.ok) {
      const error = typeof json === 'object' && json !== null ? (json as { error?: { code?: unknown; message?: unknown } }).error : undefined;
      const code = typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`;
      const message = typeof error?.message === 'string' ? error.message : `the server answered ${response.status}`;
      throw new ApiError(response.status, code, message);
    }
    return json;
  }
  const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});
  const str = (v: unknown, key: string): string => {
    const s = obj(v)[key];
    if (typeof s !== 'string') throw new MalformedError(`field "${key}"`);
    return s;
  };
  const opt = (passphrase: string | undefined): { passphrase?: string } => (passphrase === undefined || passphrase === '' ? {} : { passphrase });

  return {
    state: async () => m.parseState(await call('GET', '/api/state')),
    async createAccount(passphrase) {
      const r = await call('POST', '/api/account/create', opt(passphrase));
      return { accountId: str(r, 'accountId'), recoveryPhrase: str(r, 'recoveryPhrase') };
    },
    async restoreAccount(phrase, passphrase) {
      return { accountId: str(await call('POST', '/api/account/restore', { phrase, ...opt(passphrase) }), 'accountId') };
    },
    async unlock(passphrase) {
      return { accountId: str(await call('POST', '/api/unlock', { passphrase }), 'accountId') };
    },
    contacts: async () => m.parseContacts(await call('GET', '/api/contacts')),
    addContact: async (idOrUri, name) => m.parseContact(await call('POST', '/api/contacts', { idOrUri, name })),
    safetyCode: async (id) => m.parseSafetyCode(await call('GET', `/api/contacts/${path(id)}/safety-code`)),
    verify: async (id, code) => m.parseContact(await call('POST', `/api/contacts/${path(id)}/verify`, { code })),
    conversations: async () => m.parseConversations(await call('GET', '/api/conversations')),
    messages: async (id) => m.parseMessages(await call('GET', `/api/conversations/${path(id)}/messages`)),
    async send(to, text) {
      const r = await call('POST', '/api/messages', { to, text });
      const state = obj(r)['state'];
      return { id: str(r, 'id'), state: m.MESSAGE_STATES.find((s) => s === state) ?? 'sending' };
    },
    requests: async () => m.parseRequests(await call('GET', '/api/requests')),
    async accept(id, name) {
      await call('POST', `/api/requests/${path(id)}/accept`, name === undefined || name === '' ? {} : { name });
    },
    async decline(id) {
      await call('POST', `/api/requests/${path(id)}/decline`, {});
    },
    async block(accountId) {
      await call('POST', '/api/block', { accountId });
    },
    async unblock(accountId) {
      await call('POST', '/api/unblock', { accountId });
    },
    network: async () => m.parseNetwork(await call('GET', '/api/network')),
    eventsUrl: () => `/api/events?token=${encodeURIComponent(token)}`,
  };
}
