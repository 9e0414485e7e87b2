// Issue 7 end to end, in a real browser: a devnet (3 authorities and 6 service nodes as OS
// processes), two `samizdat ui` servers (one per profile), and Debian's Chromium driven by
// playwright-core with one context per person (Alice on a desktop-sized window, Bob on a 360 px
// phone-sized one). Both create accounts through the UI (recovery phrase shown and confirmed),
// Alice adds Bob by Account ID and writes, Bob accepts the request and answers (in Persian too),
// states reach "stored", both sides update live over SSE, Alice verifies Bob with the safety
// code, the network panel shows the path, and after Bob's server restarts the old link is
// refused and his profile asks for its passphrase. Wrong input (a mistyped phrase word, Account
// ID, safety code, passphrase) is refused on the way. Any other error a page logs (a CSP
// violation, an exception, a failed request) fails the test. Screenshots: test/web/artifacts/.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import jsqr from 'jsqr';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEVNET_CONSENSUS_PERIOD_MS } from '../../src/devnet/devnet.ts';
import { startTestNet, type TestNet } from '../devnet/fixtures.ts';
import { collectPageErrors, computedDirection, ensureBuilt, fitsWidth, focusedText, launchChromium, qrPixels, screenshot, skipReason, startUi, statesOf, type UiServer } from './browser.ts';

const NODES = 6;
/** Network operations (first contact, onion paths) get this long; a UI step alone is instant. */
const NET_TIMEOUT = 60_000;
const PERSIAN = 'سلام! فردا ساعت ده در کتابخانه می‌بینمت.';

let net: TestNet | undefined;
let browser: Browser | undefined;
const servers: UiServer[] = [];
const contexts: BrowserContext[] = [];
const errors: string[] = [];
const scratch = mkdtempSync(path.join(tmpdir(), 'samizdat-web-'));
let alice: Page;
let bob: Page;

async function open(server: UiServer, who: string, viewport: { width: number; height: number }): Promise<Page> {
  assert.ok(browser !== undefined);
  const context = await browser.newContext({ viewport, locale: 'en-GB' });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  collectPageErrors(page, errors, who);
  await page.goto(server.url);
  return page;
}

/** Goes through "Create a new account" and returns the Account ID shown under Contacts. */
async function createAccount(page: Page, passphrase: string, shot: string): Promise<string> {
  await page.getByRole('button', { name: 'Create a new account' }).click();
  if (passphrase !== '') {
    await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
    await page.getByLabel('Repeat the passphrase').fill(passphrase);
  }
  await page.getByRole('button', { name: 'Create account' }).click();
  // Key generation (and the passphrase's Argon2id) take a moment.
  await page.locator('ol.phrase li').first().waitFor({ timeout: 30_000 });
  const words = await page.locator('ol.phrase li').allTextContents();
  assert.equal(words.length, 24, words.join(' '));
  await screenshot(page, shot);
  await page.getByLabel(/I have written down all 24 words/).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  const inputs = page.locator('input[data-word-index]');
  assert.equal(await inputs.count(), 3);
  // A wrong word first: the check must refuse it.
  const first = inputs.first();
  await first.fill('wrongword');
  for (let i = 1; i < 3; i++) {
    const input = inputs.nth(i);
    await input.fill(words[Number(await input.getAttribute('data-word-index')) - 1] ?? '');
  }
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('alert').filter({ hasText: 'does not match' }).waitFor();
  await first.fill(words[Number(await first.getAttribute('data-word-index')) - 1] ?? '');
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Contacts' }).click();
  const id = (await page.getByTestId('my-account-id').textContent())?.trim() ?? '';
  assert.match(id, /^sz1[0-9a-z]+$/);
  // The QR code, drawn by the page, reads back (with jsQR, a decoder independent of the encoder)
  // as the samizdat: link shown under it, which names this Account ID.
  const uri = (await page.locator('.my-id .uri').textContent())?.trim() ?? '';
  assert.ok(uri.startsWith(`samizdat:${id}?`), uri);
  const pixels = await qrPixels(page);
  // jsqr is CommonJS: Node's default import is module.exports, which carries the function as `default`.
  assert.equal(jsqr.default(pixels.data, pixels.width, pixels.height, { inversionAttempts: 'dontInvert' })?.data, uri);
  return id;
}

async function tab(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name }).click();
}

/** What the first sends went through before they were taken (shown as test diagnostics). */
const retries: string[] = [];

/**
 * Types `text` into the open chat's composer and sends it with Enter (keyboard only). A send the
 * network refuses before it is recorded (the first one to a new contact needs the contact's
 * published keys, which a loaded machine may not have reached yet) shows its error and keeps the
 * draft; like a user, press Enter again a little later, until NET_TIMEOUT.
 */
async function sendInChat(page: Page, text: string): Promise<void> {
  const composer = page.getByRole('textbox', { name: /^Message to / });
  await composer.fill(text);
  const sent = page.locator('li.msg.out', { hasText: text });
  const refused = page.locator('.chat > .error[role="alert"]').first();
  const deadline = Date.now() + NET_TIMEOUT;
  for (;;) {
    const errorsBefore = errors.length;
    await composer.press('Enter');
    await Promise.race([sent.waitFor({ timeout: NET_TIMEOUT }), refused.waitFor({ timeout: NET_TIMEOUT })]);
    if (await sent.isVisible()) return;
    const why = (await refused.textContent()) ?? '';
    // The refused request (HTTP 502: the network did not take it) is logged by the browser.
    const logged = errors.splice(errorsBefore);
    assert.ok(logged.every((e) => e.includes('status of 502')), logged.join('\n'));
    retries.push(`"${text.slice(0, 20)}…" refused: ${why}`);
    if (Date.now() > deadline) throw new Error(`sending "${text}" was refused until the deadline: ${why}`);
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

/**
 * Waits until a message with `text` is "stored". A send that fails in the background shows "Not
 * sent", the reason and "Send again"; like a user, press it (at most twice) and note why.
 */
async function waitStored(page: Page, text: string): Promise<void> {
  const stored = page.locator('li.msg.out[data-state="stored"]', { hasText: text });
  const failed = page.locator('li.msg.out[data-state="failed"]', { hasText: text });
  try {
    for (let attempt = 0; ; attempt++) {
      await Promise.race([stored.waitFor({ timeout: NET_TIMEOUT }), failed.first().waitFor({ timeout: NET_TIMEOUT })]);
      if ((await stored.count()) > 0) return;
      const why = (await failed.last().locator('.reason').textContent().catch(() => null)) ?? 'no reason shown';
      retries.push(`"${text.slice(0, 20)}…" failed in the background: ${why}`);
      if (attempt === 2) break;
      const failures = await failed.count();
      await failed.last().getByRole('button', { name: 'Send again' }).click();
      await page.waitForFunction(`document.querySelectorAll('li.msg.out[data-state="failed"]').length !== ${failures} || document.querySelectorAll('li.msg.out[data-state="stored"]').length > 0`, undefined, { timeout: NET_TIMEOUT }).catch(() => undefined);
    }
    throw new Error('failed three times');
  } catch (e) {
    const states = await statesOf(page.locator('li.msg.out', { hasText: text }));
    throw new Error(`"${text}" did not reach "stored": ${JSON.stringify(states)}; servers said:\n${servers.map((s) => s.output()).join('\n---\n')}`, { cause: e });
  }
}

async function direction(page: Page, selector: string, text: string): Promise<string> {
  return await computedDirection(page.locator(selector, { hasText: text }).last().locator('.body'));
}

const skip = skipReason();

describe('web UI in Chromium: two people, two servers, one devnet', { skip, timeout: 300_000 }, () => {
  let aliceId = '';
  let bobId = '';

  before(async () => {
    ensureBuilt();
    // The consensus period `npm start` uses (the fixture's default, 2 s, churns more than a user sees).
    const [started, launched] = await Promise.all([startTestNet(NODES, DEVNET_CONSENSUS_PERIOD_MS), launchChromium()]);
    net = started;
    browser = launched;
    const env = { HOME: scratch };
    servers.push(...(await Promise.all([startUi(path.join(scratch, 'alice'), net.devnet.networkFile, env), startUi(path.join(scratch, 'bob'), net.devnet.networkFile, env)])));
    const [a, b] = servers;
    assert.ok(a !== undefined && b !== undefined);
    [alice, bob] = await Promise.all([open(a, 'alice', { width: 1100, height: 760 }), open(b, 'bob', { width: 360, height: 740 })]);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await Promise.all(servers.map((s) => s.stop()));
    await net?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('takes the token out of the address bar and refuses a page without it', async () => {
    for (const page of [alice, bob]) assert.ok(!page.url().includes('token'), page.url());
    assert.ok(browser !== undefined && servers[0] !== undefined);
    const stranger = await browser.newPage();
    try {
      await stranger.goto(servers[0].url.replace(/#.*$/, ''));
      await stranger.getByText('This page needs the link that Samizdat printed').waitFor();
      const status = await stranger.evaluate(async () => (await fetch('/api/state')).status);
      assert.equal(status, 401);
    } finally {
      await stranger.close();
    }
  });

  it('creates both accounts through onboarding (phrase shown, three words checked)', async () => {
    [aliceId, bobId] = await Promise.all([createAccount(alice, '', 'onboarding-phrase-alice'), createAccount(bob, 'correct horse battery staple', 'onboarding-phrase-bob-phone')]);
    assert.notEqual(aliceId, bobId);
    await screenshot(bob, 'contacts-own-id-qr-bob-phone');
  });

  it('Alice adds Bob by Account ID and writes; the message reaches "stored"', async () => {
    // A typo in the ID fails its checksum: the form says so and keeps what was typed.
    const typo = `${bobId.slice(0, -1)}${bobId.endsWith('q') ? 'p' : 'q'}`;
    const errorsBefore = errors.length;
    await alice.getByLabel('Account ID or samizdat: link').fill(typo);
    await alice.getByLabel('Name', { exact: true }).fill('Bob');
    await alice.getByRole('button', { name: 'Add contact' }).click();
    await alice.locator('form.add-contact [role="alert"]').waitFor();
    assert.deepEqual(errors.splice(errorsBefore).map((e) => /status of (\d+)/.exec(e)?.[1]), ['400']);
    await alice.getByLabel('Account ID or samizdat: link').fill(bobId);
    await alice.getByRole('button', { name: 'Add contact' }).click();
    await alice.getByText('Bob was added.').waitFor();
    await alice.getByRole('button', { name: 'Message Bob' }).click();
    await alice.getByRole('heading', { name: 'Bob' }).waitFor();
    // The view's heading takes the focus, so a screen reader announces where the user is.
    assert.equal(await focusedText(alice, 'Bob'), 'Bob');
    assert.equal(await alice.locator('[role="log"][aria-live="polite"]').count(), 1);
    await sendInChat(alice, 'Hello Bob, it is Alice. Are you there?');
    await waitStored(alice, 'Hello Bob, it is Alice');
  });

  it('Bob sees a request, accepts it and answers; Alice sees the answer live', async () => {
    await bob.locator('nav .badge').waitFor({ timeout: NET_TIMEOUT });
    await tab(bob, 'Requests');
    const card = bob.locator('li.request', { hasText: 'Hello Bob, it is Alice' });
    await card.waitFor();
    assert.equal(await card.locator('code').textContent(), aliceId);
    await screenshot(bob, 'requests-bob-phone');
    await card.getByLabel('Name for this contact').fill('Alice');
    await card.getByRole('button', { name: 'Accept' }).click();
    await bob.getByRole('heading', { name: 'Alice' }).waitFor();
    await bob.locator('li.msg.in', { hasText: 'Hello Bob, it is Alice' }).waitFor();
    await sendInChat(bob, 'Hi Alice, Bob here. Loud and clear.');
    await waitStored(bob, 'Hi Alice, Bob here');
    await alice.locator('li.msg.in', { hasText: 'Hi Alice, Bob here' }).waitFor({ timeout: NET_TIMEOUT });
  });

  it('shows right-to-left text right to left, on both sides', async () => {
    await sendInChat(bob, PERSIAN);
    await waitStored(bob, PERSIAN);
    await alice.locator('li.msg.in', { hasText: PERSIAN }).waitFor({ timeout: NET_TIMEOUT });
    assert.equal(await direction(alice, 'li.msg.in', PERSIAN), 'rtl');
    assert.equal(await direction(bob, 'li.msg.out', PERSIAN), 'rtl');
    assert.equal(await direction(alice, 'li.msg.in', 'Hi Alice, Bob here'), 'ltr');
    // The composer follows what is typed in it.
    const composer = alice.getByRole('textbox', { name: /^Message to / });
    await composer.fill('مرسی');
    assert.equal(await computedDirection(composer), 'rtl');
    await composer.fill('');
    // At 360 px nothing is wider than the screen.
    assert.ok(await fitsWidth(bob, 360), 'no horizontal scrolling at 360 px');
    await screenshot(alice, 'chat-alice-desktop');
    await screenshot(bob, 'chat-bob-phone');
  });

  it('Alice verifies Bob with the safety code Bob reads out', async () => {
    await tab(bob, 'Contacts');
    await bob.getByRole('button', { name: 'Verify Alice' }).click();
    const bobsCode = (await bob.getByTestId('safety-code').textContent())?.trim() ?? '';
    assert.match(bobsCode, /^(\d{5} ){11}\d{5}$/);
    await alice.getByRole('button', { name: 'Verify safety code' }).click();
    const alicesCode = (await alice.getByTestId('safety-code').textContent())?.trim() ?? '';
    assert.equal(alicesCode, bobsCode, 'both sides see the same code');
    // A mistyped code is refused and the contact stays unverified.
    const wrong = `${bobsCode.slice(0, -1)}${bobsCode.endsWith('0') ? '1' : '0'}`;
    const errorsBefore = errors.length;
    await alice.getByLabel('The code Bob reads to you').fill(wrong);
    await alice.getByRole('button', { name: 'Mark as verified' }).click();
    await alice.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
    // The browser logs the refused request (409) as an error: expected here, and only here.
    assert.deepEqual(errors.splice(errorsBefore).map((e) => /status of (\d+)/.exec(e)?.[1]), ['409']);
    await alice.getByLabel('The code Bob reads to you').fill(bobsCode.replaceAll(' ', ''));
    await alice.getByRole('button', { name: 'Mark as verified' }).click();
    await alice.getByTestId('verify-state').filter({ hasText: 'Bob is verified.' }).waitFor();
    await screenshot(alice, 'verify-alice-desktop');
    await alice.getByRole('button', { name: 'Back' }).click();
    await alice.getByRole('button', { name: '✓ Verified', exact: true }).waitFor();
  });

  it('shows the network: online, a fresh consensus, reachable nodes and the onion path', async () => {
    await tab(alice, 'Network');
    await alice.getByTestId('network-online').filter({ hasText: 'Online' }).waitFor();
    // The devnet's consensus lasts seconds (a real one, hours): ask again so it is shown fresh.
    await alice.getByRole('button', { name: 'Refresh' }).click();
    await alice.getByTestId('network-consensus').filter({ hasText: /^fresh: valid until/ }).waitFor();
    const listed = /(\d+) nodes listed/.exec((await alice.getByTestId('network-consensus').textContent()) ?? '');
    assert.ok(listed !== null && Number(listed[1]) > 0, `nodes listed: ${listed?.[1] ?? 'none'}`);
    assert.ok(Number(await alice.getByTestId('network-reachable').textContent()) > 0);
    const hops = await alice.locator('ol.path li').allTextContents();
    assert.deepEqual(
      hops.map((h) => h.split(/\s+/)[0]),
      ['Guard', 'Middle', 'Exit'],
    );
    await screenshot(alice, 'network-alice-desktop');
  });

  it('after a restart the old link is refused and a protected profile asks for its passphrase', async () => {
    const old = servers[1];
    assert.ok(old !== undefined);
    await bob.close(); // its event stream would only log the server going away
    await old.stop();
    const restarted = await startUi(path.join(scratch, 'bob'), net?.devnet.networkFile ?? '', { HOME: scratch });
    servers[1] = restarted;
    const context = contexts[1];
    assert.ok(context !== undefined);
    bob = await context.newPage();
    collectPageErrors(bob, errors, 'bob');
    // The old link carries the old token: refused, with a word on what to open instead.
    await bob.goto(old.url.replace(/:\d+\//, `:${new URL(restarted.url).port}/`));
    await bob.getByText('This link has expired').waitFor();
    assert.deepEqual(errors.splice(0).map((e) => /status of (\d+)/.exec(e)?.[1]), ['401']);
    await bob.goto(restarted.url);
    await bob.getByRole('heading', { name: 'Unlock Samizdat' }).waitFor();
    await bob.getByLabel('Passphrase').fill('not the passphrase');
    await bob.getByRole('button', { name: 'Unlock' }).click();
    await bob.getByRole('alert').waitFor({ timeout: 30_000 });
    assert.deepEqual(errors.splice(0).map((e) => /status of (\d+)/.exec(e)?.[1]), ['400']);
    await screenshot(bob, 'unlock-bob-phone');
    await bob.getByLabel('Passphrase').fill('correct horse battery staple');
    await bob.getByRole('button', { name: 'Unlock' }).click();
    await bob.locator('button.conversation', { hasText: 'Alice' }).click({ timeout: 30_000 });
    await bob.locator('li.msg.in', { hasText: 'Hello Bob, it is Alice' }).waitFor();
    await bob.locator('li.msg.out[data-state="stored"]', { hasText: PERSIAN }).first().waitFor();
  });

  it('logged no script, CSP or request errors in either page', (t) => {
    for (const r of retries) t.diagnostic(r);
    assert.deepEqual(errors, []);
  });
});
