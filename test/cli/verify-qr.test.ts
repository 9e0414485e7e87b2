/**
 * The terminal QR renderer: what it draws, read back as a terminal would show it, must decode to
 * the text (checked with jsQR, a decoder independent of the encoder), and it must be the
 * encoder's module matrix exactly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsqr from 'jsqr';
import { qrMatrix, renderQrTerminal, type TerminalBackground } from '../../src/cli/qr-terminal.ts';
import { isSamizdatError } from '../../src/errors.ts';

const URI = 'samizdat:sz1qmncna0d2yjyu5yrengt7aj788vfk29nes9uykasxqnssfhl3hd2s5jlqfr?fp=l67grakpsxnnpe2fv2dmhoq5ey';

/**
 * The picture a terminal shows for `art`: one pixel row per half line, true = dark. A block is in
 * the text colour (light on a dark terminal), a space or the end of a line in the background.
 */
function screen(art: string, terminal: TerminalBackground): boolean[][] {
  const lines = art.split('\n').slice(0, -1); // every line ends in "\n"; blank ones are rows of background
  const width = Math.max(...lines.map((l) => [...l].length)) + 4;
  const textIsDark = terminal === 'light';
  const rows: boolean[][] = [];
  for (const line of lines) {
    const chars = [...line];
    const top: boolean[] = [];
    const bottom: boolean[] = [];
    for (let i = 0; i < width; i++) {
      const c = chars[i] ?? ' ';
      assert.ok([' ', '▀', '▄', '█'].includes(c), `unexpected character ${JSON.stringify(c)}`);
      top.push((c === '▀' || c === '█') === textIsDark);
      bottom.push((c === '▄' || c === '█') === textIsDark);
    }
    rows.push(top, bottom);
  }
  return rows;
}

/** Decodes a screen (scaled up 4x, with a white border) with jsQR, without trying inversion. */
function decode(pixels: boolean[][]): string | undefined {
  const scale = 4;
  const border = 8;
  const width = (pixels[0]?.length ?? 0) * scale + 2 * border;
  const height = pixels.length * scale + 2 * border;
  const rgba = new Uint8ClampedArray(width * height * 4).fill(255);
  pixels.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (!dark) return;
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const i = ((border + y * scale + dy) * width + border + x * scale + dx) * 4;
          rgba.fill(0, i, i + 3);
        }
      }
    }),
  );
  // jsqr is CommonJS: Node's default import is module.exports, which carries the function as `default`.
  return jsqr.default(rgba, width, height, { inversionAttempts: 'dontInvert' })?.data;
}

describe('terminal QR codes', () => {
  for (const terminal of ['dark', 'light'] as const) {
    it(`on a ${terminal} terminal, the picture decodes to the URI and is the encoder's matrix`, () => {
      const art = renderQrTerminal(URI, { terminal });
      const pixels = screen(art, terminal);
      assert.equal(decode(pixels), URI);
      const matrix = qrMatrix(URI);
      const margin = 2;
      assert.equal(matrix.length, 41, 'a samizdat: URI is a version-6 code at level M');
      matrix.forEach((row, y) => row.forEach((dark, x) => assert.equal(pixels[y + margin]?.[x + margin], dark, `module ${y},${x}`)));
      for (let i = 0; i < matrix.length + 2 * margin; i++) {
        for (const [y, x] of [[0, i], [i, 0], [1, i], [i, 1]] as const) assert.equal(pixels[y]?.[x], false, `quiet zone ${y},${x}`);
      }
      assert.equal(art.split('\n').length - 1, Math.ceil((41 + 2 * margin) / 2));
    });
  }

  it('a wider quiet zone still decodes; the dark default draws it as blocks', () => {
    const art = renderQrTerminal('hello', { margin: 4 });
    assert.equal(decode(screen(art, 'dark')), 'hello');
    assert.match(art, /^█{29}\n/u);
  });

  it('bad input is a typed error', () => {
    const codeOf = (fn: () => unknown): string => {
      try {
        fn();
        return 'ok';
      } catch (err) {
        assert.ok(isSamizdatError(err));
        return err.code;
      }
    };
    assert.equal(codeOf(() => renderQrTerminal('')), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => renderQrTerminal('x', { margin: -1 })), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => renderQrTerminal('x'.repeat(3000))), 'TOO_LARGE');
  });
});
