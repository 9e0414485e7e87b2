/**
 * Whether the process that started a send is still running. A profile is shared by the processes
 * of one machine (a `watch` in one terminal, a `send` in another, the web UI), so a message left in
 * state 'sending' may belong to a live process that is still delivering it, or to one that
 * crashed. Time cannot tell them apart: paying a stranger's proof of work may take minutes. The
 * process can: a ProcessMark names it by its process ID and, on Linux, by its start time and the
 * boot it belongs to, so a later process that reuses the ID is not mistaken for it.
 */
import { readFileSync } from 'node:fs';

export interface ProcessMark {
  readonly pid: number;
  /** The process's start (boot ID and start time in clock ticks) on Linux; '' where unknown. */
  readonly started: string;
}

export interface ProcessLiveness {
  /** This process. */
  readonly self: ProcessMark;
  /** False when the marked process has ended (or its ID now belongs to another process). */
  isAlive(mark: ProcessMark): boolean;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The start mark of process `pid` on Linux: the boot ID and field 22 of /proc/PID/stat (start
 * time after boot, in clock ticks), read after the last ')' since the command name may hold
 * spaces and parentheses. Undefined when /proc does not have it.
 */
function startedOf(pid: number): string | undefined {
  const boot = readText('/proc/sys/kernel/random/boot_id')?.trim();
  const stat = readText(`/proc/${pid}/stat`);
  if (boot === undefined || stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const start = fields[19];
  return start === undefined || !/^\d+$/.test(start) ? undefined : `${boot}:${start}`;
}

/** Whether a process with this ID exists (signal 0 checks without sending anything). */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The liveness of this machine's processes. */
export function createProcessLiveness(): ProcessLiveness {
  const self: ProcessMark = { pid: process.pid, started: startedOf(process.pid) ?? '' };
  return {
    self,
    isAlive(mark) {
      if (!Number.isSafeInteger(mark.pid) || mark.pid <= 0) return false;
      if (mark.pid === self.pid) return mark.started === self.started;
      if (!pidExists(mark.pid)) return false;
      if (mark.started === '') return true; // nothing more to compare
      const started = startedOf(mark.pid);
      return started === undefined || started === mark.started;
    },
  };
}
