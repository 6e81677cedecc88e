import { type Import, importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestServer, type TestServer, upload } from '../support/server.js';
import { foldedHeader, hostileMessages } from './hostile-messages.js';
import { importDirOf, importFiles, report, timed } from './support.js';

const PAGE_SIZE_MB = 8;

let server: TestServer;
let alice: ReturnType<TestServer['as']>;

beforeAll(async () => {
  server = await startTestServer({ overrides: { limits: { pageSizeMb: PAGE_SIZE_MB } } });
  alice = server.as('alice@acme.example');
});
afterAll(() => server.dispose());

async function newImport(): Promise<Import> {
  return importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
}

async function statusAndCode(response: Response): Promise<string> {
  const body = (await response.json()) as { code?: string };
  return response.status >= 400 ? `${response.status} ${body.code}` : String(response.status);
}

describe('hostile messages over HTTP', () => {
  it('accepts each with a sidecar or refuses it with a clear 422, extracts or refuses cleanly, and leaves nothing behind', async () => {
    const created = await newImport();
    const rows: Array<Record<string, string | number>> = [];
    for (const { name, bytes } of hostileMessages(PAGE_SIZE_MB * 1024 * 1024)) {
      const added = await timed(() => alice(paths.pages('acme', created.id, 1), upload(bytes, 'hostile.eml', 'message/rfc822')));
      const page = (await added.value.clone().json()) as { m?: number; meta?: { attachments: unknown[] }; code?: string };
      const outcome = await statusAndCode(added.value);
      expect([`201`, `422 MESSAGE_UNPARSEABLE`], name).toContain(outcome);
      let extractOutcome = '-';
      let extractMs = 0;
      if (page.m !== undefined) {
        expect(page.meta, name).toBeDefined();
        const extracted = await timed(() => alice(paths.extract('acme', created.id, 1, page.m as number), json('POST', {})));
        extractOutcome = await statusAndCode(extracted.value);
        extractMs = extracted.ms;
        expect(['201', '422 NOTHING_TO_EXTRACT', '422 MESSAGE_UNPARSEABLE'], name).toContain(extractOutcome);
      }
      rows.push({
        message: name,
        bytes: bytes.length,
        upload: outcome,
        ms: added.ms,
        attachments: page.meta?.attachments.length ?? '-',
        extract: extractOutcome,
        extractMs,
      });
    }
    report('hostile messages', rows);
    const { expected, actual } = await importFiles(importDirOf(server.dataRoot, 'acme', created.id));
    expect(actual).toEqual(expected);
  });

  it('keeps answering /api/health while a pathological message is parsed', async () => {
    const created = await newImport();
    // the costliest message found: tens of MB of heap and a good share of a second, all in one header
    const folded = foldedHeader(250_000);
    let uploading = true;
    const upload$ = alice(paths.pages('acme', created.id, 1), upload(folded, 'folded.eml', 'message/rfc822')).finally(() => {
      uploading = false;
    });
    const healthTimes: number[] = [];
    let answeredDuringUpload = 0;
    while (uploading) {
      const health = await timed(() => fetch(`${server.url}${paths.health()}`));
      expect(health.value.status).toBe(200);
      healthTimes.push(health.ms);
      if (uploading) answeredDuringUpload += 1;
    }
    const uploaded = await upload$;
    expect(uploaded.status).toBe(201);
    expect(answeredDuringUpload).toBeGreaterThan(0);
    report('health while a 1 MB folded header is parsed', [{ healthRequests: healthTimes.length, answeredDuringUpload, worstMs: Math.max(...healthTimes) }]);
  });
});
