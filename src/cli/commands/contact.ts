/** `samizdat contact add | list | remove | rename`: the profile's address book. */
import type { Contact } from '../../client/contacts.ts';
import { openAccountProfile, type ProfileDb } from '../../client/profile-db.ts';
import { acceptRequest } from '../../client/requests.ts';
import { SamizdatError } from '../../errors.ts';
import type { CommandSpec } from '../command.ts';
import { printJson, type CommandContext } from '../io.ts';
import { readPassphrase } from '../passphrase.ts';

/** Opens the profile's account and database, runs `fn`, and always closes the database. */
function withProfileDb<T>(ctx: CommandContext, fn: (db: ProfileDb) => T): T {
  const { db } = openAccountProfile({
    dir: ctx.global.profile,
    crypto: ctx.io.crypto,
    now: ctx.io.now,
    passphrase: readPassphrase(ctx.io, ctx.global),
  });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** The stable `--json` form of a contact. */
function contactJson(c: Contact): { name: string; accountId: string; verified: boolean; state: string; addedAt: number } {
  return { name: c.name, accountId: c.accountId, verified: c.verified, state: c.state, addedAt: c.addedAt };
}

export const contactAdd: CommandSpec = {
  path: ['contact', 'add'],
  summary: 'add a contact by Account ID under a name of your choice',
  args: 'ACCOUNT_ID',
  options: { name: { type: 'string', value: 'NAME', description: 'the name you will use for this contact (1-64 characters, unique)' } },
  positionals: { min: 1, max: 1 },
  details: [
    'Example: samizdat contact add sz1q... --name Alice',
    'The Account ID is checked (a typo fails its checksum). Names are unique regardless of case.',
    '--json prints {"name", "accountId", "verified", "state", "addedAt"}.',
  ],
  run(ctx) {
    const name = ctx.options.name;
    if (typeof name !== 'string') throw new SamizdatError('USAGE', '`samizdat contact add` needs --name NAME');
    const id = ctx.positionals[0] ?? '';
    const contact = withProfileDb(ctx, (db) => {
      // Someone who wrote first is a pending request: adding them accepts it under this name.
      const pending = db.contacts.get(id);
      return pending?.state === 'request' ? acceptRequest(db, pending.identityKey, name) : db.contacts.add(id, name);
    });
    if (ctx.global.json) printJson(ctx.io, contactJson(contact));
    else ctx.io.stdout(`Added ${contact.name} (${contact.accountId})\n`);
    return Promise.resolve(0);
  },
};

export const contactList: CommandSpec = {
  path: ['contact', 'list'],
  summary: 'list your contacts',
  options: {},
  positionals: { min: 0, max: 0 },
  details: ['--json prints an array of {"name", "accountId", "verified", "state", "addedAt"}, sorted by name.'],
  run(ctx) {
    const contacts = withProfileDb(ctx, (db) => db.contacts.list());
    if (ctx.global.json) {
      printJson(ctx.io, contacts.map(contactJson));
    } else if (contacts.length === 0) {
      ctx.io.stdout('No contacts yet; add one with `samizdat contact add ACCOUNT_ID --name NAME`.\n');
    } else {
      const width = Math.max(...contacts.map((c) => [...c.name].length));
      const lines = contacts.map((c) => {
        const pad = ' '.repeat(width - [...c.name].length);
        const flags = [c.verified ? 'verified' : 'unverified', ...(c.state === 'accepted' ? [] : [c.state])].join(', ');
        return `${c.name}${pad}  ${c.accountId}  ${flags}\n`;
      });
      ctx.io.stdout(lines.join(''));
    }
    return Promise.resolve(0);
  },
};

export const contactRemove: CommandSpec = {
  path: ['contact', 'remove'],
  summary: 'remove a contact, named by its name or Account ID',
  args: 'NAME_OR_ID',
  options: {},
  positionals: { min: 1, max: 1 },
  details: ['--json prints the removed contact.'],
  run(ctx) {
    const removed = withProfileDb(ctx, (db) => db.contacts.remove(ctx.positionals[0] ?? ''));
    if (ctx.global.json) printJson(ctx.io, contactJson(removed));
    else ctx.io.stdout(`Removed ${removed.name} (${removed.accountId})\n`);
    return Promise.resolve(0);
  },
};

export const contactRename: CommandSpec = {
  path: ['contact', 'rename'],
  summary: 'give a contact a new name',
  args: 'NAME_OR_ID NEW_NAME',
  options: {},
  positionals: { min: 2, max: 2 },
  details: ['--json prints the renamed contact.'],
  run(ctx) {
    const [ref = '', newName = ''] = ctx.positionals;
    const { before, after } = withProfileDb(ctx, (db) =>
      db.transaction(() => ({ before: db.contacts.require(ref), after: db.contacts.rename(ref, newName) })),
    );
    if (ctx.global.json) printJson(ctx.io, contactJson(after));
    else ctx.io.stdout(`Renamed ${before.name} to ${after.name}\n`);
    return Promise.resolve(0);
  },
};
