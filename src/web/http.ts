/**
 * JSON over node:http for the web API: bounded request bodies (counted as they arrive, never
 * trusting Content-Length), JSON responses, and typed errors as `{ "error": { "code", "message" } }`
 * with an HTTP status chosen from the error's code. Messages of unexpected (non-Samizdat) errors
 * are never sent: they could carry paths or state; the client gets INTERNAL.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SamizdatError, isSamizdatError, type ErrorCode } from '../errors.ts';
import { SECURITY_HEADERS } from './security.ts';

/**
 * Largest JSON request body: twice the longest message text (64 KiB), so a maximal message still
 * fits after JSON escaping of ordinary text; everything else the API takes is far smaller.
 */
export const MAX_JSON_BODY_BYTES = 128 * 1024;

/** HTTP status of each error code the API can answer with (anything else: 500). */
const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  MALFORMED: 400,
  BAD_CHECKSUM: 400,
  WRONG_PREFIX: 400,
  BAD_PHRASE: 400,
  WRONG_PASSPHRASE: 400,
  USAGE: 400,
  TOO_LARGE: 413,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PROFILE_EXISTS: 409,
  PROFILE_MISSING: 409,
  VERIFICATION_FAILED: 409,
  REFUSED: 403,
  RATE_LIMITED: 429,
  PATH_FAILED: 502,
  WRONG_SWARM: 502,
  CLOCK_SKEW: 502,
  PROOF_REQUIRED: 502,
  EXPIRED: 502,
  ROLLBACK: 502,
  BAD_SIGNATURE: 502,
  UNKNOWN_PREKEY: 502,
  STORAGE_FULL: 502,
};

/** An error with an explicit HTTP status (401 token, 405 method, 415 media type, 423 locked). */
export function httpError(status: number, code: ErrorCode, message: string): SamizdatError {
  return new SamizdatError(code, message, { detail: { httpStatus: status } });
}

export function statusOf(err: SamizdatError): number {
  const explicit = err.detail.httpStatus;
  if (typeof explicit === 'number') return explicit;
  return STATUS_OF[err.code] ?? 500;
}

function writeHead(res: ServerResponse, status: number, headers: Readonly<Record<string, string>>): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Cache-Control': 'no-store', ...headers });
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  writeHead(res, status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** The `{ error: { code, message } }` body of an error (INTERNAL for anything not a SamizdatError). */
export function errorBody(err: unknown): { error: { code: ErrorCode; message: string; retryAfterMs?: number } } {
  if (!isSamizdatError(err)) return { error: { code: 'INTERNAL', message: 'unexpected error in the web server' } };
  const body = { code: err.code, message: err.message };
  return { error: err.retryAfterMs === undefined ? body : { ...body, retryAfterMs: err.retryAfterMs } };
}

export function sendError(res: ServerResponse, err: unknown, extraHeaders: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = isSamizdatError(err) ? statusOf(err) : 500;
  const body = JSON.stringify(errorBody(err));
  writeHead(res, status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), ...extraHeaders });
  res.end(body);
}

/**
 * Reads a JSON object body of at most MAX_JSON_BODY_BYTES. An empty body is `{}`. A body needs
 * `Content-Type: application/json` (415 otherwise), must be UTF-8 JSON (MALFORMED) and an object
 * (MALFORMED for arrays and scalars); TOO_LARGE as soon as it passes the limit.
 */
export async function readJsonBody(req: IncomingMessage, limit = MAX_JSON_BODY_BYTES): Promise<Record<string, unknown>> {
  const tooLarge = (): SamizdatError => new SamizdatError('TOO_LARGE', `the request body is larger than ${limit} bytes`, { detail: { limit } });
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    req.resume(); // discarded; the error response closes the connection
    throw tooLarge();
  }
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return; // the rest is read and dropped
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
  const size = bytes.length;
  if (size === 0) return {};
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw httpError(415, 'INVALID_ARGUMENT', 'the request body must be application/json');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SamizdatError('MALFORMED', 'the request body is not UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SamizdatError('MALFORMED', 'the request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SamizdatError('MALFORMED', 'the request body must be a JSON object');
  return value as Record<string, unknown>;
}

/** A required string field of at most `maxChars` characters (INVALID_ARGUMENT otherwise). */
export function stringField(body: Record<string, unknown>, name: string, maxChars = MAX_JSON_BODY_BYTES): string {
  const value = body[name];
  if (typeof value !== 'string') throw new SamizdatError('INVALID_ARGUMENT', `"${name}" must be a string`);
  if (value.length > maxChars) throw new SamizdatError('TOO_LARGE', `"${name}" is longer than ${maxChars} characters`, { detail: { limit: maxChars } });
  return value;
}

/** An optional string field: undefined when absent or null, else as stringField. */
export function optionalStringField(body: Record<string, unknown>, name: string, maxChars = MAX_JSON_BODY_BYTES): string | undefined {
  const value = body[name];
  return value === undefined || value === null ? undefined : stringField(body, name, maxChars);
}
