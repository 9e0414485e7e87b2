/** Help text, generated from the command table so it cannot drift from what is accepted. */
import { GLOBAL_OPTIONS } from './args.ts';
import type { CommandSpec, OptionSpec } from './command.ts';

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short === undefined ? '' : `-${spec.short}, `}--${name}${spec.value === undefined ? '' : ` ${spec.value}`}`;
    return [flag, spec.description] as const;
  });
  const width = Math.max(0, ...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
}

export function generalHelp(commands: readonly CommandSpec[]): string {
  const rows = commands.map((c) => [`${c.path.join(' ')}${c.args === undefined ? '' : ` ${c.args}`}`, c.summary] as const);
  const width = Math.max(...rows.map(([u]) => u.length));
  return [
    'samizdat: an end-to-end encrypted, onion-routed messenger with no phone number and no central server',
    '',
    'Usage: samizdat [global options] COMMAND [options]',
    '',
    'Commands:',
    ...rows.map(([u, s]) => `  ${u.padEnd(width)}  ${s}`),
    '',
    'Global options (before or after the command):',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Exit codes: 0 success, 1 error (one line saying why), 2 bad usage.',
    'Run `samizdat COMMAND --help` for a command\'s own options.',
    '',
  ].join('\n');
}

export function commandHelp(command: CommandSpec): string {
  const own = Object.keys(command.options).length > 0 ? ['', 'Options:', ...optionLines(command.options)] : [];
  return [
    `Usage: samizdat ${command.path.join(' ')}${command.args === undefined ? '' : ` ${command.args}`} [options]`,
    '',
    command.summary,
    ...(command.details === undefined ? [] : ['', ...command.details]),
    ...own,
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
  ].join('\n');
}
