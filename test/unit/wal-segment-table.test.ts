// The segment table: names rebuilt from numbers as they were listed, entries kept as given, and filtering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SegmentEntry } from '../../src/core/wal/check';
import { parseWalFileName, segmentName, segmentNumber } from '../../src/core/wal/names';
import { SegmentTable, segmentTableOf } from '../../src/core/wal/segmentTable';

const SEG = 16 * 1024 * 1024;
const entry = (name: string, size = SEG, mtimeMs = 1000, segSize = SEG): SegmentEntry => {
  const p = parseWalFileName(name);
  if (p?.kind !== 'segment') throw new Error(name);
  return { name, tli: p.tli, segno: segmentNumber(p.log, p.seg, segSize) as number, size, mtimeMs, partial: p.partial, ...(p.compression ? { compression: p.compression } : {}) };
};

test('every suffix a segment name can have comes back from the numbers, across log boundaries and segment sizes', () => {
  for (const segSize of [1024 * 1024, SEG, 1024 * 1024 * 1024]) {
    const names: string[] = [];
    for (const [tli, segno] of [[1, 0], [1, 0xff], [1, 0x100], [0x1a, 4095], [0xffffffff, 2 ** 40 / (segSize / (1024 * 1024))]] as const) {
      const base = segmentName(tli, segno, segSize);
      names.push(base, `${base}.partial`, `${base}.gz`, `${base}.zst.partial`, `${base}.partial.lz4`, `${base}.bz2`, `${base}.partial.xz`);
    }
    const table = SegmentTable.fromEntries(names.map((n) => entry(n, SEG, 1000, segSize)), segSize);
    const fresh = new SegmentTable(segSize, names.length);
    for (const n of names) {
      const e = entry(n, SEG, 1000, segSize);
      fresh.push(e.tli, e.segno, e.size, e.mtimeMs, e.partial, e.compression, n.includes('.partial.'));
    }
    assert.deepEqual(Array.from({ length: table.length }, (_, i) => table.name(i)), names);
    assert.deepEqual(Array.from({ length: fresh.length }, (_, i) => fresh.name(i)), names);
  }
});

test('entries come back as given, with names the numbers do not give (as pgBackRest lists them) kept', () => {
  const bare = { ...entry(`${segmentName(2, 7, SEG)}.gz`, 4096, 5000), name: segmentName(2, 7, SEG) };
  const given = [entry(segmentName(1, 3, SEG), SEG, 1234.5), entry(`${segmentName(1, 4, SEG)}.partial`, 77, 2000), bare];
  const table = SegmentTable.fromEntries(given, SEG);
  assert.equal(table.length, 3);
  assert.deepEqual([0, 1, 2].map((i) => table.entry(i)), given);
  assert.equal(table.compression(2), 'gz');
  assert.equal(table.partial(1), true);
});

test('filter keeps rows in order, with their kept names', () => {
  const bare = { ...entry(`${segmentName(2, 7, SEG)}.gz`, 4096), name: segmentName(2, 7, SEG) };
  const given = [entry(segmentName(1, 3, SEG)), entry(`${segmentName(1, 4, SEG)}.partial.gz`, 10), entry(segmentName(1, 5, SEG)), bare];
  const table = SegmentTable.fromEntries(given, SEG);
  const odd = table.filter((i) => i % 2 === 1);
  assert.deepEqual([0, 1].map((i) => odd.entry(i)), [given[1], given[3]]);
  assert.equal(table.filter(() => false).length, 0);
});

test('an inventory given as a table is used as it is; a list of entries becomes one', () => {
  const table = SegmentTable.fromEntries([entry(segmentName(1, 1, SEG))], SEG);
  assert.equal(segmentTableOf(table, SEG), table);
  const fromList = segmentTableOf([entry(segmentName(1, 1, SEG))], SEG);
  assert.deepEqual(fromList.entry(0), table.entry(0));
  assert.equal(segmentTableOf([], SEG).length, 0);
});
