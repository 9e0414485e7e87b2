import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { startWebHarness, type WebHarness } from '../../test/support/web-harness.ts';
import { MAX_JSON_BODY_BYTES } from './http.ts';
import { bearerToken, createTokenCheck, hostAllowed, originAllowed } from './security.ts';

const crypto = createNodeCryptoProvider();

/** A raw request, so the Host header and body can be anything. */
function raw(port: number, options: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer | string }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers ?? {}, setHost: options.headers?.Host === undefined }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('web security helpers', () => {
  it('accepts only the exact token, whatever the presented length', () => {
    const check = createTokenCheck(crypto, 'abc_DEF-123');
    assert.equal(check.matches('abc_DEF-123'), true);
    for (const wrong of [undefined, '', 'abc_DEF-12', 'abc_DEF-1234', 'ABC_DEF-123', 'x'.repeat(10_000)]) assert.equal(check.matches(wrong), false);
  });

  it('parses bearer headers strictly and checks Host and Origin against the port', () => {
    assert.equal(bearerToken('Bearer abc-_9'), 'abc-_9');
    assert.equal(bearerToken('bearer abc'), undefined);
    assert.equal(bearerToken('Bearer a b'), undefined);
    assert.equal(bearerToken(undefined), undefined);
    assert.equal(hostAllowed('127.0.0.1:8080', 8080), true);
    assert.equal(hostAllowed('LOCALHOST:8080', 8080), true);
    for (const bad of ['127.0.0.1:8081', 'evil.example:8080', '127.0.0.1', 'localhost', undefined, '127.0.0.1:8080.evil']) assert.equal(hostAllowed(bad, 8080), false);
    assert.equal(originAllowed(undefined, 80), true);
    assert.equal(originAllowed('http://localhost:80', 80), true);
    assert.equal(originAllowed('http://evil.example', 80), false);
  });
});

describe('web server: access control, limits and static files', () => {
  let h: WebHarness;
  let staticDir: string;

  before(async () => {
    staticDir = mkdtempSync(path.join(tmpdir(), 'samizdat-web-static-'));
    writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>ui</title>');
    mkdirSync(path.join(staticDir, 'assets'));
    writeFileSync(path.join(staticDir, 'assets', 'app-1234.js'), 'console.log(1)');
    writeFileSync(path.join(staticDir, '.secret'), 'no');
    h = await startWebHarness({ crypto, staticDir });
  });
  after(async () => {
    await h.close();
    rmSync(staticDir, { recursive: true, force: true });
  });

  it('prints a loopback URL with a 43-character token in the fragment', () => {
    assert.match(h.server.url, /^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/);
  });

  it('refuses /api without the token or with a wrong one (401), and takes the right one', async () => {
    const none = await fetch(`${h.base}/api/state`);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'REFUSED');
    const wrong = await fetch(`${h.base}/api/state`, { headers: { Authorization: `Bearer ${'A'.repeat(43)}` } });
    assert.equal(wrong.status, 401);
    const inQuery = await fetch(`${h.base}/api/state?token=${h.server.token}`);
    assert.equal(inQuery.status, 401, 'only the event stream takes the token in the query');
    const right = await h.call('GET', '/api/state');
    assert.equal(right.status, 200);
    assert.deepEqual(right.json, { account: null, locked: false, online: false });
    const events = await fetch(`${h.base}/api/events?token=wrong`);
    assert.equal(events.status, 401);
  });

  it('refuses a Host header that is not 127.0.0.1:PORT or localhost:PORT (DNS rebinding)', async () => {
    const port = h.server.port;
    const auth = { Authorization: `Bearer ${h.server.token}` };
    assert.equal((await raw(port, { path: '/api/state', headers: { ...auth, Host: `evil.example:${port}` } })).status, 403);
    assert.equal((await raw(port, { path: '/', headers: { Host: `evil.example:${port}` } })).status, 403);
    assert.equal((await raw(port, { path: '/api/state', headers: { ...auth, Host: `127.0.0.1:${port + 1}` } })).status, 403);
    assert.equal((await raw(port, { path: '/api/state', headers: { ...auth, Host: `localhost:${port}` } })).status, 200);
    const cross = await raw(port, { path: '/api/state', headers: { ...auth, Origin: 'http://evil.example' } });
    assert.equal(cross.status, 403);
  });

  it('limits bodies without trusting Content-Length, and asks for JSON', async () => {
    const big = JSON.stringify({ passphrase: 'x'.repeat(MAX_JSON_BODY_BYTES) });
    const declared = await h.call('POST', '/api/account/create', big);
    assert.equal(declared.status, 413);
    assert.equal((declared.json as { error: { code: string } }).error.code, 'TOO_LARGE');
    // Chunked, so no Content-Length: counted as it arrives.
    const chunked = await raw(h.server.port, {
      method: 'POST',
      path: '/api/account/create',
      headers: { Authorization: `Bearer ${h.server.token}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: big,
    });
    assert.equal(chunked.status, 413);
    const text = await h.call('POST', '/api/unlock', 'passphrase=x', { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(text.status, 415);
    assert.equal((await h.call('GET', '/api/state')).status, 200, 'still serving');
  });

  it('answers unknown routes with 404 and wrong methods with 405, typed', async () => {
    const missing = await h.call('GET', '/api/nothing');
    assert.equal(missing.status, 404);
    assert.equal((missing.json as { error: { code: string } }).error.code, 'NOT_FOUND');
    const method = await h.call('DELETE', '/api/state');
    assert.equal(method.status, 405);
    assert.equal(method.headers.get('allow'), 'GET');
  });

  it('before an account exists, account routes say PROFILE_MISSING (409)', async () => {
    const contacts = await h.call('GET', '/api/contacts');
    assert.equal(contacts.status, 409);
    assert.equal((contacts.json as { error: { code: string } }).error.code, 'PROFILE_MISSING');
    const network = await h.call('GET', '/api/network');
    assert.equal(network.status, 200);
    assert.deepEqual(network.json, { online: false, connected: false, consensus: null, path: null, reachableNodes: 0, lastError: null });
  });

  it('serves the built files with a strict CSP, the page for app routes, and nothing outside', async () => {
    const page = await fetch(`${h.base}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>ui<\/title>/);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    const route = await fetch(`${h.base}/chat/somebody`);
    assert.equal(route.status, 200);
    assert.match(route.headers.get('content-type') ?? '', /text\/html/);
    const asset = await fetch(`${h.base}/assets/app-1234.js`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /text\/javascript/);
    const dotFile = await raw(h.server.port, { path: '/.secret' });
    assert.notEqual(dotFile.body, 'no', 'dot files are never served (an extension-less path gets the page)');
    writeFileSync(path.join(staticDir, '.hidden.js'), 'no');
    for (const p of ['/.hidden.js', '/%2e%2e/%2e%2e/etc/passwd.txt', '/assets/../../x.js', '/missing.js', '/%E0%A4%A.js']) {
      const res = await raw(h.server.port, { path: p });
      assert.equal(res.status, 404, p);
    }
    const api = await fetch(`${h.base}/api/state`, { method: 'GET' });
    assert.match(api.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  });
});
