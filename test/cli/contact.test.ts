import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import { deriveAccountKeysFromSeed } from '../../src/identity/account-keys.ts';
import { isOneLineError } from './run-cli.ts';

const crypto = createNodeCryptoProvider();
const scratch = mkdtempSync(path.join(tmpdir(), 'samizdat-cli-contact-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
const freshProfile = (): string => path.join(scratch, `p${++counter}`);
const otherId = (): string => deriveAccountKeysFromSeed(crypto, crypto.randomBytes(32)).accountId;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `samizdat ARGV` in this process, with captured output and a fixed clock. */
async function run(argv: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readStdin: () => Promise.resolve(''),
    stdinIsTerminal: false,
    env,
    homeDir: scratch,
    crypto,
    now: () => 1_700_000_000_000,
    shutdownSignal: () => new Promise(() => {}),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

async function createAccount(profile: string, env: Record<string, string> = {}): Promise<string> {
  const r = await run(['account', 'create', '--profile', profile, '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { accountId: string }).accountId;
}

interface ContactJson {
  name: string;
  accountId: string;
  verified: boolean;
  state: string;
  addedAt: number;
}

async function listJson(profile: string, env: Record<string, string> = {}): Promise<ContactJson[]> {
  const r = await run(['--json', 'contact', 'list', '--profile', profile], env);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ContactJson[];
}

describe('samizdat contact', () => {
  it('add, list (text and JSON), rename and remove, with global options before or after', async () => {
    const profile = freshProfile();
    await createAccount(profile);
    const alice = otherId();
    const bob = otherId();

    const empty = await run(['contact', 'list', '--profile', profile]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, /No contacts yet/);

    const added = await run(['contact', 'add', alice, '--name', 'Alice', '--profile', profile]);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, `Added Alice (${alice})\n`);
    const addedJson = await run(['--profile', profile, '--json', 'contact', 'add', '--name=bob', bob]);
    assert.equal(addedJson.code, 0, addedJson.stderr);
    const bobJson = { name: 'bob', accountId: bob, verified: false, state: 'accepted', addedAt: 1_700_000_000_000 };
    assert.deepEqual(JSON.parse(addedJson.stdout), bobJson);

    assert.deepEqual(await listJson(profile), [{ ...bobJson, name: 'Alice', accountId: alice }, bobJson]);
    const text = await run(['contact', 'list', '--profile', profile]);
    assert.equal(text.stdout, `Alice  ${alice}  unverified\nbob    ${bob}  unverified\n`);

    const renamed = await run(['contact', 'rename', 'ALICE', 'Ally', '--profile', profile]);
    assert.equal(renamed.code, 0, renamed.stderr);
    assert.equal(renamed.stdout, 'Renamed Alice to Ally\n');
    const renamedById = await run(['contact', 'rename', bob, 'Bobby', '--profile', profile, '--json']);
    assert.equal((JSON.parse(renamedById.stdout) as ContactJson).name, 'Bobby');

    const removed = await run(['contact', 'remove', 'ally', '--profile', profile]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, `Removed Ally (${alice})\n`);
    const removedById = await run(['--profile', profile, 'contact', 'remove', bob, '--json']);
    assert.equal((JSON.parse(removedById.stdout) as ContactJson).name, 'Bobby');
    assert.deepEqual(await listJson(profile), []);
  });

  it('stores contacts encrypted in profile.db (mode 0600) beside the account', async () => {
    const profile = freshProfile();
    await createAccount(profile);
    const alice = otherId();
    assert.equal((await run(['contact', 'add', alice, '--name', 'Xanthippe', '--profile', profile])).code, 0);
    const file = path.join(profile, 'profile.db');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const bytes = Buffer.concat([readFileSync(file), readFileSync(`${file}-wal`, { flag: 'a+' })]);
    assert.equal(bytes.indexOf('Xanthippe'), -1);
    assert.equal(bytes.indexOf(alice), -1);
  });

  it('a bad Account ID exits 1 with one line naming the problem, and adds nothing', async () => {
    const profile = freshProfile();
    await createAccount(profile);
    const good = otherId();
    const typo = `${good.slice(0, 30)}${good[30] === 'x' ? 'y' : 'x'}${good.slice(31)}`;
    const cases: [string, RegExp, string][] = [
      [typo, /not a valid Account ID: checksum/, 'BAD_CHECKSUM'],
      ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', /not a valid Account ID: expected prefix "sz"/, 'WRONG_PREFIX'],
      ['hello', /not a valid Account ID/, 'MALFORMED'],
    ];
    for (const [id, message, code] of cases) {
      const r = await run(['contact', 'add', id, '--name', 'x', '--profile', profile]);
      assert.equal(r.code, 1, id);
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.match(r.stderr, message);
      const j = await run(['contact', 'add', id, '--name', 'x', '--profile', profile, '--json']);
      assert.equal((JSON.parse(j.stderr) as { error: { code: string } }).error.code, code);
    }
    assert.deepEqual(await listJson(profile), []);
  });

  it('refuses a duplicate name or account, adding oneself, bad names and unknown contacts', async () => {
    const profile = freshProfile();
    const self = await createAccount(profile);
    const alice = otherId();
    assert.equal((await run(['contact', 'add', alice, '--name', 'Alice', '--profile', profile])).code, 0);
    const expectations: [string[], RegExp][] = [
      [['contact', 'add', otherId(), '--name', 'alice'], /a contact named "Alice" already exists/],
      [['contact', 'add', alice, '--name', 'Other'], /already a contact, named "Alice"/],
      [['contact', 'add', self, '--name', 'me'], /own Account ID/],
      [['contact', 'add', otherId(), '--name', 'x'.repeat(65)], /at most 64 characters/],
      [['contact', 'add', otherId(), '--name', 'tab\there'], /control/],
      [['contact', 'remove', 'carol'], /no contact "carol"/],
      [['contact', 'rename', 'carol', 'dave'], /no contact "carol"/],
    ];
    for (const [argv, message] of expectations) {
      const r = await run([...argv, '--profile', profile]);
      assert.equal(r.code, 1, argv.join(' '));
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.match(r.stderr, message);
    }
    assert.deepEqual((await listJson(profile)).map((c) => c.name), ['Alice']);
  });

  it('bad usage exits 2: missing --name, missing or extra arguments', async () => {
    const profile = freshProfile();
    await createAccount(profile);
    for (const argv of [['contact', 'add', otherId()], ['contact', 'add'], ['contact', 'rename', 'a'], ['contact', 'list', 'x'], ['contact', 'remove']]) {
      const r = await run([...argv, '--profile', profile]);
      assert.equal(r.code, 2, argv.join(' '));
      assert.ok(isOneLineError(r.stderr), r.stderr);
    }
  });

  it('without an account, says how to create one and creates no database', async () => {
    const profile = freshProfile();
    const r = await run(['contact', 'list', '--profile', profile]);
    assert.equal(r.code, 1);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /account create/);
    assert.throws(() => statSync(path.join(profile, 'profile.db')));
  });

  it('help lists the contact commands', async () => {
    const r = await run(['--help']);
    for (const line of ['contact add ACCOUNT_ID', 'contact list', 'contact remove NAME_OR_ID', 'contact rename NAME_OR_ID NEW_NAME']) {
      assert.ok(r.stdout.includes(line), line);
    }
    const own = await run(['contact', 'add', '--help']);
    assert.match(own.stdout, /--name NAME/);
  });
});

describe('samizdat contact with a passphrase', () => {
  it('opens the account with the passphrase; without it or with a wrong one, exits 1', async () => {
    const profile = freshProfile();
    const env = { SAMIZDAT_PASSPHRASE: 'correct horse' };
    await createAccount(profile, env);
    const alice = otherId();
    const none = await run(['contact', 'add', alice, '--name', 'Alice', '--profile', profile]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /passphrase/);
    const wrong = await run(['contact', 'list', '--profile', profile, '--json'], { SAMIZDAT_PASSPHRASE: 'wrong horse' });
    assert.equal((JSON.parse(wrong.stderr) as { error: { code: string } }).error.code, 'WRONG_PASSPHRASE');
    const ok = await run(['contact', 'add', alice, '--name', 'Alice', '--profile', profile], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual((await listJson(profile, env)).map((c) => c.accountId), [alice]);
  });
});
