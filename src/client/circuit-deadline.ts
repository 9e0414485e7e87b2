/**
 * Deadlines of the client's circuit work (onion-circuits.ts): what is left of a request's time,
 * the PATH_FAILED (reason 'deadline') once it is gone, and waiting on shared work (a guard dial, a
 * circuit build) only as long as one request's own deadline allows.
 */
import { SamizdatError, isSamizdatError } from '../errors.ts';
import type { RequestDeadline } from './onion-circuits.ts';

/** The error of a request whose own deadline passed (or whose signal aborted while it waited). */
function deadlinePassed(): SamizdatError {
  return new SamizdatError('PATH_FAILED', 'the request deadline passed', { detail: { reason: 'deadline' } });
}

/** The time left before `deadline`, in whole ms; PATH_FAILED (reason 'deadline') when none is. */
export function remaining(now: () => number, deadline: RequestDeadline): number {
  const left = Math.floor(deadline.deadlineMs - now());
  if (left <= 0) throw deadlinePassed();
  return left;
}

export function isDeadline(err: unknown): boolean {
  return isSamizdatError(err, 'PATH_FAILED') && err.detail.reason === 'deadline';
}

/**
 * `work`, or PATH_FAILED (reason 'deadline') once the caller's deadline passes or its signal
 * aborts, whichever comes first. `work` goes on for whoever else waits on it (a guard dial or a
 * circuit build shared by several requests): each waits only as long as its own deadline.
 */
export function withinDeadline<T>(work: Promise<T>, now: () => number, deadline: RequestDeadline): Promise<T> {
  const left = remaining(now, deadline);
  if (deadline.signal?.aborted === true) return Promise.reject(deadlinePassed());
  return new Promise<T>((resolve, reject) => {
    const fail = (): void => reject(deadlinePassed());
    const timer = setTimeout(fail, left);
    deadline.signal?.addEventListener('abort', fail, { once: true });
    work
      .then(resolve, reject)
      .finally(() => {
        clearTimeout(timer);
        deadline.signal?.removeEventListener('abort', fail);
      })
      .catch(() => undefined);
  });
}
