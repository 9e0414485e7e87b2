/**
 * A QR code drawn as SVG in the page (no image request, no data: URL, which the CSP forbids).
 * The encoding is done by qrcode-generator (ISO/IEC 18004), the same library as the command
 * line's `--qr`: byte mode, error-correction level M, a 4-module quiet zone.
 */
import qrcode from 'qrcode-generator';

const QUIET = 4;

export function qrPath(text: string): { size: number; d: string } {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const count = qr.getModuleCount();
  let d = '';
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      // Runs of dark modules in a row as one rectangle: a shorter path than one square each.
      if (!qr.isDark(row, col)) continue;
      let run = 1;
      while (col + run < count && qr.isDark(row, col + run)) run++;
      d += `M${col + QUIET} ${row + QUIET}h${run}v1h-${run}z`;
      col += run - 1;
    }
  }
  return { size: count + 2 * QUIET, d };
}

export function QrCode({ text, label }: { text: string; label: string }) {
  const { size, d } = qrPath(text);
  return (
    <svg class="qr" role="img" aria-label={label} viewBox={`0 0 ${size} ${size}`} shape-rendering="crispEdges" xmlns="http://www.w3.org/2000/svg">
      <rect width={size} height={size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
