/**
 * Command-line parsing: global options are accepted anywhere (before or after the subcommand);
 * the command's own options are checked strictly, so a typo is a usage error (exit code 2).
 */
import { parseArgs } from 'node:util';
import { SamizdatError } from '../errors.ts';
import type { CommandSpec, OptionSpec } from './command.ts';

export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  profile: { type: 'string', value: 'DIR', description: 'profile directory (default ~/.samizdat/profile)' },
  network: { type: 'string', value: 'FILE', description: 'network file (default: the local devnet\'s)' },
  json: { type: 'boolean', description: 'print stable JSON instead of text' },
  'passphrase-file': { type: 'string', value: 'FILE', description: 'read the profile passphrase from FILE (or set SAMIZDAT_PASSPHRASE)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
  version: { type: 'boolean', description: 'show the version' },
};

export interface ParsedCommandLine {
  /** The matched command, or undefined for bare `samizdat` / `--help` / `--version`. */
  readonly command: CommandSpec | undefined;
  /** Leading words that did not match a command (for a helpful error). */
  readonly words: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

function usage(message: string): SamizdatError {
  return new SamizdatError('USAGE', message);
}

/** Finds the command named by the leading words of argv, skipping global options. */
function matchCommand(argv: readonly string[], commands: readonly CommandSpec[]): { command: CommandSpec | undefined; words: string[] } {
  const words: string[] = [];
  let best: { command: CommandSpec; words: string[] } | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      const name = arg.replace(/^--?/, '').split('=')[0] ?? '';
      const spec = GLOBAL_OPTIONS[name];
      if (spec?.type === 'string' && !arg.includes('=')) i++;
      continue;
    }
    words.push(arg);
    const exact = commands.find((c) => c.path.length === words.length && c.path.every((w, j) => w === words[j]));
    // The longest match wins: `requests accept ID` is `requests accept`, not `requests` with positionals.
    if (exact !== undefined) best = { command: exact, words: [...words] };
    if (!commands.some((c) => c.path.length > words.length && words.every((w, j) => c.path[j] === w))) break;
  }
  return best ?? { command: undefined, words };
}

function toParseArgsOptions(specs: Readonly<Record<string, OptionSpec>>): Record<string, { type: 'string' | 'boolean'; short?: string }> {
  const out: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    out[name] = spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short };
  }
  return out;
}

/** Parses argv against the command table; USAGE errors for unknown options or commands. */
export function parseCommandLine(argv: readonly string[], commands: readonly CommandSpec[]): ParsedCommandLine {
  const { command, words } = matchCommand(argv, commands);
  const specs = { ...GLOBAL_OPTIONS, ...(command?.options ?? {}) };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: toParseArgsOptions(specs), strict: true, allowPositionals: true });
  } catch (cause) {
    const text = cause instanceof Error ? cause.message.split('\n')[0] ?? '' : String(cause);
    throw usage(text.replace(/\. To specify a positional.*$/, ''));
  }
  const positionals = parsed.positionals.slice(command?.path.length ?? 0);
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (command === undefined) return { command, words, values, positionals };
  if (values.help !== true && (positionals.length < command.positionals.min || positionals.length > command.positionals.max)) {
    const shape = command.args === undefined ? 'no arguments' : command.args;
    throw usage(`\`samizdat ${command.path.join(' ')}\` takes ${shape}; see \`samizdat ${command.path.join(' ')} --help\``);
  }
  return { command, words, values, positionals };
}
