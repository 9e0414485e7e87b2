/**
 * Delivering what waits in the outbox (outbox.ts): a recorded envelope's deposit with its outcome
 * recorded, and the sends of processes that have ended, finished by this one. The messenger
 * (messenger.ts) writes the outbox row when it records a message and calls `deliver`; its
 * `prepare` calls `resumeOrphaned`.
 */
import { toHex } from '../crypto/bytes.ts';
import { SamizdatError } from '../errors.ts';
import { encodeAccountId } from '../identity/account-id.ts';
import type { OutboxEntry } from './outbox.ts';
import { sameProcess, type ProcessLiveness, type ProcessMark } from './process-liveness.ts';
import type { ProfileDb } from './profile-db.ts';
import { MAX_OUTBOX_RESUME, OUTBOX_MAX_AGE_MS } from './profile-db-limits.ts';

/** The outcome of a text message delivered for a process that had ended. */
export interface ResumedSend {
  /** The recipient. */
  readonly accountId: string;
  readonly id: string;
  readonly state: 'stored' | 'failed';
  /** Why it failed. */
  readonly error?: unknown;
}

export interface OutboxDeliveryOptions {
  readonly db: ProfileDb;
  readonly liveness: ProcessLiveness;
  /** Clock (ms since the epoch), for the age of a send. */
  readonly now: () => number;
  /** Stores an envelope in the recipient's swarm; resolves with the replicas that hold it. */
  readonly deposit: (peer: Uint8Array, envelope: Uint8Array, depositKey: Uint8Array | undefined) => Promise<number>;
  readonly onResumed?: (outcome: ResumedSend) => void;
}

export interface OutboxDelivery {
  /** This process, the owner of the rows it writes. */
  readonly owner: ProcessMark;
  /**
   * Deposits a recorded envelope and, in one transaction, records the outcome on its message (a
   * text has one; a control note does not) and removes its outbox row: unless another process
   * has taken the send over meanwhile (it judged this one ended), which then records its own.
   */
  deliver(peer: Uint8Array, id: string, envelope: Uint8Array, depositKey: Uint8Array | undefined): Promise<number>;
  /**
   * Finishes the sends no live process is delivering: those whose process has ended, and this
   * process's own whose outcome could not be recorded. Each is claimed (its owner becomes this
   * process, in a transaction that checks again, so two processes never both take one) and
   * deposited; one sealed more than OUTBOX_MAX_AGE_MS ago is not deposited but ends 'failed',
   * whoever owns it (its recipient may no longer hold the keys to open it). At most
   * MAX_OUTBOX_RESUME per call; a failed one ends 'failed' and the others go on.
   */
  resumeOrphaned(): Promise<void>;
}

export function createOutboxDelivery(options: OutboxDeliveryOptions): OutboxDelivery {
  const { db, liveness, now } = options;
  const self = liveness.self;
  /** The sends this process is depositing now, as `peer hex:id`. */
  const inFlight = new Set<string>();
  const flightKey = (peer: Uint8Array, id: string): string => `${toHex(peer)}:${id}`;

  /** Records the outcome if the send is still this process's; false when another took it over. */
  const settle = (peer: Uint8Array, id: string, state: 'stored' | 'failed'): boolean =>
    db.transaction(() => {
      const current = db.outbox.get(peer, id);
      if (current === undefined || !sameProcess(current.owner, self)) return false;
      db.messages.updateState(peer, id, state);
      db.outbox.remove(peer, id);
      return true;
    });

  const deliver = async (peer: Uint8Array, id: string, envelope: Uint8Array, depositKey: Uint8Array | undefined): Promise<number> => {
    const key = flightKey(peer, id);
    inFlight.add(key);
    try {
      let replicas: number;
      try {
        replicas = await options.deposit(peer, envelope, depositKey);
      } catch (err) {
        settle(peer, id, 'failed');
        throw err;
      }
      settle(peer, id, 'stored');
      return replicas;
    } finally {
      inFlight.delete(key);
    }
  };

  const tooOld = (entry: OutboxEntry, nowMs: number): boolean => entry.sealedAtMs !== undefined && nowMs - entry.sealedAtMs > OUTBOX_MAX_AGE_MS;

  /** Whether no live process is delivering `entry` (or it is too old to deliver at all). */
  const due = (entry: OutboxEntry, nowMs: number): boolean => {
    if (sameProcess(entry.owner, self)) return !inFlight.has(flightKey(entry.peer, entry.id));
    return tooOld(entry, nowMs) || !liveness.isAlive(entry.owner);
  };

  return {
    owner: self,
    deliver,
    async resumeOrphaned() {
      // Every row is looked at (a page at a time), so live processes' rows cannot hide the rest.
      const found: OutboxEntry[] = [];
      for (const entry of db.outbox.entries()) {
        if (due(entry, now())) found.push(entry);
        if (found.length >= MAX_OUTBOX_RESUME) break;
      }
      for (const entry of found) {
        const claimed = db.transaction(() => {
          const current = db.outbox.get(entry.peer, entry.id);
          if (current === undefined || !due(current, now())) return undefined;
          db.outbox.put({ ...current, owner: self });
          return current;
        });
        if (claimed === undefined) continue;
        const text = db.messages.get(claimed.peer, claimed.id) !== undefined;
        const tell = (state: 'stored' | 'failed', error?: unknown): void => {
          if (text) options.onResumed?.({ accountId: encodeAccountId(claimed.peer), id: claimed.id, state, ...(error === undefined ? {} : { error }) });
        };
        if (tooOld(claimed, now())) {
          settle(claimed.peer, claimed.id, 'failed');
          tell('failed', new SamizdatError('EXPIRED', `this message waited more than ${OUTBOX_MAX_AGE_MS / 86_400_000} days to be sent, too long for the recipient to open it; send it again`));
          continue;
        }
        // The outcome is on the message ('stored' or 'failed'); a failure here must not stop prepare.
        await deliver(claimed.peer, claimed.id, claimed.envelope, claimed.depositKey).then(
          () => tell('stored'),
          (err: unknown) => tell('failed', err),
        );
      }
    },
  };
}
