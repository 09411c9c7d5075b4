// Block sums in the manifest (read back as written, their shape checked, old manifests without them
// still valid) and the check a restore of chosen tables runs with them: the size and the head, then
// only the blocks it restores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataBlockFinder, type BlockSums } from '../../src/core/logical/dataBlocks';
import { sha256File } from '../../src/core/logical/checksum';
import { checkHeadIntegrity, checkIntegrity } from '../../src/core/logical/integrity';
import { manifestPathFor, manifestProblem, readListedManifest, readManifest, withFileKey, writeManifest, type DumpManifest } from '../../src/core/logical/manifest';
import { chunkedFile, readArchiveSource } from '../../src/core/logical/toc/archive';
import type { TocEntry } from '../../src/core/logical/toc';

const fixture = path.resolve(__dirname, '../fixtures/toc-hostile.dump');
const SUM = 'c'.repeat(64);

const blocks = (data: { dumpId: number; offset: number; length: number }[], head = 10): BlockSums => ({ head: { length: head, sha256: SUM }, data: data.map((d) => ({ ...d, sha256: SUM })) });
const base = { manifestVersion: 1, kind: 'database', format: 'custom', sizeBytes: 30, sha256: { 'x.dump': 'a'.repeat(64) }, rowCounts: [] };

test('manifest block sums: valid when they tile an unencrypted custom file; absent is valid too; anything else names the field', () => {
  assert.equal(manifestProblem(base), undefined, 'a manifest written before block sums');
  assert.equal(manifestProblem({ ...base, blocks: blocks([{ dumpId: 7, offset: 10, length: 12 }, { dumpId: 8, offset: 22, length: 8 }]) }), undefined);
  assert.equal(manifestProblem({ ...base, sizeBytes: 10, blocks: blocks([]) }), undefined, 'no data: the head is the file');
  const bad: [string, unknown][] = [
    ['a gap between blocks', { ...base, blocks: blocks([{ dumpId: 7, offset: 11, length: 11 }, { dumpId: 8, offset: 22, length: 8 }]) }],
    ['ends before the file', { ...base, blocks: blocks([{ dumpId: 7, offset: 10, length: 12 }]) }],
    ['a sum that is not hex', { ...base, blocks: { head: { length: 30, sha256: 'C'.repeat(64) }, data: [] } }],
    ['a directory dump', { ...base, format: 'directory', blocks: blocks([{ dumpId: 7, offset: 10, length: 20 }]) }],
    ['an encrypted dump', { ...base, encryption: { scheme: 'age', recipients: [], sha256: SUM }, blocks: blocks([{ dumpId: 7, offset: 10, length: 20 }]) }],
    ['a list for data', { ...base, blocks: { head: { length: 30, sha256: SUM }, data: {} } }],
  ];
  for (const [why, m] of bad) assert.match(manifestProblem(m) ?? '', /^"blocks" must be \{ head: \{ length, sha256 \}, data: \[/, why);
});

/** A copy of the fixture with a manifest holding its real sums, whole and by block, and its TOC's entries. */
async function dumpWithBlocks(dir: string): Promise<{ dump: string; manifest: DumpManifest; entries: TocEntry[]; sums: BlockSums }> {
  const dump = path.join(dir, 'hostile.dump');
  await fs.copyFile(fixture, dump);
  const source = await chunkedFile(dump);
  const read = await readArchiveSource(source, 'custom').finally(() => source.close());
  const finder = new DataBlockFinder();
  finder.start(read.tocEnd, read.intSize);
  finder.push(await fs.readFile(dump));
  const sums = finder.finish()!;
  const manifest = withFileKey({ ...(base as unknown as DumpManifest), sizeBytes: (await fs.stat(dump)).size, sha256: { '': await sha256File(dump) }, blocks: sums }, dump);
  await writeManifest(dump, manifest);
  return { dump, manifest, entries: read.entries, sums };
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-block-integrity-'));
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function flip(file: string, at: number): Promise<void> {
  const bytes = await fs.readFile(file);
  bytes[at] = bytes[at]! ^ 0x20;
  await fs.writeFile(file, bytes);
}

/** The entries of one table's data, as a restore list holds them. */
const dataOf = (entries: TocEntry[], dumpId: number) => entries.filter((e) => e.dumpId === dumpId);

test('the manifest round-trips its block sums, and a damage mark keeps them', async () => {
  await withDir(async (dir) => {
    const { dump, manifest, sums } = await dumpWithBlocks(dir);
    const read = await readManifest(dump);
    assert.deepEqual(read?.blocks, sums);
    assert.deepEqual(read, manifest);
    await flip(dump, sums.data[0]!.offset + 12);
    assert.equal((await checkIntegrity(dump)).status, 'damaged');
    assert.deepEqual((await readManifest(dump))?.blocks, sums);
  });
});

test('a listing reads the manifest without its block sums, whether they are in the middle, last, absent or laid out otherwise; a bad manifest is still named', async () => {
  await withDir(async (dir) => {
    const { dump, manifest } = await dumpWithBlocks(dir);
    const rest: DumpManifest = { ...manifest };
    delete rest.blocks;
    const shown = async () => JSON.stringify(await readListedManifest(dump));
    const expected = JSON.stringify(rest);
    assert.equal(await shown(), expected, 'blocks the last member');
    const { manifestVersion, ...others } = rest;
    await writeManifest(dump, { manifestVersion, blocks: manifest.blocks, ...others });
    assert.equal(await shown(), expected, 'blocks among the other members');
    await writeManifest(dump, rest);
    assert.equal(await shown(), expected, 'no blocks');
    await fs.writeFile(manifestPathFor(dump), JSON.stringify(manifest));
    assert.equal(await shown(), expected, 'on one line');
    await fs.writeFile(manifestPathFor(dump), JSON.stringify({ ...manifest, rowCounts: {} }, null, 2));
    await assert.rejects(readListedManifest(dump), /"rowCounts" must be a list/);
    assert.equal(await readListedManifest(path.join(dir, 'none.dump')), undefined);
  });
});

test('chosen tables: intact head and blocks pass; a byte changed in another table\'s block passes the restored one but not the whole check', async () => {
  await withDir(async (dir) => {
    const { dump, entries, sums } = await dumpWithBlocks(dir);
    assert.ok(sums.data.length >= 2, 'the fixture has two tables with data');
    const [mine, other] = [sums.data[0]!, sums.data[1]!];
    const head = await checkHeadIntegrity(dump);
    assert.equal(head?.status, 'intact');
    assert.ok(head?.status === 'intact');
    assert.equal(await head.proof.checkEntries(dataOf(entries, mine.dumpId)), undefined);

    await flip(dump, other.offset + Math.floor(other.length / 2));
    const again = await checkHeadIntegrity(dump);
    assert.ok(again?.status === 'intact');
    assert.equal(await again.proof.checkEntries(dataOf(entries, mine.dumpId)), undefined, 'what it restores is as written');
    assert.equal((await readManifest(dump))?.damage, undefined, 'nothing found, nothing marked');
    const whole = await checkIntegrity(dump);
    assert.equal(whole.status, 'damaged');
    const theOther = await again.proof.checkEntries(dataOf(entries, other.dumpId));
    assert.match(theOther ?? '', new RegExp(`hostile\\.dump: the data of TABLE DATA .* \\(bytes ${other.offset}–${other.offset + other.length}\\) has sha256 [0-9a-f]{64} but its manifest recorded ${other.sha256}: the dump was changed or damaged after it was written\\.$`));
    assert.equal((await readManifest(dump))?.damage?.message, theOther, 'marked damaged as the whole check does');
  });
});

test('chosen tables: a changed head or a changed size is found before any list is built', async () => {
  await withDir(async (dir) => {
    const { dump, sums } = await dumpWithBlocks(dir);
    await flip(dump, sums.head.length - 20);
    const head = await checkHeadIntegrity(dump);
    assert.equal(head?.status, 'damaged');
    assert.match(head?.status === 'damaged' ? head.message : '', new RegExp(`: its head \\(the header and the table of contents\\) \\(bytes 0–${sums.head.length}\\) has sha256 [0-9a-f]{64} but its manifest recorded ${sums.head.sha256}: the dump was changed or damaged`));
  });
  await withDir(async (dir) => {
    const { dump } = await dumpWithBlocks(dir);
    const size = (await fs.stat(dump)).size;
    await fs.truncate(dump, size - 1);
    const cut = await checkHeadIntegrity(dump);
    assert.match(cut?.status === 'damaged' ? cut.message : '', new RegExp(`is ${size - 1} bytes but its manifest recorded ${size}: the dump is truncated\\.`));
  });
});

test('without block sums, or for an entry with data but no recorded block, the whole file is what is checked', async () => {
  await withDir(async (dir) => {
    const { dump, manifest, entries, sums } = await dumpWithBlocks(dir);
    const withoutBlocks: DumpManifest = { ...manifest };
    delete withoutBlocks.blocks;
    await writeManifest(dump, withoutBlocks);
    assert.equal(await checkHeadIntegrity(dump), undefined, 'an old manifest: the caller checks the whole file');

    const [mine, other] = [sums.data[0]!, sums.data[1]!];
    await writeManifest(dump, { ...manifest, blocks: { head: sums.head, data: sums.data.filter((b) => b.dumpId !== mine.dumpId) } });
    // The manifest no longer tiles the file, so it is not one pgbr wrote.
    await assert.rejects(checkHeadIntegrity(dump), /"blocks" must be/);

    await writeManifest(dump, manifest);
    await flip(dump, other.offset + Math.floor(other.length / 2));
    const head = await checkHeadIntegrity(dump);
    assert.ok(head?.status === 'intact');
    const unrecorded = entries.filter((e) => e.dumpId === mine.dumpId).map((e) => Object.assign(Object.create(Object.getPrototypeOf(e) as object) as TocEntry, e, { dumpId: 999_999 }));
    assert.match((await head.proof.checkEntries(unrecorded)) ?? '', /has sha256 [0-9a-f]{64} but its manifest recorded/, 'the whole file was read and found changed');
  });
});
