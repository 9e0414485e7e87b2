/**
 * A devnet member as a separate OS process: `samizdat <role> run --json ...`. Its standard error
 * (JSON log lines) goes to a log file; its standard output carries one JSON line
 * {"event":"ready","peerId":...,"addresses":[...]} once it serves. Stopping sends SIGTERM and,
 * if the process has not exited after a grace period, SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SamizdatError } from '../errors.ts';
import { SERVICE_NODE_V8_FLAGS } from '../node/heap-flags.ts';

/** How long a member may take to exit after SIGTERM before it is killed. */
export const STOP_GRACE_MS = 5_000;

export interface ReadyInfo {
  readonly peerId: string;
  readonly addresses: readonly string[];
}

export interface ChildMember {
  readonly name: string;
  readonly process: ChildProcess;
  /** Resolves with the ready line; rejects if the process exits first or `timeoutMs` passes. */
  readonly ready: Promise<ReadyInfo>;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  stop(): Promise<void>;
}

const BIN = path.resolve(import.meta.dirname, '../../bin/samizdat.js');

export function spawnMember(name: string, args: readonly string[], logFile: string, timeoutMs: number): ChildMember {
  const child = spawn(process.execPath, [...SERVICE_NODE_V8_FLAGS, BIN, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stderr.pipe(log);
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const ready = new Promise<ReadyInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SamizdatError('PATH_FAILED', `${name} did not start within ${timeoutMs} ms; see ${logFile}`)), timeoutMs);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: unknown; peerId?: unknown; addresses?: unknown };
        if (event.event === 'ready' && typeof event.peerId === 'string' && Array.isArray(event.addresses)) {
          clearTimeout(timer);
          resolve({ peerId: event.peerId, addresses: event.addresses.filter((a): a is string => typeof a === 'string') });
        }
      } catch {
        // not a JSON line: ignore
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new SamizdatError('PATH_FAILED', `${name} exited (${code}) before it was ready; see ${logFile}`));
    });
  });
  ready.catch(() => undefined);
  return {
    name,
    process: child,
    ready,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
      log.end();
    },
  };
}
