import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { SamizdatError } from '../errors.ts';
import { createMemoryNetwork } from '../../test/support/memory-swarm.ts';
import { startWebHarness, type WebHarness } from '../../test/support/web-harness.ts';

const crypto = createNodeCryptoProvider();

type Json = Record<string, unknown>;
const errorCode = (json: unknown): unknown => (json as { error?: { code?: unknown } }).error?.code;

describe('web API: onboarding', () => {
  const dirs: string[] = [];
  const harnesses: WebHarness[] = [];
  const start = async (options: { profileDir?: string; passphrase?: string } = {}): Promise<WebHarness> => {
    const h = await startWebHarness({ crypto, net: createMemoryNetwork(crypto), ...options });
    harnesses.push(h);
    return h;
  };
  after(async () => {
    for (const h of harnesses) await h.close();
    for (const h of harnesses) assert.deepEqual(h.internalErrors, [], 'no unexpected errors in the servers');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('create: the state shows the account; a second create is refused (409)', async () => {
    const h = await start();
    assert.deepEqual((await h.call('GET', '/api/state')).json, { account: null, locked: false, online: false });
    const created = await h.call('POST', '/api/account/create', {});
    assert.equal(created.status, 200);
    const { accountId, recoveryPhrase } = created.json as { accountId: string; recoveryPhrase: string };
    assert.match(accountId, /^sz1/);
    assert.equal(recoveryPhrase.split(' ').length, 24);
    assert.equal(created.headers.get('cache-control'), 'no-store');
    const state = (await h.call('GET', '/api/state')).json as { account: { accountId: string; uri: string }; locked: boolean };
    assert.equal(state.account.accountId, accountId);
    assert.match(state.account.uri, /^samizdat:sz1/);
    assert.equal(state.locked, false);
    const again = await h.call('POST', '/api/account/create', {});
    assert.equal(again.status, 409);
    assert.equal(errorCode(again.json), 'PROFILE_EXISTS');

    // Restoring the phrase elsewhere gives the same account; a bad phrase is BAD_PHRASE.
    const other = await start();
    const bad = await other.call('POST', '/api/account/restore', { phrase: 'not a phrase' });
    assert.equal(bad.status, 400);
    assert.equal(errorCode(bad.json), 'BAD_PHRASE');
    const restored = await other.call('POST', '/api/account/restore', { phrase: `  ${recoveryPhrase.toUpperCase()} ` });
    assert.equal(restored.status, 200);
    assert.deepEqual(restored.json, { accountId });
  });

  it('a passphrase-protected profile starts locked (423) until POST /api/unlock', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'samizdat-web-locked-'));
    dirs.push(dir);
    const first = await start({ profileDir: dir });
    const created = (await first.call('POST', '/api/account/create', { passphrase: 'correct horse' })).json as { accountId: string };
    await first.close();
    harnesses.splice(harnesses.indexOf(first), 1);

    const h = await start({ profileDir: dir });
    assert.deepEqual((await h.call('GET', '/api/state')).json, { account: null, locked: true, online: false });
    const locked = await h.call('GET', '/api/contacts');
    assert.equal(locked.status, 423);
    assert.equal(errorCode(locked.json), 'WRONG_PASSPHRASE');
    const wrong = await h.call('POST', '/api/unlock', { passphrase: 'wrong horse' });
    assert.equal(wrong.status, 400);
    assert.equal(errorCode(wrong.json), 'WRONG_PASSPHRASE');
    assert.equal((await h.call('POST', '/api/unlock', {})).status, 400);
    const unlocked = await h.call('POST', '/api/unlock', { passphrase: 'correct horse' });
    assert.equal(unlocked.status, 200);
    assert.deepEqual(unlocked.json, { accountId: created.accountId });
    assert.equal(((await h.call('GET', '/api/state')).json as { account: { accountId: string } }).account.accountId, created.accountId);
    assert.deepEqual((await h.call('GET', '/api/contacts')).json, []);

    // Given at start (SAMIZDAT_PASSPHRASE in the CLI), the passphrase opens it at once.
    await h.close();
    harnesses.splice(harnesses.indexOf(h), 1);
    const opened = await start({ profileDir: dir, passphrase: 'correct horse' });
    assert.equal(((await opened.call('GET', '/api/state')).json as { locked: boolean }).locked, false);
  });

  it('without a network the account works locally; sending says PATH_FAILED (502) and the status says why', async () => {
    const h = await startWebHarness({ crypto, connect: () => Promise.reject(new SamizdatError('PATH_FAILED', 'no directory source answered')) });
    harnesses.push(h);
    await h.call('POST', '/api/account/create', {});
    const other = await startWebHarness({ crypto });
    harnesses.push(other);
    const { accountId } = (await other.call('POST', '/api/account/create', {})).json as { accountId: string };
    assert.equal((await h.call('POST', '/api/contacts', { idOrUri: accountId, name: 'Other' })).status, 200);
    const sent = await h.call('POST', '/api/messages', { to: 'Other', text: 'hello?' });
    assert.equal(sent.status, 502);
    assert.equal(errorCode(sent.json), 'PATH_FAILED');
    let network = (await h.call('GET', '/api/network')).json as Json;
    for (let i = 0; i < 50 && network.lastError === null; i++) {
      await new Promise((r) => setTimeout(r, 20));
      network = (await h.call('GET', '/api/network')).json as Json;
    }
    assert.deepEqual(network, { online: false, connected: false, consensus: null, path: null, reachableNodes: 0, lastError: 'PATH_FAILED' });
  });

  it('random JSON bodies on every POST route get typed 4xx answers and the server keeps running', async () => {
    const h = await start();
    await h.call('POST', '/api/account/create', {});
    const routes = [
      '/api/account/create',
      '/api/account/restore',
      '/api/unlock',
      '/api/contacts',
      '/api/contacts/x/rename',
      '/api/contacts/x/verify',
      '/api/messages',
      '/api/requests/x/accept',
      '/api/requests/x/decline',
      '/api/block',
      '/api/unblock',
      '/api/settings',
    ];
    const bodies = fc.oneof(
      fc.json(),
      fc.string(),
      fc.record({ idOrUri: fc.string(), name: fc.string(), to: fc.string(), text: fc.string(), accountId: fc.string(), code: fc.string(), phrase: fc.string() }).map((o) => JSON.stringify(o)),
      fc.anything().map((v) => JSON.stringify(v) ?? 'null'),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), bodies, async (route, body) => {
        const answer = await h.call('POST', route, body);
        // /api/unlock on an open profile and /api/settings with a boolean may succeed; everything else is refused, typed.
        if (answer.status === 200) return;
        assert.ok(answer.status >= 400 && answer.status < 500, `${route} ${body} -> ${answer.status}`);
        const error = (answer.json as { error?: { code?: unknown; message?: unknown } }).error;
        assert.equal(typeof error?.code, 'string');
        assert.equal(typeof error?.message, 'string');
      }),
      { numRuns: 200 },
    );
    const state = (await h.call('GET', '/api/state')).json as Json;
    assert.notEqual(state.account, null);
    assert.equal((await h.call('GET', '/api/contacts')).status, 200);
  });
});
