import path from 'node:path';
import { joinImportId } from '@toa/api/ids';
import { describe, expect, it } from 'vitest';
import { ImportPaths, Layout, ownerKey } from './layout.js';

describe('Layout', () => {
  const root = path.join('some', 'data', 'root') + path.sep;
  const layout = new Layout(root);
  const id = joinImportId('2026-11-22', '0930-0123abcd');

  it('gives the paths path.join would, under the resolved root', () => {
    const dir = layout.importDir('acme', id);
    expect(dir).toBe(path.join(path.resolve(root), 'acme', '2026-11-22', '0930-0123abcd'));
    const paths = new ImportPaths(dir);
    expect(paths.importFile).toBe(path.join(dir, 'import.json'));
    expect(paths.pageFile(2, 3)).toBe(path.join(dir, 'doc-2', 'pages', 'page-3.bin'));
    expect(layout.lastValuesFile('acme', 'alice@acme.example')).toBe(
      path.join(path.resolve(root), 'acme', '.toa-last-values', `${ownerKey('alice@acme.example')}.json`),
    );
  });

  it('refuses a domain code that is not one every time it is asked, and one remembered stays the same', () => {
    for (let i = 0; i < 2; i += 1) {
      expect(() => layout.domainDir('../etc')).toThrow(/not a domain code/);
      expect(() => layout.domainDir('acme/..')).toThrow(/not a domain code/);
    }
    expect(layout.domainDir('acme')).toBe(layout.domainDir('acme'));
    expect(layout.domainDir('acme')).toBe(path.join(path.resolve(root), 'acme'));
  });

  it('refuses ids and numbers that are not theirs', () => {
    expect(() => layout.importDir('acme', '../../etc')).toThrow(/not an import id/);
    expect(() => new ImportPaths(layout.importDir('acme', id)).docDir(0)).toThrow(/positive integer/);
    expect(() => new ImportPaths(layout.importDir('acme', id)).pageFile(1, 1.5)).toThrow(/positive integer/);
  });
});
