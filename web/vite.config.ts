// Builds the web UI into web/dist, which `samizdat ui` serves. Run as `vite build web` from the
// repository root (npm run build:web). Preact's JSX is compiled by Vite's own transformer (Oxc)
// with the automatic runtime, so no Babel-based plugin is needed.
import { defineConfig } from 'vite';

export default defineConfig({
  // Asset URLs relative to the page, so the UI works whatever path the server mounts it at.
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The strict CSP (default-src 'self') forbids inline scripts: no preload polyfill, and
    // every asset a file of its own, never a data: URL.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
