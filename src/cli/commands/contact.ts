/** `samizdat contact add | list | remove | rename | verify`: the profile's address book. */
import type { Contact } from '../../client/contacts.ts';
import { openAccountProfile, type ProfileDb } from '../../client/profile-db.ts';
import { acceptRequest } from '../../client/requests.ts';
import { contactSafetyCode, verifyContact, type ContactSafetyCode } from '../../client/verification.ts';
import { looksLikeSamizdatUri, parseSamizdatUri } from '../../identity/samizdat-uri.ts';
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
  summary: 'add a contact by Account ID (or samizdat: URI) under a name of your choice',
  args: 'ACCOUNT_ID_OR_URI',
  options: { name: { type: 'string', value: 'NAME', description: 'the name you will use for this contact (1-64 characters, unique)' } },
  positionals: { min: 1, max: 1 },
  details: [
    'Example: samizdat contact add sz1q... --name Alice',
    'The Account ID is checked (a typo fails its checksum). Names are unique regardless of case.',
    'A samizdat: URI (from `samizdat account show --qr`, or a scanned QR code) adds its Account ID.',
    '--json prints {"name", "accountId", "verified", "state", "addedAt"}.',
  ],
  run(ctx) {
    const name = ctx.options.name;
    if (typeof name !== 'string') throw new SamizdatError('USAGE', '`samizdat contact add` needs --name NAME');
    const id = accountIdArgument(ctx.positionals[0] ?? '');
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

/**
 * The Account ID in a `contact add` argument: the text itself, or the ID of a samizdat: URI. The
 * URI's fingerprint is not kept: `contact verify` checks the keys later.
 */
function accountIdArgument(text: string): string {
  if (!looksLikeSamizdatUri(text)) return text;
  try {
    return parseSamizdatUri(text).accountId;
  } catch (cause) {
    if (!(cause instanceof SamizdatError) || cause.code === 'INVALID_ARGUMENT') throw cause;
    throw new SamizdatError(cause.code, `not a valid samizdat: URI: ${cause.message}`, { cause, detail: cause.detail });
  }
}

/** A contact name as the user would type it in a shell. */
function shellWord(text: string): string {
  return /^[\p{L}\p{N}_.@-]+$/u.test(text) ? text : `"${text.replace(/["\\$`]/g, '\\$&')}"`;
}

function safetyCodeJson(result: ContactSafetyCode): ReturnType<typeof contactJson> & { safetyCode: string } {
  return { ...contactJson(result.contact), safetyCode: result.display };
}

export const contactVerify: CommandSpec = {
  path: ['contact', 'verify'],
  summary: 'show the safety code with a contact, or check it and mark the contact verified',
  args: 'NAME_OR_ID',
  options: {
    code: {
      type: 'string',
      value: 'CODE',
      description: 'the safety code shown on the contact\'s device (spaces ignored), or the contact\'s samizdat: URI',
    },
  },
  positionals: { min: 1, max: 1 },
  details: [
    'Without --code, prints the 60-digit safety code of your conversation with the contact. The',
    'contact\'s device shows the same code for you. Compare them in person or over a call you',
    'trust; if they match, nobody is in the middle. Then mark the contact verified by typing the',
    'code from the contact\'s screen:',
    '  samizdat contact verify Alice --code "12345 67890 ..."',
    'The code is computed from both accounts\' identity keys, so it needs the contact\'s prekey',
    'bundle: send or receive one message first.',
    '--json prints {"name", "accountId", "verified", "state", "addedAt", "safetyCode"}.',
    'A code that does not match fails (exit 1, code VERIFICATION_FAILED) and changes nothing.',
  ],
  run(ctx) {
    const ref = ctx.positionals[0] ?? '';
    const typed = ctx.options.code;
    const { keys, db } = openAccountProfile({
      dir: ctx.global.profile,
      crypto: ctx.io.crypto,
      now: ctx.io.now,
      passphrase: readPassphrase(ctx.io, ctx.global),
    });
    let result: ContactSafetyCode;
    let wasVerified: boolean;
    try {
      wasVerified = db.contacts.require(ref).verified;
      result = typeof typed === 'string'
        ? verifyContact(ctx.io.crypto, db, keys, ref, typed, ctx.io.now())
        : contactSafetyCode(ctx.io.crypto, db, keys, ref, ctx.io.now());
    } finally {
      db.close();
    }
    const { contact } = result;
    if (result.keyChanged) {
      ctx.io.stderr(`warning: ${contact.name}'s identity key differs from the one first seen; compare safety codes again\n`);
    }
    if (ctx.global.json) {
      printJson(ctx.io, safetyCodeJson(result));
    } else if (typeof typed === 'string') {
      ctx.io.stdout(`${contact.name} is ${wasVerified ? '' : 'now '}verified: the ${looksLikeSamizdatUri(typed) ? 'URI matches the keys' : 'safety code matches'}.\n`);
    } else {
      const groups = result.display.split(' ');
      const rows = [0, 4, 8].map((i) => `  ${groups.slice(i, i + 4).join(' ')}`);
      const status = contact.verified
        ? [`${contact.name} is verified.`]
        : [
            `${contact.name} is not verified. Compare this code with the one ${contact.name}'s device shows`,
            'for you, in person or over a call you trust. If they are the same, type it in:',
            `  samizdat contact verify ${shellWord(contact.name)} --code "CODE FROM THEIR SCREEN"`,
          ];
      ctx.io.stdout([`Safety code with ${contact.name} (${contact.accountId}):`, '', ...rows, '', ...status, ''].join('\n'));
    }
    return Promise.resolve(0);
  },
};
