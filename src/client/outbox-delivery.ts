/**
 * Delivering what waits in the outbox (outbox.ts): a recorded envelope's deposit with its outcome
 * recorded, and the sends of processes that have ended, finished by this one. The messenger
 * (messenger.ts) writes the outbox row when it records a message and calls `deliver`; its
 * `prepare` calls `resumeOrphaned`.
 */
import { encodeAccountId } from '../identity/account-id.ts';
import type { ProcessLiveness, ProcessMark } from './process-liveness.ts';
import type { ProfileDb } from './profile-db.ts';
import { MAX_OUTBOX_RESUME } from './profile-db-limits.ts';

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
  /** Stores an envelope in the recipient's swarm; resolves with the replicas that hold it. */
  readonly deposit: (peer: Uint8Array, envelope: Uint8Array, depositKey: Uint8Array | undefined) => Promise<number>;
  readonly onResumed?: (outcome: ResumedSend) => void;
}

export interface OutboxDelivery {
  /** This process, the owner of the rows it writes. */
  readonly owner: ProcessMark;
  /**
   * Deposits a recorded envelope and, in one transaction, records the outcome on its message (a
   * text has one; a control note does not) and removes its outbox row.
   */
  deliver(peer: Uint8Array, id: string, envelope: Uint8Array, depositKey: Uint8Array | undefined): Promise<number>;
  /**
   * Finishes the sends whose process has ended: each is claimed (its owner becomes this process,
   * in a transaction that checks again, so two processes never both take one) and deposited.
   * At most MAX_OUTBOX_RESUME per call; a failed one ends 'failed' and the others go on.
   */
  resumeOrphaned(): Promise<void>;
}

export function createOutboxDelivery(options: OutboxDeliveryOptions): OutboxDelivery {
  const { db, liveness } = options;

  const deliver = async (peer: Uint8Array, id: string, envelope: Uint8Array, depositKey: Uint8Array | undefined): Promise<number> => {
    const settle = (state: 'stored' | 'failed'): void =>
      db.transaction(() => {
        db.messages.updateState(peer, id, state);
        db.outbox.remove(peer, id);
      });
    let replicas: number;
    try {
      replicas = await options.deposit(peer, envelope, depositKey);
    } catch (err) {
      settle('failed');
      throw err;
    }
    settle('stored');
    return replicas;
  };

  return {
    owner: liveness.self,
    deliver,
    async resumeOrphaned() {
      const orphaned = db.outbox.list(MAX_OUTBOX_RESUME).filter((entry) => !liveness.isAlive(entry.owner));
      for (const entry of orphaned) {
        const claimed = db.transaction(() => {
          const current = db.outbox.get(entry.peer, entry.id);
          if (current === undefined || liveness.isAlive(current.owner)) return undefined;
          db.outbox.put({ ...current, owner: liveness.self });
          return current;
        });
        if (claimed === undefined) continue;
        const text = db.messages.get(claimed.peer, claimed.id) !== undefined;
        const tell = (state: 'stored' | 'failed', error?: unknown): void => {
          if (text) options.onResumed?.({ accountId: encodeAccountId(claimed.peer), id: claimed.id, state, ...(error === undefined ? {} : { error }) });
        };
        // The outcome is on the message ('stored' or 'failed'); a failure here must not stop prepare.
        await deliver(claimed.peer, claimed.id, claimed.envelope, claimed.depositKey).then(
          () => tell('stored'),
          (err: unknown) => tell('failed', err),
        );
      }
    },
  };
}
