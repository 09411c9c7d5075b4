// The catalogue index: a second listing of a folder takes unchanged manifests from the user's cache, and sees every change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { listDumps, type Catalog } from '../../src/core/logical/catalog';
import { catalogIndexFile, catalogIndexPlace, RACY_MS, readCatalogIndex, writeCatalogIndex, type CatalogIndexPlace, type IndexedManifest } from '../../src/core/logical/catalogIndex';
import type { Stats } from 'node:fs';
import { manifestPathFor, writeManifest, type DumpManifest } from '../../src/core/logical/manifest';

const MINIMAL_MANIFEST = { manifestVersion: 1, kind: 'database', format: 'custom', sizeBytes: 5, sha256: { '': 'a'.repeat(64) }, rowCounts: [] };

const manifestOf = (database: string, startedAt: string, more: object = {}) =>
  ({ ...MINIMAL_MANIFEST, plan: 'nightly', database, startedAt, finishedAt: startedAt, ...more }) as unknown as DumpManifest;

interface Setup {
  dir: string;
  place: CatalogIndexPlace;
  /** The folder's index file. */
  indexFile: () => Promise<string>;
}

/** A dump folder and a cache folder; the listing's clock runs a minute ahead, so files written just now have settled. */
async function withFolders(body: (s: Setup) => Promise<void>): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-catalog-index-'));
  try {
    const dir = path.join(root, 'dumps');
    await fs.mkdir(dir);
    const place: CatalogIndexPlace = { cacheDir: path.join(root, 'cache'), reader: 'test-reader', now: () => Date.now() + 60_000 };
    await body({ dir, place, indexFile: async () => catalogIndexFile(place.cacheDir, await fs.realpath(dir)) });
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

async function addDump(dir: string, name: string, manifest?: DumpManifest): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, 'PGDMP');
  if (manifest) await writeManifest(file, manifest);
  return file;
}

/** What a listing shows of each dump, manifests parsed. */
const shown = (c: Catalog) => c.dumps.map((d) => ({ name: d.name, size: d.sizeBytes, time: d.time.toISOString(), manifest: d.manifest, error: d.manifestError, damage: d.damage }));

/** Rewrites the manifest text the index holds for `name` (what only a stale index would show): its bytes after the entries' line, and their count. */
async function tamperIndex(indexFile: string, name: string, from: string, to: string): Promise<void> {
  // The entries' line: 13 fields each, the dump's name first and the manifest's byte count last.
  const FIELDS = 13;
  const file = await fs.readFile(indexFile);
  const headEnd = file.indexOf(10);
  const rowsEnd = file.indexOf(10, headEnd + 1);
  const fields = JSON.parse(file.toString('utf8', headEnd + 1, rowsEnd)) as unknown[];
  let at = rowsEnd + 1;
  const texts: Buffer[] = [];
  let found = false;
  for (let row = 0; row < fields.length; row += FIELDS) {
    const bytes = fields[row + FIELDS - 1] as number;
    let text = file.subarray(at, at + bytes);
    at += bytes;
    if (fields[row] === name) {
      found = true;
      text = Buffer.from(text.toString('utf8').replace(from, to));
      fields[row + FIELDS - 1] = text.length;
    }
    texts.push(text);
  }
  assert.ok(found, `the index holds ${name}'s manifest`);
  await fs.writeFile(indexFile, Buffer.concat([file.subarray(0, headEnd + 1), Buffer.from(`${JSON.stringify(fields)}\n`), ...texts]));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a second listing takes unchanged manifests from the index, which is private to the user', async () => {
  await withFolders(async ({ dir, place, indexFile }) => {
    await addDump(dir, 'a.dump', manifestOf('shop', '2026-11-01T10:00:00.000Z', { verification: { status: 'passed', at: '2026-11-01T10:05:00.000Z', tables: [] } }));
    await addDump(dir, 'b.dump', manifestOf('shop', '2026-11-02T10:00:00.000Z'));
    await addDump(dir, 'bare.sql');
    const plain = await listDumps(dir);
    const first = await listDumps(dir, place);
    assert.deepEqual(shown(first), shown(plain));
    const file = await indexFile();
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    assert.equal((await fs.stat(path.dirname(file))).mode & 0o777, 0o700);
    // Proof the index is read: what it says (and only it) shows.
    await tamperIndex(file, 'a.dump', '"database":"shop"', '"database":"from-index"');
    const second = await listDumps(dir, place);
    assert.equal(second.dumps.find((d) => d.name === 'a.dump')?.manifest?.database, 'from-index');
    assert.deepEqual(second.dumps.map((d) => [d.name, d.brief?.verification]), first.dumps.map((d) => [d.name, d.brief?.verification]));
  });
});

test('a manifest rewritten in place with the same size and the same mtime is read again', async () => {
  await withFolders(async ({ dir, place, indexFile }) => {
    const dump = await addDump(dir, 'a.dump', manifestOf('shop', '2026-11-01T10:00:00.000Z'));
    const manifest = manifestPathFor(dump);
    const old = new Date('2026-01-01T00:00:00Z');
    await fs.utimes(manifest, old, old);
    await listDumps(dir, place);
    await tamperIndex(await indexFile(), 'a.dump', '"database":"shop"', '"database":"from-index"');
    await sleep(30);
    // Same length, written into the same inode, its mtime set back: only its ctime tells.
    const text = (await fs.readFile(manifest, 'utf8')).replace('"shop"', '"shoq"');
    const handle = await fs.open(manifest, 'r+');
    await handle.write(text, 0);
    await handle.close();
    await fs.utimes(manifest, old, old);
    assert.equal((await listDumps(dir, place)).dumps[0]?.manifest?.database, 'shoq');
  });
});

test('dumps and manifests added, removed or renamed, and a dump cut short, are seen', async () => {
  await withFolders(async ({ dir, place }) => {
    const a = await addDump(dir, 'a.dump', manifestOf('shop', '2026-11-01T10:00:00.000Z'));
    const b = await addDump(dir, 'b.dump', manifestOf('shop', '2026-11-02T10:00:00.000Z'));
    const c = await addDump(dir, 'c.dump', manifestOf('shop', '2026-11-03T10:00:00.000Z'));
    await listDumps(dir, place);
    await addDump(dir, 'd.dump', manifestOf('shop', '2026-11-04T10:00:00.000Z'));
    await fs.rm(manifestPathFor(a));
    await fs.rename(b, path.join(dir, 'b2.dump'));
    await fs.rename(manifestPathFor(b), manifestPathFor(path.join(dir, 'b2.dump')));
    await fs.rm(c);
    const after = await listDumps(dir, place);
    assert.deepEqual(shown(after), shown(await listDumps(dir)));
    assert.deepEqual(after.dumps.map((d) => [d.name, d.manifest?.startedAt]).sort(), [
      ['a.dump', undefined],
      ['b2.dump', '2026-11-02T10:00:00.000Z'],
      ['d.dump', '2026-11-04T10:00:00.000Z'],
    ]);
    // A dump shorter than its manifest says is damaged, index or not.
    await fs.writeFile(path.join(dir, 'd.dump'), 'PG');
    assert.match((await listDumps(dir, place)).dumps.find((d) => d.name === 'd.dump')?.damage ?? '', /./);
  });
});

test('a manifest that cannot be read is shown as such from the index too, and read again once fixed', async () => {
  await withFolders(async ({ dir, place }) => {
    const dump = await addDump(dir, 'a.dump');
    await fs.writeFile(manifestPathFor(dump), '{ not json');
    const first = await listDumps(dir, place);
    assert.match(first.dumps[0]?.manifestError ?? '', /not valid JSON/);
    assert.deepEqual(shown(await listDumps(dir, place)), shown(first));
    await writeManifest(dump, manifestOf('shop', '2026-11-01T10:00:00.000Z'));
    assert.equal((await listDumps(dir, place)).dumps[0]?.manifest?.database, 'shop');
  });
});

test('a manifest written just now is not kept in the index: a rewrite within the same clock tick could look unchanged', async () => {
  await withFolders(async ({ dir, place, indexFile }) => {
    await addDump(dir, 'a.dump', manifestOf('shop', '2026-11-01T10:00:00.000Z'));
    await addDump(dir, 'b.dump', manifestOf('shop', '2026-11-02T10:00:00.000Z'));
    const old = new Date(Date.now() - 10 * RACY_MS);
    await fs.utimes(manifestPathFor(path.join(dir, 'a.dump')), old, old);
    // The real clock: both manifests' ctimes are this instant's.
    await listDumps(dir, { ...place, now: Date.now });
    const text = await fs.readFile(await indexFile(), 'utf8').catch(() => '');
    assert.doesNotMatch(text, /"a\.dump"/);
    assert.doesNotMatch(text, /"b\.dump"/);
  });
});

test('a corrupt index, or one of another reader, is ignored and written afresh', async () => {
  await withFolders(async ({ dir, place, indexFile }) => {
    await addDump(dir, 'a.dump', manifestOf('shop', '2026-11-01T10:00:00.000Z'));
    const expected = shown(await listDumps(dir));
    await listDumps(dir, place);
    const file = await indexFile();
    // An index that would show what only it says, cut short by a byte or with a byte more after it: not used.
    await tamperIndex(file, 'a.dump', '"database":"shop"', '"database":"from-index"');
    const tampered = await fs.readFile(file);
    // Garbage, nothing, the first format's lines, and those two.
    const bads = ['garbage\n["a.dump.manifest.json",1,2\tnope', '', '{"v":1,"reader":"test-reader"}\n[1,2,3]\t{', tampered.subarray(0, tampered.length - 1), Buffer.concat([tampered, Buffer.from('}')])];
    for (const bad of bads) {
      await fs.writeFile(file, bad);
      assert.deepEqual(shown(await listDumps(dir, place)), expected);
      assert.match(await fs.readFile(file, 'utf8'), /"a\.dump"/);
    }
    await tamperIndex(file, 'a.dump', '"database":"shop"', '"database":"from-index"');
    assert.deepEqual(shown(await listDumps(dir, { ...place, reader: 'another-build' })), expected);
  });
});

test('a cache that cannot be written is never an error', async () => {
  await withFolders(async ({ dir, place }) => {
    await addDump(dir, 'a.dump', manifestOf('shop', '2026-11-01T10:00:00.000Z'));
    // The cache folder's place is taken by a file: no index can be made under it.
    await fs.writeFile(place.cacheDir, 'not a folder');
    const expected = shown(await listDumps(dir));
    assert.deepEqual(shown(await listDumps(dir, place)), expected);
    assert.deepEqual(shown(await listDumps(dir, place)), expected);
  });
});

test('the index place: the cache folder of the build that reads it; none with PGBR_NO_CATALOG_INDEX or without a build', () => {
  assert.deepEqual(catalogIndexPlace({ XDG_CACHE_HOME: '/home/u/.cache' }, 'r1'), { cacheDir: path.join('/home/u/.cache', 'pgbr'), reader: 'r1' });
  assert.equal(catalogIndexPlace({ XDG_CACHE_HOME: '/home/u/.cache', PGBR_NO_CATALOG_INDEX: '1' }, 'r1'), undefined);
  assert.equal(catalogIndexPlace({ XDG_CACHE_HOME: '/home/u/.cache' }, undefined), undefined);
  // Running from source, there is no build's reader: no index.
  assert.equal(catalogIndexPlace({ XDG_CACHE_HOME: '/home/u/.cache' }), undefined);
  const a = catalogIndexFile('/c', '/data/dumps');
  assert.equal(path.dirname(a), path.join('/c', 'catalog'));
  assert.notEqual(a, catalogIndexFile('/c', '/data/dumps2'));
});

test('the index finds entries in any order, and only with the identity they were read at', async () => {
  await withFolders(async ({ dir, place }) => {
    const real = await fs.realpath(dir);
    const entry = (n: number, manifest?: DumpManifest): IndexedManifest => ({
      size: n,
      mtimeMs: n + 0.5,
      ino: n * 10,
      ctimeMs: n + 0.25,
      reading: manifest ? { manifest, brief: { plan: 'nightly', startedAt: manifest.startedAt, sizeBytes: 5 } } : { error: 'not valid JSON' },
    });
    const stat = (n: number) => ({ size: n, mtimeMs: n + 0.5, ino: n * 10, ctimeMs: n + 0.25 }) as Stats;
    // A manifest whose JSON holds text of several bytes a character: the bytes after the entries are counted, not characters.
    const c = manifestOf('café→☃', '2026-11-03T10:00:00.000Z');
    await writeCatalogIndex(place, real, new Map([['a.dump', entry(1, manifestOf('a', '2026-11-01T10:00:00.000Z'))], ['b.dump', entry(2)], ['c.dump', entry(3, c)]]));
    const index = readCatalogIndex(place, real);
    assert.ok(index);
    assert.equal(index.size, 3);
    // Out of the order written, then in it.
    for (const [name, n] of [['c.dump', 3], ['a.dump', 1], ['b.dump', 2], ['c.dump', 3]] as const) assert.equal(index.unchanged(name, stat(n)), n - 1);
    assert.equal(index.unchanged('d.dump', stat(4)), -1);
    for (const changed of [{ size: 9 }, { mtimeMs: 9 }, { ino: 9 }, { ctimeMs: 9 }]) assert.equal(index.unchanged('a.dump', { ...stat(1), ...changed }), -1);
    const read = index.reading(2);
    assert.equal(read.stored && (JSON.parse(read.stored.text()) as DumpManifest).database, 'café→☃');
    assert.deepEqual(read.brief, { plan: 'nightly', startedAt: '2026-11-03T10:00:00.000Z', sizeBytes: 5 });
    assert.deepEqual(index.reading(1), { error: 'not valid JSON' });
    // Written again from what was read: the same file.
    const file = catalogIndexFile(place.cacheDir, real);
    const before = await fs.readFile(file);
    await writeCatalogIndex(place, real, new Map([0, 1, 2].map((row) => [['a.dump', 'b.dump', 'c.dump'][row] as string, index.entry(row)])));
    assert.deepEqual(await fs.readFile(file), before);
  });
});

test("a dump listed from the index has its manifest parsed when read, as an own property that can be replaced", async () => {
  await withFolders(async ({ dir, place }) => {
    await addDump(dir, 'a.dump', manifestOf('shop', '2026-11-01T10:00:00.000Z'));
    await listDumps(dir, place);
    const [entry] = (await listDumps(dir, place)).dumps;
    assert.ok(entry);
    assert.equal({ ...entry }.manifest?.database, 'shop');
    assert.equal((JSON.parse(JSON.stringify(entry)) as { manifest: DumpManifest }).manifest.database, 'shop');
    entry.manifest = manifestOf('other', '2026-11-01T10:00:00.000Z');
    assert.equal(entry.manifest.database, 'other');
  });
});
