import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OfficeAddinManifest } from 'office-addin-manifest';
import { describe, expect, it } from 'vitest';
import { projectProblems, schemaProblems, validateManifest } from '../scripts/validate-manifest.mjs';
import { addWebApplicationInfo, parseSsoOptions, parseTargetUrl, rewriteManifest, setVersion } from '../scripts/write-manifest.mjs';

const ADDIN = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(ADDIN, '../..');
const MANIFEST = resolve(REPO, 'manifest.xml');
const xml = readFileSync(MANIFEST, 'utf8');
const doc = new DOMParser().parseFromString(xml, 'application/xml');
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

const all = (name: string) => [...doc.getElementsByTagName(name)];
const xsiType = (element: Element) => element.getAttributeNS(XSI, 'type');

/** Width and height from a PNG's IHDR chunk. */
function pngSize(path: string): [number, number] {
  const bytes = readFileSync(path);
  expect(bytes.subarray(1, 4).toString('ascii')).toBe('PNG');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

/** The file in public/ an add-in URL points at. */
function localFile(url: string): string {
  return join(ADDIN, 'public', new URL(url).pathname);
}

describe('manifest.xml', () => {
  it('is a well-formed XML add-in-only manifest', () => {
    expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
  });

  it('reads as a MailApp with the least permission that files several selected messages', async () => {
    const info = await OfficeAddinManifest.readManifestFile(MANIFEST);
    expect(info.officeAppType).toBe('MailApp');
    expect(info.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(info.defaultLocale).toBe('en-US');
    expect(info.hosts).toEqual(['Mailbox']);
    // getSelectedItemsAsync and loadItemByIdAsync (item multi-select) need read/write mailbox, per the Office docs.
    expect(info.permissions).toBe('ReadWriteMailbox');
    expect(info.appDomains).toEqual(['https://localhost:3000']);
    expect(pngSize(localFile(info.iconUrl ?? ''))).toEqual([64, 64]);
    expect(pngSize(localFile(info.highResolutionIconUrl ?? ''))).toEqual([128, 128]);
  });

  it('declares Mailbox 1.1 and a read form for messages', () => {
    const set = all('Set').find((s) => s.getAttribute('Name') === 'Mailbox');
    expect(set?.getAttribute('MinVersion')).toBe('1.1');
    const forms = all('Form').map(xsiType);
    expect(forms).toEqual(['ItemRead']);
    const rule = all('Rule').find((r) => xsiType(r) === 'ItemIs');
    expect([rule?.getAttribute('ItemType'), rule?.getAttribute('FormType')]).toEqual(['Message', 'Read']);
  });

  it('has a pinnable task-pane button on the message read surface that activates on several selected messages, in VersionOverrides 1.1', () => {
    const v11 = all('VersionOverrides').find((v) => xsiType(v) === 'VersionOverridesV1_1');
    expect(v11).toBeDefined();
    expect(v11?.parentElement && xsiType(v11.parentElement)).toBe('VersionOverridesV1_0');
    const surfaces = [...(v11?.getElementsByTagName('ExtensionPoint') ?? [])].map(xsiType);
    expect(surfaces).toEqual(['MessageReadCommandSurface']);
    const action = v11?.getElementsByTagName('Action')[0];
    expect(action && xsiType(action)).toBe('ShowTaskpane');
    expect(action?.getElementsByTagName('SupportsPinning')[0]?.textContent).toBe('true');
    expect(action?.getElementsByTagName('SupportsMultiSelect')[0]?.textContent).toBe('true');
    const resid = action?.getElementsByTagName('SourceLocation')[0]?.getAttribute('resid');
    const url = all('bt:Url')
      .find((u) => u.getAttribute('id') === resid && v11?.contains(u))
      ?.getAttribute('DefaultValue');
    expect(url).toBe('https://localhost:3000/taskpane.html');
  });

  it('gives the button 16, 32 and 80 px icons that exist at those sizes', () => {
    for (const overrides of all('VersionOverrides')) {
      const icon = overrides.getElementsByTagName('Icon')[0];
      const images = [...(icon?.getElementsByTagName('bt:Image') ?? [])];
      expect(images.map((i) => i.getAttribute('size'))).toEqual(['16', '32', '80']);
      for (const image of images) {
        const size = Number(image.getAttribute('size'));
        const resource = all('bt:Image').find((r) => r.getAttribute('id') === image.getAttribute('resid'));
        expect(pngSize(localFile(resource?.getAttribute('DefaultValue') ?? ''))).toEqual([size, size]);
      }
    }
  });

  it('points every URL at HTTPS, and the task pane at the Vite entry', () => {
    const urls = [...xml.matchAll(/(?:DefaultValue="|<AppDomain>)(https?:\/\/[^"<]+)/g)].map((m) => m[1] as string);
    expect(urls.length).toBeGreaterThan(5);
    for (const url of urls) expect(url).toMatch(/^https:\/\/localhost:3000(\/|$)/);
    expect(existsSync(join(ADDIN, 'taskpane.html'))).toBe(true);
    const source = all('SourceLocation')
      .find((s) => s.getAttribute('DefaultValue'))
      ?.getAttribute('DefaultValue');
    expect(source).toBe('https://localhost:3000/taskpane.html');
  });
});

describe('write-manifest', () => {
  it('writes a production manifest that office-addin-manifest reads, with no development URL left', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'toa-manifest-')), 'manifest.xml');
    const target = parseTargetUrl('https://toa.example.org/mail/');
    writeFileSync(out, rewriteManifest(xml, target));
    const written = readFileSync(out, 'utf8');
    expect(written).not.toContain('localhost');
    const info = await OfficeAddinManifest.readManifestFile(out);
    expect(info.appDomains).toEqual(['https://toa.example.org']);
    expect(info.iconUrl).toBe('https://toa.example.org/mail/assets/icon-64.png');
    expect(written).toContain('<bt:Url id="taskpaneUrl" DefaultValue="https://toa.example.org/mail/taskpane.html"/>');
    const urls = [...written.matchAll(/DefaultValue="(https?:\/\/[^"]+)"/g)].map((m) => m[1]);
    for (const url of urls) expect(url).toMatch(/^https:\/\/toa\.example\.org\/mail\//);
  });

  it('adds WebApplicationInfo for Office single sign-on as the last element of VersionOverrides 1.1', async () => {
    const appId = '6E1F3C52-0000-4000-8000-000000000001';
    const resource = `api://toa.example.org/${appId}`;
    const dir = mkdtempSync(join(tmpdir(), 'toa-manifest-'));
    const out = join(dir, 'manifest.xml');
    // Through the command line, as an administrator runs it.
    execFileSync(
      process.execPath,
      [join(ADDIN, 'scripts', 'write-manifest.mjs'), '--url', 'https://toa.example.org', '--out', out, '--app-id', appId, '--resource', resource],
      {
        stdio: 'pipe',
      },
    );
    const written = readFileSync(out, 'utf8');
    const info = await OfficeAddinManifest.readManifestFile(out);
    expect(info.officeAppType).toBe('MailApp');
    expect(info.appDomains).toEqual(['https://toa.example.org']);

    const parsed = new DOMParser().parseFromString(written, 'application/xml');
    expect(parsed.getElementsByTagName('parsererror')).toHaveLength(0);
    const infos = [...parsed.getElementsByTagName('WebApplicationInfo')];
    expect(infos).toHaveLength(1);
    const element = infos[0] as Element;
    const v11 = element.parentElement as Element;
    expect(xsiType(v11)).toBe('VersionOverridesV1_1');
    expect(element.namespaceURI).toBe('http://schemas.microsoft.com/office/mailappversionoverrides/1.1');
    expect(v11.lastElementChild).toBe(element);
    expect(element.previousElementSibling?.localName).toBe('Resources');
    expect(element.getElementsByTagName('Id')[0]?.textContent).toBe(appId.toLowerCase());
    expect(element.getElementsByTagName('Resource')[0]?.textContent).toBe(resource);
    expect([...element.getElementsByTagName('Scope')].map((scope) => scope.textContent)).toEqual(['openid', 'profile']);
  });

  it('leaves the manifest as it was without the single sign-on options', () => {
    const target = parseTargetUrl('https://toa.example.org');
    expect(parseSsoOptions(undefined, undefined, target)).toBeUndefined();
    expect(rewriteManifest(xml, target)).not.toContain('WebApplicationInfo');
  });

  it('refuses single sign-on options that Office would reject', () => {
    const target = parseTargetUrl('https://toa.example.org');
    const appId = '6e1f3c52-0000-4000-8000-000000000001';
    expect(() => parseSsoOptions(appId, undefined, target)).toThrow(/go together/);
    expect(() => parseSsoOptions('not-a-guid', `api://toa.example.org/${appId}`, target)).toThrow(/GUID/);
    expect(() => parseSsoOptions(appId, `https://toa.example.org/${appId}`, target)).toThrow(/Application ID URI/);
    expect(() => parseSsoOptions(appId, 'api://toa.example.org/other', target)).toThrow(/end with the application id/);
    expect(() => parseSsoOptions(appId, `api://elsewhere.example.org/${appId}`, target)).toThrow(/add-in's host toa\.example\.org/);
    const sso = parseSsoOptions(appId, `api://toa.example.org/${appId}`, target);
    expect(() => addWebApplicationInfo(addWebApplicationInfo(xml, sso as NonNullable<typeof sso>), sso as NonNullable<typeof sso>)).toThrow(/already/);
  });

  it('refuses a URL that is not HTTPS', () => {
    expect(() => parseTargetUrl('http://toa.example.org')).toThrow(/https/);
    expect(() => parseTargetUrl('toa.example.org')).toThrow(/absolute/);
    expect(() => parseTargetUrl('https://toa.example.org/?x=1')).toThrow(/query/);
  });
});

/** Each npm run starts npm and node; a busy machine needs more than the default 5 s. */
const NPM_TIMEOUT = { timeout: 60_000 };

/** `npm run <script> -- args` from the repository, started in `cwd` as an administrator would (npm sets INIT_CWD). */
function npmRun(script: string, args: string[], cwd: string) {
  const result = spawnSync('npm', ['--prefix', REPO, 'run', '--silent', script, '--', ...args], { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('npm run manifest', NPM_TIMEOUT, () => {
  it('writes into the folder it was started from, with a header that describes the written copy and the version asked for', () => {
    const admin = mkdtempSync(join(tmpdir(), 'toa-admin-'));
    const run = npmRun('manifest', ['--url', 'https://toa.example.org', '--version', '1.2.3.4'], admin);
    expect(run.output).toContain(`wrote ${join(admin, 'toa-manifest.xml')}`);
    expect(run.status).toBe(0);
    const written = readFileSync(join(admin, 'toa-manifest.xml'), 'utf8');
    const header = /<!--([\s\S]*?)-->/.exec(written)?.[1] ?? '';
    expect(header).toContain('served from https://toa.example.org.');
    // the repository's header speaks of development URLs; rewritten blindly it would name the production URL as one
    expect(header).not.toMatch(/Development URLs|localhost/);
    expect(/<Version>([^<]*)<\/Version>/.exec(written)?.[1]).toBe('1.2.3.4');

    expect(npmRun('manifest', ['--url', 'https://toa.example.org', '--out', 'manifests/toa.xml'], admin).status).toBe(0);
    expect(existsSync(join(admin, 'manifests', 'toa.xml'))).toBe(true);
    expect(existsSync(join(ADDIN, 'manifests'))).toBe(false);
  });

  it('never writes into a folder the server publishes, nor over the manifest it starts from', () => {
    const admin = mkdtempSync(join(tmpdir(), 'toa-admin-'));
    const intoDist = npmRun('manifest', ['--url', 'https://toa.example.org', '--out', join(ADDIN, 'dist', 'manifest.xml')], admin);
    expect(intoDist.status).toBe(1);
    expect(intoDist.output).toMatch(/which the server publishes and the next build deletes/);
    expect(existsSync(join(ADDIN, 'dist', 'manifest.xml'))).toBe(false);

    const served = join(admin, 'www');
    mkdirSync(served);
    writeFileSync(join(served, 'taskpane.html'), '<!doctype html>');
    const intoServed = npmRun('manifest', ['--url', 'https://toa.example.org', '--out', 'www/manifest.xml'], admin);
    expect(intoServed.status).toBe(1);
    expect(intoServed.output).toMatch(/a published task-pane folder/);

    const over = npmRun('manifest', ['--url', 'https://toa.example.org', '--out', MANIFEST], admin);
    expect(over.status).toBe(1);
    expect(over.output).toMatch(/is the manifest it starts from/);
    expect(readFileSync(MANIFEST, 'utf8')).toBe(xml);
  });

  it('refuses a version the schema does not allow', () => {
    expect(() => setVersion(xml, '1.x')).toThrow(/--version must look like 1\.2\.3\.4/);
    expect(() => setVersion(xml, '1.2.3.4.5')).toThrow(/--version/);
    expect(setVersion(xml, '2.0')).toContain('<Version>2.0</Version>');
  });
});

describe('npm run validate (offline)', NPM_TIMEOUT, () => {
  const production = rewriteManifest(xml, 'https://toa.example.org');

  it("accepts the repository's manifest and a written one under Microsoft's schemas and TOA's checks", async () => {
    await expect(validateManifest(xml)).resolves.toEqual([]);
    await expect(validateManifest(production)).resolves.toEqual([]);
    const sso = parseSsoOptions(
      '6e1f3c52-0000-4000-8000-000000000001',
      'api://toa.example.org/6e1f3c52-0000-4000-8000-000000000001',
      'https://toa.example.org',
    );
    await expect(validateManifest(addWebApplicationInfo(production, sso as NonNullable<typeof sso>))).resolves.toEqual([]);
  });

  it('finds what the schemas forbid, with its line', async () => {
    // <Version> must follow <Id> (the schema's sequence), and has a pattern
    const reordered = xml.replace(/(\s*<Id>[^<]*<\/Id>)(\s*<Version>[^<]*<\/Version>)/, '$2$1');
    expect(await schemaProblems(reordered)).toEqual([expect.stringMatching(/^line \d+: .*Version.*not expected/)]);
    expect(await schemaProblems(xml.replace('<Version>1.0.0.0</Version>', '<Version>one</Version>'))).toEqual([
      expect.stringMatching(/^line 14: .*Version.*'one'.*not accepted by the pattern/),
    ]);
    expect(await schemaProblems(xml.replace('<SupportsPinning>true</SupportsPinning>', '<Pinned>true</Pinned>'))).toEqual([
      expect.stringMatching(/Pinned.*not expected/),
    ]);
    // MS-OWEMXML's order: SupportsMultiSelect comes after SupportsPinning
    const swapped = xml.replace(
      '<SupportsPinning>true</SupportsPinning>\n                      <SupportsMultiSelect>true</SupportsMultiSelect>',
      '<SupportsMultiSelect>true</SupportsMultiSelect>\n                      <SupportsPinning>true</SupportsPinning>',
    );
    expect(swapped).not.toBe(xml);
    expect(await schemaProblems(swapped)).toEqual([expect.stringMatching(/SupportsPinning.*not expected/)]);
  });

  it('finds what TOA needs beyond the schemas', () => {
    expect(projectProblems(production.replace('<Permissions>ReadWriteMailbox</Permissions>', '<Permissions>ReadWriteItem</Permissions>'))).toEqual([
      'Permissions: must be ReadWriteMailbox (the pane files several selected messages and marks them; Office needs it for getSelectedItemsAsync and loadItemByIdAsync), not "ReadWriteItem"',
    ]);
    expect(projectProblems(production.replace('https://toa.example.org/assets/icon-64.png', 'http://toa.example.org/assets/icon-64.png'))).toEqual([
      'http://toa.example.org/assets/icon-64.png: must be https (Outlook loads add-ins over HTTPS only)',
    ]);
    expect(projectProblems(production.replace('https://toa.example.org/assets/icon-128.png', 'https://cdn.example.org/icon-128.png'))).toEqual([
      'https://cdn.example.org/icon-128.png: its origin is not listed in AppDomains',
    ]);
    expect(projectProblems(production.replace('resid="taskpaneUrl"', 'resid="paneUrl"'))).toContain('resid "paneUrl": no resource has this id');
    expect(projectProblems(production.replaceAll('/taskpane.html"', '/index.html"'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/SourceLocation .*index\.html: must point at \/taskpane\.html/)]),
    );
  });

  it('checks the file named, relative to where npm was started, and exits 1 with one line per problem', () => {
    const admin = mkdtempSync(join(tmpdir(), 'toa-admin-'));
    writeFileSync(join(admin, 'good.xml'), production);
    const good = npmRun('validate', ['good.xml'], admin);
    expect(good.status).toBe(0);
    expect(good.output).toContain(`${join(admin, 'good.xml')}: valid`);
    writeFileSync(
      join(admin, 'bad.xml'),
      production.replace('<Version>1.0.0.0</Version>', '<Version>one</Version>').replace('<Permissions>ReadWriteMailbox', '<Permissions>ReadItem'),
    );
    const bad = npmRun('validate', ['bad.xml'], admin);
    expect(bad.status).toBe(1);
    expect(bad.output).toMatch(/bad\.xml: schema: line \d+: Element '\{[^}]+\}Version': \[facet 'pattern'\] The value 'one'/);
    expect(bad.output).toMatch(/bad\.xml: TOA: Permissions: must be ReadWriteMailbox/);
    expect(bad.output).toMatch(/bad\.xml: 2 problems/);
    expect(npmRun('validate', ['missing.xml'], admin).output).toMatch(/missing\.xml: cannot be read \(ENOENT\)/);
  });
});
