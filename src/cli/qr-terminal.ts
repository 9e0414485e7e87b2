/**
 * QR codes drawn with text, for `samizdat account show --qr`: the encoding is done by
 * `qrcode-generator` (the widely used, dependency-free implementation of ISO/IEC 18004), the
 * drawing here. Two QR rows share one line of text through the half-block characters
 * ("▀", "▄", "█", " "), so a version-6 code (41 x 41 modules, what a samizdat: URI needs at
 * error-correction level M) takes 45 columns and 23 lines with its quiet zone.
 *
 * A terminal shows a block in its text colour and a space in its background colour. Most
 * terminals have light text on a dark background, so by default the blocks draw the *light*
 * modules and the quiet zone (as `qrencode -t UTF8` does) and the code appears dark-on-light on
 * screen; `terminal: 'light'` draws the dark modules instead, for dark text on a light background.
 * Phone scanners read both, and most also read a code that comes out inverted.
 */
import qrcode from 'qrcode-generator';
import { SamizdatError } from '../errors.ts';

/** Which colours the terminal shows: light text on dark (the default) or dark text on light. */
export type TerminalBackground = 'dark' | 'light';

export interface QrTerminalOptions {
  /** The terminal's background; decides whether blocks are the light or the dark modules. */
  readonly terminal?: TerminalBackground;
  /** Quiet zone in modules around the code (the standard asks for 4; 2 is read by every phone we know of). */
  readonly margin?: number;
}

/** The module matrix of `text` in byte mode at error-correction level M; true = dark. */
export function qrMatrix(text: string): boolean[][] {
  if (typeof text !== 'string' || text.length === 0) throw new SamizdatError('INVALID_ARGUMENT', 'QR text must be a non-empty string');
  const qr = qrcode(0, 'M');
  try {
    qr.addData(text, 'Byte');
    qr.make();
  } catch (cause) {
    // The library throws a plain Error when the text does not fit in version 40.
    throw new SamizdatError('TOO_LARGE', 'the text is too long for a QR code', { cause, detail: { actual: text.length } });
  }
  const size = qr.getModuleCount();
  return Array.from({ length: size }, (_, row) => Array.from({ length: size }, (_, col) => qr.isDark(row, col)));
}

const HALF_BLOCKS = [' ', '▄', '▀', '█'] as const;

/** `text` as a QR code in lines of half-block characters, each line ending in "\n". */
export function renderQrTerminal(text: string, options: QrTerminalOptions = {}): string {
  const margin = options.margin ?? 2;
  if (!Number.isInteger(margin) || margin < 0 || margin > 8) throw new SamizdatError('INVALID_ARGUMENT', 'margin must be an integer from 0 to 8');
  const drawDark = (options.terminal ?? 'dark') === 'light';
  const matrix = qrMatrix(text);
  const size = matrix.length + 2 * margin;
  // A module outside the code (the quiet zone, and the half line below an odd height) is light.
  const isDark = (row: number, col: number): boolean => matrix[row - margin]?.[col - margin] === true;
  const drawn = (row: number, col: number): boolean => isDark(row, col) === drawDark;
  const lines: string[] = [];
  for (let row = 0; row < size; row += 2) {
    let line = '';
    for (let col = 0; col < size; col++) {
      const top = drawn(row, col) ? 2 : 0;
      const bottom = row + 1 < size && drawn(row + 1, col) ? 1 : 0;
      line += HALF_BLOCKS[top + bottom];
    }
    lines.push(`${line.trimEnd()}\n`);
  }
  return lines.join('');
}
