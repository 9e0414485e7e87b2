/** Runs the real `samizdat` binary (bin/samizdat.js) as a child process, as a user would. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '../../bin/samizdat.js');
/**
 * HOME for the child unless a test sets one: an empty directory, so a developer's own
 * ~/.samizdat (a devnet left running, say) never leaks into a test. Removed when the test
 * process exits (each test file is its own process), so runs do not pile them up in the temp dir.
 */
const SCRATCH_HOME = mkdtempSync(path.join(tmpdir(), 'samizdat-cli-home-'));
process.once('exit', () => rmSync(SCRATCH_HOME, { recursive: true, force: true }));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, HOME: SCRATCH_HOME, SAMIZDAT_PASSPHRASE: undefined, ...options.env };
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Asserts the shape every user-facing error must have: one line, no stack trace. */
export function isOneLineError(stderr: string): boolean {
  const lines = stderr.trimEnd().split('\n').filter((l) => !l.startsWith('note:'));
  return lines.length === 1 && !/\bat .*:\d+:\d+/.test(stderr) && lines[0]?.startsWith('samizdat: ') === true;
}
