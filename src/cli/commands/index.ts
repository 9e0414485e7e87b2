/** The command table: every `samizdat` subcommand, in the order help lists them. */
import type { CommandSpec } from '../command.ts';
import { accountCreate, accountRestore, accountShow, accountUri } from './account.ts';
import { authorityKey, authorityRun } from './authority.ts';
import { contactAdd, contactList, contactRemove, contactRename, contactVerify } from './contact.ts';
import { devnetUp } from './devnet.ts';
import { history, inbox, send, watch } from './messaging.ts';
import { blockCommand, requestsAccept, requestsDecline, requestsList, settingsSet, settingsShow, unblockCommand } from './requests.ts';
import { netPath, netStatus } from './net.ts';
import { nodeRun } from './node.ts';
import { ui } from './ui.ts';

export const COMMANDS: readonly CommandSpec[] = [
  accountCreate,
  accountRestore,
  accountShow,
  accountUri,
  contactAdd,
  contactList,
  contactRemove,
  contactRename,
  contactVerify,
  send,
  watch,
  inbox,
  history,
  requestsList,
  requestsAccept,
  requestsDecline,
  blockCommand,
  unblockCommand,
  settingsSet,
  settingsShow,
  netStatus,
  netPath,
  ui,
  devnetUp,
  nodeRun,
  authorityKey,
  authorityRun,
];
