import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { problemSchema } from '@toa/api/errors';
import { paths } from '@toa/api/routes';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestServer, type TestServer } from '../support/server.js';

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE catalogue [
  <!ENTITY lol "lol">
  ${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('\n  ')}
]>
<catalogue version="1"><template id="t" name="&lol9;"/></catalogue>`;

const EXTERNAL_ENTITY = `<?xml version="1.0"?>
<!DOCTYPE catalogue [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<catalogue version="1"><template id="t" name="&secret;"><attribute id="a" label="a" type="text"/></template></catalogue>`;

/** A catalogue-shaped file of 50 MB: one template repeated until the file is that large. */
async function writeHugeCatalogue(file: string): Promise<void> {
  const handle = await open(file, 'w');
  await handle.write('<?xml version="1.0" encoding="UTF-8"?>\n<catalogue version="1">\n');
  const block = Array.from({ length: 1000 }, (_, i) => `<template id="t${i}" name="T"><attribute id="a" label="A" type="text"/></template>\n`).join('');
  for (let written = 0; written < 50 * 1024 * 1024; written += block.length) await handle.write(block);
  await handle.write('</catalogue>\n');
  await handle.close();
}

const HOSTILE: Record<string, string> = { laughs: 'billion laughs', xxe: 'external entity', huge: '50 MB file' };

let dir: string;
let server: TestServer;
const logLines: Array<{ level: number; msg: string; domain?: string; reason?: string }> = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-hostile-catalogue-'));
  await writeFile(path.join(dir, 'laughs.xml'), BILLION_LAUGHS);
  await writeFile(path.join(dir, 'xxe.xml'), EXTERNAL_ENTITY);
  await writeHugeCatalogue(path.join(dir, 'huge.xml'));
  const domain = (code: string) => ({
    code,
    name: code,
    templates: { file: `./${code}.xml` },
    archive: { type: 'filesystem' as const, root: `./archive/${code}` },
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      callback();
    },
  });
  server = await startTestServer({ dir, logger: pino({ level: 'info' }, sink), overrides: { domains: ['acme', ...Object.keys(HOSTILE)].map(domain) } });
});
afterAll(async () => {
  await server.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('a server started with hostile catalogue files', () => {
  for (const [code, kind] of Object.entries(HOSTILE)) {
    it(`logs why the ${kind} catalogue of "${code}" is refused and answers 503 for its templates`, async () => {
      const logged = logLines.find((line) => line.domain === code && line.msg === 'template catalogue unavailable');
      expect(logged?.reason).toMatch(/DOCTYPE|ENTITY|larger than/);
      const response = await server.as('ann@acme.example')(paths.templates(code));
      expect(response.status).toBe(503);
      expect(problemSchema.parse(await response.json()).detail).toMatch(/DOCTYPE|ENTITY|larger than/);
    });
  }

  it('serves the other domain normally', async () => {
    const ann = server.as('ann@acme.example');
    const response = await ann(paths.templates('acme'));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { templates: Array<{ id: string }> }).templates.map((t) => t.id)).toContain('invoice');
    expect((await ann(paths.imports('acme'), json('POST', {}))).status).toBe(201);
  });
});
