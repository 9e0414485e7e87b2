/**
 * `samizdat` command-line entry. `main` returns the exit code: 0 success, 1 a user-facing error
 * (one line, never a stack trace), 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { parseCommandLine } from './args.ts';
import { COMMANDS } from './commands/index.ts';
import { commandHelp, generalHelp } from './help.ts';
import type { CliIo, GlobalOptions } from './io.ts';

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

async function readAllStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input: process.stdin, terminal: false });
    try {
      for await (const line of rl) return line;
      return '';
    } finally {
      rl.close();
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The real process's I/O. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: readAllStdin,
    stdinIsTerminal: process.stdin.isTTY,
    env: process.env,
    homeDir: os.homedir(),
    crypto: createNodeCryptoProvider(),
    now: () => Date.now(),
    shutdownSignal: () =>
      new Promise((resolve) => {
        const on = (signal: string): void => {
          process.off('SIGINT', on);
          process.off('SIGTERM', on);
          resolve(signal);
        };
        process.on('SIGINT', on);
        process.on('SIGTERM', on);
      }),
  };
}

function globalOptions(io: CliIo, values: Readonly<Record<string, string | boolean | undefined>>): GlobalOptions {
  const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
  return {
    profile: path.resolve(str(values.profile) ?? path.join(io.homeDir, '.samizdat', 'profile')),
    network: str(values.network),
    json: values.json === true,
    passphraseFile: str(values['passphrase-file']),
  };
}

function reportError(io: CliIo, json: boolean, err: SamizdatError): void {
  if (json) io.stderr(`${JSON.stringify({ error: { code: err.code, message: err.message } })}\n`);
  else io.stderr(`samizdat: ${err.message}\n`);
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const json = argv.includes('--json');
  try {
    const parsed = parseCommandLine(argv, COMMANDS);
    if (parsed.values.version === true) {
      io.stdout(`samizdat ${PACKAGE_VERSION}\n`);
      return 0;
    }
    if (parsed.command === undefined) {
      if (parsed.words.length > 0) {
        throw new SamizdatError('USAGE', `unknown command \`${parsed.words.join(' ')}\`; see \`samizdat --help\``);
      }
      io.stdout(generalHelp(COMMANDS));
      return 0;
    }
    if (parsed.values.help === true) {
      io.stdout(commandHelp(parsed.command));
      return 0;
    }
    return await parsed.command.run({
      io,
      global: globalOptions(io, parsed.values),
      options: parsed.values,
      positionals: parsed.positionals,
    });
  } catch (err) {
    if (isSamizdatError(err)) {
      reportError(io, json, err);
      return err.code === 'USAGE' ? 2 : 1;
    }
    const message = err instanceof Error ? err.message : String(err);
    reportError(io, json, new SamizdatError('INTERNAL', `unexpected error: ${message}`));
    if (io.env.SAMIZDAT_DEBUG === '1' && err instanceof Error && err.stack !== undefined) io.stderr(`${err.stack}\n`);
    return 1;
  }
}
