import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Attributes, attributesSchema } from '@toa/api/imports';
import { LAST_VALUES_TEMPLATE_CAP } from '@toa/api/last-values';
import { z } from 'zod';
import { errnoCode } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-fs.js';
import { KeyedLock } from '../fs/keyed-lock.js';
import type { Layout } from './layout.js';

/** One user's file: template id → values and when they were filed (ms since the epoch), for the cap. */
const fileSchema = z.object({
  version: z.literal(1),
  templates: z.record(z.string(), z.object({ attributes: attributesSchema, at: z.number() })),
});
type LastValuesFile = z.infer<typeof fileSchema>;

/**
 * The values each user last filed per template of one domain, one small JSON
 * file a user (`Layout.lastValuesFile`), written atomically. At most
 * `LAST_VALUES_TEMPLATE_CAP` templates a user: the least recently filed go.
 * A file that cannot be read as such counts as empty (these are conveniences:
 * the next submit writes it anew).
 */
export class LastValuesStore {
  private readonly locks = new KeyedLock();

  constructor(
    private readonly layout: Layout,
    private readonly domain: string,
  ) {}

  /** template id → attributes, for `userId`; `{}` when nothing was filed yet. */
  async read(userId: string): Promise<Record<string, Attributes>> {
    const file = await this.load(userId);
    return Object.fromEntries(Object.entries(file.templates).map(([id, entry]) => [id, entry.attributes]));
  }

  /** Records `values` (template id → attributes) as `userId`'s latest, filed at `at` (ms). */
  async record(userId: string, values: ReadonlyMap<string, Attributes>, at: number): Promise<void> {
    if (values.size === 0) return;
    const target = this.layout.lastValuesFile(this.domain, userId);
    await this.locks.run(target, async () => {
      const file = await this.load(userId);
      for (const [templateId, attributes] of values) file.templates[templateId] = { attributes, at };
      const kept = Object.entries(file.templates)
        .sort(([, a], [, b]) => b.at - a.at)
        .slice(0, LAST_VALUES_TEMPLATE_CAP);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFileAtomic(target, JSON.stringify({ version: 1, templates: Object.fromEntries(kept) } satisfies LastValuesFile));
    });
  }

  private async load(userId: string): Promise<LastValuesFile> {
    let text: string;
    try {
      text = await readFile(this.layout.lastValuesFile(this.domain, userId), 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return { version: 1, templates: {} };
      throw error;
    }
    try {
      const parsed = fileSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : { version: 1, templates: {} };
    } catch {
      return { version: 1, templates: {} };
    }
  }
}
