// WAL retention: what no kept base backup needs, across timelines 1 → 2 → 3 (and a later branch), and the window before and after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ArchiveInventory, HistoryEntry, SegmentEntry } from '../../src/core/wal/check';
import { parseWalFileName, segmentName, segmentNumber } from '../../src/core/wal/names';
import { planWalCleanup, type WalBaseBackup } from '../../src/core/retention/wal';

const SIZE = 16 * 1024 * 1024;
const T0 = Date.parse('2026-11-01T00:00:00Z');

/** Timeline 1 segments 1–10 (10 also as the .partial a promotion leaves), 2 branches at segment 10 and runs to 20, 3 branches at 20 and runs to 30; 4 branched from 2 at 15 (an old standby promoted elsewhere). */
function archive(): ArchiveInventory {
  const names: string[] = [];
  const run = (tli: number, first: number, last: number): void => {
    for (let n = first; n <= last; n++) names.push(segmentName(tli, n, SIZE) + (tli === 1 && n === 3 ? '.gz' : ''));
  };
  run(1, 1, 9);
  names.push(`${segmentName(1, 10, SIZE)}.partial`);
  run(2, 10, 19);
  names.push(`${segmentName(2, 20, SIZE)}.partial`);
  run(3, 20, 30);
  run(4, 15, 17);
  const segments: SegmentEntry[] = names.map((name, i) => {
    const p = parseWalFileName(name);
    if (p?.kind !== 'segment') throw new Error(name);
    return { name, tli: p.tli, segno: segmentNumber(p.log, p.seg, SIZE) as number, size: p.compression ? 4096 : SIZE, mtimeMs: T0 + i * 60_000, partial: p.partial, ...(p.compression ? { compression: p.compression } : {}) };
  });
  const histories: HistoryEntry[] = [
    { file: '00000002.history', tli: 2, mtimeMs: T0, switches: [{ parentTli: 1, switchLsn: '0/A000100', reason: '' }] },
    { file: '00000003.history', tli: 3, mtimeMs: T0, switches: [{ parentTli: 1, switchLsn: '0/A000100', reason: '' }, { parentTli: 2, switchLsn: '0/14000080', reason: '' }] },
    { file: '00000004.history', tli: 4, mtimeMs: T0, switches: [{ parentTli: 1, switchLsn: '0/A000100', reason: '' }, { parentTli: 2, switchLsn: '0/F000000', reason: '' }] },
  ];
  const backupFile = (tli: number, segno: number): { file: string; tli: number; mtimeMs: number } => ({ file: `${segmentName(tli, segno, SIZE)}.00000028.backup`, tli, mtimeMs: T0 });
  return {
    segmentSize: SIZE,
    segments,
    histories,
    // b1, b2, b3, then two no plan made: one before every cut-off, one late on timeline 3.
    backups: [backupFile(1, 2), backupFile(2, 12), backupFile(3, 22), backupFile(1, 5), backupFile(3, 26)],
    stray: [{ name: 'README', directory: false }],
    misnamed: [],
    knownBaseBackups: [],
  };
}

const base = (label: string, tli: number, segno: number, kept: boolean): WalBaseBackup => {
  const start = `0/${(segno * 0x1000000 + 0x28).toString(16).toUpperCase()}`;
  const stop = `0/${(segno * 0x1000000 + 0x100).toString(16).toUpperCase()}`;
  return { label, startLsn: start, startTimeline: tli, kept, known: { label, stopLsn: stop, timeline: tli, stopTime: new Date(T0 + segno * 60_000) } };
};

const names = (tli: number, first: number, last: number): string[] => Array.from({ length: last - first + 1 }, (_, i) => segmentName(tli, first + i, SIZE));

test('keeping the base backups on timelines 2 and 3 removes timeline 1 and timeline 2 before the oldest kept start', () => {
  const plan = planWalCleanup(archive(), [base('b1', 1, 2, false), base('b2', 2, 12, true), base('b3', 3, 22, true)]);
  assert.deepEqual(plan.cutoff, { backup: 'b2', timeline: 2, segment: segmentName(2, 12, SIZE) });
  const expected = [
    ...names(1, 1, 9).map((n) => (n === segmentName(1, 3, SIZE) ? `${n}.gz` : n)),
    `${segmentName(1, 2, SIZE)}.00000028.backup`, // b1, removed by retention
    `${segmentName(1, 5, SIZE)}.00000028.backup`, // before the cut-off
    `${segmentName(1, 10, SIZE)}.partial`,
    ...names(2, 10, 11),
  ].sort();
  assert.deepEqual(plan.remove, expected);
  assert.equal(plan.removeBytes, 8 * SIZE + 4096 + SIZE + 2 * SIZE);
  // The segment at the cut-off stays, and so does every history file.
  assert.ok(!plan.remove.includes(segmentName(2, 12, SIZE)));
  assert.ok(!plan.remove.some((n) => n.endsWith('.history')));
  assert.equal(plan.before.earliest?.backup, 'b1');
  assert.equal(plan.after.earliest?.backup, 'b2');
  assert.equal(plan.after.latest?.lsn, plan.before.latest?.lsn);
  assert.deepEqual(plan.after.backups.map((b) => b.label), ['b2', 'b3']);
});

test('keeping only the base backup on timeline 3 removes its ancestors before its start, but not the later timeline 4', () => {
  const plan = planWalCleanup(archive(), [base('b1', 1, 2, false), base('b2', 2, 12, false), base('b3', 3, 22, true)]);
  assert.deepEqual(plan.cutoff, { backup: 'b3', timeline: 3, segment: segmentName(3, 22, SIZE) });
  const removed = new Set(plan.remove);
  for (const n of [...names(2, 10, 19), `${segmentName(2, 20, SIZE)}.partial`, ...names(3, 20, 21), `${segmentName(2, 12, SIZE)}.00000028.backup`]) assert.ok(removed.has(n), n);
  for (const n of [segmentName(3, 22, SIZE), ...names(4, 15, 17), `${segmentName(3, 22, SIZE)}.00000028.backup`, `${segmentName(3, 26, SIZE)}.00000028.backup`, '00000002.history', '00000003.history', 'README']) {
    assert.ok(!removed.has(n), n);
  }
  assert.equal(plan.remove.length, 9 + 1 + 10 + 1 + 2 + 3);
  assert.deepEqual(plan.after.backups.map((b) => b.label), ['b3']);
  assert.ok(plan.after.backups[0]?.walAfterStop);
});

test('the oldest kept backup decides even when it is listed last; its own .backup file stays', () => {
  const plan = planWalCleanup(archive(), [base('b3', 3, 22, true), base('b2', 2, 12, true), base('b1', 1, 2, true)]);
  assert.deepEqual(plan.cutoff, { backup: 'b1', timeline: 1, segment: segmentName(1, 2, SIZE) });
  assert.deepEqual(plan.remove, [segmentName(1, 1, SIZE)]);
});

test('without a kept base backup, or with one whose start cannot be read, nothing is removed and the reason is given', () => {
  const none = planWalCleanup(archive(), [base('b1', 1, 2, false)]);
  assert.deepEqual(none.remove, []);
  assert.match(none.note ?? '', /no base backup is kept/);
  assert.equal(none.after, none.before);
  const unreadable = planWalCleanup(archive(), [{ ...base('b1', 1, 2, true), startLsn: 'soon' }]);
  assert.deepEqual(unreadable.remove, []);
  assert.match(unreadable.note ?? '', /readable start LSN/);
});
