/**
 * `samizdat contact verify`, `account show --qr`, `account uri` and `contact add URI`, run
 * in-process through main() (and once as the real binary). The peer's prekey bundle is put
 * where the messenger caches it (its session record), as after a first message.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { openAccountProfile } from '../../src/client/profile-db.ts';
import { loadPeerRecord, savePeerRecord } from '../../src/client/session-crypto.ts';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import type { AccountKeys } from '../../src/identity/account-keys.ts';
import { signPrekeyBundle } from '../../src/identity/prekey-bundle.ts';
import { formatSafetyCode, safetyCode } from '../../src/identity/safety-code.ts';
import { isOneLineError, runCli } from './run-cli.ts';

const crypto = createNodeCryptoProvider();
const NOW = 1_700_000_000_000;
const scratch = mkdtempSync(path.join(tmpdir(), 'samizdat-cli-verify-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
const freshProfile = (): string => path.join(scratch, `p${++counter}`);

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(argv: readonly string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readStdin: () => Promise.resolve(''),
    stdinIsTerminal: false,
    env: {},
    homeDir: scratch,
    crypto,
    now: () => NOW,
    shutdownSignal: () => new Promise(() => {}),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

function errorCode(r: Run): string {
  return (JSON.parse(r.stderr) as { error: { code: string } }).error.code;
}

interface Account {
  readonly profile: string;
  readonly keys: AccountKeys;
  readonly uri: string;
}

async function newAccount(): Promise<Account> {
  const profile = freshProfile();
  assert.equal((await run(['account', 'create', '--profile', profile])).code, 0);
  const { keys, db } = openAccountProfile({ dir: profile, crypto, now: () => NOW, passphrase: undefined });
  db.close();
  const r = await run(['account', 'uri', '--profile', profile, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout) as { accountId: string; uri: string };
  assert.equal(json.accountId, keys.accountId);
  return { profile, keys, uri: json.uri };
}

/** Caches `owner`'s signed bundle in `holder`'s profile, as the messenger does after fetching it. */
function cacheBundle(holder: Account, owner: Account, identityX25519 = owner.keys.mailboxX25519.publicKey): void {
  const bundle = signPrekeyBundle(crypto, owner.keys.identity, {
    identityX25519,
    sequence: 1n,
    createdAtMs: NOW - 1000,
    expiresAtMs: NOW + 86_400_000,
    signedX25519Prekey: { id: 1, publicKey: crypto.generateKey('x25519').publicKey },
    signedMlKemPrekey: { id: 2, publicKey: crypto.generateKey('ml-kem-768').publicKey },
  });
  const { db } = openAccountProfile({ dir: holder.profile, crypto, now: () => NOW, passphrase: undefined });
  try {
    const record = loadPeerRecord(crypto, db, owner.keys.identityPublicKey);
    savePeerRecord(crypto, db, owner.keys.identityPublicKey, { ...record, peerBundle: bundle, bundleFetchedAtMs: NOW, bundleSequence: 1n });
  } finally {
    db.close();
  }
}

function expectedCode(a: Account, b: Account): string {
  const party = (x: Account) => ({ identityKey: x.keys.identityPublicKey, identityX25519: x.keys.mailboxX25519.publicKey });
  return formatSafetyCode(safetyCode(crypto, party(a), party(b)));
}

interface VerifyJson {
  name: string;
  accountId: string;
  verified: boolean;
  safetyCode: string;
}

describe('samizdat contact verify', () => {
  let alice: Account;
  let bob: Account;
  let carol: Account;
  before(async () => {
    [alice, bob, carol] = [await newAccount(), await newAccount(), await newAccount()];
    // Bob adds Alice from her samizdat: URI, Alice adds Bob by his Account ID.
    const added = await run(['contact', 'add', alice.uri, '--name', 'Alice', '--profile', bob.profile]);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, `Added Alice (${alice.keys.accountId})\n`);
    assert.equal((await run(['contact', 'add', bob.keys.accountId, '--name', 'Bob', '--profile', alice.profile])).code, 0);
    assert.equal((await run(['contact', 'add', carol.keys.accountId, '--name', 'Carol', '--profile', alice.profile])).code, 0);
  });

  it('before any bundle: NOT_FOUND, one line, "send or receive a message first" (the real binary, exit 1)', async () => {
    const r = await runCli(['contact', 'verify', 'alice', '--profile', bob.profile]);
    assert.equal(r.code, 1);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /send or receive a message first/);
    assert.equal(errorCode(await run(['contact', 'verify', 'alice', '--profile', bob.profile, '--json'])), 'NOT_FOUND');
    const unknown = await run(['contact', 'verify', 'dave', '--profile', bob.profile]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no contact "dave"/);
  });

  it('both sides show the same safety code, computed from all four identity keys', async () => {
    cacheBundle(bob, alice);
    cacheBundle(alice, bob);
    const fromBob = await run(['contact', 'verify', 'Alice', '--profile', bob.profile, '--json']);
    assert.equal(fromBob.code, 0, fromBob.stderr);
    const fromAlice = await run(['--json', 'contact', 'verify', bob.keys.accountId, '--profile', alice.profile]);
    assert.equal(fromAlice.code, 0, fromAlice.stderr);
    const b = JSON.parse(fromBob.stdout) as VerifyJson;
    const a = JSON.parse(fromAlice.stdout) as VerifyJson;
    assert.equal(b.safetyCode, a.safetyCode);
    assert.equal(b.safetyCode, expectedCode(alice, bob));
    assert.match(b.safetyCode, /^\d{5}( \d{5}){11}$/);
    assert.deepEqual({ name: b.name, accountId: b.accountId, verified: b.verified }, { name: 'Alice', accountId: alice.keys.accountId, verified: false });

    const text = await run(['contact', 'verify', 'alice', '--profile', bob.profile]);
    assert.equal(text.code, 0, text.stderr);
    const groups = b.safetyCode.split(' ');
    const rows = [0, 4, 8].map((i) => `  ${groups.slice(i, i + 4).join(' ')}`);
    assert.ok(text.stdout.startsWith(`Safety code with Alice (${alice.keys.accountId}):\n\n${rows.join('\n')}\n\n`), text.stdout);
    assert.match(text.stdout, /Alice is not verified/);
    assert.match(text.stdout, /samizdat contact verify Alice --code/);
  });

  it('a wrong or malformed code fails with one line and changes nothing', async () => {
    const right = expectedCode(alice, bob).replaceAll(' ', '');
    const wrong = `${right.slice(0, 30)}${right[30] === '9' ? '0' : '9'}${right.slice(31)}`;
    const r = await run(['contact', 'verify', 'Alice', '--code', wrong, '--profile', bob.profile]);
    assert.equal(r.code, 1);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /does not match the safety code with Alice; Alice is not verified/);
    assert.equal(errorCode(await run(['contact', 'verify', 'Alice', '--code', wrong, '--profile', bob.profile, '--json'])), 'VERIFICATION_FAILED');
    const short = await run(['contact', 'verify', 'Alice', '--code', right.slice(5), '--profile', bob.profile, '--json']);
    assert.equal(short.code, 1);
    assert.equal(errorCode(short), 'MALFORMED');
    const list = await run(['contact', 'list', '--profile', bob.profile]);
    assert.match(list.stdout, /Alice .* unverified/);
  });

  it('the right code (spaces anywhere) marks the contact verified and pins the X25519 key', async () => {
    const spaced = expectedCode(alice, bob).replace(/ /g, '  ').replace(/(\d{5}) {2}(\d{5}) {2}(\d{5})/, '$1\n$2$3');
    const r = await run(['contact', 'verify', 'Alice', '--code', ` ${spaced} `, '--profile', bob.profile]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Alice is now verified: the safety code matches.\n');
    const again = await run(['contact', 'verify', 'Alice', '--code', spaced, '--profile', bob.profile]);
    assert.equal(again.stdout, 'Alice is verified: the safety code matches.\n');
    const list = await run(['contact', 'list', '--profile', bob.profile, '--json']);
    assert.equal((JSON.parse(list.stdout) as VerifyJson[])[0]?.verified, true);
    const shown = await run(['contact', 'verify', 'Alice', '--profile', bob.profile]);
    assert.match(shown.stdout, /\nAlice is verified\.\n$/);
    const { db } = openAccountProfile({ dir: bob.profile, crypto, now: () => NOW, passphrase: undefined });
    try {
      assert.deepEqual(db.contacts.require('Alice').identityX25519, alice.keys.mailboxX25519.publicKey);
    } finally {
      db.close();
    }
  });

  it('a scanned samizdat: URI verifies its own account only', async () => {
    const other = await run(['contact', 'verify', 'Bob', '--code', carol.uri, '--profile', alice.profile, '--json']);
    assert.equal(other.code, 1);
    assert.equal(errorCode(other), 'VERIFICATION_FAILED');
    const ok = await run(['contact', 'verify', 'Bob', '--code', bob.uri.toUpperCase(), '--profile', alice.profile]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'Bob is now verified: the URI matches the keys.\n');
  });

  it('uses the X25519 key on the contact when no bundle is cached; warns when the bundle\'s differs', async () => {
    // Carol: no bundle cached in Alice's profile, but her key is on the contact entry.
    {
      const { db } = openAccountProfile({ dir: alice.profile, crypto, now: () => NOW, passphrase: undefined });
      db.contacts.update('Carol', { identityX25519: carol.keys.mailboxX25519.publicKey });
      db.close();
    }
    const r = await run(['contact', 'verify', 'Carol', '--profile', alice.profile, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as VerifyJson).safetyCode, expectedCode(alice, carol));
    assert.equal(r.stderr, '');
    // A bundle (validly signed by Carol) now names another X25519 key: the code follows the bundle, with a warning.
    const otherX = crypto.generateKey('x25519').publicKey;
    cacheBundle(alice, carol, otherX);
    const changed = await run(['contact', 'verify', 'Carol', '--profile', alice.profile, '--json']);
    assert.equal(changed.code, 0, changed.stderr);
    assert.notEqual((JSON.parse(changed.stdout) as VerifyJson).safetyCode, expectedCode(alice, carol));
    assert.match(changed.stderr, /^warning: Carol's identity key differs/);
  });

  it('bad usage exits 2', async () => {
    for (const argv of [['contact', 'verify'], ['contact', 'verify', 'a', 'b'], ['contact', 'verify', 'Alice', '--code']]) {
      const r = await run([...argv, '--profile', bob.profile]);
      assert.equal(r.code, 2, argv.join(' '));
    }
  });
});

describe('samizdat account show --qr, account uri, contact add URI', () => {
  it('account show is unchanged without --qr; with it, prints the URI and a QR code', async () => {
    const a = await newAccount();
    const plain = await run(['account', 'show', '--profile', a.profile]);
    assert.equal(plain.stdout, `Account ID: ${a.keys.accountId}\n`);
    assert.deepEqual(JSON.parse((await run(['account', 'show', '--profile', a.profile, '--json'])).stdout), { accountId: a.keys.accountId });

    const qr = await run(['account', 'show', '--qr', '--profile', a.profile]);
    assert.equal(qr.code, 0, qr.stderr);
    const lines = qr.stdout.split('\n');
    assert.equal(lines[0], `Account ID: ${a.keys.accountId}`);
    assert.equal(lines[1], `URI: ${a.uri}`);
    assert.match(a.uri, /^samizdat:sz1q[a-z0-9]{58}\?fp=[a-z2-7]{26}$/);
    const art = lines.slice(3).filter((l) => l.length > 0);
    assert.equal(art.length, 23);
    assert.ok(art.every((l) => /^[ ▀▄█]+$/u.test(l)));
    assert.deepEqual(JSON.parse((await run(['account', 'show', '--qr', '--json', '--profile', a.profile])).stdout), { accountId: a.keys.accountId, uri: a.uri });

    const uri = await run(['account', 'uri', '--profile', a.profile]);
    assert.equal(uri.stdout, `${a.uri}\n`);
    const light = await run(['account', 'uri', '--qr', '--light-background', '--profile', a.profile]);
    assert.ok(light.stdout.startsWith(`${a.uri}\n\n`));
    assert.notEqual(light.stdout, (await run(['account', 'uri', '--qr', '--profile', a.profile])).stdout);
  });

  it('contact add takes a URI in any case; a bad URI keeps the Account ID decoder\'s code', async () => {
    const me = await newAccount();
    const other = await newAccount();
    const r = await run(['contact', 'add', other.uri.toUpperCase(), '--name', 'Other', '--profile', me.profile, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as VerifyJson).accountId, other.keys.accountId);

    const id = other.keys.accountId;
    const typo = `samizdat:${id.slice(0, 20)}${id[20] === 'q' ? 'p' : 'q'}${id.slice(21)}?fp=${other.uri.split('fp=')[1] ?? ''}`;
    const cases: [string, string, RegExp][] = [
      [typo, 'BAD_CHECKSUM', /not a valid samizdat: URI: .*checksum/],
      [`samizdat:${id}`, 'MALFORMED', /not a valid samizdat: URI: .*fingerprint/],
      [`${other.uri}x`, 'MALFORMED', /not a valid samizdat: URI/],
    ];
    for (const [text, code, message] of cases) {
      const bad = await run(['contact', 'add', text, '--name', 'x', '--profile', me.profile]);
      assert.equal(bad.code, 1, text);
      assert.ok(isOneLineError(bad.stderr), bad.stderr);
      assert.match(bad.stderr, message);
      assert.equal(errorCode(await run(['contact', 'add', text, '--name', 'x', '--profile', me.profile, '--json'])), code);
    }
    const self = await run(['contact', 'add', me.uri, '--name', 'me', '--profile', me.profile]);
    assert.equal(self.code, 1);
    assert.match(self.stderr, /own Account ID/);
  });
});
