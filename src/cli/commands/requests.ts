/** `samizdat requests | requests accept | requests decline | block | unblock | settings`. */
import type { Contact } from '../../client/contacts.ts';
import { openAccountProfile, type ProfileDb } from '../../client/profile-db.ts';
import { block, declineRequest, listRequests, requestsEnabled, setRequestsEnabled, unblock } from '../../client/requests.ts';
import { SamizdatError } from '../../errors.ts';
import { openClientRuntime } from '../client-runtime.ts';
import type { CommandSpec } from '../command.ts';
import { printJson, type CommandContext } from '../io.ts';
import { readPassphrase } from '../passphrase.ts';

function withDb<T>(ctx: CommandContext, fn: (db: ProfileDb) => T): T {
  const { db } = openAccountProfile({ dir: ctx.global.profile, crypto: ctx.io.crypto, now: ctx.io.now, passphrase: readPassphrase(ctx.io, ctx.global) });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function requestJson(db: ProfileDb, c: Contact): Record<string, unknown> {
  const messages = db.messages.list(c.identityKey).filter((m) => m.direction === 'in');
  return { accountId: c.accountId, name: c.name, messages: messages.map((m) => ({ id: m.id, text: m.text, sentAt: m.sentAt, receivedAt: m.receivedAt })) };
}

export const requestsList: CommandSpec = {
  path: ['requests'],
  summary: 'list message requests: first messages from accounts that are not your contacts',
  options: {},
  positionals: { min: 0, max: 0 },
  details: [
    'Reads the local store; run `samizdat inbox` (or keep `watch` running) to fetch new messages.',
    'Until you accept, requests are text only and nothing is sent back (no receipts, no sign you are online).',
    '--json prints an array of {"accountId", "name", "messages": [{"id", "text", "sentAt", "receivedAt"}]}.',
  ],
  run(ctx) {
    const out = withDb(ctx, (db) => listRequests(db).map((c) => requestJson(db, c)));
    if (ctx.global.json) printJson(ctx.io, out);
    else if (out.length === 0) ctx.io.stdout(`no message requests${''}\n`);
    else {
      for (const r of out) {
        ctx.io.stdout(`${String(r.accountId)}\n`);
        for (const m of r.messages as { text: string; sentAt: number }[]) ctx.io.stdout(`  ${new Date(m.sentAt).toISOString()}  ${m.text}\n`);
      }
      ctx.io.stdout('accept with `samizdat requests accept ACCOUNT_ID --name NAME`, or decline / block\n');
    }
    return Promise.resolve(0);
  },
};

export const requestsAccept: CommandSpec = {
  path: ['requests', 'accept'],
  summary: 'accept a message request (and tell the requester)',
  args: 'ACCOUNT_ID',
  options: { name: { type: 'string', value: 'NAME', description: 'the name to give the new contact' } },
  positionals: { min: 1, max: 1 },
  details: ['--json prints {"name", "accountId", "state"}.'],
  async run(ctx) {
    const name = typeof ctx.options.name === 'string' ? ctx.options.name : undefined;
    const runtime = await openClientRuntime(ctx);
    let contact: Contact;
    try {
      await runtime.messenger.prepare();
      contact = await runtime.messenger.accept(ctx.positionals[0] ?? '', name);
    } finally {
      await runtime.close();
    }
    if (ctx.global.json) printJson(ctx.io, { name: contact.name, accountId: contact.accountId, state: contact.state });
    else ctx.io.stdout(`accepted ${contact.name} (${contact.accountId}); they have been told\n`);
    return 0;
  },
};

export const requestsDecline: CommandSpec = {
  path: ['requests', 'decline'],
  summary: 'decline a message request: its messages are deleted (a later message makes a new request)',
  args: 'ACCOUNT_ID',
  options: {},
  positionals: { min: 1, max: 1 },
  run(ctx) {
    const declined = withDb(ctx, (db) => declineRequest(db, ctx.positionals[0] ?? ''));
    if (ctx.global.json) printJson(ctx.io, { accountId: declined.accountId, declined: true });
    else ctx.io.stdout(`declined the request from ${declined.accountId}\n`);
    return Promise.resolve(0);
  },
};

export const blockCommand: CommandSpec = {
  path: ['block'],
  summary: "block an account: its messages are deleted unread and never shown",
  args: 'NAME_OR_ID',
  options: {},
  positionals: { min: 1, max: 1 },
  details: ['Works for contacts, requests and any Account ID. --json prints {"name", "accountId", "state"}.'],
  run(ctx) {
    const blocked = withDb(ctx, (db) => block(ctx.io.crypto, db, ctx.positionals[0] ?? ''));
    if (ctx.global.json) printJson(ctx.io, { name: blocked.name, accountId: blocked.accountId, state: blocked.state });
    else ctx.io.stdout(`blocked ${blocked.name} (${blocked.accountId})\n`);
    return Promise.resolve(0);
  },
};

export const unblockCommand: CommandSpec = {
  path: ['unblock'],
  summary: 'unblock an account (a contact you wrote to becomes a contact again; anyone else a request)',
  args: 'NAME_OR_ID',
  options: {},
  positionals: { min: 1, max: 1 },
  run(ctx) {
    const contact = withDb(ctx, (db) => unblock(db, ctx.positionals[0] ?? ''));
    if (ctx.global.json) printJson(ctx.io, { name: contact.name, accountId: contact.accountId, state: contact.state });
    else ctx.io.stdout(`unblocked ${contact.name} (now: ${contact.state})\n`);
    return Promise.resolve(0);
  },
};

export const settingsSet: CommandSpec = {
  path: ['settings', 'set'],
  summary: 'change a setting: `settings set requests off` refuses every message from non-contacts',
  args: 'NAME VALUE',
  options: {},
  positionals: { min: 2, max: 2 },
  details: ['Settings: requests on|off (default on).'],
  run(ctx) {
    const [name = '', value = ''] = ctx.positionals;
    if (name !== 'requests') throw new SamizdatError('USAGE', `unknown setting "${name}" (known: requests)`);
    if (value !== 'on' && value !== 'off') throw new SamizdatError('USAGE', 'requests must be on or off');
    withDb(ctx, (db) => setRequestsEnabled(db, value === 'on'));
    if (ctx.global.json) printJson(ctx.io, { requests: value });
    else ctx.io.stdout(value === 'off' ? 'requests off: messages from accounts that are not your contacts are dropped\n' : 'requests on\n');
    return Promise.resolve(0);
  },
};

export const settingsShow: CommandSpec = {
  path: ['settings', 'show'],
  summary: 'show the settings',
  options: {},
  positionals: { min: 0, max: 0 },
  run(ctx) {
    const requests = withDb(ctx, (db) => (requestsEnabled(db) ? 'on' : 'off'));
    if (ctx.global.json) printJson(ctx.io, { requests });
    else ctx.io.stdout(`requests ${requests}\n`);
    return Promise.resolve(0);
  },
};
