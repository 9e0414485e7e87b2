/** What a CLI command may touch of the outside world, injected so tests run commands in-process. */
import type { CryptoProvider } from '../crypto/provider.ts';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads all of standard input (or one line from a terminal) as text. */
  readonly readStdin: () => Promise<string>;
  readonly stdinIsTerminal: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  /** Resolves with the signal name on the first SIGINT or SIGTERM (for long-running commands). */
  readonly shutdownSignal: () => Promise<string>;
}

/** Options that every command accepts, before or after the subcommand. */
export interface GlobalOptions {
  readonly profile: string;
  readonly network: string | undefined;
  readonly json: boolean;
  readonly passphraseFile: string | undefined;
}

/** Everything a command's `run` receives. */
export interface CommandContext {
  readonly io: CliIo;
  readonly global: GlobalOptions;
  /** The command's own options (strings or booleans), already validated against its spec. */
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** Writes one JSON document (a line) to standard output. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value)}\n`);
}
