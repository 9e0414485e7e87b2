/** `samizdat account create | restore | show | uri`. */
import { createAccount, openAccount, restoreAccount } from '../../client/account.ts';
import { createProfileStore } from '../../client/profile-store.ts';
import { publishBundleIfOnline } from '../client-runtime.ts';
import { SamizdatError } from '../../errors.ts';
import type { AccountKeys } from '../../identity/account-keys.ts';
import { encodeSamizdatUri } from '../../identity/samizdat-uri.ts';
import type { CommandSpec } from '../command.ts';
import { printJson, type CommandContext } from '../io.ts';
import { readPassphrase } from '../passphrase.ts';
import { renderQrTerminal } from '../qr-terminal.ts';

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

/** The options that draw the samizdat: URI as a QR code. */
const QR_OPTIONS = {
  qr: { type: 'boolean', description: 'also print your samizdat: URI as a QR code, for a contact to scan' },
  'light-background': { type: 'boolean', description: 'draw the QR code for dark text on a light background' },
} as const;

function accountUriOf(ctx: CommandContext, keys: AccountKeys): string {
  return encodeSamizdatUri(ctx.io.crypto, keys.identityPublicKey, keys.mailboxX25519.publicKey);
}

function printQr(ctx: CommandContext, uri: string): void {
  ctx.io.stdout(`\n${renderQrTerminal(uri, { terminal: ctx.options['light-background'] === true ? 'light' : 'dark' })}\n`);
}

const URI_DETAILS = [
  'The samizdat: URI is your Account ID plus a fingerprint of your identity keys:',
  '  samizdat:sz1q...?fp=...',
  'A contact adds you with `samizdat contact add URI --name NAME` (or scans the QR code), and can',
  'use it with `samizdat contact verify NAME --code URI` to check your keys.',
  'The QR code is drawn for light text on a dark background; add --light-background otherwise.',
];

export const accountShow: CommandSpec = {
  path: ['account', 'show'],
  summary: 'print the Account ID of the profile (--qr: and its samizdat: URI as a QR code)',
  options: QR_OPTIONS,
  positionals: { min: 0, max: 0 },
  details: ['--json prints {"accountId": "..."}, with --qr {"accountId": "...", "uri": "samizdat:..."}.', ...URI_DETAILS],
  run(ctx) {
    const keys = openAccount(deps(ctx), readPassphrase(ctx.io, ctx.global));
    const qr = ctx.options.qr === true;
    if (ctx.global.json) {
      printJson(ctx.io, qr ? { accountId: keys.accountId, uri: accountUriOf(ctx, keys) } : { accountId: keys.accountId });
    } else {
      ctx.io.stdout(`Account ID: ${keys.accountId}\n`);
      if (qr) {
        const uri = accountUriOf(ctx, keys);
        ctx.io.stdout(`URI: ${uri}\n`);
        printQr(ctx, uri);
      }
    }
    return Promise.resolve(0);
  },
};

export const accountUri: CommandSpec = {
  path: ['account', 'uri'],
  summary: 'print the samizdat: URI of the profile (--qr: also as a QR code)',
  options: QR_OPTIONS,
  positionals: { min: 0, max: 0 },
  details: ['Prints only the URI (one line), for scripts and links.', '--json prints {"accountId": "...", "uri": "samizdat:..."}.', ...URI_DETAILS],
  run(ctx) {
    const keys = openAccount(deps(ctx), readPassphrase(ctx.io, ctx.global));
    const uri = accountUriOf(ctx, keys);
    if (ctx.global.json) {
      printJson(ctx.io, { accountId: keys.accountId, uri });
    } else {
      ctx.io.stdout(`${uri}\n`);
      if (ctx.options.qr === true) printQr(ctx, uri);
    }
    return Promise.resolve(0);
  },
};
