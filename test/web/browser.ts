/**
 * Support for the web UI's end-to-end tests: Debian's Chromium driven by playwright-core (no
 * browser download), `samizdat ui` as a child process, and the built frontend.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/samizdat.js');
export const ARTIFACTS = path.join(import.meta.dirname, 'artifacts');

/** Why the browser tests cannot run here, or false when they can. */
export function skipReason(): string | false {
  return existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the web UI tests; CI installs it`;
}

/** The newest modification time under `dir` (a file or a folder), 0 when it does not exist. */
function newest(file: string): number {
  if (!existsSync(file)) return 0;
  const s = statSync(file);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(file).map((name) => newest(path.join(file, name))));
}

/**
 * Builds web/dist when it is missing or older than its sources (npm test builds it first in
 * `pretest`; this is for running one test file by hand).
 */
export function ensureBuilt(): void {
  const built = newest(path.join(ROOT, 'web/dist/index.html'));
  const sources = Math.max(...['web/index.html', 'web/src', 'web/public', 'web/vite.config.ts'].map((f) => newest(path.join(ROOT, f))));
  if (built > 0 && built >= sources) return;
  const vite = path.join(ROOT, 'node_modules/vite/bin/vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', 'web', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`vite build failed (${String(r.status ?? r.signal)})`);
}

/**
 * Headless Chromium with the flags this machine needs: no sandbox (root in CI), no GPU, and no
 * background connections to Google's services (the network is closed; they would only fail).
 * Playwright gives each launch a fresh, empty profile directory.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Errors the page logged (a CSP violation, an uncaught exception, a failed request). */
export function collectPageErrors(page: Page, into: string[], who: string): void {
  page.on('pageerror', (e) => into.push(`${who}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') into.push(`${who}: console: ${m.text()}`);
  });
}

// This project's TypeScript has no DOM types (and should not get them: src/ runs on Node), so code
// run in the page names the few browser functions it uses through these casts, or is text.
interface PageElement {
  getAttribute(name: string): string | null;
  readonly textContent: string | null;
}
interface PageGlobals {
  getComputedStyle(element: unknown): { direction: string };
}

/** The element's computed CSS `direction` ("ltr" or "rtl"). */
export async function computedDirection(locator: Locator): Promise<string> {
  return await locator.evaluate((el) => (globalThis as unknown as PageGlobals).getComputedStyle(el).direction);
}

/** "STATE: TEXT" of every element `locator` matches (data-state attribute and text). */
export async function statesOf(locator: Locator): Promise<string[]> {
  return await locator.evaluateAll((els) =>
    (els as unknown as PageElement[]).map((el) => `${el.getAttribute('data-state') ?? '?'}: ${el.textContent ?? ''}`),
  );
}

/**
 * The text of the focused element once it is `expected` (focus moves after the view renders), or
 * whatever is focused when `timeoutMs` runs out.
 */
export async function focusedText(page: Page, expected?: string, timeoutMs = 5_000): Promise<string> {
  const read = async (): Promise<string> => String(await page.evaluate('document.activeElement?.textContent ?? ""'));
  const deadline = Date.now() + timeoutMs;
  let text = await read();
  while (expected !== undefined && text !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    text = await read();
  }
  return text;
}

/** True when the page is no wider than its viewport (no horizontal scrolling). */
export async function fitsWidth(page: Page, width: number): Promise<boolean> {
  return (await page.evaluate(`document.documentElement.scrollWidth <= ${width}`)) === true;
}

/** Side of the square the QR code is drawn into for decoding, in pixels. */
const QR_RASTER = 328;

/**
 * The page's `svg.qr` drawn onto a canvas, as RGBA pixels: what a phone camera would see, for a
 * decoder to read. (The SVG becomes a blob: image, which the page's CSP allows.)
 */
export async function qrPixels(page: Page): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const data = await page.evaluate(`(async () => {
    const svg = document.querySelector('svg.qr');
    const url = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(svg)], { type: 'image/svg+xml' }));
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = ${QR_RASTER};
      const ctx = canvas.getContext('2d');
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(img, 0, 0, ${QR_RASTER}, ${QR_RASTER});
      return Array.from(ctx.getImageData(0, 0, ${QR_RASTER}, ${QR_RASTER}).data);
    } finally {
      URL.revokeObjectURL(url);
    }
  })()`);
  if (!Array.isArray(data)) throw new Error('no QR pixels');
  return { width: QR_RASTER, height: QR_RASTER, data: Uint8ClampedArray.from(data as number[]) };
}

export interface UiServer {
  readonly url: string;
  readonly process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** `samizdat ui --profile DIR --network FILE --port 0`; resolves with the printed address. */
export function startUi(profile: string, networkFile: string, env: Record<string, string>): Promise<UiServer> {
  const child = spawn(process.execPath, [BIN, 'ui', '--profile', profile, '--network', networkFile, '--port', '0'], {
    env: { ...process.env, ...env, SAMIZDAT_PASSPHRASE: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const server = (url: string): UiServer => ({
    url,
    process: child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`samizdat ui printed no address within 30 s: ${out}`));
    }, 30_000);
    const onData = (d: string): void => {
      out += d;
      const match = /^ui: (http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+)$/m.exec(out);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(server(match[1]));
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`samizdat ui exited (${String(code ?? signal)}): ${out}`));
    });
  });
}
