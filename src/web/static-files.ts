/**
 * The built frontend (web/dist, made by `vite build`) as static files: GET and HEAD only, paths
 * resolved inside the directory (no `..`, no symlink escapes, no dot files), a fixed set of
 * content types, and index.html for `/` and for any path without a file extension (the page's
 * own routes). When the frontend has not been built, a short page says how to build it.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { SECURITY_HEADERS } from './security.ts';

/** Where `vite build` puts the frontend. */
export const DEFAULT_STATIC_DIR = path.resolve(import.meta.dirname, '../../web/dist');

/** Largest file served (the built bundle is far smaller; a bigger file is not ours). */
export const MAX_STATIC_FILE_BYTES = 16 * 1024 * 1024;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Samizdat</title></head>
<body><h1>Samizdat</h1><p>The web UI has not been built. Run <code>npm run build:web</code>
(<code>npm start</code> does it for you) and reload this page.</p></body></html>
`;

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: Buffer | string, cache: string): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': cache,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Resolves a URL path to a file inside `root`, or undefined when it names nothing servable. */
async function resolveFile(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s.startsWith('.'))) return undefined; // "..", ".env", ".git"
  const candidate = path.join(root, ...segments);
  try {
    const real = await realpath(candidate);
    const realRoot = await realpath(root);
    if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return undefined;
    const info = await stat(real);
    return info.isFile() && info.size <= MAX_STATIC_FILE_BYTES ? real : undefined;
  } catch {
    return undefined;
  }
}

/** Serves `pathname` from `root`; answers 404 / 405 itself. */
export async function serveStatic(req: IncomingMessage, res: ServerResponse, root: string, pathname: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...SECURITY_HEADERS, Allow: 'GET, HEAD', 'Content-Length': '0' });
    res.end();
    return;
  }
  const wantsPage = pathname === '/' || path.posix.extname(pathname) === '';
  const file = await resolveFile(root, wantsPage ? '/index.html' : pathname);
  if (file === undefined) {
    if (wantsPage) send(req, res, 503, 'text/html; charset=utf-8', NOT_BUILT, 'no-store');
    else send(req, res, 404, 'text/plain; charset=utf-8', 'not found\n', 'no-store');
    return;
  }
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    send(req, res, 404, 'text/plain; charset=utf-8', 'not found\n', 'no-store');
    return;
  }
  // Vite names assets by content hash, so they never change; the page itself is always fetched anew.
  const immutable = !wantsPage && pathname.startsWith('/assets/');
  send(req, res, 200, type, body, immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
}
