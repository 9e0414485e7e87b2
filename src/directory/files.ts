/**
 * The directory's files: the consensus cache (written atomically, so a crash leaves either the old
 * or the new consensus, never half of one), consensus files imported by hand, and network files.
 */
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CryptoProvider } from '../crypto/provider.ts';
import { SamizdatError } from '../errors.ts';
import { verifyConsensus } from './consensus.ts';
import type { Consensus } from './consensus.ts';
import { MAX_CONSENSUS_BYTES, MAX_NETWORK_FILE_BYTES } from './limits.ts';
import { parseNetworkFile, serializeNetworkConfig } from './network-file.ts';
import type { NetworkConfig } from './network-file.ts';

let tmpCounter = 0;

function storageError(message: string, file: string, cause: unknown): SamizdatError {
  return new SamizdatError('STORAGE_FAILED', message, { cause, detail: { file } });
}

function isMissing(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}

/**
 * Writes `data` to `file` atomically: a temporary file in the same directory, fsync, rename.
 * `private: true` makes the file 0600 (and a new directory 0700), for anything about the user.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string, options: { private?: boolean } = {}): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++tmpCounter}.tmp`);
  const secret = options.private === true;
  try {
    await mkdir(dir, secret ? { recursive: true, mode: 0o700 } : { recursive: true });
    const handle = await open(tmp, 'wx', secret ? 0o600 : 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (cause) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw storageError(`cannot write ${file}`, file, cause);
  }
  try {
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename itself is still atomic.
  }
}

/** Reads a file of at most `maxBytes`; undefined if it does not exist. */
async function readBounded(file: string, maxBytes: number): Promise<Uint8Array | undefined> {
  try {
    const info = await stat(file);
    if (info.size > maxBytes) {
      throw new SamizdatError('TOO_LARGE', `${file} exceeds ${maxBytes} bytes`, { detail: { file, limit: maxBytes } });
    }
    return new Uint8Array(await readFile(file));
  } catch (err) {
    if (isMissing(err)) return undefined;
    if (err instanceof SamizdatError) throw err;
    throw storageError(`cannot read ${file}`, file, err);
  }
}

/** Stores consensus document bytes in the cache file (atomically). */
export async function saveConsensus(file: string, bytes: Uint8Array): Promise<void> {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_CONSENSUS_BYTES) {
    throw new SamizdatError('INVALID_ARGUMENT', `bytes must be a consensus document of at most ${MAX_CONSENSUS_BYTES} bytes`);
  }
  await writeFileAtomic(file, bytes);
}

/** The cached consensus document bytes (unverified), or undefined when there is no cache. */
export async function loadCachedConsensus(file: string): Promise<Uint8Array | undefined> {
  return readBounded(file, MAX_CONSENSUS_BYTES);
}

export interface ImportConsensusOptions {
  readonly crypto: CryptoProvider;
  readonly network: NetworkConfig;
  readonly now: number;
  /** Accept an expired consensus (to learn node addresses when nothing newer is reachable). */
  readonly allowStale?: boolean;
}

/**
 * Reads and verifies a consensus file handed over by a person (a file, a link, the mesh). The
 * same checks as a download: signatures from more than half of the authorities, every descriptor.
 */
export async function importConsensusFile(file: string, options: ImportConsensusOptions): Promise<Consensus> {
  const bytes = await readBounded(file, MAX_CONSENSUS_BYTES);
  if (bytes === undefined) throw new SamizdatError('STORAGE_FAILED', `no such file: ${file}`, { detail: { file } });
  return verifyConsensus(options.crypto, options.network, bytes, {
    now: options.now,
    ...(options.allowStale === undefined ? {} : { allowStale: options.allowStale }),
  });
}

/** Reads and validates a network file. */
export async function readNetworkFile(file: string): Promise<NetworkConfig> {
  const bytes = await readBounded(file, MAX_NETWORK_FILE_BYTES);
  if (bytes === undefined) throw new SamizdatError('STORAGE_FAILED', `no such network file: ${file}`, { detail: { file } });
  return parseNetworkFile(new TextDecoder().decode(bytes));
}

/** Writes a network file atomically. */
export async function writeNetworkFile(file: string, config: NetworkConfig): Promise<void> {
  await writeFileAtomic(file, serializeNetworkConfig(config));
}
