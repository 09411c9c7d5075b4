// The catalogue index: a second listing of a folder takes unchanged manifests from the user's cache, and sees every change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { listDumps, type Catalog } from '../../src/core/logical/catalog';
import { catalogIndexFile, catalogIndexPlace, RACY_MS, type CatalogIndexPlace } from '../../src/core/logical/catalogIndex';
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

/** Rewrites the manifest text the index holds for `name` (what only a stale index would show). */
async function tamperIndex(indexFile: string, name: string, from: string, to: string): Promise<void> {
  const lines = (await fs.readFile(indexFile, 'utf8')).split('\n');
  const at = lines.findIndex((l) => l.startsWith(`["${name}.manifest.json"`));
  assert.ok(at > 0, `the index holds ${name}'s manifest`);
  lines[at] = (lines[at] as string).replace(from, to);
  await fs.writeFile(indexFile, lines.join('\n'));
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
    assert.doesNotMatch(text, /"a\.dump\.manifest\.json"/);
    assert.doesNotMatch(text, /"b\.dump\.manifest\.json"/);
  });
});

test('a corrupt index, or one of another reader, is ignored and written afresh', async () => {
  await withFolders(async ({ dir, place, indexFile }) => {
    await addDump(dir, 'a.dump', manifestOf('shop', '2026-11-01T10:00:00.000Z'));
    const expected = shown(await listDumps(dir));
    await listDumps(dir, place);
    const file = await indexFile();
    for (const bad of ['garbage\n["a.dump.manifest.json",1,2\tnope', '', '{"v":1,"reader":"test-reader"}\n[1,2,3]\t{']) {
      await fs.writeFile(file, bad);
      assert.deepEqual(shown(await listDumps(dir, place)), expected);
      assert.match(await fs.readFile(file, 'utf8'), /"a\.dump\.manifest\.json"/);
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
