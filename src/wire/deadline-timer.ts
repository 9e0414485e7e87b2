/**
 * Deadlines of many in-flight requests on one Node timer, set for the earliest of them. A timer
 * per request, cleared when the answer comes, costs a relay a setTimeout and a clearTimeout on
 * every message, and since each request has its own duration (what is left of its budget) each
 * also makes and drops a Node timer list. Here adding and removing a deadline is a Set operation;
 * the timer is set again only for a deadline earlier than the one it waits for, and when it fires
 * it runs what is due and waits for the next. While no deadline is pending the timer does not
 * keep the process alive, as a cleared one would not.
 */

export interface Deadline {
  /** performance.now() at which `expire` runs. */
  readonly at: number;
  readonly expire: () => void;
}

export class DeadlineTimer {
  private readonly pending = new Set<Deadline>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;

  get size(): number {
    return this.pending.size;
  }

  /** Whether the timer keeps the process alive (only while a deadline is pending). */
  get holdsProcess(): boolean {
    return this.timer?.hasRef() ?? false;
  }

  /** Runs `expire` once `timeoutMs` have passed, unless `remove` comes first. */
  add(timeoutMs: number, expire: () => void): Deadline {
    const deadline: Deadline = { at: performance.now() + timeoutMs, expire };
    this.pending.add(deadline);
    this.arm(deadline.at);
    if (this.pending.size === 1) this.timer?.ref();
    return deadline;
  }

  /** Forgets `deadline` (its request was answered); false when it had already expired or gone. */
  remove(deadline: Deadline): boolean {
    const removed = this.pending.delete(deadline);
    if (this.pending.size === 0) this.timer?.unref();
    return removed;
  }

  /** Forgets every deadline and the timer. */
  clear(): void {
    this.pending.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private arm(at: number): void {
    if (at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    // Node runs a timer on its loop's millisecond clock, possibly a little before `at`: fire()
    // then finds nothing due and waits again.
    this.timer = setTimeout(() => this.fire(), Math.max(1, Math.ceil(at - performance.now())));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    const due: Deadline[] = [];
    let next = Infinity;
    for (const deadline of this.pending) {
      if (deadline.at <= now) due.push(deadline);
      else if (deadline.at < next) next = deadline.at;
    }
    for (const deadline of due) this.pending.delete(deadline);
    // Set for the next one before running these, whatever they do.
    if (next !== Infinity) this.arm(next);
    for (const deadline of due) deadline.expire();
  }
}
