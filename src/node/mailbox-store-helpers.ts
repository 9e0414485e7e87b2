/**
 * Small helpers of the mailbox store: typed reads of SQLite rows, argument checks that raise the
 * store's typed errors, and the per-mailbox aggregate (count, bytes, XOR set digest).
 */
import type { SQLOutputValue } from 'node:sqlite';
import { SamizdatError } from '../errors.ts';
import { ACCOUNT_BYTES, DEFAULT_MAILBOX_LIMITS, ID_BYTES, NAMESPACES, NAMESPACE_CODES, type DeleteProof, type MailboxLimits, type Namespace } from './mailbox-store-api.ts';

export type Row = Record<string, SQLOutputValue>;

export function int(row: Row, column: string): number {
  const v = row[column];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new SamizdatError('STORAGE_FAILED', `column ${column} is not an integer`);
}

export function blob(row: Row, column: string): Uint8Array {
  const v = row[column];
  if (v instanceof Uint8Array) return v;
  throw new SamizdatError('STORAGE_FAILED', `column ${column} is not a blob`);
}

export function fail(code: 'INVALID_ARGUMENT' | 'MALFORMED', message: string): never {
  throw new SamizdatError(code, message);
}

export function checkAccount(account: unknown, code: 'INVALID_ARGUMENT' | 'MALFORMED' = 'INVALID_ARGUMENT'): asserts account is Uint8Array {
  if (!(account instanceof Uint8Array) || account.length !== ACCOUNT_BYTES) fail(code, `account must be ${ACCOUNT_BYTES} bytes`);
}

export function nsCode(namespace: unknown, code: 'INVALID_ARGUMENT' | 'MALFORMED' = 'INVALID_ARGUMENT'): number {
  if (typeof namespace !== 'string' || !Object.hasOwn(NAMESPACE_CODES, namespace)) {
    fail(code, `unknown namespace ${JSON.stringify(String(namespace)).slice(0, 40)} (expected inbox, bundle or config)`);
  }
  return NAMESPACE_CODES[namespace as Namespace];
}

export function codeNs(code: number): Namespace {
  const found = NAMESPACES.find((n) => NAMESPACE_CODES[n] === code);
  if (found === undefined) throw new SamizdatError('STORAGE_FAILED', `unknown namespace code ${code} in the database`);
  return found;
}

export function resolveLimits(partial: Partial<MailboxLimits> | undefined): MailboxLimits {
  const limits = { ...DEFAULT_MAILBOX_LIMITS, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new SamizdatError('INVALID_ARGUMENT', `limits.${name} must be a positive integer`);
    }
  }
  return limits;
}

export function checkBody(body: unknown, maxBytes: number, code: 'INVALID_ARGUMENT' | 'MALFORMED'): asserts body is Uint8Array {
  if (!(body instanceof Uint8Array) || body.length === 0) fail(code, 'body must be a non-empty Uint8Array');
  if (body.length > maxBytes) {
    throw new SamizdatError('TOO_LARGE', `body of ${body.length} bytes exceeds the limit of ${maxBytes}`, {
      detail: { limit: maxBytes, actual: body.length },
    });
  }
}

export function checkIds(ids: unknown): asserts ids is readonly Uint8Array[] {
  if (!Array.isArray(ids) || !ids.every((id) => id instanceof Uint8Array)) {
    throw new SamizdatError('INVALID_ARGUMENT', 'ids must be an array of Uint8Array');
  }
}

/** Most bytes of the encoded owner proof a kept DeleteProof holds (an OwnerAuth is about 100). */
export const MAX_DELETE_PROOF_AUTH_BYTES = 256;
/** Most IDs a kept DeleteProof names: a DeleteRequest names at most MAX_DELETE_IDS (1,024). */
export const MAX_DELETE_PROOF_IDS = 1_024;

export function checkProof(proof: unknown): asserts proof is DeleteProof {
  const p = proof as DeleteProof;
  if (typeof proof !== 'object' || proof === null || !(p.auth instanceof Uint8Array) || p.auth.length === 0 || p.auth.length > MAX_DELETE_PROOF_AUTH_BYTES) {
    throw new SamizdatError('INVALID_ARGUMENT', `proof.auth must be 1..${MAX_DELETE_PROOF_AUTH_BYTES} bytes`);
  }
  if (!Array.isArray(p.ids) || p.ids.length === 0 || p.ids.length > MAX_DELETE_PROOF_IDS || !p.ids.every((id) => id instanceof Uint8Array && id.length === ID_BYTES)) {
    throw new SamizdatError('INVALID_ARGUMENT', `proof.ids must be 1..${MAX_DELETE_PROOF_IDS} IDs of ${ID_BYTES} bytes`);
  }
  if (!Number.isSafeInteger(p.signedAtMs) || p.signedAtMs < 0) throw new SamizdatError('INVALID_ARGUMENT', 'proof.signedAtMs must be a non-negative integer');
}

/** Per-mailbox aggregate, as kept in the `mailbox` table. */
export interface Aggregate {
  count: number;
  bytes: number;
  digest: Uint8Array;
}

export const emptyAggregate = (): Aggregate => ({ count: 0, bytes: 0, digest: new Uint8Array(32) });

export function xorInto(target: Uint8Array, value: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i] = (target[i] ?? 0) ^ (value[i] ?? 0);
}

/** Opens (creating or migrating) the store. STORAGE_FAILED when the file cannot be used. */

/** Byte order of two ids (memcmp, as SQLite orders BLOBs). */
export function compareIds(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
