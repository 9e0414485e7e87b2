/**
 * What keeps other programs and web pages away from the local web UI (DESIGN.md §2, issue 7):
 *
 * - a random 32-byte token per server start, given to the user in the URL fragment (#token=...,
 *   never sent to the server by the browser, so it stays out of logs and Referer headers) and
 *   required on every /api request as `Authorization: Bearer <token>` (the event stream, which
 *   EventSource opens without headers, may carry it as `?token=`), compared in constant time;
 * - the Host header must name the loopback address and port the server listens on, so a page on
 *   another site that rebinds its DNS name to 127.0.0.1 cannot reach the API;
 * - response headers that forbid framing, sniffing, referrers and any script or connection that
 *   is not from the server itself.
 */
import type { CryptoProvider } from '../crypto/provider.ts';

/** Random bytes in a token (256 bits: not guessable, not brute-forceable over loopback). */
export const TOKEN_BYTES = 32;

/** The Content-Security-Policy of every response: only the server's own files, no inline code. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers sent with every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(self), microphone=(), geolocation=()',
};

/** A new token: TOKEN_BYTES random bytes as base64url (43 characters). */
export function createToken(crypto: CryptoProvider): string {
  return Buffer.from(crypto.randomBytes(TOKEN_BYTES)).toString('base64url');
}

export interface TokenCheck {
  /** True when `presented` is the token. Constant time in the token's content. */
  matches(presented: string | undefined): boolean;
}

/**
 * Compares hashes of the two strings, so the comparison takes the same time whatever the
 * presented value's length or content.
 */
export function createTokenCheck(crypto: CryptoProvider, token: string): TokenCheck {
  const expected = crypto.hash('sha256', new TextEncoder().encode(token));
  return {
    matches(presented) {
      if (typeof presented !== 'string') return false;
      const digest = crypto.hash('sha256', new TextEncoder().encode(presented));
      return crypto.constantTimeEqual(digest, expected);
    },
  };
}

/** The token in an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+([A-Za-z0-9_-]+)[ ]*$/.exec(header);
  return match?.[1];
}

/** True when `host` (the Host header) is 127.0.0.1:PORT or localhost:PORT for the server's port. */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const lower = host.toLowerCase();
  return lower === `127.0.0.1:${port}` || lower === `localhost:${port}`;
}

/** True when an Origin header, if the browser sent one, is the server's own origin. */
export function originAllowed(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true;
  const lower = origin.toLowerCase();
  return lower === `http://127.0.0.1:${port}` || lower === `http://localhost:${port}`;
}
