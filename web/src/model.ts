/** The shapes of the local HTTP API (the contract in issue 7's design) and their parsers. */
import { boolean, flag, items, number, numberOrNull, object, oneOf, string, stringOrNull, type JsonObject } from './json.ts';

export const CONTACT_STATES = ['accepted', 'request', 'blocked'] as const;
export type ContactState = (typeof CONTACT_STATES)[number];
/** 'held': an incoming message from a verified contact whose keys changed, shown once verified again. */
export const MESSAGE_STATES = ['sending', 'stored', 'failed', 'received', 'held'] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];
export type Direction = 'in' | 'out';

export interface AppState {
  readonly account: { readonly accountId: string; readonly uri: string } | null;
  readonly locked: boolean;
  readonly online: boolean;
}

export interface Contact {
  readonly name: string;
  readonly accountId: string;
  readonly verified: boolean;
  readonly state: ContactState;
}

export interface Message {
  readonly id: string;
  readonly direction: Direction;
  readonly text: string;
  readonly sentAt: number;
  readonly receivedAt: number | null;
  readonly state: MessageState;
}

export interface Conversation {
  readonly accountId: string;
  readonly name: string | null;
  readonly verified: boolean;
  /** null for an account that wrote first and is not a contact. */
  readonly state: ContactState | null;
  readonly last: { readonly text: string; readonly direction: Direction; readonly sentAt: number; readonly state: MessageState } | null;
}

export interface MessageRequest {
  readonly accountId: string;
  readonly name: string | null;
  readonly messages: readonly { readonly id: string; readonly text: string; readonly sentAt: number }[];
}

export interface CircuitPath {
  readonly guard: string;
  readonly middle: string;
  readonly exit: string;
}

export interface NetworkStatus {
  readonly online: boolean;
  /** True once a consensus was fetched. */
  readonly connected: boolean;
  /** The code of the last failure to connect or poll, or null. */
  readonly lastError: string | null;
  readonly consensus: { readonly validAfterMs: number; readonly validUntilMs: number; readonly nodes: number } | null;
  readonly path: CircuitPath | null;
  readonly reachableNodes: number;
}

export interface SafetyCode {
  readonly code: string;
  readonly verified: boolean;
  /** The contact's keys changed since they were verified. */
  readonly keyChanged: boolean;
}

const DIRECTIONS = ['in', 'out'] as const;

export function parseState(v: unknown): AppState {
  const o = object(v, 'state');
  const account = o['account'] === null || o['account'] === undefined ? null : object(o['account'], 'account');
  return {
    account: account === null ? null : { accountId: string(account, 'accountId'), uri: string(account, 'uri') },
    locked: flag(o, 'locked'),
    online: flag(o, 'online'),
  };
}

export function parseContact(v: unknown): Contact {
  const o = object(v, 'contact');
  return { name: string(o, 'name'), accountId: string(o, 'accountId'), verified: flag(o, 'verified'), state: oneOf(o, 'state', CONTACT_STATES) };
}

export function parseContacts(v: unknown): Contact[] {
  return items(v, 'contact list', parseContact);
}

export function parseMessage(v: unknown): Message {
  const o = object(v, 'message');
  return {
    id: string(o, 'id'),
    direction: oneOf(o, 'direction', DIRECTIONS),
    text: string(o, 'text'),
    sentAt: number(o, 'sentAt'),
    receivedAt: numberOrNull(o, 'receivedAt'),
    state: oneOf(o, 'state', MESSAGE_STATES),
  };
}

export function parseMessages(v: unknown): Message[] {
  return items(v, 'message list', parseMessage);
}

function parseLast(o: JsonObject): Conversation['last'] {
  const v = o['last'];
  if (v === null || v === undefined) return null;
  const l = object(v, 'last message');
  return { text: string(l, 'text'), direction: oneOf(l, 'direction', DIRECTIONS), sentAt: number(l, 'sentAt'), state: oneOf(l, 'state', MESSAGE_STATES) };
}

export function parseConversations(v: unknown): Conversation[] {
  return items(v, 'conversation list', (item) => {
    const o = object(item, 'conversation');
    const state = o['state'] === null || o['state'] === undefined ? null : oneOf(o, 'state', CONTACT_STATES);
    return { accountId: string(o, 'accountId'), name: stringOrNull(o, 'name'), verified: flag(o, 'verified'), state, last: parseLast(o) };
  });
}

export function parseRequests(v: unknown): MessageRequest[] {
  return items(v, 'request list', (item) => {
    const o = object(item, 'request');
    const messages = items(o['messages'] ?? [], 'request messages', (m) => {
      const mo = object(m, 'request message');
      return { id: string(mo, 'id'), text: string(mo, 'text'), sentAt: number(mo, 'sentAt') };
    });
    return { accountId: string(o, 'accountId'), name: stringOrNull(o, 'name'), messages };
  });
}

function parsePath(v: unknown): CircuitPath | null {
  if (v === null || v === undefined) return null;
  const o = object(v, 'path');
  return { guard: string(o, 'guard'), middle: string(o, 'middle'), exit: string(o, 'exit') };
}

export function parseNetwork(v: unknown): NetworkStatus {
  const o = object(v, 'network status');
  const c = o['consensus'] === null || o['consensus'] === undefined ? null : object(o['consensus'], 'consensus');
  return {
    online: boolean(o, 'online'),
    connected: flag(o, 'connected'),
    lastError: stringOrNull(o, 'lastError'),
    consensus: c === null ? null : { validAfterMs: number(c, 'validAfterMs'), validUntilMs: number(c, 'validUntilMs'), nodes: number(c, 'nodes') },
    path: parsePath(o['path']),
    reachableNodes: number(o, 'reachableNodes'),
  };
}

export function parseSafetyCode(v: unknown): SafetyCode {
  const o = object(v, 'safety code');
  return { code: string(o, 'code'), verified: flag(o, 'verified'), keyChanged: flag(o, 'keyChanged') };
}

/** Server-sent events (GET /api/events). */
export interface IncomingEvent {
  readonly accountId: string;
  readonly name: string | null;
  readonly id: string;
  readonly text: string;
  readonly sentAt: number;
  readonly request: boolean;
  readonly identityChanged: boolean;
}

export function parseIncomingEvent(v: unknown): IncomingEvent {
  const o = object(v, 'message event');
  return {
    accountId: string(o, 'accountId'),
    name: stringOrNull(o, 'name'),
    id: string(o, 'id'),
    text: string(o, 'text'),
    sentAt: number(o, 'sentAt'),
    request: flag(o, 'request'),
    identityChanged: flag(o, 'identityChanged'),
  };
}

export interface MessageStateEvent {
  readonly accountId: string;
  readonly id: string;
  readonly state: MessageState;
  /** Why a send failed, when it did. */
  readonly error: { readonly code: string; readonly message: string } | null;
}

export function parseMessageStateEvent(v: unknown): MessageStateEvent {
  const o = object(v, 'message-state event');
  const e = o['error'] === null || o['error'] === undefined ? null : object(o['error'], 'send error');
  return {
    accountId: string(o, 'accountId'),
    id: string(o, 'id'),
    state: oneOf(o, 'state', MESSAGE_STATES),
    error: e === null ? null : { code: string(e, 'code'), message: string(e, 'message') },
  };
}

export function parseNetworkEvent(v: unknown): { readonly online: boolean; readonly path: CircuitPath | null } {
  const o = object(v, 'network event');
  return { online: boolean(o, 'online'), path: parsePath(o['path']) };
}

/** Something the user should know that is not a message: one that arrived but could not be opened. */
export interface NoticeEvent {
  readonly kind: string;
  readonly code: string;
  readonly accountId: string | null;
}

export function parseNoticeEvent(v: unknown): NoticeEvent {
  const o = object(v, 'notice event');
  return { kind: string(o, 'kind'), code: string(o, 'code'), accountId: stringOrNull(o, 'accountId') };
}
