/**
 * The account's signed prekeys (DESIGN.md §5): made here, kept sealed in the profile database,
 * published in a signed bundle in the account's own swarm (`bundle` namespace, an owner item that
 * MailboxClient.store signs), and
 * rotated every `rotationMs` (12 h by default; the network file can shorten it). A prekey that was
 * replaced is kept PREKEY_RETENTION_MS more for envelopes and handshakes still on their way, then
 * deleted.
 *
 * No one-time prekeys are published: a bundle sits in the swarm as one item that every sender
 * reads, with no server to hand each one-time key to one sender only, so two senders would pick
 * the same key and the second handshake would fail once the first used it up. A repeated handshake
 * is refused by its hash instead (session-crypto.ts).
 */
import type { CryptoProvider, PrivateKey } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import type { AccountKeys } from '../identity/account-keys.ts';
import { signPrekeyBundle } from '../identity/prekey-bundle.ts';
import type { PrekeyKind } from '../e2e/pqxdh.ts';
import { coarseClockMs } from '../wire/coarse-clock.ts';
import type { ProfileDb } from './profile-db.ts';

/** A replaced signed prekey is kept this long (DESIGN.md §5: 16 days), then deleted. */
export const PREKEY_RETENTION_MS = 16 * 86_400_000;
/**
 * A bundle is valid (and stored in the swarm) for 14 days, the longest mailbox TTL: a sender never
 * uses a bundle whose keys may already be deleted (created + 14 d < replaced + 16 d).
 */
export const BUNDLE_LIFETIME_MS = 14 * 86_400_000;

const PUBLISHED_SEQUENCE_SETTING = 'bundle.published-sequence';

export interface SignedPrekeys {
  readonly x25519: { readonly id: number; readonly key: PrivateKey };
  readonly mlKem: { readonly id: number; readonly key: PrivateKey };
  readonly createdAt: number;
}

export interface PrekeyManagerOptions {
  readonly crypto: CryptoProvider;
  readonly db: ProfileDb;
  readonly keys: AccountKeys;
  readonly now: () => number;
  /** How often to make new signed prekeys (the network file's prekeyRotationMs). */
  readonly rotationMs: number;
}

export interface PrekeyManager {
  /** The newest signed prekeys, or undefined before the first rotation. */
  current(): SignedPrekeys | undefined;
  /**
   * Makes new signed prekeys when there are none or the newest are older than rotationMs, and
   * deletes replaced ones past their retention. True when new prekeys were made.
   */
  rotateIfDue(): boolean;
  /** A prekey's private key by kind and id (for opening envelopes and answering handshakes). */
  lookup(kind: PrekeyKind, id: number): PrivateKey | undefined;
  /**
   * The owner item to store in the `bundle` namespace for the current prekeys, with the next
   * bundle sequence, or undefined when that bundle was published already.
   */
  bundleToPublish(): { readonly body: Uint8Array; readonly sequence: bigint; readonly ttlMs: number } | undefined;
  /** Records that the bundle with `sequence` is stored in the swarm. */
  published(sequence: bigint): void;
}

export function createPrekeyManager(options: PrekeyManagerOptions): PrekeyManager {
  const { crypto, db, keys, now, rotationMs } = options;
  if (!Number.isSafeInteger(rotationMs) || rotationMs < 1) throw new SamizdatError('INVALID_ARGUMENT', 'rotationMs must be a positive integer');

  // Imported keys by kind and id: every incoming envelope needs two lookups, and a database read
  // plus an import costs ~0.3 ms. Entries go when their prekey is deleted; a key deleted by
  // another process is found gone at the next miss of this one.
  const imported = new Map<string, PrivateKey>();
  const load = (kind: PrekeyKind, id: number): PrivateKey | undefined => {
    const name = `${kind}/${id}`;
    const cached = imported.get(name);
    if (cached !== undefined) return cached;
    const stored = db.prekeys.get(kind, id);
    if (stored === undefined) return undefined;
    const algorithm = kind.endsWith('x25519') ? 'x25519' : 'ml-kem-768';
    try {
      const key = crypto.importPrivateKey(algorithm, stored.material);
      imported.set(name, key);
      return key;
    } finally {
      stored.material.fill(0);
    }
  };

  const newestInfo = (kind: PrekeyKind) => db.prekeys.list(kind).at(-1);

  const current = (): SignedPrekeys | undefined => {
    const x = newestInfo('signed-x25519');
    const m = newestInfo('signed-ml-kem');
    if (x === undefined || m === undefined) return undefined;
    const xKey = load('signed-x25519', x.id);
    const mKey = load('signed-ml-kem', m.id);
    if (xKey === undefined || mKey === undefined) return undefined;
    return { x25519: { id: x.id, key: xKey }, mlKem: { id: m.id, key: mKey }, createdAt: Math.min(x.createdAt, m.createdAt) };
  };

  const freshId = (kind: PrekeyKind): number => {
    for (;;) {
      const bytes = crypto.randomBytes(4);
      const id = ((bytes[0] ?? 0) * 0x1000000 + ((bytes[1] ?? 0) << 16) + ((bytes[2] ?? 0) << 8) + (bytes[3] ?? 0)) >>> 0;
      if (db.prekeys.get(kind, id) === undefined) return id;
    }
  };

  const putNew = (kind: PrekeyKind, algorithm: 'x25519' | 'ml-kem-768'): void => {
    const key = crypto.generateKey(algorithm);
    const material = crypto.exportPrivateKey(key);
    try {
      db.prekeys.put(kind, freshId(kind), material);
    } finally {
      material.fill(0);
    }
  };

  /** Deletes replaced prekeys of `kind` whose replacement is older than the retention. */
  const prune = (kind: PrekeyKind): void => {
    const list = db.prekeys.list(kind);
    for (let i = 0; i + 1 < list.length; i++) {
      const replacedAt = list[i + 1]?.createdAt ?? Infinity;
      const entry = list[i];
      if (entry !== undefined && now() - replacedAt > PREKEY_RETENTION_MS) {
        db.prekeys.delete(kind, entry.id);
        imported.delete(`${kind}/${entry.id}`);
      }
    }
  };

  return {
    current,
    rotateIfDue() {
      return db.transaction(() => {
        const newest = current();
        const due = newest === undefined || now() - newest.createdAt >= rotationMs;
        if (due) {
          putNew('signed-x25519', 'x25519');
          putNew('signed-ml-kem', 'ml-kem-768');
        }
        prune('signed-x25519');
        prune('signed-ml-kem');
        return due;
      });
    },
    lookup(kind, id) {
      return load(kind, id);
    },
    bundleToPublish() {
      const prekeys = current();
      if (prekeys === undefined) throw new SamizdatError('INVALID_ARGUMENT', 'no signed prekeys yet: call rotateIfDue first');
      const publishedFor = db.settings.get(PUBLISHED_SEQUENCE_SETTING);
      const sequence = db.prekeys.bundleSequence();
      if (publishedFor !== undefined && sequence > 0n && BigInt(publishedFor) === sequence && newestPublishedIsCurrent(db, prekeys)) return undefined;
      // The sequence follows the clock (ms), not only this database: an account restored on a new
      // device starts a new database, and its bundles must still outrank the ones senders saw.
      // Whole seconds, as every clock a node sees (src/wire/coarse-clock.ts).
      const createdAtMs = coarseClockMs(now());
      const next = db.prekeys.nextBundleSequence(BigInt(createdAtMs));
      db.settings.set('bundle.prekeys', `${prekeys.x25519.id}/${prekeys.mlKem.id}`);
      const bundle = signPrekeyBundle(crypto, keys.identity, {
        sequence: next,
        createdAtMs,
        expiresAtMs: createdAtMs + BUNDLE_LIFETIME_MS,
        identityX25519: keys.mailboxX25519.publicKey,
        signedX25519Prekey: { id: prekeys.x25519.id, publicKey: prekeys.x25519.key.publicKey },
        signedMlKemPrekey: { id: prekeys.mlKem.id, publicKey: prekeys.mlKem.key.publicKey },
      });
      // MailboxClient.store adds the owner signature (owner-item.ts) to every bundle/config item.
      return { body: bundle, sequence: next, ttlMs: BUNDLE_LIFETIME_MS };
    },
    published(sequence) {
      db.settings.set(PUBLISHED_SEQUENCE_SETTING, sequence.toString());
    },
  };
}

/** True when the last bundle made was for these prekeys. */
function newestPublishedIsCurrent(db: ProfileDb, prekeys: SignedPrekeys): boolean {
  return db.settings.get('bundle.prekeys') === `${prekeys.x25519.id}/${prekeys.mlKem.id}`;
}
