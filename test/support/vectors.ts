/** Loads the JSON test vectors under test/vectors/ (shapes of Wycheproof's testvectors_v1). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fromHex } from '../../src/crypto/bytes.ts';

const root = path.resolve(import.meta.dirname, '..', 'vectors');

/** Parses test/vectors/NAME; the caller names the shape it expects. */
export function loadJson<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(root, name), 'utf8')) as T;
}

export type WycheproofResult = 'valid' | 'invalid' | 'acceptable';

export interface WycheproofTest {
  readonly tcId: number;
  readonly comment?: string;
  readonly flags?: readonly string[];
  readonly result: WycheproofResult;
}

export interface WycheproofFile<G> {
  readonly algorithm: string;
  readonly numberOfTests: number;
  readonly testGroups: readonly G[];
}

/** A Wycheproof file from test/vectors/wycheproof/. */
export function loadWycheproof<G>(file: string): WycheproofFile<G> {
  return loadJson<WycheproofFile<G>>(path.join('wycheproof', file));
}

/** Hex to bytes (vectors use both cases). */
export const hex = (text: string): Uint8Array => fromHex(text);

/** A label for assertion messages. */
export function caseName(t: WycheproofTest): string {
  return `tcId ${t.tcId} (${t.result}${t.comment ? `: ${t.comment}` : ''}${t.flags?.length ? ` [${t.flags.join(',')}]` : ''})`;
}
