// The TOC index: a listing kept in the cache folder, used only while the dump's TOC bytes and the
// reader are the ones it was written from. On the hostile-names fixture (pg_dump 15).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { compactTree, groupToc, indexedDamage, indexedTree, readToc, readTocIndex, type Toc, tocIndexFile, tocIndexPlace, viewedToc, type ViewedTocOptions, writeTocIndex } from '../../src/core/logical/toc';

const fixture = path.resolve(__dirname, '../fixtures/toc-hostile.dump');
const READER = 'build-1';

async function withCopy<T>(fn: (dump: string, cache: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-tocindex-'));
  try {
    const dump = path.join(dir, 'shop.dump');
    await fs.copyFile(fixture, dump);
    return await fn(dump, path.join(dir, 'cache'));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function indexed(dump: string, cache: string): Promise<string> {
  const toc = await readToc(dump);
  const treeJson = JSON.stringify(compactTree(groupToc(toc.entries)));
  await writeTocIndex(toc, treeJson, cache, READER);
  return treeJson;
}

test('an index written from a read gives back the same tree, header and layout, in a file only its owner reads', async () => {
  await withCopy(async (dump, cache) => {
    const treeJson = await indexed(dump, cache);
    const hit = await readTocIndex(dump, cache, READER);
    assert.ok(hit, 'the index was not used');
    assert.equal(hit.treeJson, treeJson);
    assert.deepEqual(indexedTree(hit), JSON.parse(treeJson));
    const fresh = await readToc(dump);
    assert.deepEqual(hit.header, fresh.header);
    assert.deepEqual(hit.layout, fresh.layout);
    assert.equal(await indexedDamage(dump, hit), undefined);
    const file = tocIndexFile(cache, await fs.realpath(dump));
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    assert.equal((await fs.stat(path.dirname(file))).mode & 0o777, 0o700);
    assert.deepEqual((await fs.readdir(path.dirname(file))).filter((n) => n.endsWith('.tmp')), []);
  });
});

test('one byte changed inside the TOC, a dump cut inside it, another reader or a malformed index: not used', async () => {
  await withCopy(async (dump, cache) => {
    await indexed(dump, cache);
    assert.equal(await readTocIndex(dump, cache, 'build-2'), undefined, 'another build of the reader');
    const layout = (await readToc(dump)).layout;
    assert.ok(layout && layout.tocEnd > 100);
    const bytes = await fs.readFile(dump);
    // A name inside the TOC, same length: the tree would differ, and the file's size and time say nothing.
    const changed = Buffer.from(bytes);
    const at = changed.indexOf(Buffer.from('hostile'), 20);
    assert.ok(at > 0 && at < layout.tocEnd);
    changed[at] = 'H'.charCodeAt(0);
    await fs.writeFile(dump, changed);
    assert.equal(await readTocIndex(dump, cache, READER), undefined, 'a byte of the TOC changed');
    await fs.writeFile(dump, bytes.subarray(0, layout.tocEnd - 1));
    assert.equal(await readTocIndex(dump, cache, READER), undefined, 'cut inside the TOC');
    await fs.writeFile(dump, bytes);
    assert.ok(await readTocIndex(dump, cache, READER), 'the same bytes again');
    await fs.writeFile(tocIndexFile(cache, await fs.realpath(dump)), '{"v":1,\n{}');
    assert.equal(await readTocIndex(dump, cache, READER), undefined, 'a malformed index');
  });
});

test('a dump cut after its TOC is listed from the index and still reported truncated', async () => {
  await withCopy(async (dump, cache) => {
    await indexed(dump, cache);
    const bytes = await fs.readFile(dump);
    await fs.writeFile(dump, bytes.subarray(0, bytes.length - 3));
    const hit = await readTocIndex(dump, cache, READER);
    assert.ok(hit);
    assert.match((await indexedDamage(dump, hit)) ?? '', /the dump is truncated/);
  });
});

test('no index is written for a TOC read another way, or for an encrypted dump', async () => {
  await withCopy(async (dump, cache) => {
    const toc = await readToc(dump);
    const treeJson = JSON.stringify(compactTree(groupToc(toc.entries)));
    await writeTocIndex({ ...toc, source: 'pg_restore --list' }, treeJson, cache, READER);
    await writeTocIndex({ ...toc, encryption: 'age' }, treeJson, cache, READER);
    await writeTocIndex({ ...toc, layout: undefined }, treeJson, cache, READER);
    await assert.rejects(fs.readdir(path.join(cache, 'toc')), { code: 'ENOENT' });
    // No place without a built reader, or with PGBR_NO_TOC_INDEX; else the cache folder's.
    assert.equal(tocIndexPlace({ XDG_CACHE_HOME: cache }, undefined), undefined);
    assert.equal(tocIndexPlace({ XDG_CACHE_HOME: cache, PGBR_NO_TOC_INDEX: '1' }, READER), undefined);
    assert.deepEqual(tocIndexPlace({ XDG_CACHE_HOME: cache }, READER), { cacheDir: path.join(cache, 'pgbr'), reader: READER });
  });
});

/** A reader of the whole TOC that counts its calls, as the Dumps view passes one. */
function countedRead(dump: string): { read: () => Promise<Toc>; calls: () => number } {
  let calls = 0;
  return { read: () => (calls++, readToc(dump)), calls: () => calls };
}

test('the view reads a TOC once and indexes it: the next listing is the same tree, from the index, without reading the TOC', async () => {
  await withCopy(async (dump, cache) => {
    const opts: ViewedTocOptions = { format: 'custom', encrypted: false, place: { cacheDir: cache, reader: READER } };
    const first = countedRead(dump);
    const read = await viewedToc(dump, first.read, opts);
    assert.equal(first.calls(), 1);
    assert.ok(read.grouped, 'a read keeps every entry for the groups of objects');
    assert.deepEqual(read.tree, compactTree(read.grouped));
    await read.indexing;
    const again = countedRead(dump);
    const hit = await viewedToc(dump, again.read, opts);
    assert.equal(again.calls(), 0, 'the TOC was read although it was indexed');
    assert.deepEqual(hit.tree, read.tree);
    assert.equal(hit.grouped, undefined);
    assert.equal(hit.damage, undefined);
    // Another build of the reader: read again, and indexed under its name.
    const other = countedRead(dump);
    await (await viewedToc(dump, other.read, { ...opts, place: { cacheDir: cache, reader: 'build-2' } })).indexing;
    assert.equal(other.calls(), 1);
    assert.ok(await readTocIndex(dump, cache, 'build-2'));
  });
});

test('the view shows the damage of a dump cut after its TOC, from the index as from a read', async () => {
  await withCopy(async (dump, cache) => {
    const opts: ViewedTocOptions = { format: 'custom', encrypted: false, place: { cacheDir: cache, reader: READER } };
    await (await viewedToc(dump, () => readToc(dump), opts)).indexing;
    const bytes = await fs.readFile(dump);
    await fs.writeFile(dump, bytes.subarray(0, bytes.length - 3));
    const counted = countedRead(dump);
    const hit = await viewedToc(dump, counted.read, opts);
    assert.equal(counted.calls(), 0);
    assert.match(hit.damage ?? '', /the dump is truncated/);
    const read = await viewedToc(dump, () => readToc(dump), { ...opts, place: undefined });
    assert.equal(read.damage, hit.damage);
  });
});

test('the view keeps no index of an encrypted, tar or plain dump, nor without a cache folder or a built reader', async () => {
  await withCopy(async (dump, cache) => {
    const base: ViewedTocOptions = { format: 'custom', encrypted: false, place: { cacheDir: cache, reader: READER } };
    for (const opts of [{ ...base, encrypted: true }, { ...base, format: 'tar' as const }, { ...base, format: 'plain' as const }, { ...base, place: undefined }]) {
      const counted = countedRead(dump);
      const viewed = await viewedToc(dump, counted.read, opts);
      await viewed.indexing;
      assert.equal(counted.calls(), 1);
      assert.ok(viewed.grouped);
    }
    await assert.rejects(fs.readdir(path.join(cache, 'toc')), { code: 'ENOENT' });
    // No place without a built reader, or with PGBR_NO_TOC_INDEX; else the cache folder's.
    assert.equal(tocIndexPlace({ XDG_CACHE_HOME: cache }, undefined), undefined);
    assert.equal(tocIndexPlace({ XDG_CACHE_HOME: cache, PGBR_NO_TOC_INDEX: '1' }, READER), undefined);
    assert.deepEqual(tocIndexPlace({ XDG_CACHE_HOME: cache }, READER), { cacheDir: path.join(cache, 'pgbr'), reader: READER });
  });
});
