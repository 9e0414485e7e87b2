/**
 * The checks every mailbox request and every replica item passes before it reaches storage, and
 * the limits behind them (DESIGN.md §4 "Mailboxes", §8). Errors are typed: MALFORMED for a value
 * that cannot be right, TOO_LARGE for one over a limit.
 */
import type { CryptoProvider } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import { decodeMailboxPolicy, isMailboxPolicyPayload } from '../identity/mailbox-policy.ts';
import { openOwnerItem } from '../identity/owner-item.ts';
import { MAX_MESSAGE_BODY_BYTES } from '../wire/index.ts';
import type { Namespace } from './mailbox-store.ts';

/**
 * Longest time a message may be kept: 14 days (DESIGN.md §4). Long enough for a phone that is off
 * for a week or two, short enough that a node never holds a backlog of abandoned mail. A longer TTL
 * is refused with TOO_LARGE (a limit was crossed), not silently cut, so the sender knows.
 */
export const MAX_MAILBOX_TTL_MS = 14 * 24 * 3_600_000;

/** Longest long-poll: 30 s, below common NAT and proxy idle timeouts. Longer waits are cut to it. */
export const MAX_RETRIEVE_WAIT_MS = 30_000;

/** Messages one delete may name. */
export const MAX_DELETE_IDS = 1_024;

/** Message IDs are SHA-256 outputs. */
export const MESSAGE_ID_BYTES = 32;

/** Account IDs are Ed25519 public keys. */
export const ACCOUNT_BYTES = 32;

const KNOWN_NAMESPACES: readonly Namespace[] = ['inbox', 'bundle', 'config'];

/** The account field, or MALFORMED. */
export function parseAccount(account: Uint8Array): Uint8Array {
  if (account.length !== ACCOUNT_BYTES) {
    throw new SamizdatError('MALFORMED', `account must be ${ACCOUNT_BYTES} bytes, got ${account.length}`, {
      detail: { field: 'account', expected: ACCOUNT_BYTES, actual: account.length },
    });
  }
  return account;
}

/** The namespace field, or MALFORMED "unknown namespace". */
export function parseNamespace(namespace: string): Namespace {
  const found = KNOWN_NAMESPACES.find((n) => n === namespace);
  if (found === undefined) {
    const shown = namespace.length > 32 ? `${namespace.slice(0, 32)}...` : namespace;
    throw new SamizdatError('MALFORMED', `unknown namespace "${shown}" (expected inbox, bundle or config)`, {
      detail: { field: 'namespace' },
    });
  }
  return found;
}

/** A body to store: not empty, at most MAX_MESSAGE_BODY_BYTES (TOO_LARGE). */
export function checkBody(body: Uint8Array): void {
  if (body.length === 0) throw new SamizdatError('MALFORMED', 'body must not be empty', { detail: { field: 'body' } });
  if (body.length > MAX_MESSAGE_BODY_BYTES) {
    throw new SamizdatError('TOO_LARGE', `body of ${body.length} bytes exceeds the limit of ${MAX_MESSAGE_BODY_BYTES}`, {
      detail: { field: 'body', limit: MAX_MESSAGE_BODY_BYTES, actual: body.length },
    });
  }
}

/** A TTL: positive (MALFORMED) and at most MAX_MAILBOX_TTL_MS (TOO_LARGE). Returns it as a number. */
export function parseTtl(ttlMs: bigint): number {
  if (ttlMs <= 0n) throw new SamizdatError('MALFORMED', 'ttl_ms must be positive', { detail: { field: 'ttl_ms' } });
  if (ttlMs > BigInt(MAX_MAILBOX_TTL_MS)) {
    throw new SamizdatError('TOO_LARGE', `ttl_ms exceeds the limit of 14 days (${MAX_MAILBOX_TTL_MS} ms)`, {
      detail: { field: 'ttl_ms', limit: MAX_MAILBOX_TTL_MS },
    });
  }
  return Number(ttlMs);
}

/**
 * An item for an owner-only namespace (bundle, config), from the owner or from a swarm peer: it
 * must carry the owner's signature (BAD_SIGNATURE), and a mailbox policy in config must parse
 * (MALFORMED), so a peer can neither forge nor break the policy that gates deposits. Returns the
 * payload.
 */
export function checkOwnerItem(crypto: CryptoProvider, account: Uint8Array, namespace: Namespace, body: Uint8Array): Uint8Array {
  const payload = openOwnerItem(crypto, account, namespace, body);
  if (namespace === 'config' && isMailboxPolicyPayload(payload)) decodeMailboxPolicy(payload);
  return payload;
}

/** A message ID from the network, or MALFORMED. */
export function parseMessageId(id: Uint8Array, field = 'id'): Uint8Array {
  if (id.length !== MESSAGE_ID_BYTES) {
    throw new SamizdatError('MALFORMED', `${field} must be ${MESSAGE_ID_BYTES} bytes`, { detail: { field } });
  }
  return id;
}

/** Ascending byte order, the order IDs travel in during anti-entropy. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Lower-case hex, for map keys. */
export function hexKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** The key of an (account, namespace) pair in maps. */
export function pairKey(account: Uint8Array, namespace: string): string {
  return `${hexKey(account)}/${namespace}`;
}

/** Turns any storage failure into a typed error that may cross the wire. */
export function storageError(err: unknown): SamizdatError {
  if (err instanceof SamizdatError) return err;
  return new SamizdatError('STORAGE_FAILED', 'the node could not access its mailbox storage', { cause: err });
}

/** What the mailbox, replication and anti-entropy services log; a node passes its own logger. */
export interface ServiceLogger {
  warn(message: string, detail?: Readonly<Record<string, unknown>>): void;
}
