/** `samizdat account create | restore | show`. */
import { createAccount, openAccount, restoreAccount } from '../../client/account.ts';
import { createProfileStore } from '../../client/profile-store.ts';
import { publishBundleIfOnline } from '../client-runtime.ts';
import { SamizdatError } from '../../errors.ts';
import type { CommandSpec } from '../command.ts';
import { printJson, type CommandContext } from '../io.ts';
import { readPassphrase } from '../passphrase.ts';

function deps(ctx: CommandContext) {
  return {
    crypto: ctx.io.crypto,
    store: createProfileStore({ dir: ctx.global.profile, crypto: ctx.io.crypto }),
    now: ctx.io.now,
  };
}

function warnIfUnencrypted(ctx: CommandContext, passphrase: string | undefined): void {
  if (passphrase === undefined) {
    ctx.io.stderr('note: no passphrase set, so the keys are stored unencrypted (file mode 0600); set SAMIZDAT_PASSPHRASE or use --passphrase-file to encrypt them\n');
  }
}

/** Numbers the words in rows of four, so a person can copy them down without losing their place. */
function formatPhrase(phrase: string): string {
  const words = phrase.split(' ');
  const lines: string[] = [];
  for (let i = 0; i < words.length; i += 4) {
    lines.push(words.slice(i, i + 4).map((w, j) => `${String(i + j + 1).padStart(2)}. ${w.padEnd(10)}`).join(' ').trimEnd());
  }
  return lines.map((l) => `  ${l}`).join('\n');
}

export const accountCreate: CommandSpec = {
  path: ['account', 'create'],
  summary: 'create a new account and print its Account ID and recovery phrase',
  options: {},
  positionals: { min: 0, max: 0 },
  details: [
    'The keys are stored in the profile directory (files mode 0600), encrypted with Argon2id and',
    'AES-256-GCM when a passphrase is given via SAMIZDAT_PASSPHRASE or --passphrase-file.',
    '--json prints {"accountId": "...", "recoveryPhrase": "word word ..."}.',
  ],
  async run(ctx) {
    const passphrase = readPassphrase(ctx.io, ctx.global);
    const account = createAccount(deps(ctx), passphrase);
    if (ctx.global.json) {
      printJson(ctx.io, { accountId: account.accountId, recoveryPhrase: account.recoveryPhrase });
    } else {
      ctx.io.stdout(
        [
          `Account created in ${ctx.global.profile}`,
          '',
          `Account ID: ${account.accountId}`,
          '',
          'Recovery phrase: write these 24 words down and keep them secret. They are the only way',
          'to restore this account on a new device; anyone who has them can read your messages.',
          formatPhrase(account.recoveryPhrase),
          '',
        ].join('\n'),
      );
    }
    warnIfUnencrypted(ctx, passphrase);
    await publishBundleIfOnline(ctx);
    return 0;
  },
};

export const accountRestore: CommandSpec = {
  path: ['account', 'restore'],
  summary: 'recreate an account from its 24-word recovery phrase, read from standard input',
  options: {},
  positionals: { min: 0, max: 0 },
  details: ['Example: samizdat account restore --profile ~/.samizdat/phone < phrase.txt'],
  async run(ctx) {
    const passphrase = readPassphrase(ctx.io, ctx.global);
    if (ctx.io.stdinIsTerminal) ctx.io.stderr('Type or paste your 24-word recovery phrase, then press Enter:\n');
    const phrase = await ctx.io.readStdin();
    if (phrase.trim() === '') throw new SamizdatError('BAD_PHRASE', 'no recovery phrase was given on standard input');
    const { accountId } = restoreAccount(deps(ctx), phrase, passphrase);
    if (ctx.global.json) printJson(ctx.io, { accountId });
    else ctx.io.stdout(`Account restored in ${ctx.global.profile}\nAccount ID: ${accountId}\n`);
    warnIfUnencrypted(ctx, passphrase);
    await publishBundleIfOnline(ctx);
    return 0;
  },
};

export const accountShow: CommandSpec = {
  path: ['account', 'show'],
  summary: 'print the Account ID of the profile',
  options: {},
  positionals: { min: 0, max: 0 },
  details: ['--json prints {"accountId": "..."}.'],
  run(ctx) {
    const keys = openAccount(deps(ctx), readPassphrase(ctx.io, ctx.global));
    if (ctx.global.json) printJson(ctx.io, { accountId: keys.accountId });
    else ctx.io.stdout(`Account ID: ${keys.accountId}\n`);
    return Promise.resolve(0);
  },
};
