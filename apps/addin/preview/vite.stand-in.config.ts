import { join } from 'node:path';
import { defineConfig } from 'vite';

/**
 * The Office stand-in as one classic script, dist-preview/office-stand-in.js:
 * loaded where office.js would be (the preview's pane, browser tests), so it
 * must define `Office` before the pane's module runs.
 */
export default defineConfig({
  build: {
    outDir: join(import.meta.dirname, '..', 'dist-preview'),
    emptyOutDir: false,
    // the preview's own build copies the icons (vite.config.ts); this one runs from wherever it is started
    copyPublicDir: false,
    lib: {
      entry: join(import.meta.dirname, 'office', 'browser.ts'),
      formats: ['iife'],
      name: 'ToaOfficeStandIn',
      fileName: () => 'office-stand-in.js',
    },
  },
});
