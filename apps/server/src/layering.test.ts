import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layers of docs/architecture.md, checked on the sources: every relative
 * import of every module (tests excluded: they may look at anything) is read
 * and resolved, and each layer may only point where the architecture says.
 */
const srcDir = import.meta.dirname;

/** Every module under `src/`, as a path relative to it with `/` separators. */
function modules(): string[] {
  return (readdirSync(srcDir, { recursive: true }) as string[])
    .map((file) => file.split(path.sep).join('/'))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .sort();
}

// `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')`, over several lines too
const IMPORT = /(?:\b(?:import|export)\s[^'";]*?\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/** The modules `file` imports, relative to `src/` (`.js` specifiers name the `.ts` sources). */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(srcDir, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((match) => {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), match[1] as string));
    return target.replace(/\.js$/, '.ts');
  });
}

const inFolder = (folder: string) => (file: string) => file.startsWith(`${folder}/`);

interface Rule {
  name: string;
  applies: (file: string) => boolean;
  allowed: (target: string) => boolean;
}

const rules: Rule[] = [
  {
    name: 'mail/, archive/, templates/ and http/ reach storage only through DomainStorage',
    applies: (file) => ['mail', 'archive', 'templates', 'http'].some((folder) => inFolder(folder)(file)),
    allowed: (target) => !inFolder('storage')(target) || target === 'storage/domain-storage.ts',
  },
  {
    name: 'fs/ is below everything: it imports only fs/ and the error type',
    applies: inFolder('fs'),
    allowed: (target) => inFolder('fs')(target) || target === 'errors.ts',
  },
  {
    name: 'storage/ knows no route, service, archive, catalogue or entry point',
    applies: inFolder('storage'),
    allowed: (target) =>
      !['http', 'services', 'archive', 'templates', 'cli', 'auth'].some((folder) => inFolder(folder)(target)) &&
      !['app.ts', 'server.ts', 'cli.ts', 'composition.ts'].includes(target),
  },
  {
    name: 'services/ know no Express: routes call them, never the other way',
    applies: inFolder('services'),
    allowed: (target) => !inFolder('http')(target) && target !== 'app.ts',
  },
];

describe('the layers point one way', () => {
  const graph = new Map(modules().map((file) => [file, importsOf(file)]));

  it('reads the imports it checks (the scanner sees the known ones)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('http/page-upload.ts')).toContain('storage/domain-storage.ts');
    expect(graph.get('server.ts')).toContain('composition.ts');
    // a multi-line import list
    expect(graph.get('services/import-service.ts')).toContain('storage/domain-storage.ts');
  });

  it('every import resolves to a module of src/', () => {
    const unresolved = [...graph].flatMap(([file, targets]) => targets.filter((t) => !graph.has(t)).map((t) => `${file} → ${t}`));
    expect(unresolved).toEqual([]);
  });

  for (const rule of rules) {
    it(rule.name, () => {
      const broken = [...graph]
        .filter(([file]) => rule.applies(file))
        .flatMap(([file, targets]) => targets.filter((target) => !rule.allowed(target)).map((target) => `${file} → ${target}`));
      expect(broken).toEqual([]);
    });
  }
});
