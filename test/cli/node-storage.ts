/**
 * What the service nodes of a devnet keep on disk, read back for the "nodes learn nothing" checks
 * of the CLI messaging test: row snapshots of each node's mailbox database (taken from copies,
 * so a running node is not disturbed) and raw byte scans of every file in the devnet directory
 * (databases with their -wal/-shm files, old page images and freed space included, and logs).
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { NAMESPACE_CODES } from '../../src/node/mailbox-store-api.ts';

/** A public key that must not leak: whose it is and which kind. */
export interface WatchedKey {
  /** A label for messages ("alice"). */
  readonly owner: string;
  readonly kind: 'ed25519' | 'x25519';
  readonly bytes: Uint8Array;
  /** The owner's Ed25519 identity key: the `account` column of the owner's own mailboxes. */
  readonly account: Uint8Array;
}

/** A column value as SQLite returns it. */
export type Cell = null | number | bigint | string | Uint8Array;

/** One row of one table of one node's mailbox database. */
export interface NodeRow {
  readonly node: string;
  readonly table: string;
  readonly row: Readonly<Record<string, Cell>>;
}

export const BUNDLE = NAMESPACE_CODES.bundle;
export const INBOX = NAMESPACE_CODES.inbox;

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength), from);
}

function sameBytes(a: Cell | undefined, b: Uint8Array): boolean {
  return a instanceof Uint8Array && Buffer.compare(a, b) === 0;
}

/** The service-node data directories (`node-01`, ...) of a devnet directory. */
export function nodeDirs(devnetDir: string): string[] {
  return readdirSync(devnetDir)
    .filter((name) => name.startsWith('node-'))
    .sort()
    .map((name) => path.join(devnetDir, name));
}

/**
 * Every row of every table of every node's mailbox database, read from a copy of the database and
 * its write-ahead log (opening the copy replays the committed part of the log).
 */
export function snapshotRows(devnetDir: string): NodeRow[] {
  const rows: NodeRow[] = [];
  const scratch = mkdtempSync(path.join(tmpdir(), 'samizdat-snapshot-'));
  try {
    for (const dir of nodeDirs(devnetDir)) {
      const node = path.basename(dir);
      const source = path.join(dir, 'mailbox.db');
      if (!existsSync(source)) continue;
      const copy = path.join(scratch, `${node}.db`);
      copyFileSync(source, copy);
      if (existsSync(`${source}-wal`)) copyFileSync(`${source}-wal`, `${copy}-wal`);
      const db = new DatabaseSync(copy);
      try {
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => String(r['name']));
        for (const table of tables) {
          for (const row of db.prepare(`SELECT * FROM "${table}"`).all()) rows.push({ node, table, row });
        }
      } finally {
        db.close();
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return rows;
}

/** The `message` rows of `account` in namespace `ns`. */
export function messagesOf(rows: readonly NodeRow[], account: Uint8Array, ns: number): NodeRow[] {
  return rows.filter((r) => r.table === 'message' && r.row['ns'] === ns && sameBytes(r.row['account'], account));
}

/**
 * Where a watched key appears in the rows outside the two places it belongs: its owner's
 * Ed25519 key as the `account` column (the address of the owner's own mailbox), and either key
 * inside a body in the owner's own `bundle` namespace (a prekey bundle carries its owner's
 * identity keys). Anything else (a key in an inbox envelope, in another account's rows, in an ID
 * or digest column) is a finding. Also reports any row holding one of `texts`.
 */
export function rowFindings(rows: readonly NodeRow[], keys: readonly WatchedKey[], texts: readonly string[]): string[] {
  const findings: string[] = [];
  const textBytes = texts.map((t) => ({ t, bytes: new TextEncoder().encode(t) }));
  for (const { node, table, row } of rows) {
    for (const [column, value] of Object.entries(row)) {
      const bytes = value instanceof Uint8Array ? value : typeof value === 'string' ? new TextEncoder().encode(value) : undefined;
      if (bytes === undefined) continue;
      const where = `${node} ${table}.${column} (ns ${String(row['ns'])})`;
      for (const { t, bytes: needle } of textBytes) {
        if (indexOfBytes(bytes, needle) !== -1) findings.push(`${where} holds the text "${t}"`);
      }
      for (const key of keys) {
        if (indexOfBytes(bytes, key.bytes) === -1) continue;
        const ownMailbox = sameBytes(row['account'], key.account);
        if (column === 'account' && key.kind === 'ed25519' && ownMailbox && bytes.length === key.bytes.length) continue;
        if (table === 'message' && column === 'body' && row['ns'] === BUNDLE && ownMailbox) continue;
        findings.push(`${where} of ${ownMailbox ? 'its owner' : 'another account'} holds ${key.owner}'s ${key.kind} identity key`);
      }
    }
  }
  return findings;
}

/** Every regular file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** The bytes of `file`, or undefined when it is gone (nodes delete rotated onion keys at any time). */
function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Each file under `dir` that contains one of `needles` anywhere in its bytes, with the needle. */
export function rawFindings(dir: string, needles: readonly { label: string; bytes: Uint8Array }[]): string[] {
  const findings: string[] = [];
  for (const file of filesUnder(dir)) {
    const bytes = readIfPresent(file);
    if (bytes === undefined) continue;
    for (const n of needles) {
      if (indexOfBytes(bytes, n.bytes) !== -1) findings.push(`${path.relative(dir, file)} contains ${n.label}`);
    }
  }
  return findings;
}

/** How many bytes on each side of a key must match the owner's bundle for an occurrence to count as one. */
const BUNDLE_CONTEXT_BYTES = 24;

/**
 * Raw occurrences of X25519 identity keys in any file under `dir` that are not inside a copy of a
 * bundle of the key's owner. The X25519 identity key is no mailbox address, so its only place on a
 * node is the owner's bundle: each occurrence must sit among the same bytes as in one of `bundles`
 * (bodies of the owner's `bundle` rows), up to BUNDLE_CONTEXT_BYTES on each side (a window, not
 * the whole body, so a stale partial copy of a bundle in freed space still counts as a bundle).
 * Returns the findings and the number of occurrences that were inside bundles.
 */
export function rawX25519Findings(dir: string, keys: readonly WatchedKey[], bundles: readonly NodeRow[]): { findings: string[]; inBundles: number } {
  const findings: string[] = [];
  let inBundles = 0;
  const files = filesUnder(dir).flatMap((file) => {
    const bytes = readIfPresent(file);
    return bytes === undefined ? [] : [{ file, bytes }];
  });
  for (const key of keys.filter((k) => k.kind === 'x25519')) {
    const bodies = bundles
      .filter((b) => sameBytes(b.row['account'], key.account))
      .map((b) => b.row['body'])
      .filter((b): b is Uint8Array => b instanceof Uint8Array);
    const windows = bodies.flatMap((body) => {
      const at = indexOfBytes(body, key.bytes);
      if (at === -1) return [];
      const before = Math.min(BUNDLE_CONTEXT_BYTES, at);
      const after = Math.min(BUNDLE_CONTEXT_BYTES, body.length - at - key.bytes.length);
      return [{ before, window: body.subarray(at - before, at + key.bytes.length + after) }];
    });
    for (const { file, bytes } of files) {
      for (let at = indexOfBytes(bytes, key.bytes); at !== -1; at = indexOfBytes(bytes, key.bytes, at + 1)) {
        const inBundle = windows.some((w) => at >= w.before && Buffer.compare(bytes.subarray(at - w.before, at - w.before + w.window.length), w.window) === 0);
        if (inBundle) inBundles += 1;
        else findings.push(`${path.relative(dir, file)} holds ${key.owner}'s x25519 identity key at byte ${at}, outside any bundle of ${key.owner}`);
      }
    }
  }
  return { findings, inBundles };
}
