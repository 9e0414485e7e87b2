/**
 * The client's pinned entry guards (issue 4): GUARD_COUNT nodes kept in DIR/guards.json across
 * restarts, so an observer who runs some relays does not get a fresh chance to be the client's
 * first hop on every path (Tor's guard rationale). A guard is replaced after GUARD_MAX_FAILURES
 * consecutive failures (a success resets the count). A guard missing from the consensus is not
 * used but stays pinned for GUARD_UNLISTED_GRACE_MS, as Tor keeps it: whoever can keep it from
 * the authorities for one consensus period must not thereby move every client to a new guard.
 * Meanwhile a stand-in is pinned; when the guard is listed again it is used again and the newest
 * stand-in goes.
 *
 * File: {"version": 1, "guards": [{"peerId": "...", "addedAtMs": n, "failures": n,
 * "unlistedSinceMs"?: n}]} (at most MAX_PINNED_GUARDS entries, oldest first), written
 * atomically (temporary file, fsync, rename) with mode 0600 in a directory made with mode 0700.
 * A damaged file is STORAGE_FAILED naming the file: silently choosing new guards would undo the
 * protection pinning gives, so the user decides (deleting the file picks new ones).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic, type NodeDescriptor } from '../directory/index.ts';
import { SamizdatError } from '../errors.ts';
import { shuffled, subnetsOf, type RandomInt } from './path-select.ts';

/** Pinned guards: two, as Tor settled on, so one failing guard does not cut the client off. */
export const GUARD_COUNT = 2;
/** Consecutive failures (dial, circuit build, dropped session) after which a guard is replaced. */
export const GUARD_MAX_FAILURES = 3;
/** A guard dropped for failures is not picked again for this long (by this store instance). */
export const GUARD_RETRY_AFTER_MS = 30 * 60_000;
/** How long a guard missing from the consensus stays pinned (unused) before it is replaced: Tor's 20 days. */
export const GUARD_UNLISTED_GRACE_MS = 20 * 86_400_000;
/** Pinned guards at most: GUARD_COUNT in use, and as many unlisted ones in their grace period. */
export const MAX_PINNED_GUARDS = 2 * GUARD_COUNT;
export const GUARD_FILE = 'guards.json';
const FILE_VERSION = 1;
/** A guards file larger than this is damaged (two entries take well under 1 KiB). */
const MAX_GUARD_FILE_BYTES = 16 * 1024;

export interface GuardEntry {
  readonly peerId: string;
  readonly addedAtMs: number;
  readonly failures: number;
  /** Since when it is missing from the consensus (absent while it is listed). */
  readonly unlistedSinceMs?: number;
}

export interface GuardStoreOptions {
  /** Directory of guards.json (the client profile directory). */
  readonly dir: string;
  readonly now: () => number;
  readonly randomInt: RandomInt;
  /** From the network file: when false, the two guards are picked from different /24 or /48 if possible. */
  readonly allowSameSubnet: boolean;
}

export interface GuardStore {
  readonly file: string;
  /** The pinned guards as stored. */
  current(): readonly GuardEntry[];
  /**
   * The GUARD_COUNT pinned guards to use, oldest first, all in `nodes`: a pinned guard missing
   * from `nodes` is skipped (and dropped once unlisted for GUARD_UNLISTED_GRACE_MS), stand-ins are
   * pinned up to GUARD_COUNT listed ones (from nodes not in `exclude`), a stand-in beyond that is
   * dropped when a guard returns, and any change is saved.
   */
  guardsFor(nodes: readonly NodeDescriptor[], exclude?: readonly string[]): Promise<readonly string[]>;
  /** Counts a failure; at GUARD_MAX_FAILURES the guard is dropped (replaced by the next guardsFor). */
  recordFailure(peerId: string): Promise<void>;
  /** Resets the guard's failure count. */
  recordSuccess(peerId: string): Promise<void>;
}

function damaged(file: string, why: string, cause?: unknown): SamizdatError {
  return new SamizdatError('STORAGE_FAILED', `guard file ${file} is damaged (${why}); delete it to choose new guards`, { cause, detail: { file } });
}

function parseGuardFile(file: string, text: string): GuardEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw damaged(file, 'not JSON', cause);
  }
  if (typeof data !== 'object' || data === null || !('version' in data) || data.version !== FILE_VERSION || !('guards' in data) || !Array.isArray(data.guards)) {
    throw damaged(file, `expected {"version": ${FILE_VERSION}, "guards": [...]}`);
  }
  const guards: unknown[] = data.guards;
  if (guards.length > MAX_PINNED_GUARDS) throw damaged(file, `more than ${MAX_PINNED_GUARDS} guards`);
  const out: GuardEntry[] = [];
  for (const g of guards) {
    if (typeof g !== 'object' || g === null) throw damaged(file, 'a guard entry is not an object');
    const peerId: unknown = 'peerId' in g ? g.peerId : undefined;
    const addedAtMs: unknown = 'addedAtMs' in g ? g.addedAtMs : undefined;
    const failures: unknown = 'failures' in g ? g.failures : undefined;
    const unlistedSinceMs: unknown = 'unlistedSinceMs' in g ? g.unlistedSinceMs : undefined;
    if (typeof peerId !== 'string' || !/^[1-9A-HJ-NP-Za-km-z]{20,100}$/.test(peerId)) throw damaged(file, 'bad peerId');
    if (!Number.isSafeInteger(addedAtMs) || (addedAtMs as number) < 0) throw damaged(file, 'bad addedAtMs');
    if (!Number.isSafeInteger(failures) || (failures as number) < 0 || (failures as number) >= GUARD_MAX_FAILURES) throw damaged(file, 'bad failures');
    if (unlistedSinceMs !== undefined && (!Number.isSafeInteger(unlistedSinceMs) || (unlistedSinceMs as number) < 0)) throw damaged(file, 'bad unlistedSinceMs');
    if (out.some((e) => e.peerId === peerId)) throw damaged(file, 'a guard is listed twice');
    out.push({ peerId, addedAtMs: addedAtMs as number, failures: failures as number, ...(unlistedSinceMs === undefined ? {} : { unlistedSinceMs: unlistedSinceMs as number }) });
  }
  return out;
}

/** Opens (reading DIR/guards.json if present) the guard store of a profile directory. */
export async function openGuardStore(options: GuardStoreOptions): Promise<GuardStore> {
  const { now, randomInt, allowSameSubnet } = options;
  if (typeof options.dir !== 'string' || options.dir === '') throw new SamizdatError('INVALID_ARGUMENT', 'dir must be a directory path');
  const file = path.join(options.dir, GUARD_FILE);
  let guards: GuardEntry[] = [];
  try {
    const bytes = await readFile(file);
    if (bytes.length > MAX_GUARD_FILE_BYTES) throw damaged(file, 'too large');
    guards = parseGuardFile(file, bytes.toString('utf8'));
  } catch (err) {
    if (!(typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT')) {
      if (err instanceof SamizdatError) throw err;
      throw new SamizdatError('STORAGE_FAILED', `cannot read ${file}`, { cause: err, detail: { file } });
    }
  }
  const retired = new Map<string, number>();
  // Saves run one after another, each writing the state current when it runs.
  let saving: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    const next = saving.then(() => writeFileAtomic(file, `${JSON.stringify({ version: FILE_VERSION, guards }, null, 2)}\n`, { private: true }));
    saving = next.catch(() => undefined);
    return next;
  };

  const pick = (nodes: readonly NodeDescriptor[], exclude: ReadonlySet<string>): NodeDescriptor | undefined => {
    const t = now();
    const candidates = nodes.filter((n) => !exclude.has(n.peerId) && !guards.some((g) => g.peerId === n.peerId) && !((retired.get(n.peerId) ?? -Infinity) > t - GUARD_RETRY_AFTER_MS));
    if (!allowSameSubnet) {
      // Prefer a guard in a network none of the other guards is in.
      const held = new Set<string>();
      for (const g of guards) for (const s of subnetsOf(nodes.find((n) => n.peerId === g.peerId) ?? { addresses: [] })) held.add(s);
      const apart = candidates.filter((n) => ![...subnetsOf(n)].some((s) => held.has(s)));
      if (apart.length > 0) return shuffled(apart, randomInt)[0];
    }
    return candidates.length === 0 ? undefined : candidates[randomInt(candidates.length)];
  };

  return {
    file,
    current: () => guards,
    async guardsFor(nodes, exclude = []) {
      const t = now();
      const present = new Set(nodes.map((n) => n.peerId));
      const before = JSON.stringify(guards);
      // Note who is missing from the consensus; keep them for the grace period, unused.
      guards = guards
        .map((g): GuardEntry => {
          if (present.has(g.peerId)) return { peerId: g.peerId, addedAtMs: g.addedAtMs, failures: g.failures };
          return g.unlistedSinceMs === undefined ? { ...g, unlistedSinceMs: t } : g;
        })
        .filter((g) => g.unlistedSinceMs === undefined || t - g.unlistedSinceMs < GUARD_UNLISTED_GRACE_MS);
      const listed = (): GuardEntry[] => guards.filter((g) => g.unlistedSinceMs === undefined);
      // A guard listed again: the stand-ins pinned after it go, newest first.
      while (listed().length > GUARD_COUNT) {
        const newest = listed().at(-1);
        guards = guards.filter((g) => g !== newest);
      }
      const banned = new Set(exclude);
      while (listed().length < GUARD_COUNT && guards.length < MAX_PINNED_GUARDS) {
        const node = pick(nodes, banned);
        if (node === undefined) break;
        guards = [...guards, { peerId: node.peerId, addedAtMs: t, failures: 0 }];
      }
      if (JSON.stringify(guards) !== before) await save();
      return listed().map((g) => g.peerId);
    },
    async recordFailure(peerId) {
      const entry = guards.find((g) => g.peerId === peerId);
      if (entry === undefined) return;
      if (entry.failures + 1 >= GUARD_MAX_FAILURES) {
        guards = guards.filter((g) => g.peerId !== peerId);
        retired.set(peerId, now());
      } else {
        guards = guards.map((g) => (g.peerId === peerId ? { ...g, failures: g.failures + 1 } : g));
      }
      await save();
    },
    async recordSuccess(peerId) {
      const entry = guards.find((g) => g.peerId === peerId);
      if (entry === undefined || entry.failures === 0) return;
      guards = guards.map((g) => (g.peerId === peerId ? { ...g, failures: 0 } : g));
      await save();
    },
  };
}
