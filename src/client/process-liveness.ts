/**
 * Whether the process that started a send is still running. A profile is shared by the processes
 * of one machine (a `watch` in one terminal, a `send` in another, the web UI), so a message left in
 * state 'sending' may belong to a live process that is still delivering it, or to one that
 * crashed. Time cannot tell them apart: paying a stranger's proof of work may take minutes. The
 * process can: a ProcessMark names it by its process ID and, on Linux, by its start time and the
 * boot it belongs to, so a later process that reuses the ID is not mistaken for it, and by its PID
 * namespace, since a process in a container and one outside it (sharing the profile directory)
 * cannot look up each other's IDs. A process that has exited but not been reaped (a zombie) has
 * ended.
 *
 * Where the mark cannot be checked (another PID namespace; a reused ID off Linux, where there is no
 * start time to compare) the process counts as alive: the send is left to its owner. The outbox's
 * age limit (OUTBOX_MAX_AGE_MS) ends such a send in state 'failed' once it is too old to deliver.
 */
import { readFileSync, readlinkSync } from 'node:fs';

export interface ProcessMark {
  readonly pid: number;
  /** The process's start (boot ID and start time in clock ticks) on Linux; '' where unknown. */
  readonly started: string;
  /** Its PID namespace (`pid:[INODE]`) on Linux; '' where unknown (and in marks written before it was kept). */
  readonly namespace: string;
}

/** Whether two marks name the same process. */
export function sameProcess(a: ProcessMark, b: ProcessMark): boolean {
  return a.pid === b.pid && a.started === b.started && a.namespace === b.namespace;
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
function statOf(pid: number): { readonly started: string; readonly ended: boolean } | undefined {
  const boot = readText('/proc/sys/kernel/random/boot_id')?.trim();
  const stat = readText(`/proc/${pid}/stat`);
  if (boot === undefined || stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state: Z a zombie, X dead), so field 22 is fields[19].
  const start = fields[19];
  if (start === undefined || !/^\d+$/.test(start)) return undefined;
  return { started: `${boot}:${start}`, ended: fields[0] === 'Z' || fields[0] === 'X' };
}

/** This process's PID namespace on Linux (`pid:[4026531836]`), or '' where /proc does not say. */
function ownNamespace(): string {
  try {
    const link = readlinkSync('/proc/self/ns/pid');
    return /^pid:\[\d+\]$/.test(link) ? link : '';
  } catch {
    return '';
  }
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
  const self: ProcessMark = { pid: process.pid, started: statOf(process.pid)?.started ?? '', namespace: ownNamespace() };
  return {
    self,
    isAlive(mark) {
      if (!Number.isSafeInteger(mark.pid) || mark.pid <= 0) return false;
      // Another PID namespace: its IDs mean other processes here, so nothing can be checked.
      if (mark.namespace !== '' && self.namespace !== '' && mark.namespace !== self.namespace) return true;
      if (mark.pid === self.pid) return mark.started === self.started;
      if (!pidExists(mark.pid)) return false;
      const stat = statOf(mark.pid);
      if (stat?.ended === true) return false;
      if (mark.started === '') return true; // nothing more to compare
      return stat === undefined || stat.started === mark.started;
    },
  };
}
