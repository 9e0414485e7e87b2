/**
 * The skipped message keys of a ratchet session (Signal's MKSKIPPED, indexed by header key and
 * message number as in the header-encryption variant). An immutable value: every operation
 * returns a new store and leaves its input untouched, so a rejected message never changes the
 * caller's state. Bounded by MAX_SKIPPED_MESSAGE_KEYS (oldest dropped first) and
 * SKIPPED_KEY_TTL_MS.
 */
import { toHex } from '../crypto/bytes.ts';
import { MAX_SKIPPED_MESSAGE_KEYS, SKIPPED_KEY_TTL_MS } from './ratchet-limits.ts';

export interface SkippedKey {
  /** Header key of the chain the missing message belongs to. */
  readonly headerKey: Uint8Array;
  readonly messageNumber: number;
  readonly messageKey: Uint8Array;
  /** When the key was stored (ms since the Unix epoch). */
  readonly createdAtMs: number;
}

interface HeaderKeyUse {
  readonly key: Uint8Array;
  /** How many stored entries use this header key. */
  readonly count: number;
}

export interface SkippedKeys {
  /** Entries by `id`, in insertion order (oldest first). */
  readonly entries: ReadonlyMap<string, SkippedKey>;
  /** The distinct header keys of the entries, by hex: headers are tried once per key, not per entry. */
  readonly headerKeys: ReadonlyMap<string, HeaderKeyUse>;
}

export const EMPTY_SKIPPED_KEYS: SkippedKeys = { entries: new Map(), headerKeys: new Map() };

function entryId(headerKeyHex: string, messageNumber: number): string {
  return `${headerKeyHex}:${messageNumber}`;
}

/** A mutable working copy; callers build one, change it and freeze it into a new SkippedKeys. */
class Draft {
  readonly entries: Map<string, SkippedKey>;
  readonly headerKeys: Map<string, HeaderKeyUse>;

  constructor(from: SkippedKeys) {
    this.entries = new Map(from.entries);
    this.headerKeys = new Map(from.headerKeys);
  }

  add(entry: SkippedKey): void {
    const hex = toHex(entry.headerKey);
    const id = entryId(hex, entry.messageNumber);
    if (this.entries.has(id)) return;
    this.entries.set(id, entry);
    const use = this.headerKeys.get(hex);
    this.headerKeys.set(hex, { key: use?.key ?? entry.headerKey, count: (use?.count ?? 0) + 1 });
  }

  remove(id: string, entry: SkippedKey): void {
    if (!this.entries.delete(id)) return;
    const hex = toHex(entry.headerKey);
    const use = this.headerKeys.get(hex);
    if (use === undefined || use.count <= 1) this.headerKeys.delete(hex);
    else this.headerKeys.set(hex, { key: use.key, count: use.count - 1 });
  }

  /** Drops the oldest entries until at most `max` remain. */
  evict(max: number): void {
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= max) break;
      this.remove(id, entry);
    }
  }

  freeze(): SkippedKeys {
    return { entries: this.entries, headerKeys: this.headerKeys };
  }
}

function expired(entry: SkippedKey, nowMs: number): boolean {
  return nowMs - entry.createdAtMs >= SKIPPED_KEY_TTL_MS;
}

/** The store without entries older than SKIPPED_KEY_TTL_MS at `nowMs` (the same object when none are). */
export function purgeExpired(store: SkippedKeys, nowMs: number): SkippedKeys {
  let any = false;
  for (const entry of store.entries.values()) {
    if (expired(entry, nowMs)) {
      any = true;
      break;
    }
  }
  if (!any) return store;
  const draft = new Draft(store);
  for (const [id, entry] of store.entries) if (expired(entry, nowMs)) draft.remove(id, entry);
  return draft.freeze();
}

/** The store with only its newest `max` entries (the same object when it has no more). */
export function trimSkipped(store: SkippedKeys, max: number): SkippedKeys {
  if (store.entries.size <= max) return store;
  const draft = new Draft(store);
  draft.evict(max);
  return draft.freeze();
}

/** The store with `added` appended (in order), then the oldest dropped down to MAX_SKIPPED_MESSAGE_KEYS. */
export function addSkipped(store: SkippedKeys, added: readonly SkippedKey[], max = MAX_SKIPPED_MESSAGE_KEYS): SkippedKeys {
  if (added.length === 0) return store;
  const draft = new Draft(store);
  for (const entry of added) draft.add(entry);
  draft.evict(max);
  return draft.freeze();
}

/** The entry for (`headerKeyHex`, `messageNumber`) and the store without it, or undefined. */
export function takeSkipped(
  store: SkippedKeys,
  headerKeyHex: string,
  messageNumber: number,
): { readonly entry: SkippedKey; readonly store: SkippedKeys } | undefined {
  const id = entryId(headerKeyHex, messageNumber);
  const entry = store.entries.get(id);
  if (entry === undefined) return undefined;
  const draft = new Draft(store);
  draft.remove(id, entry);
  return { entry, store: draft.freeze() };
}

/** The entries, oldest first. */
export function listSkipped(store: SkippedKeys): readonly SkippedKey[] {
  return [...store.entries.values()];
}
