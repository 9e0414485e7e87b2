/** Where `--network` points when it is not given: the local devnet's network file. */
import path from 'node:path';
import type { CliIo, GlobalOptions } from './io.ts';

export function defaultDevnetDir(io: CliIo): string {
  return path.join(io.homeDir, '.samizdat', 'devnet');
}

export function networkFileOf(io: CliIo, global: GlobalOptions): string {
  return path.resolve(global.network ?? path.join(defaultDevnetDir(io), 'network.json'));
}
