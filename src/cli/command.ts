/** The shape of a CLI command and the table lookup used by the parser and the help text. */
import type { CommandContext } from './io.ts';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly description: string;
  /** Placeholder shown in help for string options, e.g. "DIR". */
  readonly value?: string;
}

export interface CommandSpec {
  /** Words that select the command, e.g. ["account", "create"]. */
  readonly path: readonly string[];
  readonly summary: string;
  /** Positional arguments shown in help, e.g. "NAME_OR_ID TEXT". */
  readonly args?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Lines of detail for `samizdat help COMMAND`. */
  readonly details?: readonly string[];
  /** How many positionals the command takes (checked before run). */
  readonly positionals: { readonly min: number; readonly max: number };
  run(ctx: CommandContext): Promise<number>;
}
