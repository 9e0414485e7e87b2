import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isOneLineError, runCli } from './run-cli.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'samizdat-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
const freshProfile = (): string => path.join(scratch, `p${++counter}`);

interface Created {
  accountId: string;
  recoveryPhrase: string;
}

async function create(profile: string, env: Record<string, string> = {}): Promise<Created> {
  const r = await runCli(['account', 'create', '--profile', profile, '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Created;
}

describe('samizdat CLI: help and usage', () => {
  it('--help lists the commands and exits 0', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /account create/);
    assert.match(r.stdout, /--profile DIR/);
  });

  it('an unknown command or option is a usage error with exit code 2', async () => {
    const a = await runCli(['frobnicate']);
    assert.equal(a.code, 2);
    assert.ok(isOneLineError(a.stderr), a.stderr);
    const b = await runCli(['account', 'create', '--bogus']);
    assert.equal(b.code, 2);
    assert.ok(isOneLineError(b.stderr), b.stderr);
    const c = await runCli(['account', 'show', 'extra-arg']);
    assert.equal(c.code, 2);
  });
});

describe('samizdat account', () => {
  it('create prints the Account ID and a 24-word phrase and stores them with mode 0600', async () => {
    const profile = freshProfile();
    const created = await create(profile);
    assert.match(created.accountId, /^sz1[02-9ac-hj-np-z]+$/);
    assert.equal(created.recoveryPhrase.split(' ').length, 24);
    const file = path.join(profile, 'account.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(profile).mode & 0o077, 0);
  });

  it('show prints the same Account ID, with global options before or after the command', async () => {
    const profile = freshProfile();
    const created = await create(profile);
    const after1 = await runCli(['account', 'show', '--profile', profile, '--json']);
    const before = await runCli(['--json', '--profile', profile, 'account', 'show']);
    assert.deepEqual(JSON.parse(after1.stdout), { accountId: created.accountId });
    assert.deepEqual(JSON.parse(before.stdout), { accountId: created.accountId });
    const human = await runCli(['account', 'show', '--profile', profile]);
    assert.equal(human.stdout, `Account ID: ${created.accountId}\n`);
  });

  it('create refuses to overwrite an existing account and leaves it intact', async () => {
    const profile = freshProfile();
    await create(profile);
    const before = readFileSync(path.join(profile, 'account.json'));
    const again = await runCli(['account', 'create', '--profile', profile]);
    assert.equal(again.code, 1);
    assert.ok(isOneLineError(again.stderr), again.stderr);
    assert.deepEqual(readFileSync(path.join(profile, 'account.json')), before);
  });

  it('restore from the phrase on standard input recreates the same account', async () => {
    const created = await create(freshProfile());
    const other = freshProfile();
    const r = await runCli(['account', 'restore', '--profile', other, '--json'], { input: `  ${created.recoveryPhrase.toUpperCase()}\n` });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { accountId: created.accountId });
  });

  it('a wrong phrase gives a one-line error, exit code 1, and stores nothing', async () => {
    const created = await create(freshProfile());
    const words = created.recoveryPhrase.split(' ');
    const cases = [
      words.slice(0, 23).join(' '),
      [...words.slice(0, 23), 'notaword'].join(' '),
      '',
      'the quick brown fox',
    ];
    for (const phrase of cases) {
      const profile = freshProfile();
      const r = await runCli(['account', 'restore', '--profile', profile], { input: phrase });
      assert.equal(r.code, 1, `phrase ${JSON.stringify(phrase)}: ${r.stderr}`);
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.throws(() => statSync(path.join(profile, 'account.json')));
    }
  });

  it('show on an empty profile says how to create one', async () => {
    const r = await runCli(['account', 'show', '--profile', freshProfile()]);
    assert.equal(r.code, 1);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /account create/);
  });
});

describe('samizdat account with a passphrase', () => {
  it('encrypts the profile; show needs the right passphrase', async () => {
    const profile = freshProfile();
    const created = await create(profile, { SAMIZDAT_PASSPHRASE: 'correct horse' });
    const text = readFileSync(path.join(profile, 'account.json'), 'utf8');
    // Word pairs, not single words: a lone BIP-39 word can be a JSON key ("version" is one).
    const words = created.recoveryPhrase.split(' ');
    for (let i = 1; i < words.length; i++) assert.ok(!text.includes(`${words[i - 1]} ${words[i]}`), `words ${i - 1}-${i} leaked`);
    assert.ok(!text.includes(created.recoveryPhrase.replaceAll(' ', '')), 'the phrase leaked without spaces');
    for (const word of words) assert.ok(!new RegExp(`"${word}"(?!\\s*:)`).test(text), `word ${word} leaked as a JSON string`);
    assert.equal(statSync(path.join(profile, 'account.json')).mode & 0o777, 0o600);

    const none = await runCli(['account', 'show', '--profile', profile]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /passphrase/);
    const wrong = await runCli(['account', 'show', '--profile', profile, '--json'], { env: { SAMIZDAT_PASSPHRASE: 'wrong horse' } });
    assert.equal(wrong.code, 1);
    assert.equal((JSON.parse(wrong.stderr) as { error: { code: string } }).error.code, 'WRONG_PASSPHRASE');
    const right = await runCli(['account', 'show', '--profile', profile, '--json'], { env: { SAMIZDAT_PASSPHRASE: 'correct horse' } });
    assert.deepEqual(JSON.parse(right.stdout), { accountId: created.accountId });
  });

  it('reads the passphrase from --passphrase-file', async () => {
    const profile = freshProfile();
    const file = path.join(scratch, `pass${counter}`);
    writeFileSync(file, 'from a file\n', { mode: 0o600 });
    const created = await create(profile, {});
    const withFile = freshProfile();
    const r = await runCli(['account', 'restore', '--profile', withFile, '--passphrase-file', file, '--json'], { input: created.recoveryPhrase });
    assert.equal(r.code, 0, r.stderr);
    const show = await runCli(['account', 'show', '--profile', withFile, '--json'], { env: { SAMIZDAT_PASSPHRASE: 'from a file' } });
    assert.deepEqual(JSON.parse(show.stdout), { accountId: created.accountId });
  });

  it('a damaged profile gives a clear error, not a stack trace', async () => {
    const plain = freshProfile();
    await create(plain);
    const plainFile = path.join(plain, 'account.json');
    writeFileSync(plainFile, readFileSync(plainFile, 'utf8').slice(0, 40));
    const r1 = await runCli(['account', 'show', '--profile', plain]);
    assert.equal(r1.code, 1);
    assert.ok(isOneLineError(r1.stderr), r1.stderr);
    assert.match(r1.stderr, /damaged/);

    const locked = freshProfile();
    await create(locked, { SAMIZDAT_PASSPHRASE: 'pw' });
    const lockedFile = path.join(locked, 'account.json');
    const json = JSON.parse(readFileSync(lockedFile, 'utf8')) as { kdf: { passes: number } };
    json.kdf.passes = 1;
    writeFileSync(lockedFile, JSON.stringify(json));
    const r2 = await runCli(['account', 'show', '--profile', locked], { env: { SAMIZDAT_PASSPHRASE: 'pw' } });
    assert.equal(r2.code, 1);
    assert.ok(isOneLineError(r2.stderr), r2.stderr);
  });
});
