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

// what loads with a module: `import … from '…'`, `export … from '…'` and `import '…'`, not `import type` (erased) nor `import('…')`
const STATIC_IMPORT = /\b(?:import(?!\s+type\b)|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s+['"]([^'"]+)['"]/g;

/** Every module and package that loading `entry` loads with it: its static imports, followed through `src/`. */
function staticallyLoaded(entry: string): { modules: Set<string>; packages: Set<string> } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (modules.has(file)) return;
    modules.add(file);
    const text = readFileSync(path.join(srcDir, file), 'utf8');
    for (const match of text.matchAll(STATIC_IMPORT)) {
      const specifier = (match[1] ?? match[2]) as string;
      if (!specifier.startsWith('.')) packages.add(specifier);
      else visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\.js$/, '.ts'));
    }
  };
  visit(entry);
  return { modules, packages };
}

describe('what `serve` loads before it takes its port is light (ADR 0026)', () => {
  /** what takes most of the server's load time, and nothing that takes the port may wait for */
  const HEAVY_PACKAGES = ['express', 'multer', 'helmet', 'prom-client', 'jose', 'fast-xml-parser', 'mailparser', '@zone-eu/mailsplit'];
  const lightModule = (file: string) =>
    !['server.ts', 'app.ts', 'composition.ts'].includes(file) &&
    !['storage', 'mail', 'archive', 'templates', 'auth', 'cluster'].some((folder) => inFolder(folder)(file)) &&
    // of the services, only the start-up gate's retry time
    (!inFolder('services')(file) || file === 'services/startup-gate.ts') &&
    (!inFolder('http')(file) || ['http/listen-first.ts', 'http/problem-body.ts'].includes(file)) &&
    (!inFolder('cli')(file) || ['cli/output.ts', 'cli/only-domain.ts'].includes(file));

  // each with a module it is known to load, so that a scanner that follows nothing cannot pass
  for (const [entry, known] of [
    ['cli.ts', 'http/problem-body.ts'],
    ['http/listen-first.ts', 'http/problem-body.ts'],
  ] as const) {
    it(`${entry} reaches no server, app, storage or Express through a static import`, () => {
      const { modules, packages } = staticallyLoaded(entry);
      expect(modules).toContain(known);
      expect([...modules].filter((file) => !lightModule(file))).toEqual([]);
      expect([...packages].filter((name) => HEAVY_PACKAGES.some((heavy) => name === heavy || name.startsWith(`${heavy}/`)))).toEqual([]);
    });
  }
});

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
