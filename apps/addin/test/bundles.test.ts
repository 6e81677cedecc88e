import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ADDIN = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

/** Text only the Office stand-in contains (preview/office/stand-in.ts), and the preview page's global. */
const STAND_IN_MARKERS = ['Single sign-on is not set up in the stand-in.', '__TOA_PREVIEW_MAILBOX__'];

describe('the built bundles (turbo builds them before the tests)', () => {
  it('keep the preview out of the pane that Outlook loads: no stand-in, no sample mailbox in dist/', () => {
    const pane = filesUnder(join(ADDIN, 'dist'));
    expect(pane).toContain('taskpane.html');
    expect(pane.filter((file) => /office-stand-in|mailbox|\.eml$|^index\.html$/.test(file))).toEqual([]);
    for (const file of pane.filter((f) => /\.(js|html|css)$/.test(f))) {
      const text = readFileSync(join(ADDIN, 'dist', file), 'utf8');
      for (const marker of STAND_IN_MARKERS) expect(text.includes(marker), `${file} contains ${marker}`).toBe(false);
    }
  });

  it('are production builds: no development JSX runtime, whatever NODE_ENV the build ran under', () => {
    // vitest sets NODE_ENV=test for what it spawns; a build run from a test (npm start builds first) must not ship React's dev runtime
    for (const dir of ['dist', 'dist-preview']) {
      const scripts = filesUnder(join(ADDIN, dir)).filter((file) => file.endsWith('.js'));
      expect(scripts.length, dir).toBeGreaterThan(0);
      for (const file of scripts) expect(readFileSync(join(ADDIN, dir, file), 'utf8').includes('jsxDEV'), `${dir}/${file}`).toBe(false);
    }
  });

  it('put the preview in dist-preview/: the page, the stand-in as one classic script, the sample mailbox', () => {
    const preview = filesUnder(join(ADDIN, 'dist-preview'));
    expect(preview).toEqual(expect.arrayContaining(['index.html', 'office-stand-in.js', 'mailbox/mailbox.json']));
    const standIn = readFileSync(join(ADDIN, 'dist-preview', 'office-stand-in.js'), 'utf8');
    // loaded where office.js was, by a plain <script>: no module syntax
    expect(standIn).not.toMatch(/^\s*(import|export)\s/m);
    expect(standIn).toContain(STAND_IN_MARKERS[0]);
    const mailbox = JSON.parse(readFileSync(join(ADDIN, 'dist-preview', 'mailbox', 'mailbox.json'), 'utf8')) as {
      messages: Array<{ file: string; attachments: unknown[] }>;
    };
    expect(mailbox.messages.length).toBeGreaterThanOrEqual(3);
    for (const message of mailbox.messages) {
      expect(message.attachments.length).toBeGreaterThan(0);
      expect(preview).toContain(`mailbox/${message.file}`);
    }
  });
});
