/** Where a profile passphrase comes from: --passphrase-file FILE, else SAMIZDAT_PASSPHRASE. */
import { readFileSync } from 'node:fs';
import { SamizdatError } from '../errors.ts';
import type { CliIo, GlobalOptions } from './io.ts';

/** Longest passphrase accepted, so a wrong --passphrase-file (a disk image, say) is refused fast. */
const MAX_PASSPHRASE_BYTES = 4096;

export function readPassphrase(io: CliIo, global: GlobalOptions): string | undefined {
  if (global.passphraseFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(global.passphraseFile, 'utf8');
    } catch (cause) {
      throw new SamizdatError('STORAGE_FAILED', `cannot read the passphrase file ${global.passphraseFile}`, { cause });
    }
    if (text.length > MAX_PASSPHRASE_BYTES) throw new SamizdatError('TOO_LARGE', 'the passphrase file is too large');
    const passphrase = text.replace(/\r?\n$/, '');
    if (passphrase.length === 0) throw new SamizdatError('USAGE', 'the passphrase file is empty');
    return passphrase;
  }
  const fromEnv = io.env.SAMIZDAT_PASSPHRASE;
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}
