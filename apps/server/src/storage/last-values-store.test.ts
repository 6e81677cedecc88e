import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LAST_VALUES_TEMPLATE_CAP } from '@toa/api/last-values';
import { afterEach, describe, expect, it } from 'vitest';
import { LastValuesStore } from './last-values-store.js';
import { Layout } from './layout.js';

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

async function store(): Promise<{ store: LastValuesStore; layout: Layout }> {
  root = await mkdtemp(path.join(os.tmpdir(), 'toa-last-values-'));
  const layout = new Layout(root);
  return { store: new LastValuesStore(layout, 'acme'), layout };
}

describe('LastValuesStore', () => {
  it('keeps the most recently filed templates up to the cap', async () => {
    const { store: values } = await store();
    for (let i = 0; i <= LAST_VALUES_TEMPLATE_CAP; i++) await values.record('alice', new Map([[`t${i}`, { n: i }]]), 1000 + i);
    const kept = await values.read('alice');
    expect(Object.keys(kept)).toHaveLength(LAST_VALUES_TEMPLATE_CAP);
    expect(kept.t0).toBeUndefined();
    expect(kept[`t${LAST_VALUES_TEMPLATE_CAP}`]).toEqual({ n: LAST_VALUES_TEMPLATE_CAP });
  });

  it('names a user’s file safely whatever the id holds, and reads a damaged file as empty', async () => {
    const { store: values, layout } = await store();
    const hostile = '../../etc/passwd\u0000/ünï';
    await values.record(hostile, new Map([['note', { title: 'x' }]]), 1);
    const files = await readdir(layout.lastValuesDir('acme'));
    expect(files).toEqual([expect.stringMatching(/^[0-9a-f]{64}\.json$/)]);
    expect(await values.read(hostile)).toEqual({ note: { title: 'x' } });

    await writeFile(layout.lastValuesFile('acme', hostile), '{"version":1,"templates":');
    expect(await values.read(hostile)).toEqual({});
    await values.record(hostile, new Map([['note', { title: 'y' }]]), 2);
    expect(await values.read(hostile)).toEqual({ note: { title: 'y' } });
  });

  it('does not lose a record when two submits of one user write at once', async () => {
    const { store: values } = await store();
    await Promise.all(['a', 'b', 'c', 'd'].map((t, i) => values.record('alice', new Map([[t, { i }]]), i)));
    expect(Object.keys(await values.read('alice')).sort()).toEqual(['a', 'b', 'c', 'd']);
  });
});
