// The archive judgement on synthetic archives (gaps, several timelines, partial, history and backup files, odd names),
// compared with results recorded from the object-per-file analysis it replaced: scans of real folders,
// inventories given as lists of entries in any order, and WAL retention over a scanned inventory. PGBR_WRITE_GOLDEN=1 records the results again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { analyzeArchive, type ArchiveInventory, type SegmentEntry } from '../../src/core/wal/check';
import { parseWalFileName, segmentName, segmentNumber } from '../../src/core/wal/names';
import { planWalCleanup, type WalBaseBackup } from '../../src/core/retention/wal';
import { readArchiveInventory, scanArchive } from '../../src/core/wal/scan';

const GOLDEN = path.join(__dirname, '..', 'fixtures', 'wal-analysis-golden.json');
const SEG = 16 * 1024 * 1024;
/** Every file time is fixed, and the clock is injected: nothing depends on today or the zone. */
const T0 = Date.parse('2026-11-22T06:00:00Z');
const NOW = T0 + 3_600_000;

/** A file of the archive: a size (sparse) or a content, and its time. A `folder` is a directory. */
interface Spec {
  name: string;
  size?: number;
  content?: string | Buffer;
  mtimeMs?: number;
  folder?: boolean;
}

interface Case {
  name: string;
  files: Spec[];
  segmentSize?: number;
  knownBaseBackups?: ArchiveInventory['knownBaseBackups'];
}

const at = (minute: number): number => T0 + minute * 60_000;
const seg = (tli: number, segno: number, size = SEG): string => segmentName(tli, segno, size);
function run(tli: number, first: number, last: number, opts: { size?: number; segSize?: number; minute?: number } = {}): Spec[] {
  const out: Spec[] = [];
  for (let n = first; n <= last; n++) out.push({ name: seg(tli, n, opts.segSize), size: opts.size ?? opts.segSize ?? SEG, mtimeMs: at((opts.minute ?? 0) + n) });
  return out;
}
const history = (tli: number, lines: string[]): Spec => ({ name: `${(tli >>> 0).toString(16).toUpperCase().padStart(8, '0')}.history`, content: lines.join('\n') + '\n', mtimeMs: at(0) });
function backup(tli: number, startSegno: number, stopSegno: number, opts: { stopTime?: string; label?: string } = {}): Spec {
  const lsn = (segno: number, off: number): string => `0/${(segno * SEG + off).toString(16).toUpperCase()}`;
  const lines = [
    `START WAL LOCATION: ${lsn(startSegno, 0x28)} (file ${seg(tli, startSegno)})`,
    `STOP WAL LOCATION: ${lsn(stopSegno, 0x100)} (file ${seg(tli, stopSegno)})`,
    `CHECKPOINT LOCATION: ${lsn(startSegno, 0x60)}`,
    'BACKUP METHOD: streamed',
    'BACKUP FROM: primary',
    'START TIME: 2026-11-22 07:00:01 UTC',
    `LABEL: ${opts.label ?? 'nightly'}`,
    `START TIMELINE: ${tli}`,
    ...(opts.stopTime === '' ? [] : [`STOP TIME: ${opts.stopTime ?? '2026-11-22 07:00:05 UTC'}`]),
    `STOP TIMELINE: ${tli}`,
    '',
  ];
  return { name: `${seg(tli, startSegno)}.00000028.backup`, content: lines.join('\n'), mtimeMs: at(startSegno) };
}
const without = (specs: Spec[], ...names: string[]): Spec[] => specs.filter((s) => !names.includes(s.name));

const CASES: Case[] = [
  {
    name: 'gaps, duplicates, short and empty segments, one still being copied',
    files: [
      ...without(run(1, 1, 60), ...[10, 20, 21, 22, 23, 24, 25, 40, 41, 42, 45, 46].map((n) => seg(1, n))),
      { name: `${seg(1, 30)}.gz`, size: 4096, mtimeMs: at(31) },
      { name: `${seg(1, 31)}.zst`, size: 0, mtimeMs: at(31) },
      ...[40, 41, 42].map((n) => ({ name: seg(1, n), size: 1000, mtimeMs: at(n) })),
      { name: seg(1, 45), size: 0, mtimeMs: at(45) },
      { name: seg(1, 46), size: 0, mtimeMs: at(46) },
      { name: seg(1, 61), size: 5000, mtimeMs: NOW - 10_000 },
      backup(1, 2, 2),
      backup(1, 26, 27, { stopTime: '', label: 'no stop time' }),
    ],
  },
  {
    name: 'several timelines: switches, a missing switch segment, a parent ending early, segments older than their timeline',
    files: [
      ...run(1, 1, 9),
      { name: `${seg(1, 10)}.partial`, size: SEG, mtimeMs: at(10) },
      history(2, ['1\t0/A000100\tno recovery target specified']),
      ...run(2, 8, 8),
      ...run(2, 10, 19, { minute: 100 }),
      { name: `${seg(2, 20)}.partial.gz`, size: 900, mtimeMs: at(200) },
      history(3, ['1\t0/A000100\tno recovery target specified', '2\t0/14000080\tpromoted']),
      ...run(3, 22, 30, { minute: 300 }),
      history(4, ['1\t0/A000100\tx', '2\t0/F000000\ty']),
      ...run(4, 15, 17, { minute: 400 }),
      history(5, ['4\t0/30000000\tz']),
      ...run(5, 48, 50, { minute: 500 }),
      backup(1, 2, 3),
      backup(2, 12, 13, { label: 'on two' }),
      backup(3, 24, 25, { label: 'on three' }),
    ],
    knownBaseBackups: [
      { label: 'made by the extension', stopLsn: '0/5000100', timeline: 1, stopTime: new Date(at(6)) },
      { label: 'same as on two', stopLsn: '0/D000100', timeline: 2 },
      { label: 'on six, no history', stopLsn: '0/40000000', stopWal: seg(6, 64), timeline: 6 },
    ],
  },
  {
    name: 'partial files of every kind, and history and backup files that cannot be used',
    files: [
      ...run(1, 1, 5),
      { name: `${seg(1, 3)}.partial`, size: SEG, mtimeMs: at(3) },
      { name: `${seg(1, 7)}.gz.partial`, size: 800, mtimeMs: at(7) },
      { name: `${seg(1, 8)}.partial`, size: SEG, mtimeMs: at(8) },
      { name: `${seg(1, 8)}.partial.gz`, size: 700, mtimeMs: at(8) },
      ...run(2, 1, 4),
      { name: `${seg(2, 6)}.partial`, size: SEG, mtimeMs: at(6) },
      history(2, ['1\tnot an lsn\tbroken']),
      { name: '00000003.history.gz', content: gzipSync('2\t0/3000000\tpromoted\n'), mtimeMs: at(0) },
      ...run(3, 3, 4),
      { name: '00000004.history.zst', content: 'zstd bytes', mtimeMs: at(0) },
      ...run(4, 4, 5),
      { name: `${seg(1, 2)}.00000028.backup`, content: 'LABEL: broken\n', mtimeMs: at(2) },
      { name: `${seg(1, 4)}.00000028.backup.gz`, content: gzipSync(backup(1, 4, 4).content as string), mtimeMs: at(4) },
    ],
  },
  {
    name: 'odd names: strays, folders, lower case, timeline 0, digits beyond the segment size, and several compressions',
    files: [
      ...run(1, 0xfe, 0x102),
      { name: `${seg(1, 0x103)}.lz4`, size: 3000, mtimeMs: at(300) },
      { name: `${seg(1, 0x103)}.bz2`, size: 3100, mtimeMs: at(301) },
      { name: `${seg(1, 0x104)}.xz`, size: 3200, mtimeMs: at(302) },
      { name: '0000000100000001000001FF', size: SEG, mtimeMs: at(303) },
      { name: seg(1, 0x105).toLowerCase(), size: SEG, mtimeMs: at(304) },
      { name: '000000000000000100000010', size: SEG, mtimeMs: at(305) },
      { name: `${seg(1, 0x106)}.gz.partial.gz`, size: 10, mtimeMs: at(306) },
      { name: `${seg(1, 0x107)}.tmp`, size: SEG, mtimeMs: at(307) },
      { name: '00000001.history', content: 'timeline 1 has none\n', mtimeMs: at(0) },
      { name: 'README', content: 'archive of db1\n', mtimeMs: at(0) },
      { name: 'lost+found', folder: true },
      { name: seg(1, 0x108), folder: true },
    ],
  },
  {
    name: '64 MiB segments, detected, across a log boundary',
    files: [...without(run(1, 60, 70, { segSize: 64 * 1024 * 1024 }), seg(1, 66, 64 * 1024 * 1024)), history(2, ['1\t0/FC000000\tx']), ...run(2, 63, 66, { segSize: 64 * 1024 * 1024, minute: 100 })],
  },
  {
    name: 'segments read as 16 MiB although they are 1 MiB',
    segmentSize: SEG,
    files: [...run(1, 250, 260, { segSize: 1024 * 1024 }), backup(1, 250, 251)],
  },
  { name: 'only files that are not segments', files: [history(2, ['1\t0/A000100\tx']), { name: 'notes.txt', content: 'x', mtimeMs: at(0) }] },
  { name: 'an empty folder', files: [] },
];

let root: string;
let counter = 0;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-walgolden-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function makeArchive(c: Case): string {
  const dir = path.join(root, `archive-${++counter}`);
  mkdirSync(dir);
  for (const f of c.files) {
    const file = path.join(dir, f.name);
    if (f.folder) {
      mkdirSync(file);
      continue;
    }
    const fd = openSync(file, 'w');
    if (f.content !== undefined) writeSync(fd, typeof f.content === 'string' ? Buffer.from(f.content) : f.content);
    else if (f.size) ftruncateSync(fd, f.size);
    closeSync(fd);
    const t = (f.mtimeMs ?? T0) / 1000;
    utimesSync(file, t, t);
  }
  return dir;
}

/** Dates as ISO text, as the CLI's JSON has them; the folder's own path left out. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (k, v: unknown) => (k === 'location' ? undefined : v)));

/** The inventory as a list of entries, shuffled in a fixed way: callers other than the scan may give them in any order. */
async function shuffledInventory(c: Case, dir: string, interleaved = false): Promise<ArchiveInventory> {
  const { inventory } = await readArchiveInventory(dir, { now: () => new Date(NOW), knownBaseBackups: c.knownBaseBackups ?? [], ...(c.segmentSize ? { segmentSize: c.segmentSize } : {}) });
  const size = inventory.segmentSize;
  const entries: SegmentEntry[] = [];
  for (const f of c.files) {
    const p = parseWalFileName(f.name);
    if (f.folder || p?.kind !== 'segment') continue;
    const segno = segmentNumber(p.log, p.seg, size);
    if (segno === undefined) continue;
    entries.push({ name: f.name, tli: p.tli, segno, size: f.size ?? 0, mtimeMs: f.mtimeMs ?? T0, partial: p.partial, ...(p.compression ? { compression: p.compression } : {}) });
  }
  const byName = (a: SegmentEntry, b: SegmentEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  // Reverse by timeline, alternate within; or timelines interleaved: out of order, deterministic, copies of a segment in name order.
  if (interleaved) entries.sort((a, b) => (b.segno % 3) - (a.segno % 3) || a.segno - b.segno || a.tli - b.tli || byName(a, b));
  else entries.sort((a, b) => b.tli - a.tli || (a.segno % 2) - (b.segno % 2) || a.segno - b.segno || byName(a, b));
  return { ...inventory, segments: entries };
}

/** WAL retention keeping a base backup that started in segment 4 of timeline 2, giving up one in segment 2 of timeline 1. */
const RETENTION: WalBaseBackup[] = [
  { label: 'old', startLsn: '0/2000028', startTimeline: 1, kept: false, known: { label: 'old', stopLsn: '0/2000100', timeline: 1, stopTime: new Date(at(2)) } },
  { label: 'kept', startLsn: '0/4000028', startTimeline: 2, kept: true, known: { label: 'kept', stopLsn: '0/4000100', timeline: 2, stopTime: new Date(at(4)) } },
];

async function results(c: Case): Promise<{ scan: unknown; shuffled: unknown; interleaved: unknown; retention: unknown }> {
  const dir = makeArchive(c);
  const opts = { now: () => new Date(NOW), knownBaseBackups: c.knownBaseBackups ?? [], ...(c.segmentSize ? { segmentSize: c.segmentSize } : {}) };
  const scan = await scanArchive(dir, opts);
  const shuffled = analyzeArchive(await shuffledInventory(c, dir));
  const interleaved = analyzeArchive(await shuffledInventory(c, dir, true));
  const retention = planWalCleanup((await readArchiveInventory(dir, opts)).inventory, RETENTION);
  return { scan: plain(scan), shuffled: plain(shuffled), interleaved: plain(interleaved), retention: plain(retention) };
}

if (process.env.PGBR_WRITE_GOLDEN) {
  test('records the results', async () => {
    const all: Record<string, unknown> = {};
    for (const c of CASES) {
      // The interleaved order is checked against the same recorded analysis.
      const r = await results(c);
      all[c.name] = { scan: r.scan, shuffled: r.shuffled, retention: r.retention };
    }
    writeFileSync(GOLDEN, JSON.stringify(all, null, 1) + '\n');
  });
} else {
  const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Record<string, { scan: unknown; shuffled: unknown; retention: unknown }>;
  test('every case has recorded results, and no recorded case is gone', () => {
    assert.deepEqual(Object.keys(golden).sort(), CASES.map((c) => c.name).sort());
  });
  for (const c of CASES) {
    test(`the same results as recorded: ${c.name}`, async () => {
      const got = await results(c);
      const want = golden[c.name];
      assert.deepEqual(got.scan, want?.scan, 'scan of the folder');
      assert.deepEqual(got.shuffled, want?.shuffled, 'analysis of the entries out of order');
      assert.deepEqual(got.interleaved, want?.shuffled, 'analysis of the entries with timelines interleaved');
      assert.deepEqual(got.retention, want?.retention, 'WAL retention over the scanned inventory');
    });
  }
}
