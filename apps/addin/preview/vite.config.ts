import { join } from 'node:path';
import type { Plugin } from 'vite';
import { defineConfig } from 'vite';
import { buildSampleMailbox } from './sample-mailbox.ts';

/** dist-preview/mailbox/: mailbox.json and the messages' EML files, read from the corpus at build time. */
function sampleMailbox(): Plugin {
  return {
    name: 'toa-sample-mailbox',
    apply: 'build',
    async generateBundle() {
      const { mailbox, files } = await buildSampleMailbox();
      this.emitFile({ type: 'asset', fileName: 'mailbox/mailbox.json', source: JSON.stringify(mailbox, null, 2) });
      for (const [name, bytes] of files) this.emitFile({ type: 'asset', fileName: `mailbox/${name}`, source: bytes });
    },
  };
}

/**
 * The browser preview (docs/taskpane.md): the sample mailbox page, built into
 * apps/addin/dist-preview, apart from the pane's own dist. The server serves
 * it at /preview/ in `dev` identity only.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  // the pane's icons, for the preview's own (index.html links one, so the browser asks for no /favicon.ico)
  publicDir: join(import.meta.dirname, '..', 'public'),
  plugins: [sampleMailbox()],
  build: {
    outDir: join(import.meta.dirname, '..', 'dist-preview'),
    emptyOutDir: true,
    assetsDir: 'assets',
  },
});
