import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import express from 'express';
import multer from 'multer';

/**
 * The baseline of the workflow bench, run as its own process: bare Express +
 * multer answering the three calls of a filing on the server's own paths —
 * create an import, add a page, set a document's attributes — with the same
 * durability as the server: every file written to a temporary, fsynced and
 * renamed into place, every folder that gained an entry fsynced before the
 * answer. Nothing else: no identity, validation, logging, rate limit, headers
 * or index. One folder per import, the page beside its import.json:
 *
 *   create      mkdir; import.json temporary + fsync; rename; fsync folder; fsync root   (3 fsyncs)
 *   add a page  body → temporary + fsync; rename; import.json temporary + fsync; rename;
 *               fsync folder (one for both renames)                                      (3 fsyncs)
 *   attributes  import.json temporary + fsync; rename; fsync folder                       (2 fsyncs)
 *
 * Usage: node bare-workflow.mjs <folder>
 */
const [root] = process.argv.slice(2);
if (!root) throw new Error('usage: node bare-workflow.mjs <folder>');

async function fsyncDir(dir) {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeJson(dir, value) {
  const tmp = path.join(dir, `.import.json.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx');
  try {
    await handle.writeFile(JSON.stringify(value, null, 2));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path.join(dir, 'import.json'));
}

const readJson = async (dir) => JSON.parse(await readFile(path.join(dir, 'import.json'), 'utf8'));

/** Streams the one file part to a temporary in the import's folder, flushed (multer's StorageEngine contract). */
const engine = {
  _handleFile(req, file, callback) {
    const tmp = path.join(root, req.params.id, `.upload-${randomBytes(6).toString('hex')}.tmp`);
    open(tmp, 'wx')
      .then(async (handle) => {
        const out = handle.createWriteStream({ flush: true });
        await pipeline(file.stream, out);
        return out.bytesWritten;
      })
      .then((size) => callback(null, { path: tmp, size }), callback);
  },
  _removeFile(_req, _file, callback) {
    callback(null);
  },
};

const app = express();
app.use(express.json());
const upload = multer({ storage: engine }).single('file');

app.post('/api/import/:domain', async (req, res) => {
  const id = `${Date.now()}-${randomBytes(4).toString('hex')}`;
  const dir = path.join(root, id);
  await mkdir(dir);
  const created = { id, status: 'DRAFT', source: req.body.source ?? {}, documents: [{ n: 1, templateId: null, attributes: {}, pages: [] }] };
  await writeJson(dir, created);
  await fsyncDir(dir);
  await fsyncDir(root);
  res.status(201).json(created);
});

app.post('/api/import/:domain/:id/documents/:n/pages', upload, async (req, res) => {
  const dir = path.join(root, req.params.id);
  const current = await readJson(dir);
  const doc = current.documents.find((d) => d.n === Number(req.params.n));
  const page = { m: doc.pages.length + 1, filename: req.file.originalname, size: req.file.size, contentType: req.file.mimetype };
  await rename(req.file.path, path.join(dir, `page-${page.m}.bin`));
  doc.pages.push(page);
  await writeJson(dir, current);
  await fsyncDir(dir);
  res.status(201).json(page);
});

app.put('/api/import/:domain/:id/documents/:n', async (req, res) => {
  const dir = path.join(root, req.params.id);
  const current = await readJson(dir);
  const doc = current.documents.find((d) => d.n === Number(req.params.n));
  doc.templateId = req.body.templateId;
  doc.attributes = req.body.attributes;
  await writeJson(dir, current);
  await fsyncDir(dir);
  res.json(doc);
});

await mkdir(root, { recursive: true });
const server = app.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
