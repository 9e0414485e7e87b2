/** The command table: every `samizdat` subcommand, in the order help lists them. */
import type { CommandSpec } from '../command.ts';
import { accountCreate, accountRestore, accountShow } from './account.ts';

export const COMMANDS: readonly CommandSpec[] = [accountCreate, accountRestore, accountShow];
